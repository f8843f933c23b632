package pop3test

import (
	"bufio"
	"bytes"
	"net"
	"strings"
	"testing"
)

func TestDotStuff(t *testing.T) {
	tests := []struct {
		msg, wire string
		size      int64
	}{
		{"", ".\r\n", 0},
		{"a\r\n", "a\r\n.\r\n", 3},
		{".\r\n..x\r\n", "..\r\n...x\r\n.\r\n", 8},
		{"a\n.b\r\n", "a\n.b\r\n.\r\n", 6},
		{"no end", "no end\r\n.\r\n", 8},
	}
	for _, tt := range tests {
		var b bytes.Buffer
		DotStuff(&b, []byte(tt.msg))
		if b.String() != tt.wire || DeliveredSize([]byte(tt.msg)) != tt.size {
			t.Errorf("DotStuff(%q) = %q, size %d, want %q, size %d", tt.msg, b.String(), DeliveredSize([]byte(tt.msg)), tt.wire, tt.size)
		}
	}
}

func TestTop(t *testing.T) {
	raw := []byte("H: 1\r\n\r\nl1\r\nl2\r\n")
	for n, want := range []string{"H: 1\r\n\r\n", "H: 1\r\n\r\nl1\r\n", string(raw), string(raw)} {
		if got := top(raw, n); string(got) != want {
			t.Errorf("top(%q, %d) = %q, want %q", raw, n, got, want)
		}
	}
}

// TestStartClose drives the server without testing.T, as the demo does.
func TestStartClose(t *testing.T) {
	s, err := New(WithMessages([]byte("Subject: x\r\n\r\n.hi\r\n")), NoSTLS())
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Start("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	conn, err := net.Dial("tcp", s.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	br := bufio.NewReader(conn)
	conn.Write([]byte("CAPA\r\nUSER alice\r\nPASS s3cret-pw\r\nRETR 1\r\nDELE 1\r\nQUIT\r\n"))
	var got strings.Builder
	for {
		line, err := br.ReadString('\n')
		got.WriteString(line)
		if err != nil {
			break
		}
	}
	for _, want := range []string{"+OK maildrop has 1 messages", "Subject: x\r\n\r\n..hi\r\n.\r\n", "+OK bye, 1 messages deleted"} {
		if !strings.Contains(got.String(), want) {
			t.Errorf("session transcript = %q, want it to contain %q", got.String(), want)
		}
	}
	if strings.Contains(got.String(), "STLS") {
		t.Errorf("CAPA offered STLS with NoSTLS: %q", got.String())
	}
	if s.Committed() != 1 || len(s.Messages()) != 0 {
		t.Errorf("Committed() = %d, %d messages left, want 1 and 0", s.Committed(), len(s.Messages()))
	}
}
