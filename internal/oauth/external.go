package oauth

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"

	"github.com/mailferry/mailferry/sources"
)

// maxTokenSize bounds what is read from a token file or command.
const maxTokenSize = 64 << 10

// FileGrant returns a Grant that reads the access token from a file on
// every call: an outside tool (a cron job, a sidecar) keeps it fresh.
// Surrounding white space is ignored.
func FileGrant(path string) Grant {
	return func(context.Context) (*Token, error) {
		f, err := os.Open(path)
		if err != nil {
			return nil, sources.Permanent(fmt.Errorf("read token file: %w", err))
		}
		defer f.Close()
		b, err := io.ReadAll(io.LimitReader(f, maxTokenSize))
		if err != nil {
			return nil, fmt.Errorf("read token file %s: %w", path, err)
		}
		tok := strings.TrimSpace(string(b))
		if tok == "" {
			return nil, sources.Permanent(fmt.Errorf("token file %s is empty", path))
		}
		return &Token{AccessToken: tok}, nil
	}
}

// CommandGrant returns a Grant that runs command with sh -c on every
// call and takes the token from its standard output (its first line).
// Its standard error is passed through; its output never appears in
// errors.
func CommandGrant(command string, stderr io.Writer) Grant {
	return func(ctx context.Context) (*Token, error) {
		cmd := exec.CommandContext(ctx, "sh", "-c", command)
		var out limitedBuffer
		cmd.Stdout = &out
		cmd.Stderr = stderr
		if err := cmd.Run(); err != nil {
			var ee *exec.ExitError
			if errors.As(err, &ee) {
				return nil, sources.Permanent(fmt.Errorf("token command %q failed: %v", command, ee))
			}
			return nil, fmt.Errorf("token command %q: %w", command, err)
		}
		line, _, _ := strings.Cut(strings.TrimSpace(out.String()), "\n")
		tok := strings.TrimSpace(line)
		if tok == "" {
			return nil, sources.Permanent(fmt.Errorf("token command %q printed nothing", command))
		}
		return &Token{AccessToken: tok}, nil
	}
}

// limitedBuffer keeps at most maxTokenSize bytes.
type limitedBuffer struct{ bytes.Buffer }

func (b *limitedBuffer) Write(p []byte) (int, error) {
	if room := maxTokenSize - b.Len(); room > 0 {
		b.Buffer.Write(p[:min(len(p), room)])
	}
	return len(p), nil
}
