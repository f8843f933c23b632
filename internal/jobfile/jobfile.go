// Package jobfile loads YAML job files: named migrations, backups and
// archive runs with their endpoints, password sources, filters and
// schedules. Unknown keys and bad values are errors that name the file and
// line ("jobs.yaml:12: unknown key "delet_source" in job "alice""); see
// jobs.example.yaml at the top of the repository for every key.
package jobfile

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/mailferry/mailferry/internal/secret"
)

// Modes a job can run in.
const (
	ModeMigrate = "migrate" // copy everything once, resumably
	ModeBackup  = "backup"  // copy what is new since the last run
	ModeArchive = "archive" // move old messages (with older_than) to the target
)

// Built-in defaults, used when neither the job nor the defaults section
// sets the key.
const (
	DefaultConnections = 4
	DefaultMode        = ModeMigrate
	DefaultSkipDeleted = true
)

// File is a loaded job file.
type File struct {
	// Path is the file's name as given to Load.
	Path string

	// State is the state database from the "state" key, with "~/"
	// expanded and relative paths made relative to the job file's
	// directory; "" when the file does not set it (see DefaultStatePath).
	State string

	// Jobs in file order, defaults merged in.
	Jobs []Job
}

// Job is one entry of the jobs list with the defaults section merged in.
type Job struct {
	Name string

	// Source and Target are endpoints in the canonical form of
	// endpoint.Endpoint.String, so they parse without error. Relative
	// mbox and maildir paths have been made relative to the job file's
	// directory.
	Source, Target string

	// SourceSecret and TargetSecret say where passwords come from; they
	// are zero for local endpoints. Labels and hints are filled in.
	SourceSecret, TargetSecret secret.Spec

	// SourceAuth and TargetAuth say how each side gets OAuth tokens
	// (source_token_cmd, target_service_account_key, ...); zero means a
	// password, or a stored "mailferry auth login" when the provider
	// calls for OAuth.
	SourceAuth, TargetAuth OAuth

	// sourceProvider and targetProvider are the source_provider and
	// target_provider keys, folded into Source and Target as ?provider=.
	sourceProvider, targetProvider string

	DeleteSource bool // delete each source message once the target holds it
	MarkSeen     bool // add \Seen to every copied message
	DryRun       bool // list what would happen, change nothing
	SkipDeleted  bool // leave out source messages flagged \Deleted
	SyncFlags    bool // bring flags of already-copied messages up to date
	ByYear       bool // file messages under <folder>/<year>

	Connections  int               // parallel target connections
	FolderMap    map[string]string // source folder name -> target folder name
	Include      []string          // glob patterns on source folder names; nil means all
	Exclude      []string          // glob patterns on source folder names
	TargetPrefix string            // prepended to every target folder name

	OlderThan time.Duration // only messages older than this (0: no limit)
	NewerThan time.Duration // only messages newer than this (0: no limit)
	MaxSize   int64         // skip messages larger than this many bytes (0: no limit)

	Schedule *Cron  // when "mailferry schedule" runs the job; nil if never
	Mode     string // ModeMigrate, ModeBackup or ModeArchive

	// Line is the line of the job in the file, for messages.
	Line int
}

// Load reads and checks a job file. All problems found are reported
// together, one "file:line: message" per line.
func Load(path string) (*File, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read job file: %w", err)
	}
	defer f.Close()
	dir, err := filepath.Abs(filepath.Dir(path))
	if err != nil {
		return nil, fmt.Errorf("job file %s: %w", path, err)
	}
	l := &loader{file: path, dir: dir}
	out := l.load(f)
	if err := l.err(); err != nil {
		return nil, err
	}
	return out, nil
}

// Job returns the job called name, or an error listing the known names.
func (f *File) Job(name string) (*Job, error) {
	names := make([]string, 0, len(f.Jobs))
	for i := range f.Jobs {
		if f.Jobs[i].Name == name {
			return &f.Jobs[i], nil
		}
		names = append(names, f.Jobs[i].Name)
	}
	sort.Strings(names)
	return nil, fmt.Errorf("no job %q in %s (jobs: %s)", name, f.Path, strings.Join(names, ", "))
}

// DefaultStatePath returns the per-user state database,
// $XDG_STATE_HOME/mailferry/state.db or ~/.local/state/mailferry/state.db.
func DefaultStatePath() (string, error) {
	if d := os.Getenv("XDG_STATE_HOME"); filepath.IsAbs(d) {
		return filepath.Join(d, "mailferry", "state.db"), nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("find state directory: %w", err)
	}
	return filepath.Join(home, ".local", "state", "mailferry", "state.db"), nil
}

// clone returns a copy of j that shares no maps or slices with it.
func (j Job) clone() Job {
	if j.FolderMap != nil {
		m := make(map[string]string, len(j.FolderMap))
		for k, v := range j.FolderMap {
			m[k] = v
		}
		j.FolderMap = m
	}
	j.Include = append([]string(nil), j.Include...)
	j.Exclude = append([]string(nil), j.Exclude...)
	if len(j.Include) == 0 {
		j.Include = nil
	}
	if len(j.Exclude) == 0 {
		j.Exclude = nil
	}
	return j
}
