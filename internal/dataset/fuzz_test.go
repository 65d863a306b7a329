package dataset

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"
)

// refParse is a slow, obvious reading of the rules LoadCSV documents, used
// as the model the fast loader must agree with. It returns the features,
// target and rows, or the line of the first error (0 for a whole-file one).
func refParse(in, target string, selected []string) (features []string, tgt string, xy []float64, errLine int, ok bool) {
	if line, binary := refBinary(in); binary {
		return nil, "", nil, line, false
	}
	in = strings.TrimPrefix(in, "\xef\xbb\xbf")
	lines := strings.Split(in, "\n")
	cols, t := 0, 0
	var keep []int // columns loaded as features, in row order
	header := false
	for i, ln := range lines {
		ln = strings.TrimSuffix(ln, "\r")
		if strings.Trim(ln, " \t") == "" {
			continue
		}
		fields, quotedOK := splitQuoted(ln)
		if cols > 0 && !quotedOK {
			return nil, "", nil, i + 1, false
		}
		if cols == 0 { // first non-blank line
			if !quotedOK { // the header's parser or the number check refuses it
				fields = strings.Split(ln, ",")
			}
			numbers := 0
			for _, f := range fields {
				text, quoted := strings.Trim(f, " \t"), false
				if quotedOK {
					text, quoted = unquote(f)
				}
				_, err := strconv.ParseFloat(text, 64)
				if err == nil || errors.Is(err, strconv.ErrRange) || quoted && commaNumber(text) {
					numbers++
				}
			}
			names := fields
			switch numbers {
			case len(fields):
				names = defaultNames(len(fields))
			case 0:
				if !utf8.ValidString(ln) || strings.IndexByte(ln, 0) >= 0 {
					return nil, "", nil, i + 1, false // names must be UTF-8 text
				}
				r := csv.NewReader(strings.NewReader(ln))
				r.TrimLeadingSpace = true
				rec, err := r.Read()
				if err != nil {
					return nil, "", nil, i + 1, false
				}
				for j := range rec {
					rec[j] = strings.TrimSpace(rec[j])
					if rec[j] == "" || slices.Contains(rec[:j], rec[j]) {
						return nil, "", nil, i + 1, false
					}
				}
				names, header = rec, true
			default:
				return nil, "", nil, i + 1, false
			}
			cols, t = len(names), len(names)-1
			if cols < 2 {
				return nil, "", nil, i + 1, false
			}
			if target != "" {
				if t = slices.Index(names, target); t < 0 {
					return nil, "", nil, i + 1, false
				}
			}
			tgt = names[t]
			keep = keep[:0]
			if selected == nil {
				for j := range names {
					if j != t {
						keep = append(keep, j)
					}
				}
			}
			for _, name := range selected {
				j := slices.Index(names, name)
				if j < 0 || j == t || slices.Contains(keep, j) {
					return nil, "", nil, i + 1, false
				}
				keep = append(keep, j)
			}
			if len(keep) == 0 {
				return nil, "", nil, i + 1, false
			}
			features = nil
			for _, j := range keep {
				features = append(features, names[j])
			}
			if header {
				continue
			}
		}
		if len(fields) != cols {
			return nil, "", nil, i + 1, false
		}
		row := make([]float64, 0, len(keep)+1)
		for _, j := range append(slices.Clone(keep), t) {
			text, _ := unquote(fields[j])
			v, err := strconv.ParseFloat(text, 64)
			if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
				return nil, "", nil, i + 1, false
			}
			row = append(row, v)
		}
		xy = append(xy, row...)
	}
	if len(xy) == 0 {
		return nil, "", nil, 0, false
	}
	return features, tgt, xy, 0, true
}

// splitQuoted splits a data line into fields at commas, where a field
// whose first non-blank byte is a quote is a quoted string that may hold
// commas ("" is a quote) and only blanks may follow its closing quote. It
// reports false for an unterminated quote or text after a closing one.
func splitQuoted(ln string) ([]string, bool) {
	var fields []string
	for {
		rest := strings.TrimLeft(ln, " \t")
		if !strings.HasPrefix(rest, "\"") {
			f, after, more := strings.Cut(ln, ",")
			fields = append(fields, f)
			if !more {
				return fields, true
			}
			ln = after
			continue
		}
		i := 1
		for {
			k := strings.IndexByte(rest[i:], '"')
			if k < 0 {
				return nil, false
			}
			i += k + 1
			if i < len(rest) && rest[i] == '"' {
				i++
				continue
			}
			break
		}
		after := strings.TrimLeft(rest[i:], " \t")
		fields = append(fields, ln[:len(ln)-len(rest)+i])
		switch {
		case after == "":
			return fields, true
		case after[0] != ',':
			return nil, false
		}
		ln = after[1:]
	}
}

// refBinary reports whether the first 8 KiB of in refuse it as binary:
// it opens with the magic of a compressed file (line 0), or it is not
// UTF-16 and holds a control byte other than tab, CR and LF (its line).
func refBinary(in string) (line int, binary bool) {
	head := in[:min(len(in), 8<<10)]
	for _, c := range compressed {
		for _, m := range c.magic {
			if strings.HasPrefix(head, m) {
				return 0, true
			}
		}
	}
	if strings.HasPrefix(head, "\xff\xfe") || strings.HasPrefix(head, "\xfe\xff") {
		return 0, false
	}
	var sides [2][]byte
	for i := range len(head) {
		sides[i%2] = append(sides[i%2], head[i])
	}
	for k := range 2 {
		nul := bytes.Count(sides[k], []byte{0})
		if nul > 0 && nul*2 >= len(sides[k]) && bytes.IndexByte(sides[1-k], 0) < 0 {
			return 0, false // UTF-16: the header's check refuses it
		}
	}
	head = strings.TrimPrefix(head, "\xef\xbb\xbf")
	i := strings.IndexFunc(head, func(r rune) bool { return r < 0x20 && r != '\t' && r != '\n' && r != '\r' })
	if i < 0 {
		return 0, false
	}
	return strings.Count(head[:i], "\n") + 1, true
}

// unquote returns the text of a field split by splitQuoted: without blanks
// around it and, if quoted, without the quotes and blanks inside them.
func unquote(f string) (text string, quoted bool) {
	f = strings.Trim(f, " \t")
	if len(f) >= 2 && f[0] == '"' {
		return strings.Trim(f[1:len(f)-1], " \t"), true
	}
	return f, false
}

// thousandsRE matches a number written with thousands separators.
var thousandsRE = regexp.MustCompile(`^[+-]?[0-9]{1,3}(,[0-9]{3})+(\.[^,]*)?$`)

// commaNumber reports whether a quoted text is a number written with a
// decimal comma or thousands separators.
func commaNumber(text string) bool {
	if strings.Count(text, ",") == 1 {
		if _, err := strconv.ParseFloat(strings.Replace(text, ",", ".", 1), 64); err == nil {
			return true
		}
	}
	_, err := strconv.ParseFloat(strings.ReplaceAll(text, ",", ""), 64)
	return thousandsRE.MatchString(text) && err == nil
}

// FuzzLoadCSV checks that the loader never panics, that it accepts exactly
// what the reference accepts, with bit-identical values (so the fast number
// path equals strconv.ParseFloat) and the same error line, whatever the
// block size.
func FuzzLoadCSV(f *testing.F) {
	seeds := []string{
		"x,y\n1,2\n3,4\n", "1,2\n3,4", "a,b,c\n1,2,3\n", "\xef\xbb\xbfx,y\r\n1.5e3 , -2\r\n",
		"x,y\n1,NaN\n", "x,y\n1\n", "x,y\n", "", "\"a,b\",c\n1,2\n", "x,y\n0x1p-3,1_0\n",
		"x,y\n123456789012345678901,0.30000000000000004\n", "x,y\n1e-400,1e400\n", "x,2\n",
	}
	for _, s := range seeds {
		f.Add([]byte(s), uint8(0), "", "")
	}
	f.Add([]byte("a,b,c\n1,2,3\n"), uint8(3), "b", "")
	f.Add([]byte("id,a,name,b,y\n7,1,\"x, \"\"y\"\"\",2,3\nq,4,z,5,6\n"), uint8(0), "", "b,a")
	f.Add([]byte("id,a,y\n\"7,1,3\n"), uint8(0), "", "a")
	f.Add([]byte("\x1f\x8b\x08\x00"), uint8(0), "", "")
	f.Add([]byte("a\x00,\x00y\x00\n\x001\x00,\x002\x00\n"), uint8(3), "", "")
	f.Add([]byte("x,y\n1,\x002\n"), uint8(2), "", "")
	for _, s := range []string{
		"\"x\",\"y\"\n\"1\",\"2\"\n", "\"1\",\" 2 \"\n\"3\" ,4\n", "x,y\n\"1,5\",2\n", "\"1,5\",\"2\"\n",
		"x,y\n\"1,234.5\",\"\"\"\"\n", "\"a\",\"1\"\n", "x,y\n\"1\"2,3\n", "x,y\n1,2,\"3,4\"\n", "x,y\n\"\"\"1\"\"\",2\n",
	} {
		f.Add([]byte(s), uint8(0), "", "")
		f.Add([]byte(s), uint8(5), "", "")
	}
	f.Fuzz(func(t *testing.T, data []byte, block uint8, target, features string) {
		bs := blockSize
		if block > 0 {
			bs = int(block)
		}
		var selected []string
		if features != "" {
			selected = strings.Split(features, ",")
		}
		s, err := readCSV(context.Background(), "f.csv", bytes.NewReader(data), Columns{Target: target, Features: selected}, 0, bs)
		wantFeatures, tgt, xy, line, ok := refParse(string(data), target, selected)
		if (err == nil) != ok {
			t.Fatalf("loader error %v, reference ok %v (line %d)", err, ok, line)
		}
		if err != nil {
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("error %v is not a *ParseError", err)
			}
			if pe.Line != line && !(line == 0 && errors.Is(err, ErrNoData)) {
				t.Fatalf("error %v at line %d, reference line %d", err, pe.Line, line)
			}
			return
		}
		if !slices.Equal(s.Features, wantFeatures) || s.Target != tgt {
			t.Fatalf("columns %q -> %q, reference %q -> %q", s.Features, s.Target, wantFeatures, tgt)
		}
		if !sameBits(s.XY, xy) {
			t.Fatalf("values %v, reference %v", s.XY, xy)
		}
	})
}
