package mbox

import "encoding/binary"

// The fields of index records: numbers are uvarints (an int64 is stored
// as its bits), strings a uvarint length and the bytes, bools one byte.

func appendInt(b []byte, n int64) []byte { return binary.AppendUvarint(b, uint64(n)) }

func appendString(b []byte, s string) []byte {
	return append(binary.AppendUvarint(b, uint64(len(s))), s...)
}

func appendBool(b []byte, v bool) []byte {
	if v {
		return append(b, 1)
	}
	return append(b, 0)
}

// decoder reads the fields of a record. After an error every read
// returns zero values and done reports errBadIndex.
type decoder struct {
	b   []byte
	err error
}

func (d *decoder) uint() uint64 {
	n, k := binary.Uvarint(d.b)
	if k <= 0 {
		d.err, d.b = errBadIndex, nil
		return 0
	}
	d.b = d.b[k:]
	return n
}

func (d *decoder) int() int64 { return int64(d.uint()) }

func (d *decoder) bool() bool { return d.uint() != 0 }

func (d *decoder) bytes(n int) []byte {
	if n < 0 || n > len(d.b) {
		d.err, d.b = errBadIndex, nil
		return nil
	}
	b := d.b[:n]
	d.b = d.b[n:]
	return b
}

func (d *decoder) string() string { return string(d.bytes(int(d.uint()))) }

// done reports an error if the record was damaged or not used up.
func (d *decoder) done() error {
	if d.err != nil || len(d.b) > 0 {
		return errBadIndex
	}
	return nil
}
