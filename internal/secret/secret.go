// Package secret finds the password for an endpoint without it ever being
// on the command line: from a file, from the output of a command, from an
// environment variable, or from a prompt on the terminal, in that order.
package secret

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"golang.org/x/term"
)

// Spec says where a password may come from. The first of File, Cmd, Env
// (when the variable is set and not empty) and Prompt that applies wins.
type Spec struct {
	// Value is the password itself, read from a batch CSV file. It is
	// never printed.
	Value string

	// Env names an environment variable holding the password, e.g.
	// MAILFERRY_SRC_PASSWORD.
	Env string

	// File is a file holding the password; one trailing newline is
	// removed and a leading "~/" means the home directory.
	File string

	// Cmd is a shell command (run with sh -c) printing the password on
	// stdout, e.g. "pass show mail/alice".
	Cmd string

	// Prompt allows asking on the terminal when nothing else applies.
	Prompt bool

	// Label names the account in prompts and errors, e.g.
	// "imaps://alice@imap.example.com".
	Label string

	// Hint ends the error when no password is found, e.g. "set
	// MAILFERRY_SRC_PASSWORD or use --src-password-file". When empty, a
	// hint is built from Env.
	Hint string
}

// IsZero reports whether the spec names no source at all.
func (s Spec) IsZero() bool {
	return s.Env == "" && s.File == "" && s.Cmd == "" && !s.Prompt
}

// maxSecret bounds what is read from a password file or command.
const maxSecret = 64 << 10

// Resolve returns the password described by spec. stdin is used for the
// prompt only when it is a terminal (the prompt is written to stderr);
// it may be nil. warn, if not nil, receives warnings such as a password
// file readable by others. Errors name the file, command or variable but
// never contain the password or a command's output.
func Resolve(ctx context.Context, spec Spec, stdin *os.File, warn func(string)) (string, error) {
	if warn == nil {
		warn = func(string) {}
	}
	switch {
	case spec.Value != "":
		return spec.Value, nil
	case spec.File != "":
		return fromFile(spec.File, warn)
	case spec.Cmd != "":
		return fromCmd(ctx, spec.Cmd)
	}
	if spec.Env != "" {
		if v := os.Getenv(spec.Env); v != "" {
			return v, nil
		}
	}
	if spec.Prompt && stdin != nil && term.IsTerminal(int(stdin.Fd())) {
		return prompt(label(spec), stdin)
	}
	hint := spec.Hint
	if hint == "" && spec.Env != "" {
		hint = "set " + spec.Env + " or use a password file"
	}
	if hint == "" {
		hint = "give a password file, command or environment variable"
	}
	return "", fmt.Errorf("no password for %s: %s", label(spec), hint)
}

func label(spec Spec) string {
	if spec.Label == "" {
		return "the account"
	}
	return spec.Label
}

func fromFile(name string, warn func(string)) (string, error) {
	if name == "~" || strings.HasPrefix(name, "~/") {
		home, err := os.UserHomeDir()
		if err != nil {
			return "", fmt.Errorf("password file %s: %v", name, err)
		}
		name = filepath.Join(home, name[1:])
	}
	f, err := os.Open(name)
	if err != nil {
		return "", fmt.Errorf("read password file: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return "", fmt.Errorf("read password file: %w", err)
	}
	if fi.IsDir() {
		return "", fmt.Errorf("password file %s is a directory", name)
	}
	if perm := fi.Mode().Perm(); perm&0o044 != 0 {
		warn(fmt.Sprintf("password file %s is readable by others (mode %04o); chmod 600 %s", name, perm, name))
	}
	b, err := io.ReadAll(io.LimitReader(f, maxSecret+1))
	if err != nil {
		return "", fmt.Errorf("read password file %s: %w", name, err)
	}
	if len(b) > maxSecret {
		return "", fmt.Errorf("password file %s is larger than %d bytes; is it the right file?", name, maxSecret)
	}
	s := string(b)
	if t, ok := strings.CutSuffix(s, "\n"); ok {
		s = strings.TrimSuffix(t, "\r")
	}
	if s == "" {
		return "", fmt.Errorf("password file %s is empty", name)
	}
	return s, nil
}

func fromCmd(ctx context.Context, command string) (string, error) {
	cmd := exec.CommandContext(ctx, "sh", "-c", command)
	var out limitedBuffer
	cmd.Stdout = &out
	cmd.Stderr = os.Stderr
	if err := cmd.Run(); err != nil {
		var exit *exec.ExitError
		if errors.As(err, &exit) {
			return "", fmt.Errorf("password command %q failed: %s", command, exit.ProcessState)
		}
		return "", fmt.Errorf("password command %q: %w", command, err)
	}
	if out.over {
		return "", fmt.Errorf("password command %q printed more than %d bytes", command, maxSecret)
	}
	s := strings.TrimRight(out.String(), "\r\n")
	if s == "" {
		return "", fmt.Errorf("password command %q printed nothing", command)
	}
	return s, nil
}

// limitedBuffer keeps at most maxSecret bytes and notes any excess.
type limitedBuffer struct {
	bytes.Buffer
	over bool
}

func (b *limitedBuffer) Write(p []byte) (int, error) {
	if room := maxSecret - b.Len(); len(p) > room {
		b.over = true
		if room > 0 {
			b.Buffer.Write(p[:room])
		}
		return len(p), nil
	}
	return b.Buffer.Write(p)
}

func prompt(lbl string, stdin *os.File) (string, error) {
	fmt.Fprintf(os.Stderr, "password for %s: ", lbl)
	b, err := term.ReadPassword(int(stdin.Fd()))
	fmt.Fprintln(os.Stderr)
	if err != nil {
		return "", fmt.Errorf("read password for %s: %w", lbl, err)
	}
	if len(b) == 0 {
		return "", fmt.Errorf("empty password for %s", lbl)
	}
	return string(b), nil
}
