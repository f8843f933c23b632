// Package runner builds the engine's job from a job description, the
// one value that both the command line and job files produce, so that
// `mailferry migrate SRC DST` and `mailferry run FILE` behave alike.
package runner

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path"
	"strings"
	"time"

	"github.com/mailferry/mailferry/internal/connect"
	"github.com/mailferry/mailferry/internal/endpoint"
	"github.com/mailferry/mailferry/internal/jobfile"
	"github.com/mailferry/mailferry/internal/journal"
	"github.com/mailferry/mailferry/internal/secret"
	"github.com/mailferry/mailferry/internal/target"
	"github.com/mailferry/mailferry/migrate"
	"github.com/mailferry/mailferry/sources"
)

// Env is what a built job needs from its surroundings.
type Env struct {
	Journal  *journal.Journal
	IndexDir string       // for mbox scan indexes, usually beside the state database
	Stdin    *os.File     // for password prompts; nil disables them
	Warn     func(string) // warnings for a person (insecure TLS, open password files)
	Now      func() time.Time

	// OAuthDir holds the logins of "mailferry auth login"; "" means the
	// oauth directory beside the state database (beside IndexDir).
	OAuthDir string
	// HTTPClient talks to OAuth token endpoints (nil: a client with a
	// 30 s timeout).
	HTTPClient *http.Client
	// TokenURL, if set, replaces the token endpoint of application
	// access (tests).
	TokenURL func(kind string) string
	// Stderr receives the standard error of token commands (nil:
	// os.Stderr).
	Stderr io.Writer
}

// JournalKey is the name under which a job's copies are journaled: the
// canonical source and target, so the command line and a job file with
// the same endpoints resume each other.
func JournalKey(src, dst *endpoint.Endpoint) string {
	return src.String() + " -> " + dst.String()
}

// Build resolves passwords, connects nothing yet, and returns the engine
// job for j.
func Build(ctx context.Context, j *jobfile.Job, env Env) (*migrate.Job, error) {
	src, err := endpoint.Parse(j.Source)
	if err != nil {
		return nil, fmt.Errorf("source: %w", err)
	}
	dst, err := endpoint.Parse(j.Target)
	if err != nil {
		return nil, fmt.Errorf("target: %w", err)
	}
	warn := env.Warn
	if warn == nil {
		warn = func(string) {}
	}
	for _, ep := range []*endpoint.Endpoint{src, dst} {
		if ep.Insecure {
			warn(fmt.Sprintf("%s: certificate verification is OFF (insecure=true); anyone on the path can read your mail and password", ep))
		}
	}
	if env.HTTPClient == nil {
		env.HTTPClient = defaultHTTPClient()
	}
	srcLogin, err := login(ctx, src, j.SourceSecret, j.SourceAuth, "MAILFERRY_SRC_PASSWORD", "--src-password-file", env, warn)
	if err != nil {
		return nil, err
	}
	dstLogin, err := login(ctx, dst, j.TargetSecret, j.TargetAuth, "MAILFERRY_DST_PASSWORD", "--dst-password-file", env, warn)
	if err != nil {
		return nil, err
	}
	connections := j.Connections
	for _, ep := range []*endpoint.Endpoint{src, dst} {
		if p := connect.Profile(ep); p != nil {
			connections = p.CapConnections(connections)
		}
	}
	openSource, err := connect.Source(src, connect.SourceOptions{Password: srcLogin.Password, Tokens: srcLogin.Tokens, Connections: connections, IndexDir: env.IndexDir})
	if err != nil {
		return nil, err
	}
	var dial target.Dialer
	if dst.IsLocal() && (j.Mode == jobfile.ModeBackup || j.Mode == jobfile.ModeArchive) {
		dial, err = connect.LocalTarget(dst, connect.LocalOptions{ByYear: j.ByYear, Compress: dst.Compress})
	} else {
		dial, err = connect.TargetLogin(dst, dstLogin)
	}
	if err != nil {
		return nil, err
	}
	now := env.Now
	if now == nil {
		now = time.Now
	}
	mj := &migrate.Job{
		Name:       JournalKey(src, dst),
		OpenSource: namedSource(src, openSource),
		Target:     namedTarget(dst, dial),
		Journal:    env.Journal,
		Options: migrate.Options{
			DryRun:         j.DryRun,
			DeleteSource:   j.DeleteSource,
			MarkSeen:       j.MarkSeen,
			SyncFlags:      j.SyncFlags,
			Connections:    j.Connections,
			MapMailbox:     MailboxMapper(j, dst),
			DefaultMailbox: dst.MailboxOrDefault(),
			Filter:         Filter(j, now),
			Now:            now,
		},
	}
	applyProfiles(&mj.Options, src, dst)
	return mj, nil
}

// login resolves how one side logs in: OAuth tokens when the job or the
// endpoint's provider calls for them, else a password.
func login(ctx context.Context, ep *endpoint.Endpoint, spec secret.Spec, a jobfile.OAuth, envVar, flag string, e Env, warn func(string)) (connect.Login, error) {
	tokens, err := Tokens(ep, a, e)
	if err != nil {
		return connect.Login{}, err
	}
	if tokens != nil {
		return connect.Login{Tokens: tokens}, nil
	}
	pw, err := password(ctx, ep, spec, envVar, flag, e, warn)
	return connect.Login{Password: pw}, err
}

func password(ctx context.Context, ep *endpoint.Endpoint, spec secret.Spec, env, flag string, e Env, warn func(string)) (string, error) {
	if ep.IsLocal() {
		return "", nil
	}
	if spec.Env == "" && spec.File == "" && spec.Cmd == "" && spec.Value == "" {
		spec.Env = env
	}
	if spec.Label == "" {
		spec.Label = ep.String()
	}
	if spec.Hint == "" {
		spec.Hint = fmt.Sprintf("set %s or use %s", env, flag)
	}
	spec.Prompt = e.Stdin != nil
	return secret.Resolve(ctx, spec, e.Stdin, warn)
}

// MailboxMapper returns the engine's folder mapping for a job, in this
// order: include/exclude patterns on the source name; folder_map; with no
// target_prefix, a special-use folder goes to the target's folder of the
// same role; the inbox goes to the target URL's mailbox; target_prefix
// is put before the result.
func MailboxMapper(j *jobfile.Job, dst *endpoint.Endpoint) func(migrate.MailboxRef) (string, bool) {
	return func(ref migrate.MailboxRef) (string, bool) {
		src := ref.Name
		if src == "" {
			src = "INBOX"
		}
		if len(j.Include) > 0 && !matchAny(j.Include, src) {
			return "", true
		}
		if matchAny(j.Exclude, src) {
			return "", true
		}
		name := src
		if m, ok := j.FolderMap[src]; ok {
			name = m
		} else if ref.TargetForRole != "" && j.TargetPrefix == "" {
			return ref.TargetForRole, false
		} else if strings.EqualFold(src, "INBOX") {
			name = dst.MailboxOrDefault()
		}
		if j.TargetPrefix != "" {
			name = strings.TrimSuffix(j.TargetPrefix, "/") + "/" + name
		}
		return name, false
	}
}

func matchAny(patterns []string, name string) bool {
	for _, p := range patterns {
		if ok, _ := path.Match(p, name); ok || p == name {
			return true
		}
		// "Archive/*" also matches deeper levels with "Archive/**".
		if strings.HasSuffix(p, "/**") && strings.HasPrefix(name, strings.TrimSuffix(p, "**")) {
			return true
		}
	}
	return false
}

// Filter returns the engine's message filter for a job's date, size and
// \Deleted options, or nil if it has none. Date filters apply to sources
// that know a message's date when listing (IMAP, mbox, Maildir); a
// message without a date passes them.
func Filter(j *jobfile.Job, now func() time.Time) func(sources.Message) bool {
	if j.OlderThan == 0 && j.NewerThan == 0 && j.MaxSize == 0 && !j.SkipDeleted {
		return nil
	}
	return func(m sources.Message) bool {
		if j.MaxSize > 0 && m.Size > j.MaxSize {
			return false
		}
		if j.SkipDeleted {
			for _, f := range m.Flags {
				if f == `\Deleted` {
					return false
				}
			}
		}
		if !m.Date.IsZero() {
			age := now().Sub(m.Date)
			if j.OlderThan > 0 && age < j.OlderThan {
				return false
			}
			if j.NewerThan > 0 && age > j.NewerThan {
				return false
			}
		}
		return true
	}
}

// namedSource and namedTarget put the endpoint (with its user, never a
// password) in front of connection errors, so a person sees which
// account failed: "pop3s://alice@pop.example.com: pop3 login rejected".
func namedSource(ep *endpoint.Endpoint, open func(context.Context) (sources.Source, error)) func(context.Context) (sources.Source, error) {
	return func(ctx context.Context) (sources.Source, error) {
		s, err := open(ctx)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", label(ep), err)
		}
		return s, nil
	}
}

func namedTarget(ep *endpoint.Endpoint, dial target.Dialer) target.Dialer {
	return func(ctx context.Context) (target.Target, error) {
		t, err := dial(ctx)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", label(ep), err)
		}
		return t, nil
	}
}

// label names an endpoint in messages: scheme://user@host:port for a
// server, the path for local mail.
func label(ep *endpoint.Endpoint) string {
	if ep.IsLocal() {
		return ep.String()
	}
	return fmt.Sprintf("%s://%s@%s", ep.Scheme, ep.User, ep.Addr())
}
