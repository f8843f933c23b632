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
// Files ending in .gz, .bz2, .xz and .zst are decompressed in-process
// (the xz and zstd decoders come from github.com/ulikunitz/xz and
// github.com/klauspost/compress/zstd; no external command is needed).
// List reads each file once, sequentially, keeping only per-message
// offsets, sizes and digests; Open streams one message. For compressed
// files, offsets are those of the decompressed bytes, and Open keeps
// the decompressor as a forward cursor, so opening messages in file
// order decompresses the file once more in total (opening one before
// the cursor decompresses again from the start).
//
// A file may grow while it is read (mail appended). Open refuses a file
// that was replaced or shortened since List; a message changed in place
// fails its digest check at the end of its bytes with a
// sources.MessageError, so a half-changed message is never delivered as
// complete.
//
// # Index
//
// With Options.IndexDir set, List keeps an index of each file it has
// read in that directory, so that a run resumed after a stop does not
// read a large mbox file again. The index file of an mbox file is named
// by the SHA-256 of the file's absolute path (".mbox-index" appended),
// written to a temporary file and renamed into place, with mode 0600.
// It holds the file's identity (size, modification time, device and
// inode where the system has them, and SHA-256 digests of its first and
// last 64 KiB), the variant used, and for each message the offsets of
// its "From " line, first and last byte (in the decompressed file), its
// line number, the size Open delivers, its date, flags and digest: all
// that List reports and Open needs. A final SHA-256 of the index's
// records guards against a damaged index. It is written and read record
// by record, so memory stays proportional to the number of messages, as
// List's own is.
//
// At the next List, the index is used when Options.Format is the same
// and:
//
//   - the identity is the same: List reads only the index and the two
//     64 KiB ends of the file;
//   - the file only grew (same device and inode, and the same digests
//     for the first and last 64 KiB of its old size, as when mail is
//     appended, also as another gzip, bzip2, xz or zstd stream): List
//     keeps the indexed messages except the last, and reads the file
//     from the last message's "From " line on (that message may have
//     been cut short while it was written). If the new mail changes the
//     variant detected (a ">>From " line means mboxrd), or a
//     Content-Length reached past that message, the whole file is read.
//
// Any other change (shorter, replaced, different bytes at either end,
// other time) reads the whole file, and a missing or damaged index does
// too; every List that reads the file writes the index again. A change
// in the middle of the file that keeps its size and time escapes the
// identity check, but not Open's digest check: the changed message
// fails with a sources.MessageError at the end of its bytes. An index
// that cannot be written is skipped: List still succeeds.
package mbox
