package main

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"time"
)

// netemDelay is the one-way delay of the imap-netem case.
const netemDelay = 20 * time.Millisecond

// distance puts the IMAP clients netemDelay away from Dovecot (in each
// direction) when set(true), and next to it when set(false).
type distance struct {
	addr   string   // Dovecot's IMAP listener as the clients reach it
	prefix []string // runs a client where it sees addr
	how    string   // how the delay is made
	set    func(on bool) error
	close  func()
}

// imapNetem copies the small corpus IMAP to IMAP with mailferry and
// mbsync, next to the server and netemDelay away from it, over the
// same path both times.
func (e *env) imapNetem() (string, []result) {
	c, missing := e.source("small")
	if c == nil {
		return "IMAP->IMAP with latency", missing
	}
	title := fmt.Sprintf("IMAP->IMAP, %d ms each way, %s: %s", netemDelay.Milliseconds(), c.spec.name, c.describe())
	d, err := e.openDistance()
	if err != nil {
		return title, []result{{tool: "netem", missing: true, note: "skipped: " + err.Error()}}
	}
	defer d.close()
	src := srcAccount(c)
	var rows []result
	for _, tool := range []string{"mailferry", "mbsync"} {
		for _, on := range []bool{false, true} {
			name := tool
			if on {
				name += fmt.Sprintf(" +%d ms", netemDelay.Milliseconds())
			}
			var cmdFor func(target, scratch string) (*command, error)
			switch {
			case tool == "mailferry":
				cmdFor = e.mailferryToIMAP(d.addr, src, d.prefix...)
			case e.tools.mbsync == "":
				rows = append(rows, notInstalled(name))
				continue
			default:
				cmdFor = func(target, scratch string) (*command, error) {
					cmd, err := mbsyncToIMAP(e.tools.mbsync, scratch, d.addr, src, account{target, targetPassword})
					if cmd != nil {
						cmd.args = append(append([]string{}, d.prefix...), cmd.args...)
					}
					return cmd, err
				}
			}
			if err := d.set(on); err != nil {
				rows = append(rows, result{tool: name, missing: true, note: "failed: " + firstLine(err.Error())})
				continue
			}
			rows = append(rows, e.toIMAP(name, c.messages, c.bytes, cmdFor))
		}
	}
	rows[0].note = joinNote(d.how, rows[0].note)
	return title, rows
}

// netemSummary compares each tool's throughput with latency to its
// throughput without (rows come in pairs: without, with).
func netemSummary(rows []result) []summaryLine {
	var out []summaryLine
	for i := 0; i+1 < len(rows); i += 2 {
		a, b := rows[i], rows[i+1]
		if a.missing || b.missing {
			continue
		}
		x := msgRate.of(b) / msgRate.of(a)
		line := summaryLine{text: fmt.Sprintf("%s / %s: %.2fx msg/s", b.tool, a.tool, x)}
		if a.tool == "mailferry" {
			line.note = check(x, 0.5, false)
		}
		out = append(out, line)
	}
	return out
}

// openDistance makes the delay with tc netem across a veth pair into a
// network namespace where possible; otherwise it falls back to a
// forwarder on 127.0.0.1 that delays the data itself, and says why.
func (e *env) openDistance() (*distance, error) {
	d, err := e.netns()
	if err == nil {
		return d, nil
	}
	fmt.Fprintf(os.Stderr, "bench: imap-netem: no netem (%v); delaying in bench's own forwarder instead\n", err)
	fwd, ferr := startForwarder("127.0.0.1:0", e.lab.srv.IMAPAddr())
	if ferr != nil {
		return nil, fmt.Errorf("%v; forwarder: %v", err, ferr)
	}
	var once sync.Once
	stop := func() { once.Do(fwd.close) }
	e.tb.Cleanup(stop)
	return &distance{
		addr: fwd.addr(),
		how:  "no netem (" + err.Error() + "): delay made by bench's forwarder",
		set: func(on bool) error {
			fwd.setDelay(delayIf(on))
			return nil
		},
		close: stop,
	}, nil
}

// netns creates a network namespace joined to this one by a veth pair
// with tc netem on both ends, and a forwarder on the host end's address
// to Dovecot's IMAP listener on 127.0.0.1. Clients run in the namespace.
func (e *env) netns() (*distance, error) {
	if os.Geteuid() != 0 {
		return nil, errors.New("not root")
	}
	ip, err := lookTool("ip", "/usr/sbin", "/sbin", "/usr/bin", "/bin")
	if err != nil {
		return nil, err
	}
	tc, err := lookTool("tc", "/usr/sbin", "/sbin", "/usr/bin", "/bin")
	if err != nil {
		return nil, err
	}
	pid := os.Getpid()
	ns := fmt.Sprintf("mfbench%d", pid)
	host, peer := fmt.Sprintf("mfb%dh", pid%100000), fmt.Sprintf("mfb%dn", pid%100000)
	hostIP, nsIP := fmt.Sprintf("10.213.%d.1", pid%250), fmt.Sprintf("10.213.%d.2", pid%250)
	var fwd *forwarder
	var once sync.Once
	cleanup := func() {
		once.Do(func() {
			if fwd != nil {
				fwd.close()
			}
			exec.Command(ip, "link", "del", host).Run()
			exec.Command(ip, "netns", "del", ns).Run()
		})
	}
	e.tb.Cleanup(cleanup)
	for _, step := range [][]string{
		{ip, "netns", "add", ns},
		{ip, "link", "add", host, "type", "veth", "peer", "name", peer, "netns", ns},
		{ip, "addr", "add", hostIP + "/30", "dev", host},
		{ip, "link", "set", host, "up"},
		{ip, "-n", ns, "addr", "add", nsIP + "/30", "dev", peer},
		{ip, "-n", ns, "link", "set", peer, "up"},
		{ip, "-n", ns, "link", "set", "lo", "up"},
	} {
		if err := runStep(step...); err != nil {
			cleanup()
			return nil, err
		}
	}
	setDelay := func(d time.Duration) error {
		delay := fmt.Sprintf("%dms", d.Milliseconds())
		for _, args := range [][]string{
			{tc, "qdisc", "replace", "dev", host, "root", "netem", "delay", delay, "limit", "100000"},
			{ip, "netns", "exec", ns, tc, "qdisc", "replace", "dev", peer, "root", "netem", "delay", delay, "limit", "100000"},
		} {
			if err := runStep(args...); err != nil {
				return err
			}
		}
		return nil
	}
	if out, err := exec.Command(tc, "qdisc", "replace", "dev", host, "root", "netem", "delay", "20ms").CombinedOutput(); err != nil {
		cleanup()
		return nil, fmt.Errorf("tc netem: %s", strings.TrimPrefix(lastLines(string(out), 1), "Error: "))
	}
	if err := setDelay(netemDelay); err != nil {
		cleanup()
		return nil, err
	}
	if fwd, err = startForwarder(hostIP+":0", e.lab.srv.IMAPAddr()); err != nil {
		cleanup()
		return nil, err
	}
	return &distance{
		addr:   fwd.addr(),
		prefix: []string{ip, "netns", "exec", ns},
		how:    "veth into a network namespace, tc netem on both ends",
		set: func(on bool) error {
			return setDelay(delayIf(on))
		},
		close: cleanup,
	}, nil
}

// runStep runs a setup command and returns its error with its output.
func runStep(args ...string) error {
	out, err := exec.Command(args[0], args[1:]...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("%s: %v: %s", strings.Join(args, " "), err, lastLines(string(out), 1))
	}
	return nil
}

// delayIf is netemDelay if on, else 0.
func delayIf(on bool) time.Duration {
	if on {
		return netemDelay
	}
	return 0
}
