// Package maildir reads a Maildir tree as a mail source, without ever
// changing it: files are opened read-only, nothing is moved from new/ to
// cur/ and nothing is renamed.
//
// Both common folder layouts are understood and reported as the same
// "/"-separated folder tree, the top directory being INBOX:
//
//	Maildir++ (Dovecot default, Courier, mbsync "SubFolders Maildir++"):
//	  cur/ new/ tmp/           INBOX
//	  .Sent/cur ...            Sent
//	  .Archive.2023/cur ...    Archive/2023
//	fs (Dovecot LAYOUT=fs, mbsync "SubFolders Verbatim"):
//	  cur/ new/ tmp/           INBOX
//	  Sent/cur ...             Sent
//	  Archive/2023/cur ...     Archive/2023
//
// Folder names on disk are decoded from modified UTF-7 ("Entw&APw-rfe"),
// as Dovecot writes them; a name that is not valid modified UTF-7 is
// taken as it is (mutt and mbsync write raw UTF-8).
//
// A message's ID is the unique part of its file name (before ":2," and
// before Dovecot's ",S=...,W=..." fields), so it survives flag changes.
// Its Date is the file's modification time, as Dovecot uses it. Its flags
// come from the ":2," info, lowercase letters being keywords resolved
// through the folder's dovecot-keywords file.
//
// Size: List reports Dovecot's ",W=" virtual size as exact when the name
// also carries a ",S=" that matches the file size; otherwise it reports
// the file size with SizeExact false, and the exact size (after LF to
// CRLF conversion) is only known once Open has been read to the end.
// Open delivers the file with bare LF turned into CRLF; nothing else
// changes.
package maildir
