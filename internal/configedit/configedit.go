// Package configedit changes an ability's settings in the text of a
// configuration file, keeping everything else as written: comments, their
// alignment, key order, quoting and flow or block style. It finds the keys
// with goccy/go-yaml's parser and splices the new values into the text at
// the positions the AST gives; printing the AST back (its String method)
// would move end-of-line comments and change the layout of lines that did
// not change.
//
// It does not check the values: the caller parses the result with the
// config package, which says what is wrong and where, as for any file.
package configedit

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"
	"github.com/goccy/go-yaml/token"
)

// Edit sets one setting of an ability.
type Edit struct {
	// Key is the setting's key path under abilities.NAME, such as
	// "timeout" or "breaker.cooldown".
	Key string
	// Value is the value as typed: written as a plain YAML scalar when it
	// is one that cannot change the file's structure (5s, 50%, 20, 0.5),
	// else as a double-quoted string.
	Value string
}

// ErrNotUTF8 is the error for a value that is not UTF-8 text, which a
// YAML file cannot hold.
var ErrNotUTF8 = errors.New("not UTF-8 text")

// indentStep is the indentation of a nested block created where the file
// shows none to follow.
const indentStep = 2

// Set returns data with each edit applied to abilities.<ability>: an
// existing value is replaced in place; a missing key is added after the
// last key of its mapping (in the mapping's style, block or flow), with
// the mappings above it (the ability's section, breaker, abilities) when
// they are missing too. Nothing else in data changes. An error says why a
// key could not be edited (the file is not valid YAML, or the key's
// place holds a list).
func Set(data []byte, ability string, edits []Edit) ([]byte, error) {
	for _, e := range edits {
		path := append([]string{"abilities", ability}, strings.Split(e.Key, ".")...)
		if !utf8.ValidString(e.Value) {
			return nil, fmt.Errorf("%s: %w", strings.Join(path, "."), ErrNotUTF8)
		}
		out, err := set(data, path, e.Value)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", strings.Join(path, "."), err)
		}
		// The splice must leave a file that parses and says what was set:
		// a check of this package's own work, not of the user's value.
		got, ok, err := lookup(out, path)
		if err != nil || !ok || got != e.Value {
			return nil, fmt.Errorf("%s: the file's layout here is beyond what the dashboard edits: edit the file by hand", strings.Join(path, "."))
		}
		data = out
	}
	return data, nil
}

// Values returns the values the file gives to keys (key paths under
// abilities.<ability>), as written without quotes; a key the file does
// not set is not in the map.
func Values(data []byte, ability string, keys []string) (map[string]string, error) {
	vals := make(map[string]string, len(keys))
	for _, k := range keys {
		v, ok, err := lookup(data, append([]string{"abilities", ability}, strings.Split(k, ".")...))
		if err != nil {
			return nil, err
		}
		if ok {
			vals[k] = v
		}
	}
	return vals, nil
}

// parse parses data into the body of its (first) document; nil when the
// file is empty.
func parse(data []byte) (ast.Node, error) {
	f, err := parser.ParseBytes(data, 0)
	if err != nil {
		return nil, fmt.Errorf("invalid YAML: %w", err)
	}
	for _, doc := range f.Docs {
		if doc != nil && doc.Body != nil {
			return doc.Body, nil
		}
	}
	return nil, nil
}

// mapping is a YAML mapping of the file: its entries and style.
type mapping struct {
	entries []*ast.MappingValueNode
	flow    bool
	end     *token.Token // the closing } of a flow mapping
}

// asMapping returns n as a mapping, if it is one.
func asMapping(n ast.Node) (mapping, bool) {
	switch m := n.(type) {
	case *ast.MappingNode:
		return mapping{entries: m.Values, flow: m.IsFlowStyle, end: m.End}, true
	case *ast.MappingValueNode:
		return mapping{entries: []*ast.MappingValueNode{m}}, true
	}
	return mapping{}, false
}

// find returns the entry of m whose key is name.
func (m mapping) find(name string) *ast.MappingValueNode {
	for _, e := range m.entries {
		if k, ok := e.Key.(*ast.StringNode); ok && k.Value == name {
			return e
		}
	}
	return nil
}

// isNull reports whether n is an empty value or null.
func isNull(n ast.Node) bool {
	_, ok := n.(*ast.NullNode)
	return n == nil || ok
}

// lookup returns the scalar at path, as written without quotes.
func lookup(data []byte, path []string) (string, bool, error) {
	n, err := parse(data)
	if err != nil {
		return "", false, err
	}
	for _, seg := range path {
		m, ok := asMapping(n)
		if !ok {
			return "", false, nil
		}
		e := m.find(seg)
		if e == nil {
			return "", false, nil
		}
		n = e.Value
	}
	switch v := n.(type) {
	case nil, *ast.NullNode, *ast.MappingNode, *ast.MappingValueNode, *ast.SequenceNode:
		return "", false, nil
	case *ast.StringNode:
		return v.Value, true, nil
	default:
		tk := n.GetToken()
		if tk == nil {
			return "", false, nil
		}
		return tk.Value, true, nil
	}
}

// set sets the scalar at path to value in data.
func set(data []byte, path []string, value string) ([]byte, error) {
	root, err := parse(data)
	if err != nil {
		return nil, err
	}
	src := newSource(data)
	if isNull(root) {
		text := block(path, value, 0)
		if !hasNewline(data) {
			text = "\n" + text
		}
		return src.splice(len(data), len(data), text), nil
	}
	n := root
	var parent *ast.MappingValueNode // the entry whose value n is
	for i, seg := range path {
		m, ok := asMapping(n)
		switch {
		case !ok && isNull(n) && parent != nil:
			// "sum:" with nothing under it: the rest goes below the key.
			keyCol := src.column(parent.Key.GetToken())
			at := src.lineEnd(parent.Key.GetToken().Position.Line)
			return src.splice(at, at, "\n"+strings.TrimSuffix(block(path[i:], value, keyCol+indentStep), "\n")), nil
		case !ok:
			return nil, fmt.Errorf("%s is not a mapping in the file", strings.Join(path[:i], "."))
		}
		e := m.find(seg)
		if e == nil {
			return src.insert(m, path[i:], value)
		}
		if i == len(path)-1 {
			return src.replace(e, m.flow, value)
		}
		parent, n = e, e.Value
	}
	return data, nil
}

// source is the file's text, with the offsets of its lines.
type source struct {
	data  []byte
	lines []int // byte offset of the start of each line
}

func newSource(data []byte) *source {
	s := &source{data: data, lines: []int{0}}
	for i, c := range data {
		if c == '\n' {
			s.lines = append(s.lines, i+1)
		}
	}
	return s
}

// offset returns the byte offset of a 1-based line and column; the
// parser counts columns in characters.
func (s *source) offset(line, col int) int {
	if line < 1 || line > len(s.lines) {
		return len(s.data)
	}
	off := s.lines[line-1]
	for range col - 1 {
		if off >= len(s.data) || s.data[off] == '\n' {
			break
		}
		_, size := utf8.DecodeRune(s.data[off:])
		off += size
	}
	return off
}

// column returns the 0-based column (in bytes: indentation is spaces) of
// a token.
func (s *source) column(tk *token.Token) int {
	return s.offset(tk.Position.Line, tk.Position.Column) - s.lines[tk.Position.Line-1]
}

// lineEnd returns the offset of the end of a 1-based line (before its
// newline).
func (s *source) lineEnd(line int) int {
	if line < len(s.lines) {
		return s.lines[line] - 1
	}
	return len(s.data)
}

// replace replaces the value of entry e with value.
func (s *source) replace(e *ast.MappingValueNode, flow bool, value string) ([]byte, error) {
	v := e.Value
	switch v.(type) {
	case *ast.MappingNode, *ast.MappingValueNode, *ast.SequenceNode, *ast.LiteralNode, *ast.AliasNode, *ast.AnchorNode, *ast.TagNode:
		return nil, errors.New("holds more than a single value in the file")
	}
	tk := v.GetToken()
	if isNull(v) && (tk == nil || tk.Type == token.ImplicitNullType) {
		// "timeout:" with no value: it goes after the colon.
		colon := e.Start
		at := s.offset(colon.Position.Line, colon.Position.Column) + 1
		return s.splice(at, at, " "+scalar(value)), nil
	}
	start := s.offset(tk.Position.Line, tk.Position.Column)
	end, err := s.scalarEnd(start, flow)
	if err != nil {
		return nil, err
	}
	text := scalar(value)
	if q := s.data[start]; (q == '"' || q == '\'') && plain.MatchString(value) {
		text = string(q) + value + string(q) // the file's quoting kept
	}
	// An end-of-line comment stays in its column while the spaces before
	// it allow.
	pad := 0
	for end+pad < len(s.data) && s.data[end+pad] == ' ' {
		pad++
	}
	if pad > 0 && end+pad < len(s.data) && s.data[end+pad] == '#' {
		keep := max(pad-(len(text)-(end-start)), 1)
		text += strings.Repeat(" ", keep)
		end += pad
	}
	return s.splice(start, end, text), nil
}

func (s *source) splice(start, end int, text string) []byte {
	out := make([]byte, 0, len(s.data)-(end-start)+len(text))
	out = append(out, s.data[:start]...)
	out = append(out, text...)
	return append(out, s.data[end:]...)
}

// scalarEnd returns where the scalar starting at start ends: after its
// closing quote, or, for a plain one, before a comment, the end of the
// line or (in a flow mapping) the next , or }.
func (s *source) scalarEnd(start int, flow bool) (int, error) {
	d := s.data
	if start >= len(d) {
		return start, nil
	}
	switch q := d[start]; q {
	case '"', '\'':
		for i := start + 1; i < len(d); i++ {
			switch {
			case q == '"' && d[i] == '\\':
				i++
			case q == '\'' && d[i] == '\'' && i+1 < len(d) && d[i+1] == '\'':
				i++
			case d[i] == q:
				return i + 1, nil
			}
		}
		return 0, errors.New("unclosed quote")
	}
	end := start
	for i := start; i < len(d); i++ {
		c := d[i]
		if c == '\n' || c == '\r' || (flow && (c == ',' || c == '}' || c == ']')) || (c == '#' && i > start && (d[i-1] == ' ' || d[i-1] == '\t')) {
			break
		}
		if c != ' ' && c != '\t' {
			end = i + 1
		}
	}
	return end, nil
}

// insert adds path (whose first key m lacks) with value to mapping m.
func (s *source) insert(m mapping, path []string, value string) ([]byte, error) {
	if m.flow {
		if m.end == nil {
			return nil, errors.New("a flow mapping without its closing }")
		}
		at := s.offset(m.end.Position.Line, m.end.Position.Column)
		// Before the }, after the last entry's text (not its trailing blanks).
		for at > 0 && (s.data[at-1] == ' ' || s.data[at-1] == '\t') {
			at--
		}
		text := flowText(path, value)
		if len(m.entries) > 0 {
			text = ", " + text
		}
		return s.splice(at, at, text), nil
	}
	first := m.entries[0].Key.GetToken()
	indent := s.column(first)
	// After the mapping's last line: the lines past the last key that are
	// blank or indented at least as deep as the keys (the last value's
	// lines, comments among the keys), less the blank ones at the end.
	last := m.entries[len(m.entries)-1].Key.GetToken().Position.Line
	end := last
	for l := last + 1; l <= len(s.lines); l++ {
		line := s.line(l)
		trimmed := strings.TrimLeft(line, " ")
		if trimmed == "" || trimmed == "\r" {
			continue
		}
		if len(line)-len(trimmed) < indent || (indent == 0 && (strings.HasPrefix(line, "---") || strings.HasPrefix(line, "..."))) {
			break
		}
		end = l
	}
	at := s.lineEnd(end)
	text := "\n" + strings.TrimSuffix(block(path, value, indent), "\n")
	return s.splice(at, at, text), nil
}

// line returns the text of a 1-based line, without its newline.
func (s *source) line(l int) string {
	return string(s.data[s.lines[l-1]:max(s.lineEnd(l), s.lines[l-1])])
}

// block renders path and value as nested block mappings indented by
// indent spaces: "abilities:\n  sum:\n    cache_ttl: 5m\n".
func block(path []string, value string, indent int) string {
	var b strings.Builder
	for i, k := range path {
		b.WriteString(strings.Repeat(" ", indent+i*indentStep))
		b.WriteString(k + ":")
		if i == len(path)-1 {
			b.WriteString(" " + scalar(value))
		}
		b.WriteByte('\n')
	}
	return b.String()
}

// flowText renders path and value in flow style: "breaker: {cooldown: 5s}".
func flowText(path []string, value string) string {
	text := path[len(path)-1] + ": " + scalar(value)
	for i := len(path) - 2; i >= 0; i-- {
		text = path[i] + ": {" + text + "}"
	}
	return text
}

// plain matches the values written as plain scalars: durations, numbers,
// percentages and words, which YAML reads back as typed in both block and
// flow mappings.
var plain = regexp.MustCompile(`^(?:[\p{L}\p{N}.]|[+-][\p{N}.])[\p{L}\p{N}._%+-]*$`)

// scalar is value as YAML: plain when that reads back as typed, else
// double-quoted.
func scalar(value string) string {
	if plain.MatchString(value) {
		return value
	}
	return strconv.Quote(value)
}

// WriteFile replaces the file at path with data atomically: data goes to
// a temporary file in the same directory, which is then renamed over
// path, so that a reader (the file watch) sees the old file or the new
// one, never a part. The file keeps its mode; a new one gets perm.
// (google/renameio does this, but not on Windows, which agentdash
// supports.)
func WriteFile(path string, data []byte, perm fs.FileMode) error {
	if st, err := os.Stat(path); err == nil {
		perm = st.Mode().Perm()
	} else if !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("write %s: %w", path, err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	name := tmp.Name()
	fail := func(err error) error {
		tmp.Close()
		os.Remove(name)
		return fmt.Errorf("write %s: %w", path, err)
	}
	if _, err := tmp.Write(data); err != nil {
		return fail(err)
	}
	if err := tmp.Chmod(perm); err != nil {
		return fail(err)
	}
	if err := tmp.Sync(); err != nil {
		return fail(err)
	}
	if err := tmp.Close(); err != nil {
		return fail(err)
	}
	if err := os.Rename(name, path); err != nil {
		os.Remove(name)
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

// hasNewline reports whether data ends with a newline (or is empty).
func hasNewline(data []byte) bool { return len(data) == 0 || bytes.HasSuffix(data, []byte("\n")) }
