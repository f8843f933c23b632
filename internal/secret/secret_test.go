package secret

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func writeFile(t *testing.T, content string, mode os.FileMode) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "pass")
	if err := os.WriteFile(p, []byte(content), mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(p, mode); err != nil { // umask may have narrowed it
		t.Fatal(err)
	}
	return p
}

func TestFile(t *testing.T) {
	tests := []struct{ content, want string }{
		{"hunter2\n", "hunter2"},
		{"hunter2", "hunter2"},
		{"hunter2\r\n", "hunter2"},
		{"pass word \n\n", "pass word \n"},
	}
	for _, tt := range tests {
		p := writeFile(t, tt.content, 0o600)
		var warnings []string
		got, err := Resolve(context.Background(), Spec{File: p}, nil, func(s string) { warnings = append(warnings, s) })
		if err != nil || got != tt.want {
			t.Errorf("Resolve(file %q) = %q, %v, want %q", tt.content, got, err, tt.want)
		}
		if len(warnings) != 0 {
			t.Errorf("Resolve(file mode 0600) warned %q, want no warning", warnings)
		}
	}
}

func TestFilePermissionWarning(t *testing.T) {
	p := writeFile(t, "hunter2\n", 0o644)
	var warnings []string
	got, err := Resolve(context.Background(), Spec{File: p}, nil, func(s string) { warnings = append(warnings, s) })
	if err != nil || got != "hunter2" {
		t.Fatalf("Resolve(file) = %q, %v, want hunter2", got, err)
	}
	want := fmt.Sprintf("password file %s is readable by others (mode 0644); chmod 600 %s", p, p)
	if len(warnings) != 1 || warnings[0] != want {
		t.Errorf("Resolve(file mode 0644) warnings = %q, want [%q]", warnings, want)
	}
}

func TestFileErrors(t *testing.T) {
	empty := writeFile(t, "\n", 0o600)
	tests := []struct{ file, want string }{
		{empty, "password file " + empty + " is empty"},
		{filepath.Join(t.TempDir(), "missing"), "no such file"},
		{t.TempDir(), "is a directory"},
	}
	for _, tt := range tests {
		_, err := Resolve(context.Background(), Spec{File: tt.file, Env: "HOME"}, nil, nil)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Resolve(file %s) error = %v, want %q", tt.file, err, tt.want)
		}
	}
}

func TestCmd(t *testing.T) {
	got, err := Resolve(context.Background(), Spec{Cmd: `printf 's3cret\n'`, Env: "HOME"}, nil, nil)
	if err != nil || got != "s3cret" {
		t.Errorf("Resolve(cmd printf) = %q, %v, want s3cret", got, err)
	}

	_, err = Resolve(context.Background(), Spec{Cmd: `printf leaked; exit 3`}, nil, nil)
	if err == nil || !strings.Contains(err.Error(), `password command "printf leaked; exit 3" failed: exit status 3`) {
		t.Errorf("Resolve(failing cmd) error = %v, want it to name the command and exit status", err)
	}
	if err != nil && strings.Contains(strings.ReplaceAll(err.Error(), "printf leaked", ""), "leaked") {
		t.Errorf("Resolve(failing cmd) error = %v, contains the command's output", err)
	}

	_, err = Resolve(context.Background(), Spec{Cmd: `true`}, nil, nil)
	if err == nil || !strings.Contains(err.Error(), "printed nothing") {
		t.Errorf("Resolve(cmd true) error = %v, want printed nothing", err)
	}

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Resolve(ctx, Spec{Cmd: `printf x`}, nil, nil); err == nil {
		t.Errorf("Resolve(cancelled ctx, cmd) error = nil, want an error")
	}
}

func TestEnv(t *testing.T) {
	t.Setenv("MAILFERRY_TEST_PASSWORD", "from-env")
	got, err := Resolve(context.Background(), Spec{Env: "MAILFERRY_TEST_PASSWORD"}, nil, nil)
	if err != nil || got != "from-env" {
		t.Errorf("Resolve(env) = %q, %v, want from-env", got, err)
	}

	// A file or command wins over the environment.
	p := writeFile(t, "from-file\n", 0o600)
	got, err = Resolve(context.Background(), Spec{Env: "MAILFERRY_TEST_PASSWORD", File: p}, nil, nil)
	if err != nil || got != "from-file" {
		t.Errorf("Resolve(env and file) = %q, %v, want from-file", got, err)
	}
	got, err = Resolve(context.Background(), Spec{Env: "MAILFERRY_TEST_PASSWORD", Cmd: "echo from-cmd"}, nil, nil)
	if err != nil || got != "from-cmd" {
		t.Errorf("Resolve(env and cmd) = %q, %v, want from-cmd", got, err)
	}
}

func TestNoPassword(t *testing.T) {
	t.Setenv("MAILFERRY_SRC_PASSWORD", "")
	r, w, err := os.Pipe() // not a terminal: no prompt
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	spec := Spec{Env: "MAILFERRY_SRC_PASSWORD", Prompt: true, Label: "imaps://alice@host"}
	_, err = Resolve(context.Background(), spec, r, nil)
	want := "no password for imaps://alice@host: set MAILFERRY_SRC_PASSWORD or use a password file"
	if err == nil || err.Error() != want {
		t.Errorf("Resolve(nothing) error = %v, want %q", err, want)
	}

	spec.Hint = "set MAILFERRY_SRC_PASSWORD or use --src-password-file"
	_, err = Resolve(context.Background(), spec, nil, nil)
	want = "no password for imaps://alice@host: set MAILFERRY_SRC_PASSWORD or use --src-password-file"
	if err == nil || err.Error() != want {
		t.Errorf("Resolve(nothing, Hint) error = %v, want %q", err, want)
	}
}

func TestIsZero(t *testing.T) {
	if !(Spec{Label: "x"}).IsZero() || (Spec{Env: "X"}).IsZero() {
		t.Errorf("IsZero() wrong for label-only or env spec")
	}
}
