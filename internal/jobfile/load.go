package jobfile

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"regexp"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/mailferry/mailferry/internal/endpoint"
	"github.com/mailferry/mailferry/internal/secret"
)

// maxFileSize bounds a job file; a bigger one is surely the wrong file.
const maxFileSize = 4 << 20

// maxErrors bounds how many problems Load reports at once.
const maxErrors = 20

var validName = regexp.MustCompile(`^[A-Za-z0-9._-]+$`)

// loader walks the YAML node tree, collecting errors with their lines.
type loader struct {
	file string
	dir  string
	errs []string
}

func (l *loader) errorf(line int, format string, args ...any) {
	if len(l.errs) < maxErrors {
		l.errs = append(l.errs, fmt.Sprintf("%s:%d: %s", l.file, line, fmt.Sprintf(format, args...)))
	}
}

func (l *loader) err() error {
	if len(l.errs) == 0 {
		return nil
	}
	return errors.New(strings.Join(l.errs, "\n"))
}

// yamlLine turns "yaml: line 3: did not find expected key" into a line
// number and a message.
var yamlLine = regexp.MustCompile(`^yaml: (?:[a-z ]+ )?line (\d+): (.*)$`)

func (l *loader) load(r io.Reader) (out *File) {
	out = &File{Path: l.file}
	b, err := io.ReadAll(io.LimitReader(r, maxFileSize+1))
	if err != nil {
		l.errorf(1, "read: %v", err)
		return out
	}
	if len(b) > maxFileSize {
		l.errorf(1, "job file is larger than %d bytes", maxFileSize)
		return out
	}
	var doc yaml.Node
	if err := decode(b, &doc); err != nil {
		if m := yamlLine.FindStringSubmatch(err.Error()); m != nil {
			l.errs = append(l.errs, fmt.Sprintf("%s:%s: %s", l.file, m[1], m[2]))
		} else {
			l.errorf(1, "%s", strings.TrimPrefix(err.Error(), "yaml: "))
		}
		return out
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) == 0 || doc.Content[0].Tag == "!!null" {
		l.errorf(1, "no jobs: the file needs a \"jobs:\" list")
		return out
	}
	root := deref(doc.Content[0])
	if root.Kind != yaml.MappingNode {
		l.errorf(root.Line, "want a mapping with the keys state, defaults and jobs")
		return out
	}
	var defaultsNode, jobsNode *yaml.Node
	l.eachKey(root, func(key string, k, v *yaml.Node) {
		switch key {
		case "state":
			if s, ok := l.str(key, v); ok && s != "" {
				out.State = l.localPath(s)
			}
		case "defaults":
			defaultsNode = v
		case "jobs":
			jobsNode = v
		default:
			l.errorf(k.Line, "unknown key %q at top level%s", key, suggest(key, []string{"state", "defaults", "jobs"}))
		}
	})
	defaults := l.defaults(defaultsNode)
	out.Jobs = l.jobs(jobsNode, root, defaults)
	return out
}

// decode parses one YAML document, rejecting further documents and
// turning a parser panic into an error.
func decode(b []byte, doc *yaml.Node) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("yaml: cannot parse: %v", r)
		}
	}()
	dec := yaml.NewDecoder(bytes.NewReader(b))
	if err := dec.Decode(doc); err != nil {
		if err == io.EOF {
			return nil
		}
		return err
	}
	var more yaml.Node
	if err := dec.Decode(&more); err != io.EOF {
		line := more.Line
		if err != nil {
			return err
		}
		return fmt.Errorf("yaml: line %d: only one YAML document is allowed", line)
	}
	return nil
}

// deref follows aliases to the node they name.
func deref(n *yaml.Node) *yaml.Node {
	for i := 0; n.Kind == yaml.AliasNode && n.Alias != nil && i < 100; i++ {
		n = n.Alias
	}
	return n
}

// eachKey calls fn for every key of mapping m, reporting non-scalar and
// repeated keys. Null values are skipped: a key without a value is unset.
func (l *loader) eachKey(m *yaml.Node, fn func(key string, k, v *yaml.Node)) {
	seen := map[string]int{}
	for i := 0; i+1 < len(m.Content); i += 2 {
		k, v := deref(m.Content[i]), deref(m.Content[i+1])
		if k.Kind != yaml.ScalarNode {
			l.errorf(k.Line, "keys must be plain names")
			continue
		}
		if first, ok := seen[k.Value]; ok {
			l.errorf(k.Line, "key %q repeated (first at line %d)", k.Value, first)
			continue
		}
		seen[k.Value] = k.Line
		if v.Kind == yaml.ScalarNode && v.Tag == "!!null" {
			continue
		}
		fn(k.Value, k, v)
	}
}

// localPath expands "~/" and makes a relative path relative to the job
// file's directory.
func (l *loader) localPath(p string) string {
	p = expandHome(p)
	if !filepath.IsAbs(p) && !strings.HasPrefix(p, "~") {
		p = filepath.Join(l.dir, p)
	}
	return p
}

func (l *loader) defaults(n *yaml.Node) Job {
	d := Job{Connections: DefaultConnections, Mode: DefaultMode, SkipDeleted: DefaultSkipDeleted}
	if n == nil {
		return d
	}
	if n.Kind != yaml.MappingNode {
		l.errorf(n.Line, "defaults: want a mapping of job keys")
		return d
	}
	l.jobKeys(&d, n, "in defaults", true, map[string]int{})
	return d
}

func (l *loader) jobs(n *yaml.Node, root *yaml.Node, defaults Job) []Job {
	if n == nil {
		l.errorf(root.Line, "no jobs: the file needs a \"jobs:\" list")
		return nil
	}
	if n.Kind != yaml.SequenceNode {
		l.errorf(n.Line, "jobs: want a list of jobs (each item starting with \"- name:\")")
		return nil
	}
	if len(n.Content) == 0 {
		l.errorf(n.Line, "no jobs: the \"jobs:\" list is empty")
		return nil
	}
	var jobs []Job
	names := map[string]int{}
	for i, item := range n.Content {
		item = deref(item)
		if item.Kind != yaml.MappingNode {
			l.errorf(item.Line, "job #%d: want a mapping with name, source, target, ...", i+1)
			continue
		}
		j := defaults.clone()
		j.Line = item.Line
		l.job(&j, item, i+1)
		if j.Name != "" {
			if first, ok := names[j.Name]; ok {
				l.errorf(j.Line, "duplicate job name %q (first at line %d)", j.Name, first)
			}
			names[j.Name] = j.Line
		}
		jobs = append(jobs, j)
	}
	return jobs
}

// jobName finds a job's name before its keys are walked, for messages.
func jobName(m *yaml.Node, index int) string {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if k, v := deref(m.Content[i]), deref(m.Content[i+1]); k.Value == "name" && v.Kind == yaml.ScalarNode && v.Value != "" {
			return fmt.Sprintf("in job %q", v.Value)
		}
	}
	return fmt.Sprintf("in job #%d", index)
}

func (l *loader) job(j *Job, m *yaml.Node, index int) {
	where := jobName(m, index)
	lines := map[string]int{}
	l.jobKeys(j, m, where, false, lines)
	if j.Name == "" {
		l.errorf(j.Line, "job #%d has no name", index)
	} else if !validName.MatchString(j.Name) {
		l.errorf(lines["name"], "name: %q may only contain letters, digits, '.', '_' and '-'", j.Name)
	}
	src := l.endpoint(j, &j.Source, &j.SourceSecret, "source", where, lines)
	dst := l.endpoint(j, &j.Target, &j.TargetSecret, "target", where, lines)
	l.checkOAuth(j.SourceAuth, "source", where, j.Line)
	l.checkOAuth(j.TargetAuth, "target", where, j.Line)
	if dst != nil && dst.IsPOP3() {
		l.errorf(lines["target"], "target: %s cannot be a target (POP3 only reads); use imaps://, maildir: or mbox:", dst.Scheme)
	}
	if src != nil && dst != nil && j.Source == j.Target {
		l.errorf(lines["target"], "target: same as source %s", j.Source)
	}
	if j.OlderThan > 0 && j.NewerThan > 0 && j.NewerThan <= j.OlderThan {
		l.errorf(line(lines, "newer_than", j.Line), "newer_than must be longer than older_than, or no message is both %s", where)
	}
	if j.DeleteSource && j.Mode == ModeBackup {
		l.errorf(line(lines, "delete_source", j.Line), "delete_source cannot be true with mode backup %s (a backup keeps the source)", where)
	}
}

func line(lines map[string]int, key string, def int) int {
	if n, ok := lines[key]; ok {
		return n
	}
	return def
}

// endpoint checks a job's source or target, canonicalises it and fills
// in its secret's label and hint.
func (l *loader) endpoint(j *Job, s *string, spec *secret.Spec, key, where string, lines map[string]int) *endpoint.Endpoint {
	if *s == "" {
		l.errorf(j.Line, "missing %s %s", key, where)
		return nil
	}
	raw, err := withProvider(*s, *j.provider(key))
	if err != nil {
		l.errorf(line(lines, key+"_provider", lines[key]), "%s_provider: %v", key, err)
		return nil
	}
	ep, err := endpoint.Parse(raw)
	if err != nil {
		l.errorf(lines[key], "%s: %v", key, err)
		return nil
	}
	if ep.IsLocal() {
		*spec = secret.Spec{}
		*j.auth(key) = OAuth{}
		if !filepath.IsAbs(ep.Path) {
			ep.Path = filepath.Join(l.dir, ep.Path)
		}
		*s = ep.String()
		return ep
	}
	*s = ep.String()
	spec.Label = *s
	if !j.auth(key).IsZero() {
		*spec = secret.Spec{} // tokens replace the password
	} else if spec.Env != "" {
		spec.Hint = fmt.Sprintf("set %s (%s_password_env of job %q in %s)", spec.Env, key, j.Name, l.file)
	} else if spec.IsZero() {
		spec.Hint = fmt.Sprintf("add %s_password_env, %s_password_file or %s_password_cmd to job %q in %s", key, key, key, j.Name, l.file)
	}
	return ep
}
