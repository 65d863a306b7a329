package dataset

import (
	"archive/zip"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"testing/iotest"

	"pgregory.net/rapid"
)

func TestReadCSV(t *testing.T) {
	tests := []struct {
		name, in, target string
		features         []string
		wantTarget       string
		xy               []float64
	}{
		{"header", "x,y\n1,2\n3,4\n", "", []string{"x"}, "y", []float64{1, 2, 3, 4}},
		{"no header", "1,2\n3,4", "", []string{"x"}, "y", []float64{1, 2, 3, 4}},
		{"no header, three columns", "1,2,3\n", "", []string{"x1", "x2"}, "y", []float64{1, 2, 3}},
		{"named target moves last", "a,price,b\n1,2,3\n4,5,6\n", "price", []string{"a", "b"}, "price", []float64{1, 3, 2, 4, 6, 5}},
		{"CRLF, blanks, BOM", "\xef\xbb\xbfsqft , price\r\n\r\n 1.5 ,\t-2e3 \r\n  \n3,4\r\n", "", []string{"sqft"}, "price", []float64{1.5, -2000, 3, 4}},
		{"quoted header", "\"size, m2\",\"y\"\n1,2\n", "", []string{"size, m2"}, "y", []float64{1, 2}},
		{"leading blank lines", "\n\n x,y\n1,2\n", "", []string{"x"}, "y", []float64{1, 2}},
		{"strconv forms", "a,b\n0x1p-2,1_000\n", "", []string{"a"}, "b", []float64{0.25, 1000}},
		{"long numbers go to strconv", "a,b\n0.1000000000000000055511151231257827,123456789012345678901234\n", "",
			[]string{"a"}, "b", []float64{0.1, 123456789012345678901234}},
		{"signs and zeros", "a,b\n-0,+0.000\n.5,5.\n", "", []string{"a"}, "b", []float64{math.Copysign(0, -1), 0, 0.5, 5}},
		{"quoted numbers (QUOTE_ALL)", "\"x\",\"y\"\n\"1\",\"2\"\n \" -3.5 \" , \"4e1\"\r\n", "", []string{"x"}, "y", []float64{1, 2, -3.5, 40}},
		{"quoted numbers, no header", "\"1\",2\n3,\"4\"\n", "", []string{"x"}, "y", []float64{1, 2, 3, 4}},
		{"quoted header of a quoted target", "\"a, b\",\"t\",c\n\"1\",\"2\",3\n", "t", []string{"a, b", "c"}, "t", []float64{1, 3, 2}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := ReadCSV(context.Background(), "t.csv", strings.NewReader(tt.in), Columns{Target: tt.target})
			if err != nil {
				t.Fatalf("ReadCSV: %v", err)
			}
			if !slices.Equal(s.Features, tt.features) || s.Target != tt.wantTarget {
				t.Errorf("columns %v -> %q, want %v -> %q", s.Features, s.Target, tt.features, tt.wantTarget)
			}
			if !sameBits(s.XY, tt.xy) {
				t.Errorf("XY = %v, want %v", s.XY, tt.xy)
			}
			if s.Rows() != len(tt.xy)/s.Stride() {
				t.Errorf("Rows() = %d, want %d", s.Rows(), len(tt.xy)/s.Stride())
			}
		})
	}
}

func TestReadCSVErrors(t *testing.T) {
	tests := []struct {
		name, in, target string
		want             error
		line, col, field int
		msg              string // substring of the message
	}{
		{"empty", "", "", ErrNoData, 0, 0, 0, "t.csv: no data rows: the input is empty"},
		{"blank only", " \n\t\r\n", "", ErrNoData, 0, 0, 0, "empty"},
		{"header only", "x,y\n\n", "", ErrNoData, 1, 0, 0, "t.csv:1: no data rows: only a header"},
		{"non-numeric", "x,y\n1,2\n3,abc\n", "", ErrNotNumber, 3, 3, 2, `t.csv:3:3: field 2 ("y"): "abc" is not a number`},
		{"non-numeric no header", "1,2\n3, abc\n", "", ErrNotNumber, 2, 4, 2, `t.csv:2:4: field 2: "abc" is not a number`},
		{"NaN", "x,y\n1,NaN\n", "", ErrNotFinite, 2, 3, 2, `"NaN": NaN and infinite values are not allowed`},
		{"Inf", "x,y\n-inf,1\n", "", ErrNotFinite, 2, 1, 1, `field 1 ("x")`},
		{"out of range", "x,y\n1e999,1\n", "", ErrRange, 2, 1, 1, "out of range"},
		{"empty field", "x,y\n1,\n", "", ErrEmpty, 2, 3, 2, "empty field"},
		{"too few fields", "x,y,z\n1,2,3\n4,5\n", "", ErrRagged, 3, 4, 0, "t.csv:3:4: wrong number of fields: found 2, want 3"},
		{"too many fields", "x,y\n1,2\n4,5,6,7\n", "", ErrRagged, 3, 4, 0, "found 4, want 2"},
		{"one column", "y\n1\n", "", ErrColumns, 1, 0, 0, "too few columns"},
		{"mixed first line", "x,2\n1,2\n", "", ErrNotNumber, 1, 1, 1, "mixes names and numbers"},
		{"duplicate name", "x,x,y\n1,2,3\n", "", ErrHeader, 1, 0, 2, `column "x" repeats column 1`},
		{"unnamed column", "x,,y\n1,2,3\n", "", ErrHeader, 1, 0, 2, "no name"},
		{"bad quoting", "\"x,y\n1,2\n", "", ErrHeader, 1, 5, 0, "bad header"},
		{"unknown target", "a,b\n1,2\n", "c", ErrNoTarget, 1, 0, 0, `no column is named "c" (columns: a, b)`},
		{"target without header", "1,2\n", "z", ErrNoTarget, 1, 0, 0, `no column is named "z" (columns: x, y)`},
		{"quoted decimal comma", "x,y\n\"1,5\",2\n", "", ErrNotNumber, 2, 1, 1, `t.csv:2:1: field 1 ("x"): "1,5" is not a number: it looks like a decimal comma; use a dot: 1.5`},
		{"quoted decimal comma, first line", "\"1\",\" 2,5\"\n", "", ErrNotNumber, 1, 5, 2, `t.csv:1:5: field 2: "2,5" is not a number: it looks like a decimal comma; use a dot: 2.5`},
		{"quoted thousands", "x,y\n1,\"-12,345.5\"\n", "", ErrNotNumber, 2, 3, 2, `"-12,345.5" is not a number: it looks like it has thousands separators; write -12345.5`},
		{"quoted comma, either", "x,y\n1,\"1,234\"\n", "", ErrNotNumber, 2, 3, 2, "a decimal comma or a thousands separator; write 1.234 or 1234"},
		{"quoted text with a comma", "x,y\n\"a,b\",2\n", "", ErrNotNumber, 2, 1, 1, `field 1 ("x"): "a,b" is not a number`},
		{"quoted text", "x,y\n1, \"two\"\n", "", ErrNotNumber, 2, 4, 2, `field 2 ("y"): "two" is not a number`},
		{"doubled quote in a number", "x,y\n\"1\"\"\",2\n", "", ErrNotNumber, 2, 1, 1, "not a number"},
		{"empty quoted field", "x,y\n1,\"\"\n", "", ErrEmpty, 2, 3, 2, "empty field"},
		{"quoted NaN", "x,y\n1,\"NaN\"\n", "", ErrNotFinite, 2, 3, 2, "NaN and infinite values are not allowed"},
		{"unterminated quoted number", "x,y\n1,\"2\n", "", ErrQuote, 2, 3, 2, "the quoted text does not end on its line"},
		{"text after a quoted number", "x,y\n\"1\"2,3\n", "", ErrQuote, 2, 1, 1, "text follows the closing quote"},
		{"too many fields, quoted commas", "x,y\n1,2,\"3,4\",\"5\"\n", "", ErrRagged, 2, 4, 0, "found 4, want 2"},
		{"mixed quoted first line", "\"a\",\"1\"\n", "", ErrNotNumber, 1, 1, 1, `"\"a\"" is not a number (the first line mixes names and numbers`},
		{"hex ok, double dot not", "x,y\n0x1p-2,1..0\n", "", ErrNotNumber, 2, 8, 2, `"1..0"`},
		{"Latin-1 name", "x\xb0,y\n1,2\n", "", ErrHeader, 1, 0, 1, "the name is not valid UTF-8; save the file as UTF-8"},
		{"UTF-16 with BOM", "\xff\xfex\x00,\x00y\x00\n\x001\x00,\x002\x00\n", "", ErrHeader, 1, 0, 1, "the file looks UTF-16"},
		{"UTF-16 without BOM", "a\x00,\x00y\x00\n\x001\x00,\x002\x00\n", "", ErrHeader, 1, 0, 1, "the file looks UTF-16"},
		{"gzip", "\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03x,y\n", "", ErrBinary, 0, 0, 0, "t.csv: not CSV text: the file looks gzip-compressed: decompress it first (gunzip)"},
		{"zip", "PK\x03\x04\x14\x00", "", ErrBinary, 0, 0, 0, "the file looks like a zip archive (as .xlsx workbooks are)"},
		{"zstd", "\x28\xb5\x2f\xfd\x04", "", ErrBinary, 0, 0, 0, "the file looks zstd-compressed: decompress it first (unzstd)"},
		{"bzip2", "BZh91AY&SY\x01", "", ErrBinary, 0, 0, 0, "bzip2-compressed"},
		{"xz", "\xfd7zXZ\x00\x00", "", ErrBinary, 0, 0, 0, "xz-compressed"},
		{"text that starts like bzip2", "BZh9,y\n1,z\n", "", ErrNotNumber, 2, 3, 2, `field 2 ("y"): "z" is not a number`},
		{"NUL bytes", "x,y\n1,2\n3,\x004\x00\x00\x00\n", "", ErrBinary, 3, 3, 0, "t.csv:3:3: not CSV text: the file looks binary (it holds the control byte 0x00)"},
		{"control byte in a name", "\xef\xbb\xbfx\x1b[31m,y\n1,2\n", "", ErrBinary, 1, 2, 0, "control byte 0x1b"},
		{"semicolons", "a;b;y\n1;2;3\n", "", ErrColumns, 1, 0, 0, "the line holds semicolons, but only commas separate fields"},
		{"tabs", "a\tb\ty\n1\t2\t3\n", "", ErrColumns, 1, 0, 0, "the line holds tabs"},
		{"error line after blank lines", "x,y\n\n\n1,2\n\n1,q\n", "", ErrNotNumber, 6, 3, 2, "t.csv:6:3"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ReadCSV(context.Background(), "t.csv", strings.NewReader(tt.in), Columns{Target: tt.target})
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("ReadCSV error = %v, want a *ParseError", err)
			}
			if !errors.Is(err, tt.want) {
				t.Errorf("error %q does not wrap %q", err, tt.want)
			}
			if pe.File != "t.csv" || pe.Line != tt.line || pe.Column != tt.col || pe.Field != tt.field {
				t.Errorf("at %s:%d:%d field %d, want t.csv:%d:%d field %d", pe.File, pe.Line, pe.Column, pe.Field, tt.line, tt.col, tt.field)
			}
			if !strings.Contains(err.Error(), tt.msg) {
				t.Errorf("message %q lacks %q", err, tt.msg)
			}
		})
	}
}

// TestReadCSVBlocks parses the same input with tiny blocks and one-byte
// reads, so lines straddle every possible block boundary and some lines
// outgrow the buffer.
func TestReadCSVBlocks(t *testing.T) {
	var in strings.Builder
	in.WriteString("\xef\xbb\xbf\n a , b,target\r\n")
	for i := range 200 {
		fmt.Fprintf(&in, "%d.%d,%g,-%de-3\n", i, i*7, float64(i)/3, i)
		if i%17 == 0 {
			in.WriteString("\n  \n")
		}
	}
	want, err := ReadCSV(context.Background(), "t.csv", strings.NewReader(in.String()), Columns{})
	if err != nil {
		t.Fatal(err)
	}
	if want.Rows() != 200 {
		t.Fatalf("Rows() = %d, want 200", want.Rows())
	}
	sum := sha256.Sum256([]byte(in.String()))
	if want.SHA256 != hex.EncodeToString(sum[:]) || want.Bytes != int64(in.Len()) {
		t.Errorf("fingerprint %s/%d, want %x/%d", want.SHA256, want.Bytes, sum, in.Len())
	}
	for _, block := range []int{1, 2, 3, 7, 16, 64, 1000} {
		got, err := readCSV(context.Background(), "t.csv", iotest.HalfReader(strings.NewReader(in.String())), Columns{}, 0, block)
		if err != nil {
			t.Fatalf("block %d: %v", block, err)
		}
		if !sameBits(got.XY, want.XY) || !slices.Equal(got.Features, want.Features) || got.SHA256 != want.SHA256 {
			t.Fatalf("block %d: got %d rows %v, want %d rows %v", block, got.Rows(), got.Features, want.Rows(), want.Features)
		}
	}
	// An error found in a later block still names the right line.
	bad := in.String() + "1,2,x\n"
	_, err = readCSV(context.Background(), "t.csv", iotest.OneByteReader(strings.NewReader(bad)), Columns{}, 0, 5)
	wantLine := strings.Count(bad, "\n")
	if pe := (*ParseError)(nil); !errors.As(err, &pe) || pe.Line != wantLine || pe.Column != 5 {
		t.Fatalf("error %v, want line %d column 5", err, wantLine)
	}
}

// TestReadCSVParallel parses an input large enough to be split across
// goroutines and checks rows and error lines against a line-by-line parse.
func TestReadCSVParallel(t *testing.T) {
	var in bytes.Buffer
	in.WriteString("x1,x2,y\n")
	var want []float64
	for i := range 40_000 { // ~1 MiB: many chunks per block of 256 KiB
		a, b := float64(i)*0.25, -float64(i%977)/8
		fmt.Fprintf(&in, "%g,%g,%d\n", a, b, i)
		if i%1000 == 999 {
			in.WriteString("\n") // gaps the chunks must close
		}
		want = append(want, a, b, float64(i))
	}
	for _, block := range []int{256 << 10, blockSize} {
		s, err := readCSV(context.Background(), "big.csv", bytes.NewReader(in.Bytes()), Columns{}, int64(in.Len()), block)
		if err != nil {
			t.Fatal(err)
		}
		if !sameBits(s.XY, want) {
			t.Fatalf("block %d: %d values differ from the reference %d", block, len(s.XY), len(want))
		}
	}
	// Corrupt a line near the end: the error must give its exact number.
	lines := bytes.SplitAfter(in.Bytes(), []byte("\n"))
	k := len(lines) - 3
	lines[k] = []byte("1,2,oops\n")
	_, err := readCSV(context.Background(), "big.csv", bytes.NewReader(bytes.Join(lines, nil)), Columns{}, 0, 256<<10)
	if pe := (*ParseError)(nil); !errors.As(err, &pe) || pe.Line != k+1 {
		t.Fatalf("error %v, want line %d", err, k+1)
	}
}

func TestLoadCSVFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "d.csv")
	content := []byte("sqft,rooms,price\n1200,3,250.5\n800,2,180\n")
	if err := os.WriteFile(path, content, 0o644); err != nil {
		t.Fatal(err)
	}
	s, err := LoadCSV(context.Background(), path, Columns{})
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(content)
	if s.Path != path || s.SHA256 != hex.EncodeToString(sum[:]) || s.Bytes != int64(len(content)) {
		t.Errorf("fingerprint %q %s %d, want %q %x %d", s.Path, s.SHA256, s.Bytes, path, sum, len(content))
	}
	if !slices.Equal(s.Row(1), []float64{800, 2, 180}) || cap(s.Row(0)) != 3 {
		t.Errorf("Row(1) = %v, want [800 2 180]", s.Row(1))
	}
	if _, err := LoadCSV(context.Background(), filepath.Join(dir, "missing.csv"), Columns{}); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing file: error %v, want fs.ErrNotExist", err)
	}
}

// TestParseFieldExact checks the fast path against strconv on random
// decimals of every shape it handles and some it hands over.
func TestParseFieldExact(t *testing.T) {
	digits := rapid.StringMatching(`[0-9]{0,22}`)
	rapid.Check(t, func(t *rapid.T) {
		s := rapid.SampledFrom([]string{"", "-", "+"}).Draw(t, "sign") + digits.Draw(t, "int")
		if rapid.Bool().Draw(t, "dot") {
			s += "." + digits.Draw(t, "frac")
		}
		if rapid.Bool().Draw(t, "exp") {
			s += rapid.SampledFrom([]string{"e", "E", "e-", "e+"}).Draw(t, "e") + strconv.Itoa(rapid.IntRange(0, 40).Draw(t, "exp"))
		}
		checkField(t, s)
	})
}

func checkField(t interface{ Fatalf(string, ...any) }, s string) {
	want, werr := strconv.ParseFloat(s, 64)
	ok := werr == nil && !math.IsInf(want, 0) && !math.IsNaN(want)
	got, end, err := parseField([]byte(s+",9"), 0)
	if (err == nil) != ok {
		t.Fatalf("parseField(%q) error %v, strconv %v, %v", s, err, want, werr)
	}
	if ok && (math.Float64bits(got) != math.Float64bits(want) || end != len(s)) {
		t.Fatalf("parseField(%q) = %v (end %d), strconv = %v", s, got, end, want)
	}
}

func sameBits(a, b []float64) bool {
	return slices.EqualFunc(a, b, func(x, y float64) bool { return math.Float64bits(x) == math.Float64bits(y) })
}

func TestParseFieldDoesNotAllocate(t *testing.T) {
	line := []byte(" 12.5e-3 ,0x1p-3,9")
	allocs := testing.AllocsPerRun(100, func() {
		if _, end, err := parseField(line, 0); err != nil || end != 9 {
			t.Fatalf("fast path: end %d, %v", end, err)
		}
		if _, _, err := parseField(line, 10); err != nil {
			t.Fatalf("slow path: %v", err)
		}
	})
	if allocs != 0 {
		t.Errorf("parseField allocates %v times per call, want 0", allocs)
	}
}

// TestLoadAllocationsPerRow: loading allocates per block, never per row.
func TestLoadAllocationsPerRow(t *testing.T) {
	allocs := func(rows int) float64 {
		var in bytes.Buffer
		in.WriteString("x,y\n")
		for i := range rows {
			fmt.Fprintf(&in, "%d.5,%d\n", i, -i)
		}
		data := in.Bytes()
		return testing.AllocsPerRun(3, func() {
			if _, err := readCSV(context.Background(), "t.csv", bytes.NewReader(data), Columns{}, int64(len(data)), 1<<20); err != nil {
				t.Fatal(err)
			}
		})
	}
	small, large := allocs(1000), allocs(200_000) // 1 block vs 4 blocks of 1 MiB
	if large-small > 40 {
		t.Fatalf("%v allocations for 1,000 rows but %v for 200,000", small, large)
	}
}

// errReader fails like a file whose read fails with an I/O error.
type errReader struct{}

func (errReader) Read([]byte) (int, error) {
	return 0, &fs.PathError{Op: "read", Path: "t.csv", Err: syscall.EIO}
}

// A read error names the file once ("read t.csv: input/output error").
func TestReadCSVReadError(t *testing.T) {
	_, err := ReadCSV(context.Background(), "t.csv", errReader{}, Columns{})
	if !errors.Is(err, syscall.EIO) || strings.Count(err.Error(), "t.csv") != 1 {
		t.Fatalf("error %q, want EIO naming t.csv once", err)
	}
}

// Columns selects features, in the order given, and skips the other
// columns without parsing them, so they may hold (quoted) text.
func TestReadCSVColumns(t *testing.T) {
	const text = "id,a,name,b,y\n7,1,\"x, \"\"y\"\"\",2,3\nq,4, z ,5,6\n"
	tests := []struct {
		name, in string
		cols     Columns
		features []string
		target   string
		xy       []float64
	}{
		{"order given, text skipped", text, Columns{Features: []string{"b", "a"}}, []string{"b", "a"}, "y", []float64{2, 1, 3, 5, 4, 6}},
		{"target and one feature", text, Columns{Target: "a", Features: []string{"b"}}, []string{"b"}, "a", []float64{2, 1, 5, 4}},
		{"quoted skipped field with blanks", "a, c ,y\n1, \"t\" ,2\n", Columns{Features: []string{"a"}}, []string{"a"}, "y", []float64{1, 2}},
		{"no header: default names", "1,2,3\n4,5,6\n", Columns{Features: []string{"x2"}}, []string{"x2"}, "y", []float64{2, 3, 5, 6}},
		{"no header: target by default name", "1,2,3\n", Columns{Target: "x1"}, []string{"x2", "y"}, "x1", []float64{2, 3, 1}},
		{"nil is every column", "a,b,y\n1,2,3\n", Columns{}, []string{"a", "b"}, "y", []float64{1, 2, 3}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := ReadCSV(context.Background(), "t.csv", strings.NewReader(tt.in), tt.cols)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(s.Features, tt.features) || s.Target != tt.target || !slices.Equal(s.XY, tt.xy) {
				t.Errorf("got %q -> %q %v, want %q -> %q %v", s.Features, s.Target, s.XY, tt.features, tt.target, tt.xy)
			}
		})
	}
	errs := []struct {
		name, in string
		cols     Columns
		want     error
		line     int
		msg      string
	}{
		{"unknown feature", text, Columns{Features: []string{"c"}}, ErrNoFeature, 1, `no column is named "c" (columns: id, a, name, b, y)`},
		{"target as feature", text, Columns{Features: []string{"a", "y"}}, ErrNoFeature, 1, `"y" is the target`},
		{"named twice", text, Columns{Features: []string{"a", "a"}}, ErrNoFeature, 1, `"a" is named twice`},
		{"empty selection", text, Columns{Features: []string{}}, ErrNoFeature, 1, "names no feature"},
		{"text in a loaded column", text, Columns{Features: []string{"id"}}, ErrNotNumber, 3, `field 1 ("id"): "q" is not a number`},
		{"unterminated quote", "a,c,y\n1,\"t,2\n", Columns{Features: []string{"a"}}, ErrQuote, 2, "t.csv:2:3: field 2 (\"c\"): bad quoting: the quoted text does not end on its line"},
		{"text after the quote", "a,c,y\n1,\"t\"x,2\n", Columns{Features: []string{"a"}}, ErrQuote, 2, "text follows the closing quote"},
	}
	for _, tt := range errs {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ReadCSV(context.Background(), "t.csv", strings.NewReader(tt.in), tt.cols)
			var pe *ParseError
			if !errors.As(err, &pe) || !errors.Is(err, tt.want) || pe.Line != tt.line || !strings.Contains(err.Error(), tt.msg) {
				t.Fatalf("error %v, want %v at line %d saying %q", err, tt.want, tt.line, tt.msg)
			}
		})
	}
}

// A canceled context stops the reading, with an error wrapping its cause.
func TestReadCSVCanceled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := ReadCSV(ctx, "t.csv", strings.NewReader("x,y\n1,2\n"), Columns{})
	if !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), "t.csv") {
		t.Fatalf("error %v, want context.Canceled naming the file", err)
	}
}

// TestLoadCSVCompressed loads real compressed files as a user might give
// them: each is named for what it is, not taken for UTF-16 or bad CSV.
func TestLoadCSVCompressed(t *testing.T) {
	const text = "x,y\n1,2\n3,4\n"
	dir := t.TempDir()
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write([]byte(text))
	zw.Close()
	var zipped bytes.Buffer
	aw := zip.NewWriter(&zipped)
	w, err := aw.Create("d.csv")
	if err != nil {
		t.Fatal(err)
	}
	w.Write([]byte(text))
	aw.Close()
	for _, tt := range []struct {
		name string
		data []byte
		msg  string
	}{
		{"d.csv.gz", gz.Bytes(), "not CSV text: the file looks gzip-compressed: decompress it first (gunzip)"},
		{"d.zip", zipped.Bytes(), "not CSV text: the file looks like a zip archive"},
	} {
		path := filepath.Join(dir, tt.name)
		if err := os.WriteFile(path, tt.data, 0o644); err != nil {
			t.Fatal(err)
		}
		_, err := LoadCSV(context.Background(), path, Columns{})
		if !errors.Is(err, ErrBinary) || !strings.HasPrefix(err.Error(), path+": "+tt.msg) {
			t.Errorf("%s: error %v, want %s: %s", tt.name, err, path, tt.msg)
		}
	}
}
