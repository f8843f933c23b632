// Package pop3 is a streaming POP3 client (RFC 1939, RFC 2449 CAPA,
// RFC 2595 STLS, RFC 5034 AUTH) and the mailferry Source adapter built on
// it.
//
// The client never holds a whole message in memory: RETR answers are
// delivered through a dot-unstuffing reader that works on a bounded
// bufio buffer, keeps every byte (CRLF, bare LF, 8-bit data, lines of any
// length) and reports an error, never a short successful read, when the
// connection ends before the terminating "." line.
//
// Every socket read and write pushes the connection deadline to
// now+IdleTimeout: a slow transfer lives as long as bytes flow, a silent
// server fails after IdleTimeout.
//
// Source.OpenEach (sources.Streamer) reads a run of messages with
// pipelined RETR commands where the server announces PIPELINING (RFC
// 2449): up to 64 commands go out before their answers are read, one
// round trip for the run instead of one per message.
//
// Message identity is the server's UIDL. A server without UIDL is
// supported at a price: List downloads every message once to compute a
// SHA-256 content digest as its identity (see Source.List).
package pop3
