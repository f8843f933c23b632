package jobfile

import (
	"fmt"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/mailferry/mailferry/internal/secret"
)

// setter stores the value of one job key. Its error is reported at the
// value's line, prefixed with the key.
type setter func(l *loader, j *Job, v *yaml.Node) error

// jobSetters holds every key a job (or the defaults section) may set.
var jobSetters = map[string]setter{
	"name":   func(l *loader, j *Job, v *yaml.Node) error { return l.setStr(&j.Name, v) },
	"source": func(l *loader, j *Job, v *yaml.Node) error { return l.setStr(&j.Source, v) },
	"target": func(l *loader, j *Job, v *yaml.Node) error { return l.setStr(&j.Target, v) },

	"source_password_env":  func(l *loader, j *Job, v *yaml.Node) error { return l.setStr(&j.SourceSecret.Env, v) },
	"source_password_file": func(l *loader, j *Job, v *yaml.Node) error { return l.setPath(&j.SourceSecret.File, v) },
	"source_password_cmd":  func(l *loader, j *Job, v *yaml.Node) error { return l.setStr(&j.SourceSecret.Cmd, v) },
	"target_password_env":  func(l *loader, j *Job, v *yaml.Node) error { return l.setStr(&j.TargetSecret.Env, v) },
	"target_password_file": func(l *loader, j *Job, v *yaml.Node) error { return l.setPath(&j.TargetSecret.File, v) },
	"target_password_cmd":  func(l *loader, j *Job, v *yaml.Node) error { return l.setStr(&j.TargetSecret.Cmd, v) },

	"delete_source": func(l *loader, j *Job, v *yaml.Node) error { return setBool(&j.DeleteSource, v) },
	"mark_seen":     func(l *loader, j *Job, v *yaml.Node) error { return setBool(&j.MarkSeen, v) },
	"dry_run":       func(l *loader, j *Job, v *yaml.Node) error { return setBool(&j.DryRun, v) },
	"skip_deleted":  func(l *loader, j *Job, v *yaml.Node) error { return setBool(&j.SkipDeleted, v) },
	"sync_flags":    func(l *loader, j *Job, v *yaml.Node) error { return setBool(&j.SyncFlags, v) },
	"by_year":       func(l *loader, j *Job, v *yaml.Node) error { return setBool(&j.ByYear, v) },

	"connections": func(l *loader, j *Job, v *yaml.Node) error {
		n, err := strconv.Atoi(scalar(v))
		if err != nil || n < 1 || n > 64 {
			return fmt.Errorf("want a number from 1 to 64, got %s", show(v))
		}
		j.Connections = n
		return nil
	},
	"folder_map":    setFolderMap,
	"include":       func(l *loader, j *Job, v *yaml.Node) error { return setPatterns(&j.Include, v) },
	"exclude":       func(l *loader, j *Job, v *yaml.Node) error { return setPatterns(&j.Exclude, v) },
	"target_prefix": func(l *loader, j *Job, v *yaml.Node) error { return l.setStr(&j.TargetPrefix, v) },

	"older_than": func(l *loader, j *Job, v *yaml.Node) (err error) {
		j.OlderThan, err = ParseDuration(scalar(v))
		return err
	},
	"newer_than": func(l *loader, j *Job, v *yaml.Node) (err error) {
		j.NewerThan, err = ParseDuration(scalar(v))
		return err
	},
	"max_size": func(l *loader, j *Job, v *yaml.Node) (err error) {
		j.MaxSize, err = ParseSize(scalar(v))
		return err
	},
	"schedule": func(l *loader, j *Job, v *yaml.Node) (err error) {
		j.Schedule = nil
		if s := strings.TrimSpace(scalar(v)); s != "" {
			j.Schedule, err = ParseCron(s)
		}
		return err
	},
	"mode": func(l *loader, j *Job, v *yaml.Node) error {
		switch m := scalar(v); m {
		case ModeMigrate, ModeBackup, ModeArchive:
			j.Mode = m
			return nil
		}
		return fmt.Errorf("want migrate, backup or archive, got %s", show(v))
	},
}

// structured are the keys whose values may be lists or mappings.
var structured = map[string]bool{"folder_map": true, "include": true, "exclude": true}

// notInDefaults are the keys that only make sense per job.
var notInDefaults = map[string]bool{"name": true, "source": true, "target": true}

// jobKeys applies the keys of mapping m to j. lines receives the line of
// every value set.
func (l *loader) jobKeys(j *Job, m *yaml.Node, where string, inDefaults bool, lines map[string]int) {
	// A side's password keys replace the defaults' ones together, and at
	// most one may be given per mapping.
	for _, side := range []string{"source", "target"} {
		spec := &j.SourceSecret
		if side == "target" {
			spec = &j.TargetSecret
		}
		var keys []*yaml.Node
		for i := 0; i+1 < len(m.Content); i += 2 {
			k := deref(m.Content[i])
			if k.Kind == yaml.ScalarNode && strings.HasPrefix(k.Value, side+"_password_") && jobSetters[k.Value] != nil {
				keys = append(keys, k)
			}
		}
		if len(keys) > 0 {
			*spec = secret.Spec{}
		}
		if len(keys) > 1 {
			l.errorf(keys[1].Line, "%s and %s both given %s; use only one", keys[0].Value, keys[1].Value, where)
		}
	}
	l.eachKey(m, func(key string, k, v *yaml.Node) {
		set, ok := jobSetters[key]
		switch {
		case !ok:
			l.errorf(k.Line, "unknown key %q %s%s", key, where, suggest(key, knownKeys()))
			return
		case inDefaults && notInDefaults[key]:
			l.errorf(k.Line, "%q cannot be set in defaults; set it in each job", key)
			return
		}
		lines[key] = v.Line
		if v.Kind != yaml.ScalarNode && !structured[key] {
			l.errorf(v.Line, "%s: want a single value, got %s", key, kindName(v))
			return
		}
		if err := set(l, j, v); err != nil {
			l.errorf(v.Line, "%s: %v", key, err)
		}
	})
}

func knownKeys() []string {
	keys := make([]string, 0, len(jobSetters))
	for k := range jobSetters {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// scalar returns a scalar node's text; jobKeys has checked the kind.
func scalar(v *yaml.Node) string {
	return v.Value
}

func kindName(v *yaml.Node) string {
	switch v.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	}
	return "a " + strings.TrimPrefix(v.Tag, "!!")
}

// show describes a value for an error message.
func show(v *yaml.Node) string {
	if v.Kind != yaml.ScalarNode {
		return kindName(v)
	}
	return strconv.Quote(v.Value)
}

func (l *loader) setStr(dst *string, v *yaml.Node) error {
	if v.Kind != yaml.ScalarNode {
		return fmt.Errorf("want a string, got %s", kindName(v))
	}
	*dst = strings.TrimSpace(v.Value)
	return nil
}

func (l *loader) str(key string, v *yaml.Node) (string, bool) {
	var s string
	if err := l.setStr(&s, v); err != nil {
		l.errorf(v.Line, "%s: %v", key, err)
		return "", false
	}
	return s, true
}

func (l *loader) setPath(dst *string, v *yaml.Node) error {
	if err := l.setStr(dst, v); err != nil {
		return err
	}
	if *dst != "" {
		*dst = l.localPath(*dst)
	}
	return nil
}

func setBool(dst *bool, v *yaml.Node) error {
	switch strings.ToLower(scalar(v)) {
	case "true", "yes", "on":
		*dst = true
	case "false", "no", "off":
		*dst = false
	default:
		return fmt.Errorf("want true or false, got %s", show(v))
	}
	return nil
}

func setPatterns(dst *[]string, v *yaml.Node) error {
	items := []*yaml.Node{v}
	if v.Kind == yaml.SequenceNode {
		items = v.Content
	}
	var out []string
	for _, it := range items {
		it = deref(it)
		if it.Kind != yaml.ScalarNode {
			return fmt.Errorf("want folder name patterns, got %s", kindName(it))
		}
		if _, err := path.Match(it.Value, ""); err != nil || it.Value == "" {
			return fmt.Errorf("bad pattern %q: want a glob like \"Archive/*\"", it.Value)
		}
		out = append(out, it.Value)
	}
	*dst = out
	return nil
}

func setFolderMap(l *loader, j *Job, v *yaml.Node) error {
	if v.Kind != yaml.MappingNode {
		return fmt.Errorf("want a mapping like {\"Sent Items\": \"Sent\"}, got %s", kindName(v))
	}
	for i := 1; i < len(v.Content); i += 2 {
		if val := deref(v.Content[i]); val.Kind == yaml.ScalarNode && val.Tag == "!!null" {
			return fmt.Errorf("%q: want a target folder name, got nothing", deref(v.Content[i-1]).Value)
		}
	}
	m := map[string]string{}
	var err error
	l.eachKey(v, func(key string, k, val *yaml.Node) {
		if err == nil && (val.Kind != yaml.ScalarNode || strings.TrimSpace(val.Value) == "" || key == "") {
			err = fmt.Errorf("%q: want a target folder name, got %s", key, show(val))
		}
		m[key] = val.Value
	})
	if err != nil {
		return err
	}
	j.FolderMap = m
	return nil
}

// expandHome replaces a leading "~/" with the home directory, leaving the
// path alone if there is none.
func expandHome(p string) string {
	if p != "~" && !strings.HasPrefix(p, "~/") {
		return p
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return p
	}
	return filepath.Join(home, p[1:])
}
