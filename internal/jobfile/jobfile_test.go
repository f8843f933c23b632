package jobfile

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/mailferry/mailferry/internal/secret"
)

// load writes content to jobs.yaml in a fresh working directory and loads
// it, so error messages start with "jobs.yaml:".
func load(t *testing.T, content string) (*File, error) {
	t.Helper()
	t.Chdir(t.TempDir())
	if err := os.WriteFile("jobs.yaml", []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return Load("jobs.yaml")
}

func TestLoadErrors(t *testing.T) {
	tests := []struct{ name, content, want string }{
		{"unknown top-level key", "jobs:\n  - name: a\n    source: mbox:a\n    target: maildir:b\nstat: x\n",
			`jobs.yaml:5: unknown key "stat" at top level; did you mean "state"?`},
		{"unknown job key", "jobs:\n  - name: alice\n    source: mbox:a\n    target: maildir:b\n    delet_source: true\n",
			`jobs.yaml:5: unknown key "delet_source" in job "alice"; did you mean "delete_source"?`},
		{"unknown key before name", "jobs:\n  - colour: red\n    name: alice\n    source: mbox:a\n    target: maildir:b\n",
			`jobs.yaml:2: unknown key "colour" in job "alice"`},
		{"unknown defaults key", "defaults:\n  conections: 3\njobs:\n  - name: a\n    source: mbox:a\n    target: maildir:b\n",
			`jobs.yaml:2: unknown key "conections" in defaults; did you mean "connections"?`},
		{"source in defaults", "defaults:\n  source: mbox:x\njobs:\n  - name: a\n    source: mbox:a\n    target: maildir:b\n",
			`jobs.yaml:2: "source" cannot be set in defaults; set it in each job`},
		{"bad scheme", "jobs:\n  - name: a\n\n    target: maildir:b\n\n\n    source: pop4://a@h\n",
			`jobs.yaml:7: source: unknown scheme "pop4" (want pop3, pop3s, imap, imaps, mbox or maildir)`},
		{"password in url", "jobs:\n  - name: a\n    source: imaps://a:hunter2@h\n    target: maildir:b\n",
			`jobs.yaml:3: source: passwords are not accepted in URLs; use MAILFERRY_SRC_PASSWORD, --src-password-file or a prompt`},
		{"duplicate name", "jobs:\n  - name: a\n    source: mbox:a\n    target: maildir:b\n  - name: a\n    source: mbox:c\n    target: maildir:d\n",
			`jobs.yaml:5: duplicate job name "a" (first at line 2)`},
		{"missing source", "jobs:\n  - name: alice\n    target: maildir:b\n",
			`jobs.yaml:2: missing source in job "alice"`},
		{"missing name", "jobs:\n  - source: mbox:a\n    target: maildir:b\n",
			`jobs.yaml:2: job #1 has no name`},
		{"bad name", "jobs:\n  - name: a b\n    source: mbox:a\n    target: maildir:b\n",
			`jobs.yaml:2: name: "a b" may only contain letters, digits, '.', '_' and '-'`},
		{"repeated key", "jobs:\n  - name: a\n    source: mbox:a\n    source: mbox:c\n    target: maildir:b\n",
			`jobs.yaml:4: key "source" repeated (first at line 3)`},
		{"pop3 target", "jobs:\n  - name: a\n    source: mbox:a\n    target: pop3s://a@h\n",
			`jobs.yaml:4: target: pop3s cannot be a target (POP3 only reads); use imaps://, maildir: or mbox:`},
		{"same endpoints", "jobs:\n  - name: a\n    source: imaps://a@h/INBOX\n    target: imaps://a@H:993/INBOX\n",
			`jobs.yaml:4: target: same as source imaps://a@h/INBOX`},
		{"two passwords", "jobs:\n  - name: a\n    source: imaps://a@h\n    source_password_env: X\n    source_password_file: f\n    target: maildir:b\n",
			`jobs.yaml:5: source_password_env and source_password_file both given in job "a"; use only one`},
		{"bad bool", "jobs:\n  - name: a\n    source: mbox:a\n    target: maildir:b\n    dry_run: maybe\n",
			`jobs.yaml:5: dry_run: want true or false, got "maybe"`},
		{"bad size", "jobs:\n  - name: a\n    source: mbox:a\n    target: maildir:b\n    max_size: 35 parsecs\n",
			`jobs.yaml:5: max_size: bad size "35 parsecs": want bytes or a number with KB, MB, GB (1000-based) or KiB, MiB, GiB (1024-based), e.g. 35MB`},
		{"bad cron", "jobs:\n  - name: a\n    source: mbox:a\n    target: maildir:b\n    schedule: \"0 3 * *\"\n",
			`jobs.yaml:5: schedule: schedule "0 3 * *": want 5 fields (minute hour day-of-month month day-of-week), got 4`},
		{"bad mode", "jobs:\n  - name: a\n    source: mbox:a\n    target: maildir:b\n    mode: copy\n",
			`jobs.yaml:5: mode: want migrate, backup or archive, got "copy"`},
		{"list for scalar", "jobs:\n  - name: a\n    source: [mbox:a]\n    target: maildir:b\n",
			"jobs.yaml:3: source: want a single value, got a list\njobs.yaml:2: missing source in job \"a\""},
		{"connections", "defaults:\n  connections: 0\njobs:\n  - name: a\n    source: mbox:a\n    target: maildir:b\n",
			`jobs.yaml:2: connections: want a number from 1 to 64, got "0"`},
		{"bad glob", "jobs:\n  - name: a\n    source: mbox:a\n    target: maildir:b\n    include: [\"[\"]\n",
			`jobs.yaml:5: include: bad pattern "[": want a glob like "Archive/*"`},
		{"empty window", "jobs:\n  - name: a\n    source: mbox:a\n    target: maildir:b\n    older_than: 1y\n    newer_than: 30d\n",
			`jobs.yaml:6: newer_than must be longer than older_than, or no message is both in job "a"`},
		{"backup deletes", "jobs:\n  - name: a\n    mode: backup\n    source: mbox:a\n    target: maildir:b\n    delete_source: yes\n",
			`jobs.yaml:6: delete_source cannot be true with mode backup in job "a" (a backup keeps the source)`},
		{"no jobs", "state: x\n", `jobs.yaml:1: no jobs: the file needs a "jobs:" list`},
		{"empty file", "", `jobs.yaml:1: no jobs: the file needs a "jobs:" list`},
		{"not a mapping", "- a\n", `jobs.yaml:1: want a mapping with the keys state, defaults and jobs`},
		{"yaml syntax", "jobs:\n  - name: a\n   bad: [\n", "jobs.yaml:"},
		{"two documents", "jobs: []\n---\njobs: []\n", `jobs.yaml:2: only one YAML document is allowed`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := load(t, tt.content)
			if err == nil || !strings.HasPrefix(err.Error(), tt.want) {
				t.Errorf("Load() error = %v, want %q", err, tt.want)
			}
			if err != nil && strings.Contains(err.Error(), "hunter2") {
				t.Errorf("Load() error repeats a password: %v", err)
			}
		})
	}
}

func TestLoadDefaultsMerge(t *testing.T) {
	f, err := load(t, `
state: state.db
defaults:
  connections: 8
  exclude: [Trash]
  target_password_env: DEFAULT_PW
  folder_map: {"Sent Items": Sent}
  max_size: 1KiB
jobs:
  - name: plain
    source: imaps://a@h
    target: imaps://b@g
  - name: custom
    source: mbox:in/a.mbox
    target: imaps://b@g/Archive
    target_password_file: pw
    connections: 1
    exclude: []
    schedule: "@daily"
`)
	if err != nil {
		t.Fatal(err)
	}
	dir, _ := os.Getwd()
	if want := filepath.Join(dir, "state.db"); f.State != want {
		t.Errorf("State = %q, want %q", f.State, want)
	}
	p, c := f.Jobs[0], f.Jobs[1]
	if p.Connections != 8 || !reflect.DeepEqual(p.Exclude, []string{"Trash"}) || p.MaxSize != 1024 || p.Mode != "migrate" || !p.SkipDeleted {
		t.Errorf("plain = %+v, want defaults connections 8, exclude [Trash], max_size 1024, mode migrate, skip_deleted", p)
	}
	wantSpec := secret.Spec{Env: "DEFAULT_PW", Label: "imaps://b@g", Hint: `set DEFAULT_PW (target_password_env of job "plain" in jobs.yaml)`}
	if p.TargetSecret != wantSpec {
		t.Errorf("plain TargetSecret = %+v, want %+v", p.TargetSecret, wantSpec)
	}
	if p.SourceSecret.Label != "imaps://a@h" || !strings.Contains(p.SourceSecret.Hint, "add source_password_env") {
		t.Errorf("plain SourceSecret = %+v, want label and hint filled", p.SourceSecret)
	}
	if c.Connections != 1 || c.Exclude != nil || c.Schedule == nil || c.Schedule.String() != "@daily" {
		t.Errorf("custom = %+v, want connections 1, no exclude, @daily", c)
	}
	if want := (secret.Spec{File: filepath.Join(dir, "pw"), Label: "imaps://b@g/Archive"}); c.TargetSecret != want {
		t.Errorf("custom TargetSecret = %+v, want %+v", c.TargetSecret, want)
	}
	if want := "mbox:" + filepath.Join(dir, "in/a.mbox"); c.Source != want {
		t.Errorf("custom Source = %q, want %q", c.Source, want)
	}
	if !reflect.DeepEqual(c.FolderMap, map[string]string{"Sent Items": "Sent"}) {
		t.Errorf("custom FolderMap = %v, want the defaults' map", c.FolderMap)
	}
	c.FolderMap["x"] = "y"
	if len(p.FolderMap) != 1 {
		t.Errorf("jobs share the defaults' folder_map: %v", p.FolderMap)
	}

	j, err := f.Job("custom")
	if err != nil || j.Name != "custom" {
		t.Errorf("Job(custom) = %v, %v", j, err)
	}
	_, err = f.Job("nope")
	if want := `no job "nope" in jobs.yaml (jobs: custom, plain)`; err == nil || err.Error() != want {
		t.Errorf("Job(nope) error = %v, want %q", err, want)
	}
}

func TestLoadExample(t *testing.T) {
	const path = "../../jobs.example.yaml"
	f, err := Load(path)
	if err != nil {
		t.Fatalf("Load(%s): %v", path, err)
	}
	if len(f.Jobs) != 6 {
		t.Fatalf("Load(%s) has %d jobs, want 6", path, len(f.Jobs))
	}
	byMode := map[string]*Job{}
	for i := range f.Jobs {
		byMode[f.Jobs[i].Mode] = &f.Jobs[i]
	}
	b := byMode[ModeBackup]
	if b == nil || b.Schedule == nil || b.Schedule.String() != "0 3 * * *" || !strings.HasPrefix(b.Target, "maildir:") {
		t.Errorf("backup job = %+v, want schedule 0 3 * * * and a maildir target", b)
	}
	a := byMode[ModeArchive]
	if a == nil || a.OlderThan != 365*24*time.Hour || !a.DeleteSource || a.Schedule == nil || a.Schedule.String() != "0 4 1 * *" {
		t.Errorf("archive job = %+v, want older_than 365d, delete_source, schedule 0 4 1 * *", a)
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, key := range append(knownKeys(), "state", "defaults", "jobs") {
		if !strings.Contains(string(raw), key+":") {
			t.Errorf("%s does not show the key %q", path, key)
		}
	}
	for _, s := range []string{"pop3s://", "mbox:~/mail/export.mbox", "maildir:~/Maildir", "maildir:~/Backup/alice"} {
		if !strings.Contains(string(raw), s) {
			t.Errorf("%s has no %q job", path, s)
		}
	}
}
