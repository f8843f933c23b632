// Package mbox reads and writes mbox files: the source adapter for
// local mbox files and trees of them (Thunderbird, Google Takeout, mutt,
// Apple Mail exports), and the Writer used for backups.
//
// # Messages
//
// A message starts after a separating "From " line and ends before the
// blank line that precedes the next separator (or the blank line that
// ends the file). Neither the "From " line nor that blank line is part
// of the message. A separator is a line starting "From " at the start
// of the file or after a blank line that looks real: a sender and a date
// ("From alice@example.com Sat Jan  1 00:00:00 2022", Takeout's
// "From 1234567890@xxx Sat Jan 01 00:00:00 +0000 2022", Thunderbird's
// "From - Sat Jan 01 ..."). So a body line such as "From here on..." does
// not split a message. If the file's first "From " line has no date,
// every "From " line after a blank line separates, since the writer of
// that file evidently wrote no dates.
//
// The "From " line's date is the message's Date (zero if it has none
// that parses; a date without a zone, as asctime writes it, is taken
// as UTC). Flags come from Status:, X-Status:, X-Mozilla-Status,
// X-Mozilla-Keys and X-Keywords: (mailhdr.Flags); the header is left in
// the message as it is. Open delivers the bytes with bare LF turned into
// CRLF and the variant's "From " quoting undone; nothing else changes.
// IDs are "<offset of the From line>-<16 hex digits of the SHA-256 of
// the raw message bytes>", stable while the file is unchanged.
//
// # Variants
//
//   - mboxrd: writers quote every line matching ^>*From  with one more
//     '>'; the reader removes one '>' from every line matching ^>+From .
//     This is exact, and what Writer writes.
//   - mboxo: writers quote only ^From  lines, so a ">From " line in the
//     file may be a quoted "From " or a genuine ">From ". The reader
//     unquotes ">From " and leaves ">>From " as it is.
//   - mboxcl: quoted like mboxo, plus a Content-Length: header.
//   - mboxcl2: no quoting; Content-Length: says where the body ends.
//
// For mboxcl and mboxcl2, a Content-Length is honoured when it is
// consistent: the byte after the body is the end of the file or the
// blank line before a separating "From " line. The message may then
// span unquoted "From " lines in its body. An inconsistent or missing
// Content-Length falls back to splitting at "From " lines, and so does
// one whose body ends in the middle of a line.
//
// With Options.Format "" the variant is detected per file: any line
// matching ^>>+From  means mboxrd; a consistent Content-Length in every
// message means mboxcl2 (mboxcl if ">From " lines appear and no message
// needed Content-Length to span a "From " line); anything else is read
// as mboxrd. Reading an mboxo file as mboxrd differs only for ">>From "
// lines, which are themselves the sign of mboxrd.
//
// # Files
//
// Files ending in .gz and .bz2 are decompressed in-process; .xz and
// .zst through the xz and zstd commands, which must be installed. List
// reads each file once, sequentially, keeping only per-message offsets,
// sizes and digests; Open streams one message. For compressed files,
// Open keeps the decompressor as a forward cursor, so opening messages
// in file order decompresses the file once more in total.
//
// A file may grow while it is read (mail appended). Open refuses a file
// that was replaced or shortened since List; a message changed in place
// fails its digest check at the end of its bytes with a
// sources.MessageError, so a half-changed message is never delivered as
// complete.
package mbox
