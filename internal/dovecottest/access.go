package dovecottest

import (
	"io"
	"os"
	"path/filepath"
)

// IMAPAddr returns the plaintext IMAP listener's "127.0.0.1:port" (with
// STARTTLS when started WithTLS).
func (s *Server) IMAPAddr() string { return addr(s.ports.IMAP) }

// POP3Addr returns the plaintext POP3 listener's "127.0.0.1:port" (with
// STLS when started WithTLS).
func (s *Server) POP3Addr() string { return addr(s.ports.POP3) }

// IMAPSAddr returns the implicit-TLS IMAP listener's address, or "" when
// the server was started without WithTLS.
func (s *Server) IMAPSAddr() string {
	if s.ports.IMAPS == 0 {
		return ""
	}
	return addr(s.ports.IMAPS)
}

// POP3SAddr returns the implicit-TLS POP3 listener's address, or "" when
// the server was started without WithTLS.
func (s *Server) POP3SAddr() string {
	if s.ports.POP3S == 0 {
		return ""
	}
	return addr(s.ports.POP3S)
}

// Dir returns the server's private directory (configuration, logs, mail).
func (s *Server) Dir() string { return s.dir }

// ConfigPath returns the path of the server's dovecot.conf.
func (s *Server) ConfigPath() string { return s.conf }

// MaildirPath returns the root of user's Maildir (its INBOX; other
// mailboxes are the ".Name" subdirectories). It exists once Dovecot has
// opened the user's mail.
func (s *Server) MaildirPath(user string) string {
	return filepath.Join(s.dir, "mail", user, "Maildir")
}

// LogPath returns the path of Dovecot's log file.
func (s *Server) LogPath() string { return filepath.Join(s.dir, "dovecot.log") }

// outPath is where dovecot's own stdout and stderr go: startup errors
// such as configuration mistakes appear there, not in LogPath.
func (s *Server) outPath() string { return filepath.Join(s.dir, "dovecot.out") }

// Log returns Dovecot's output and log so far, for failure messages.
func (s *Server) Log() string { return s.logSince([2]int64{}) }

// logSizes returns the current sizes of the output and log files.
func (s *Server) logSizes() [2]int64 {
	var sizes [2]int64
	for i, p := range []string{s.outPath(), s.LogPath()} {
		if fi, err := os.Stat(p); err == nil {
			sizes[i] = fi.Size()
		}
	}
	return sizes
}

// logSince returns the output and log written after the sizes in mark.
func (s *Server) logSince(mark [2]int64) string {
	var text string
	for i, p := range []string{s.outPath(), s.LogPath()} {
		f, err := os.Open(p)
		if err != nil {
			continue
		}
		if _, err := f.Seek(mark[i], io.SeekStart); err == nil {
			b, _ := io.ReadAll(f)
			text += string(b)
		}
		f.Close()
	}
	return text
}
