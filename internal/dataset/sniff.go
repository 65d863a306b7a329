package dataset

import (
	"bytes"
	"fmt"
)

// compressed lists the magic numbers of compressed files and archives
// that are given as CSV by mistake, with what to do about them.
var compressed = []struct {
	magic []string // any of these opens the file
	what  string
	fix   string
}{
	{[]string{"\x1f\x8b"}, "gzip-compressed", "decompress it first (gunzip)"},
	{[]string{"PK\x03\x04", "PK\x05\x06", "PK\x07\x08"}, "like a zip archive (as .xlsx workbooks are)",
		"extract the CSV file or export the sheet as CSV"},
	{[]string{"\x28\xb5\x2f\xfd"}, "zstd-compressed", "decompress it first (unzstd)"},
	{[]string{"\xfd7zXZ\x00"}, "xz-compressed", "decompress it first (unxz)"},
	{bzip2Magic(), "bzip2-compressed", "decompress it first (bunzip2)"},
}

// bzip2Magic returns the openings of bzip2 streams: "BZh", the block size
// 1-9, then the magic of the first block or of the end of the stream,
// which rules out CSV text that merely starts with "BZh".
func bzip2Magic() []string {
	var m []string
	for level := '1'; level <= '9'; level++ {
		m = append(m, "BZh"+string(level)+"1AY&SY", "BZh"+string(level)+"\x17rE8P\x90")
	}
	return m
}

// sniff checks the start of the input, head, for a compressed file or
// binary data: a control byte other than tab, CR or LF. UTF-16 text is
// left to the header's check, which says so.
func sniff(name string, head []byte) error {
	for _, c := range compressed {
		for _, m := range c.magic {
			if bytes.HasPrefix(head, []byte(m)) {
				return &ParseError{File: name, Err: fmt.Errorf(
					"%w: the file looks %s: %s", ErrBinary, c.what, c.fix)}
			}
		}
	}
	if utf16Shaped(head) {
		return nil
	}
	head = bytes.TrimPrefix(head, []byte("\xef\xbb\xbf"))
	for i, c := range head {
		if c >= 0x20 || c == '\t' || c == '\n' || c == '\r' {
			continue
		}
		line := 1 + bytes.Count(head[:i], []byte{'\n'})
		col := i - bytes.LastIndexByte(head[:i], '\n')
		return &ParseError{File: name, Line: line, Column: col, Err: fmt.Errorf(
			"%w: the file looks binary (it holds the control byte 0x%02x); give a CSV text file", ErrBinary, c)}
	}
	return nil
}

// utf16Shaped reports whether head looks like UTF-16 text: it opens with a
// UTF-16 byte order mark, or its NUL bytes are all on one side of the byte
// pairs and make up at least half of that side, as in mostly ASCII text.
func utf16Shaped(head []byte) bool {
	if bytes.HasPrefix(head, []byte("\xff\xfe")) || bytes.HasPrefix(head, []byte("\xfe\xff")) {
		return true
	}
	var nuls [2]int
	for i, c := range head {
		if c == 0 {
			nuls[i%2]++
		}
	}
	for side, other := range [2]int{1, 0} {
		if nuls[side] > 0 && nuls[other] == 0 && 2*nuls[side] >= (len(head)+1-side)/2 {
			return true
		}
	}
	return false
}
