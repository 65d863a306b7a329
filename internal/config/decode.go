package config

import (
	"cmp"
	"errors"
	"fmt"
	"math"
	"reflect"
	"slices"
	"strings"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"
)

// maxDepth bounds the nesting of a schema, so that a hostile file cannot
// exhaust the stack.
const maxDepth = 64

// maxIndent bounds the indentation of a line: block collections nest by
// indentation, and deep nesting costs goccy/go-yaml's parser dearly.
const maxIndent = 256

// Parse reads a configuration from data; name is the file's name in
// errors. builtins are the names of the built-in abilities, which the
// abilities without a kind must be; nil skips that check. Its error, if
// any, is an [Errors] listing every problem found.
//
// goccy/go-yaml parses the file into an AST; the decoding into the structs
// is done here rather than by its decoder, which stops at the first error
// and cannot say which key path a value is at.
func Parse(name string, data []byte, builtins []string) (*Config, error) {
	d := &decoder{file: name, keys: map[string]Pos{}, vals: map[string]Pos{}, failed: map[string]bool{}}
	if p, msg, deep := tooDeep(data); deep {
		d.failAt(p, "", "%s", msg)
		return nil, d.errs
	}
	f, err := parser.ParseBytes(data, 0, parser.AllowDuplicateMapKey())
	if err != nil {
		return nil, Errors{d.syntaxError(err)}
	}
	cfg := &Config{File: name}
	var docs []ast.Node
	for _, doc := range f.Docs {
		if doc != nil && doc.Body != nil {
			docs = append(docs, doc.Body)
		}
	}
	if len(docs) > 1 {
		d.fail(docs[1], "", "the file holds more than one YAML document (---): want one")
	}
	if len(docs) > 0 {
		d.decode(docs[0], reflect.ValueOf(cfg).Elem(), "")
	}
	cfg.keys = d.keys
	d.check(cfg)
	if builtins != nil {
		d.checkBuiltins(cfg, builtins)
	}
	if len(d.errs) > 0 {
		slices.SortStableFunc(d.errs, func(a, b *Error) int {
			return cmp.Or(cmp.Compare(a.Line, b.Line), cmp.Compare(a.Column, b.Column))
		})
		return nil, d.errs
	}
	return cfg, nil
}

// tooDeep reports where data first nests more than maxDepth deep: flow
// brackets ([ or {), or block collections opened on one line ("- - - x"),
// outside comments and quoted strings; or where a line is indented more
// than maxIndent columns. goccy/go-yaml's parser takes time that grows
// with the square of the depth (minutes for 100,000 levels; upstream
// goccy/go-yaml#902), so such a file is refused before it is parsed.
// (Wide mappings are quadratic too, goccy/go-yaml#889, but only in the
// number of sibling keys, which stays small in a configuration.)
func tooDeep(data []byte) (Pos, string, bool) {
	depth, line, col, levels := 0, 1, 0, 0
	indent := true // still in the line's leading blanks
	var quote byte // the open quote, or 0
	comment := false
	for i, c := range data {
		col++
		if c != ' ' && c != '\n' {
			indent = false
		}
		switch {
		case c == '\n':
			line, col, levels, indent, comment = line+1, 0, 0, true, false
		case indent:
			if col > maxIndent {
				return Pos{line, col}, fmt.Sprintf("indented more than %d columns", maxIndent), true
			}
		case comment:
		case quote != 0:
			if c == quote && (quote == '\'' || data[i-1] != '\\') {
				quote = 0
			}
		case c == '#' && (col == 1 || data[i-1] == ' ' || data[i-1] == '\t'):
			comment = true
		case c == '"' || c == '\'':
			quote = c
		case c == '[' || c == '{':
			if depth++; depth > maxDepth {
				return Pos{line, col}, fmt.Sprintf("brackets nested more than %d levels deep", maxDepth), true
			}
		case c == ']' || c == '}':
			depth = max(depth-1, 0)
		case c == ' ' && depth == 0 && (data[i-1] == ':' || data[i-1] == '-'):
			if levels++; levels > maxDepth {
				return Pos{line, col}, fmt.Sprintf("more than %d collections opened on one line", maxDepth), true
			}
		}
	}
	return Pos{}, "", false
}

// decoder walks the AST into the structs, collecting errors.
type decoder struct {
	file string
	errs Errors
	// keys holds the position of each key, by key path.
	keys map[string]Pos
	// vals holds the position of each value, by key path.
	vals map[string]Pos
	// failed holds the key paths whose values could not be decoded, so
	// that the checks do not pile more errors on them.
	failed map[string]bool
}

// syntaxError turns a parse error of goccy/go-yaml into an Error.
func (d *decoder) syntaxError(err error) *Error {
	e := &Error{File: d.file, Pos: Pos{1, 1}, Msg: err.Error()}
	var ye yaml.Error
	if errors.As(err, &ye) {
		e.Msg = ye.GetMessage()
		if tk := ye.GetToken(); tk != nil && tk.Position != nil {
			e.Pos = Pos{max(tk.Position.Line, 1), max(tk.Position.Column, 1)}
		}
	}
	e.Msg = "invalid YAML: " + e.Msg
	return e
}

// posOf returns the position of n, or the zero Pos.
func posOf(n ast.Node) Pos {
	if n == nil {
		return Pos{}
	}
	tk := n.GetToken()
	if tk == nil || tk.Position == nil {
		return Pos{}
	}
	return Pos{tk.Position.Line, tk.Position.Column}
}

// fail records an error about the value n at path.
func (d *decoder) fail(n ast.Node, path, format string, args ...any) {
	d.failAt(posOf(n), path, format, args...)
	d.failed[path] = true
}

// failAt records an error at p; a value without a position of its own
// (an empty value) is reported at its key.
func (d *decoder) failAt(p Pos, path, format string, args ...any) {
	if p.Line < 1 {
		p = d.keys[path]
	}
	if p.Line < 1 {
		p = Pos{1, 1}
	}
	d.errs = append(d.errs, &Error{File: d.file, Pos: p, Path: path, Msg: fmt.Sprintf(format, args...)})
}

// unwrap returns the value n stands for: an anchor's value. Tags and
// aliases are refused (false): their meaning would be hidden elsewhere in
// the file.
func (d *decoder) unwrap(n ast.Node, path string) (ast.Node, bool) {
	for {
		switch m := n.(type) {
		case *ast.AnchorNode:
			n = m.Value
		case *ast.TagNode:
			d.fail(n, path, "tags such as %s are not supported: write the value plainly", text(m))
			return nil, false
		case *ast.AliasNode:
			d.fail(n, path, "aliases (*name) are not supported: write the value out")
			return nil, false
		case nil:
			return &ast.NullNode{BaseNode: &ast.BaseNode{}}, true
		default:
			return n, true
		}
	}
}

// isNull reports whether n is an empty value or null.
func isNull(n ast.Node) bool {
	_, ok := n.(*ast.NullNode)
	return ok
}

var (
	schemaType = reflect.TypeFor[JSONSchema]()
	scalarType = reflect.TypeFor[scalar]()
)

// decode stores the value of n in v, which is at path.
func (d *decoder) decode(n ast.Node, v reflect.Value, path string) {
	n, ok := d.unwrap(n, path)
	if !ok {
		return
	}
	if p := posOf(n); p.Line > 0 {
		d.vals[path] = p
	}
	if v.Type() == schemaType {
		d.decodeSchema(n, v, path)
		return
	}
	if v.Addr().Type().Implements(scalarType) {
		if err := v.Addr().Interface().(scalar).decodeNode(n); err != nil {
			d.fail(n, path, "%v", err)
		}
		return
	}
	switch v.Kind() {
	case reflect.Pointer:
		if isNull(n) && v.Type().Elem().Kind() == reflect.Struct {
			return // an empty block: nothing set
		}
		p := reflect.New(v.Type().Elem())
		d.decode(n, p.Elem(), path)
		v.Set(p)
	case reflect.Struct:
		d.decodeStruct(n, v, path)
	case reflect.Map:
		d.decodeMap(n, v, path)
	case reflect.Slice:
		d.decodeSlice(n, v, path)
	case reflect.String:
		switch s := n.(type) {
		case *ast.StringNode:
			v.SetString(s.Value)
		case *ast.LiteralNode:
			v.SetString(s.Value.Value)
		default:
			got := describe(n)
			if secret(path) {
				got = kind(n) // a header or env value may be a secret: not shown
			}
			d.fail(n, path, "want a string, got %s (quote it to make it one)", got)
		}
	case reflect.Int:
		i, ok := n.(*ast.IntegerNode)
		if !ok {
			d.fail(n, path, "want a whole number, got %s", describe(n))
			return
		}
		x := toInt64(i)
		if x > math.MaxInt32 || x < math.MinInt32 {
			d.fail(n, path, "%s is out of range", text(n))
			return
		}
		v.SetInt(x)
	case reflect.Bool:
		b, ok := n.(*ast.BoolNode)
		if !ok {
			d.fail(n, path, "want true or false, got %s", describe(n))
			return
		}
		v.SetBool(b.Value)
	default:
		panic(fmt.Sprintf("config: no decoding for %v", v.Type())) // a programming error
	}
}

// secret reports whether the value at path may hold a secret: a header or
// an environment variable of an ability or of an MCP server.
func secret(path string) bool {
	parts := strings.Split(path, ".")
	return len(parts) >= 4 && (parts[0] == "abilities" || parts[0] == "mcp_servers") && (parts[2] == "headers" || parts[2] == "env")
}

// each calls f for each key of the mapping n (at path) and its value,
// refusing what is not a mapping, keys that are not strings, merge keys and
// duplicate keys. An empty value is an empty mapping.
func (d *decoder) each(n ast.Node, path string, f func(key, keyPath string, keyNode, value ast.Node)) {
	var entries []*ast.MappingValueNode
	switch m := n.(type) {
	case *ast.MappingNode:
		entries = m.Values
	case *ast.MappingValueNode:
		entries = []*ast.MappingValueNode{m}
	case *ast.NullNode:
		return
	default:
		d.fail(n, path, "want a mapping (key: value), got %s", describe(n))
		return
	}
	seen := make(map[string]Pos, len(entries))
	for _, e := range entries {
		k, ok := d.unwrap(e.Key, path)
		if !ok {
			continue
		}
		s, ok := k.(*ast.StringNode)
		if !ok {
			if _, merge := k.(*ast.MergeKeyNode); merge {
				d.fail(k, path, "merge keys (<<) are not supported: write the keys out")
			} else {
				d.fail(k, path, "a key must be a string, got %s", describe(k))
			}
			continue
		}
		keyPath := join(path, s.Value)
		if first, dup := seen[s.Value]; dup {
			d.failAt(posOf(k), keyPath, "duplicate key (first at line %d)", first.Line)
			continue
		}
		seen[s.Value] = posOf(k)
		d.keys[keyPath] = posOf(k)
		f(s.Value, keyPath, k, e.Value)
	}
}

// join appends key to the key path.
func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func (d *decoder) decodeStruct(n ast.Node, v reflect.Value, path string) {
	fields := yamlFields(v.Type())
	d.each(n, path, func(key, keyPath string, _, value ast.Node) {
		i, ok := fields[key]
		if !ok {
			d.failAt(d.keys[keyPath], keyPath, "unknown key; allowed: %s", strings.Join(YAMLKeys(v.Type()), ", "))
			d.failed[keyPath] = true
			return
		}
		d.decode(value, v.Field(i), keyPath)
	})
}

func (d *decoder) decodeMap(n ast.Node, v reflect.Value, path string) {
	if v.IsNil() {
		v.Set(reflect.MakeMap(v.Type()))
	}
	d.each(n, path, func(key, keyPath string, _, value ast.Node) {
		elem := reflect.New(v.Type().Elem()).Elem()
		d.decode(value, elem, keyPath)
		v.SetMapIndex(reflect.ValueOf(key), elem)
	})
}

func (d *decoder) decodeSlice(n ast.Node, v reflect.Value, path string) {
	seq, ok := n.(*ast.SequenceNode)
	if !ok {
		d.fail(n, path, "want a list, got %s", describe(n))
		return
	}
	s := reflect.MakeSlice(v.Type(), len(seq.Values), len(seq.Values))
	for i, e := range seq.Values {
		d.decode(e, s.Index(i), fmt.Sprintf("%s[%d]", path, i))
	}
	v.Set(s)
}

// decodeSchema stores a JSON Schema: an object of JSON values.
func (d *decoder) decodeSchema(n ast.Node, v reflect.Value, path string) {
	if isNull(n) {
		return
	}
	if _, ok := d.mappingOf(n); !ok {
		d.fail(n, path, "want a JSON Schema object (type: object, properties: …), got %s", describe(n))
		return
	}
	if m, ok := d.jsonValue(n, path, 0).(map[string]any); ok {
		v.Set(reflect.ValueOf(JSONSchema(m)))
	}
}

// mappingOf reports whether n is a mapping.
func (d *decoder) mappingOf(n ast.Node) (ast.Node, bool) {
	switch n.(type) {
	case *ast.MappingNode, *ast.MappingValueNode:
		return n, true
	}
	return nil, false
}

// jsonValue converts n to the value encoding/json would decode from the
// same JSON.
func (d *decoder) jsonValue(n ast.Node, path string, depth int) any {
	n, ok := d.unwrap(n, path)
	if !ok {
		return nil
	}
	if p := posOf(n); p.Line > 0 {
		d.vals[path] = p
	}
	if depth > maxDepth {
		d.fail(n, path, "nested more than %d levels deep", maxDepth)
		return nil
	}
	switch n := n.(type) {
	case *ast.NullNode:
		return nil
	case *ast.BoolNode:
		return n.Value
	case *ast.StringNode:
		return n.Value
	case *ast.LiteralNode:
		return n.Value.Value
	case *ast.IntegerNode:
		if u, ok := n.Value.(uint64); ok {
			return float64(u)
		}
		return toInt64(n)
	case *ast.FloatNode:
		return n.Value
	case *ast.SequenceNode:
		out := make([]any, len(n.Values))
		for i, e := range n.Values {
			out[i] = d.jsonValue(e, fmt.Sprintf("%s[%d]", path, i), depth+1)
		}
		return out
	case *ast.MappingNode, *ast.MappingValueNode:
		out := map[string]any{}
		d.each(n, path, func(key, keyPath string, _, value ast.Node) {
			out[key] = d.jsonValue(value, keyPath, depth+1)
		})
		return out
	}
	d.fail(n, path, "%s is not a JSON value", describe(n))
	return nil
}

// yamlFields maps the yaml keys of struct type t to field indexes.
func yamlFields(t reflect.Type) map[string]int {
	m := map[string]int{}
	for i := range t.NumField() {
		if name := yamlKey(t.Field(i)); name != "" {
			m[name] = i
		}
	}
	return m
}

// YAMLKeys returns the keys a struct type of this package takes in the
// file, in the order of its fields.
func YAMLKeys(t reflect.Type) []string {
	var keys []string
	for i := range t.NumField() {
		if name := yamlKey(t.Field(i)); name != "" {
			keys = append(keys, name)
		}
	}
	return keys
}

func yamlKey(f reflect.StructField) string {
	name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
	if name == "-" || !f.IsExported() {
		return ""
	}
	return name
}
