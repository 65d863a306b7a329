package dataset

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"
)

const (
	// blockSize is how much of the input is read and parsed at a time; the
	// block buffer is the loader's only memory besides the parsed floats.
	blockSize = 8 << 20
	// minChunk is the least input worth handing to another goroutine.
	minChunk = 64 << 10
	// hashAside is the least block size worth hashing on its own goroutine.
	hashAside = 1 << 20
	// sniffSize is how much of the start of the input is checked for
	// signs of a compressed or binary file.
	sniffSize = 8 << 10
)

// Columns selects what LoadCSV loads from a file. The zero value loads
// every column, the last one as the target.
type Columns struct {
	// Target names the target column; "" is the last column.
	Target string
	// Features names the feature columns, in the order the rows hold them;
	// nil is every column but the target, in file order. Columns that are
	// neither are skipped without being parsed, so they may hold text
	// such as IDs or labels, quoted as in RFC 4180 when it has commas.
	Features []string
}

// LoadCSV reads a numeric CSV file: one row per line, fields separated by
// commas, an optional header row of column names, one or more feature
// columns and a target column, which is the last column unless cols names
// another; cols may also name the features, leaving other columns out.
// Columns of a file without a header are named x1..xN and y (x and y for
// two columns), for the target as for the features.
//
// Any field may be quoted as in RFC 4180 ("" for a quote inside), but
// quoted text cannot span lines. The first non-blank line is a header
// when none of its fields is a number; a line mixing names and numbers is
// an error. Data fields are numbers in any form strconv.ParseFloat
// accepts, with optional blanks around them, quoted or not; a quoted
// number with a comma is an error that says whether the comma looks like a
// decimal comma or a thousands separator. NaN and infinities are rejected.
// Blank lines are skipped, CRLF line ends and a UTF-8 byte order mark are
// accepted. An input that opens like a compressed file (gzip, zip, zstd,
// xz, bzip2) or holds a control byte other than tab, CR and LF in its
// first 8 KiB is refused as not text ([ErrBinary]); UTF-16 is refused
// by name.
//
// Errors in the data are *[ParseError] values naming the file, line, column
// and field. Canceling ctx stops the reading between blocks, with an error
// wrapping ctx's cause. The file is read in blocks of 8 MiB, each parsed on all CPUs;
// apart from that buffer the loader holds only the parsed floats, sized from
// the file length.
func LoadCSV(ctx context.Context, path string, cols Columns) (*Set, error) {
	f, err := openCtx(ctx, path)
	if err != nil {
		return nil, fmt.Errorf("load csv: %w", err)
	}
	defer f.Close()
	var size int64
	if st, err := f.Stat(); err == nil {
		if st.IsDir() {
			return nil, isDirError(path)
		}
		if st.Mode().IsRegular() {
			size = st.Size()
		}
	}
	return readCSV(ctx, path, f, cols, size, blockSize)
}

// openCtx opens path for reading. Opening a named pipe waits for a writer,
// which may never come, so that open runs apart and ctx can end the wait
// (the open is then left to the process's exit).
func openCtx(ctx context.Context, path string) (*os.File, error) {
	if st, err := os.Stat(path); err != nil || st.Mode()&os.ModeNamedPipe == 0 {
		return os.Open(path)
	}
	type opened struct {
		f   *os.File
		err error
	}
	done := make(chan opened, 1)
	go func() {
		f, err := os.Open(path)
		done <- opened{f, err}
	}()
	select {
	case o := <-done:
		return o.f, o.err
	case <-ctx.Done():
		go func() { // close it if the open ever completes
			if o := <-done; o.f != nil {
				o.f.Close()
			}
		}()
		return nil, fmt.Errorf("open %s: waiting for a writer: %w", path, context.Cause(ctx))
	}
}

// ReadCSV is [LoadCSV] reading from r; name is used in errors and as the
// set's Path.
func ReadCSV(ctx context.Context, name string, r io.Reader, cols Columns) (*Set, error) {
	return readCSV(ctx, name, r, cols, 0, blockSize)
}

// readCSV reads r in blocks of the given size (grown for longer lines);
// size, if known, sizes the result up front.
func readCSV(ctx context.Context, name string, r io.Reader, cols Columns, size int64, block int) (*Set, error) {
	if size > 0 && size < int64(block) {
		block = int(size) + 1 // one read sees the whole file and EOF
	}
	p := &parser{file: name, target: cols.Target, features: cols.Features, line: 1, size: size}
	// Sniff the start of the input, whatever the block size, so that a
	// compressed or binary file is named as such rather than as bad CSV.
	head := make([]byte, sniffSize)
	n, err := io.ReadFull(r, head)
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) {
		return nil, readError(name, err)
	}
	if err := sniff(name, head[:n]); err != nil {
		return nil, err
	}
	r = io.MultiReader(bytes.NewReader(head[:n]), r)
	h := sha256.New()
	buf := make([]byte, block)
	carry := 0 // bytes of an unfinished line at the start of buf
	bom := true
	for {
		if err := ctx.Err(); err != nil { // checked between blocks of the file
			return nil, fmt.Errorf("read %s: %w", name, context.Cause(ctx))
		}
		n, err := io.ReadFull(r, buf[carry:])
		eof := errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF)
		if err != nil && !eof {
			return nil, readError(name, err)
		}
		data, fresh := buf[:carry+n], buf[carry:carry+n]
		p.bytes += int64(n)
		end := len(data)
		if !eof {
			end = bytes.LastIndexByte(data, '\n') + 1
			if end == 0 { // a line longer than the buffer: grow it
				h.Write(fresh)
				carry = len(data)
				buf = slices.Grow(buf[:carry], carry)[:2*carry]
				continue
			}
		}
		start := 0
		if bom {
			bom = false
			if bytes.HasPrefix(data, []byte("\xef\xbb\xbf")) {
				start = 3
			}
		}
		if err := p.parseHashing(data[start:end], h, fresh); err != nil {
			return nil, err
		}
		carry = copy(buf, data[end:])
		if eof {
			break
		}
	}
	return p.finish(h)
}

// readError wraps an error reading the named input.
func readError(name string, err error) error {
	if pe := (*fs.PathError)(nil); errors.As(err, &pe) {
		err = pe.Err // it names the file, which the message does already
	}
	return fmt.Errorf("read %s: %w", name, err)
}

// parser turns complete lines of CSV into rows.
type parser struct {
	file     string
	target   string
	features []string // selected feature columns; nil: all but the target
	size     int64    // input size if known, for sizing the result
	bytes    int64    // input bytes read so far
	line     int      // number of the next line to parse

	// Layout, known once the first non-blank line is seen (cols > 0).
	cols       int      // fields per line
	width      int      // values per row: the features and the target
	place      []int    // place[j] is the position of field j in a row, -1 if skipped
	names      []string // column names in file order; nil without a header
	headerLine int      // line of the header, 0 if none
	set        Set
}

// parseHashing parses region while hashing fresh on another goroutine when
// it is big enough to be worth it.
func (p *parser) parseHashing(region []byte, h hash.Hash, fresh []byte) error {
	if len(fresh) < hashAside {
		h.Write(fresh)
		return p.parse(region)
	}
	var wg sync.WaitGroup
	wg.Go(func() { h.Write(fresh) })
	err := p.parse(region)
	wg.Wait()
	return err
}

// finish checks the parsed data and completes the set.
func (p *parser) finish(h hash.Hash) (*Set, error) {
	switch {
	case p.cols == 0:
		return nil, &ParseError{File: p.file, Err: fmt.Errorf("%w: the input is empty", ErrNoData)}
	case len(p.set.XY) == 0:
		return nil, &ParseError{File: p.file, Line: p.headerLine, Err: fmt.Errorf("%w: only a header", ErrNoData)}
	}
	s := &p.set
	if cap(s.XY)-len(s.XY) > len(s.XY)/8 { // the size estimate was poor
		s.XY = slices.Clone(s.XY)
	}
	s.Path = p.file
	s.Bytes = p.bytes
	s.SHA256 = hex.EncodeToString(h.Sum(nil))
	return s, nil
}

// parse parses region, which holds whole lines only.
func (p *parser) parse(region []byte) error {
	if p.cols == 0 {
		n, err := p.layout(region)
		if err != nil {
			return err
		}
		region = region[n:]
		if p.cols == 0 {
			return nil // only blank lines so far
		}
	}
	if len(region) == 0 {
		return nil
	}

	// Split region at line ends into one chunk per CPU, reserve one row per
	// line of each chunk (blank lines make this an upper bound), parse the
	// chunks in parallel into their reserved rows, then close the gaps.
	nChunks := min(runtime.GOMAXPROCS(0), max(1, len(region)/minChunk))
	type chunk struct {
		data        []byte
		line, lines int // first line number, number of lines
		off, rows   int // first reserved row, rows parsed
		err         error
	}
	chunks := make([]chunk, 0, nChunks)
	line, off := p.line, 0
	for k := range nChunks {
		end := len(region)
		if k < nChunks-1 {
			end = (k + 1) * len(region) / nChunks
			if i := bytes.IndexByte(region[end:], '\n'); i >= 0 {
				end += i + 1
			} else {
				end = len(region)
			}
		}
		c := chunk{data: region[:end], line: line, off: off}
		region = region[end:]
		c.lines = bytes.Count(c.data, []byte{'\n'})
		if len(c.data) > 0 && c.data[len(c.data)-1] != '\n' {
			c.lines++
		}
		line += c.lines
		off += c.lines
		chunks = append(chunks, c)
		if len(region) == 0 {
			break
		}
	}
	p.line = line

	s := &p.set
	old := len(s.XY)
	if old == 0 && p.size > 0 {
		// Size the result from the first block's bytes per line.
		est := int(float64(off)*float64(p.size)/float64(p.bytes)*1.01) + 16
		s.XY = make([]float64, 0, est*p.width)
	}
	s.XY = slices.Grow(s.XY, off*p.width)[:old+off*p.width]
	out := s.XY[old:]

	if len(chunks) == 1 {
		c := &chunks[0]
		c.rows, c.err = p.parseChunk(c.data, out, c.line)
	} else {
		var wg sync.WaitGroup
		for i := range chunks {
			c := &chunks[i]
			wg.Go(func() { c.rows, c.err = p.parseChunk(c.data, out[c.off*p.width:], c.line) })
		}
		wg.Wait()
	}
	n := 0
	for _, c := range chunks {
		if c.err != nil {
			return c.err
		}
		n += copy(out[n:], out[c.off*p.width:(c.off+c.rows)*p.width])
	}
	s.XY = s.XY[:old+n]
	return nil
}

// parseChunk parses the lines of data, the first numbered line, into out,
// which has room for one row per line, and returns the number of rows.
func (p *parser) parseChunk(data []byte, out []float64, line int) (int, error) {
	fields, width, place := p.cols, p.width, p.place
	rows := 0
	for line--; len(data) > 0; {
		ln := data
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			ln, data = data[:i], data[i+1:]
		} else {
			data = nil
		}
		line++
		if n := len(ln); n > 0 && ln[n-1] == '\r' {
			ln = ln[:n-1]
		}
		if blank(ln) {
			continue
		}
		row := out[rows*width : rows*width+width]
		pos := 0
		for j := range fields {
			if j > 0 {
				if pos >= len(ln) {
					return rows, p.errAt(line, len(ln)+1, 0,
						fmt.Errorf("%w: found %d, want %d", ErrRagged, j, fields))
				}
				pos++ // the comma
			}
			if place[j] < 0 {
				end, err := skipField(ln, pos)
				if err != nil {
					return rows, p.errAt(line, fieldColumn(ln, pos), j+1, err)
				}
				pos = end
				continue
			}
			v, end, err := parseField(ln, pos)
			if err != nil {
				return rows, p.errAt(line, fieldColumn(ln, pos), j+1, err)
			}
			row[place[j]] = v
			pos = end
		}
		if pos < len(ln) {
			found := fields + countFields(ln[pos+1:])
			return rows, p.errAt(line, pos+1, 0,
				fmt.Errorf("%w: found %d, want %d", ErrRagged, found, fields))
		}
		rows++
	}
	return rows, nil
}

// layout reads the first non-blank line of region to learn the columns and
// returns the number of bytes consumed: the blank lines and the header.
func (p *parser) layout(region []byte) (int, error) {
	consumed := 0
	for len(region) > consumed {
		ln := region[consumed:]
		next := len(region)
		if i := bytes.IndexByte(ln, '\n'); i >= 0 {
			ln, next = ln[:i], consumed+i+1
		}
		ln = bytes.TrimSuffix(ln, []byte{'\r'})
		if blank(ln) {
			consumed = next
			p.line++
			continue
		}
		header, err := p.classify(ln)
		if err != nil {
			return 0, err
		}
		if header {
			p.headerLine = p.line
			p.line++
			return next, nil
		}
		return consumed, nil
	}
	return consumed, nil
}

// classify decides whether ln, the first non-blank line, is a header and
// sets the layout.
func (p *parser) classify(ln []byte) (header bool, err error) {
	fields := splitFirst(ln)
	numbers, firstText := 0, -1
	for j, f := range fields {
		// A quoted number with a comma counts as a number, so that the
		// row's parser explains the comma.
		if isNumber(f.text) || f.quoted && bytes.IndexByte(f.text, ',') >= 0 && commaHint(f.text) != "" {
			numbers++
		} else if firstText < 0 {
			firstText = j
		}
	}
	var names []string
	switch {
	case numbers == len(fields):
	case numbers == 0:
		if names, err = p.header(ln); err != nil {
			return false, err
		}
		header = true
	default:
		f := fields[firstText]
		return false, p.errAt(p.line, f.col, firstText+1, fmt.Errorf(
			"%s is %w (the first line mixes names and numbers, so it is neither a header nor a row)",
			quote(f.raw), ErrNotNumber))
	}
	cols := len(fields)
	if header {
		cols = len(names)
	}
	if cols < 2 {
		hint := ""
		for _, sep := range []struct {
			b    byte
			name string
		}{{';', "semicolons"}, {'\t', "tabs"}, {'|', "bars"}} {
			if bytes.IndexByte(ln, sep.b) >= 0 {
				hint = "; the line holds " + sep.name + ", but only commas separate fields"
				break
			}
		}
		return false, p.errAt(p.line, 0, 0, fmt.Errorf(
			"%w: found %d, need one or more features followed by the target%s", ErrColumns, cols, hint))
	}
	if !header {
		// The columns of a file without a header go by their default
		// names, for the target as for the features.
		names = defaultNames(cols)
	}
	t := cols - 1
	if p.target != "" {
		if t = slices.Index(names, p.target); t < 0 {
			return false, p.errAt(p.line, 0, 0, fmt.Errorf(
				"%w: no column is named %q (columns: %s)", ErrNoTarget, p.target, strings.Join(names, ", ")))
		}
	}
	keep, err := p.selectFeatures(names, t)
	if err != nil {
		return false, err
	}
	p.cols, p.width, p.names = cols, len(keep)+1, nil
	if header {
		p.names = names
	}
	p.place = make([]int, cols)
	for j := range p.place {
		p.place[j] = -1
	}
	p.set.Features = make([]string, len(keep))
	for i, j := range keep {
		p.place[j] = i
		p.set.Features[i] = names[j]
	}
	p.place[t] = len(keep)
	p.set.Target = names[t]
	return header, nil
}

// selectFeatures returns the columns of the features, in row order: those
// named by p.features, or every column but the target t.
func (p *parser) selectFeatures(names []string, t int) ([]int, error) {
	if p.features == nil {
		keep := make([]int, 0, len(names)-1)
		for j := range names {
			if j != t {
				keep = append(keep, j)
			}
		}
		return keep, nil
	}
	if len(p.features) == 0 {
		return nil, p.errAt(p.line, 0, 0, fmt.Errorf("%w: the selection names no feature", ErrNoFeature))
	}
	keep := make([]int, len(p.features))
	for i, name := range p.features {
		j := slices.Index(names, name)
		switch {
		case j < 0:
			return nil, p.errAt(p.line, 0, 0, fmt.Errorf(
				"%w: no column is named %q (columns: %s)", ErrNoFeature, name, strings.Join(names, ", ")))
		case j == t:
			return nil, p.errAt(p.line, 0, 0, fmt.Errorf("%w: %q is the target", ErrNoFeature, name))
		case slices.Contains(keep[:i], j):
			return nil, p.errAt(p.line, 0, 0, fmt.Errorf("%w: %q is named twice", ErrNoFeature, name))
		}
		keep[i] = j
	}
	return keep, nil
}

// header parses a header line with encoding/csv, which handles quoting.
func (p *parser) header(ln []byte) ([]string, error) {
	r := csv.NewReader(bytes.NewReader(ln))
	r.TrimLeadingSpace = true
	r.FieldsPerRecord = -1
	names, err := r.Read()
	if err != nil {
		col := 0
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			col, err = pe.Column, pe.Err
		}
		return nil, p.errAt(p.line, col, 0, fmt.Errorf("%w: %v", ErrHeader, err))
	}
	// Names must be UTF-8 text: checkpoints store them as JSON strings,
	// and a resumed run compares them with the file's.
	if nul := bytes.IndexByte(ln, 0) >= 0; nul || !utf8.Valid(ln) {
		hint := "save the file as UTF-8"
		if nul || bytes.HasPrefix(ln, []byte("\xff\xfe")) || bytes.HasPrefix(ln, []byte("\xfe\xff")) {
			hint = "the file looks UTF-16: save it as UTF-8"
		}
		for j, name := range names {
			if !utf8.ValidString(name) || strings.IndexByte(name, 0) >= 0 {
				return nil, p.errAt(p.line, 0, j+1, fmt.Errorf("%w: the name is not valid UTF-8; %s", ErrHeader, hint))
			}
		}
		return nil, p.errAt(p.line, 0, 0, fmt.Errorf("%w: the line is not valid UTF-8; %s", ErrHeader, hint))
	}
	seen := make(map[string]int, len(names))
	for j, name := range names {
		name = strings.TrimSpace(name)
		names[j] = name
		if name == "" {
			return nil, p.errAt(p.line, 0, j+1, fmt.Errorf("%w: column has no name", ErrHeader))
		}
		if k, dup := seen[name]; dup {
			return nil, p.errAt(p.line, 0, j+1, fmt.Errorf("%w: column %q repeats column %d", ErrHeader, name, k+1))
		}
		seen[name] = j
	}
	return names, nil
}

// errAt returns a ParseError at the given line, byte column and field.
func (p *parser) errAt(line, col, field int, err error) error {
	e := &ParseError{File: p.file, Line: line, Column: col, Field: field, Err: err}
	if field > 0 && field <= len(p.names) {
		e.Name = p.names[field-1]
	}
	return e
}

// defaultNames names the columns of a file without a header: x and y for
// two columns, else x1..xN and y.
func defaultNames(cols int) []string {
	if cols == 2 {
		return []string{"x", "y"}
	}
	names := make([]string, cols)
	for j := range cols - 1 {
		names[j] = "x" + strconv.Itoa(j+1)
	}
	names[cols-1] = "y"
	return names
}

// isNumber reports whether a header candidate field is numeric, including
// NaN and out-of-range values, which are numbers in the wrong place rather
// than names.
func isNumber(f []byte) bool {
	f = bytes.Trim(f, " \t")
	_, err := strconv.ParseFloat(string(f), 64)
	return err == nil || errors.Is(err, strconv.ErrRange)
}

// blank reports whether ln holds only blanks.
func blank(ln []byte) bool {
	for _, c := range ln {
		if !isSpace(c) {
			return false
		}
	}
	return true
}

// skipField returns the end of the field that starts at ln[pos], which is
// not loaded: text up to the next comma, or a quoted string (with ""
// for a quote) and blanks after it.
func skipField(ln []byte, pos int) (int, error) {
	i := skipBlanks(ln, pos)
	if i == len(ln) || ln[i] != '"' {
		if k := bytes.IndexByte(ln[pos:], ','); k >= 0 {
			return pos + k, nil
		}
		return len(ln), nil
	}
	_, end, err := quotedEnd(ln, i)
	return end, err
}

// quotedEnd scans the quoted field whose opening quote is ln[q] (with ""
// for a quote inside) and returns the index of its closing quote and that
// of the comma after it, or len(ln); only blanks may come between them.
// Quoted text spans no line end: each line is parsed on its own.
func quotedEnd(ln []byte, q int) (closing, end int, err error) {
	i := q + 1
	for {
		k := bytes.IndexByte(ln[i:], '"')
		if k < 0 {
			return 0, len(ln), fmt.Errorf("%w: the quoted text does not end on its line (a field cannot span lines)", ErrQuote)
		}
		i += k
		if i+1 < len(ln) && ln[i+1] == '"' {
			i += 2
			continue
		}
		break
	}
	end = skipBlanks(ln, i+1)
	if end < len(ln) && ln[end] != ',' {
		return 0, end, fmt.Errorf("%w: text follows the closing quote", ErrQuote)
	}
	return i, end, nil
}

// countFields counts the fields of ln, minding quotes; past broken
// quoting it counts commas.
func countFields(ln []byte) int {
	n, pos := 1, 0
	for {
		end, err := skipField(ln, pos)
		if err != nil {
			return n + bytes.Count(ln[pos:], []byte{','})
		}
		if end >= len(ln) {
			return n
		}
		n, pos = n+1, end+1
	}
}

// firstField is a field of the first line, before it is known to be a
// header or a row.
type firstField struct {
	raw    []byte // the field as written, blanks trimmed
	text   []byte // its text: without the quotes if quoted
	col    int    // 1-based byte column of its first non-blank byte
	quoted bool
}

// splitFirst splits the first line into fields, minding quotes. With
// broken quoting it splits at every comma, leaving the verdict to the
// header's parser or the number check.
func splitFirst(ln []byte) []firstField {
	var fields []firstField
	for pos := 0; ; {
		i := skipBlanks(ln, pos)
		f := firstField{col: i + 1}
		end := len(ln)
		if k := bytes.IndexByte(ln[pos:], ','); k >= 0 {
			end = pos + k
		}
		if i < len(ln) && ln[i] == '"' {
			closing, e, err := quotedEnd(ln, i)
			if err != nil {
				return splitPlain(ln)
			}
			end, f.text, f.quoted = e, bytes.Trim(ln[i+1:closing], " \t"), true
		}
		f.raw = bytes.Trim(ln[pos:end], " \t")
		if !f.quoted {
			f.text = f.raw
		}
		fields = append(fields, f)
		if end == len(ln) {
			return fields
		}
		pos = end + 1
	}
}

// splitPlain splits ln at every comma.
func splitPlain(ln []byte) []firstField {
	var fields []firstField
	col := 1
	for _, f := range bytes.Split(ln, []byte{','}) {
		raw := bytes.Trim(f, " \t")
		fields = append(fields, firstField{raw: raw, text: raw, col: fieldColumn(ln, col-1)})
		col += len(f) + 1
	}
	return fields
}

// fieldColumn returns the 1-based column of the first non-blank byte of the
// field starting at ln[pos].
func fieldColumn(ln []byte, pos int) int {
	for pos < len(ln) && isSpace(ln[pos]) {
		pos++
	}
	return pos + 1
}
