package schema

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"math/big"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/go-json-experiment/json/jsontext"
)

// ParseError reports malformed argument text and where it is.
type ParseError struct {
	Line, Column int // 1-based; the column counts characters
	Msg          string
}

// Error renders the error as "invalid arguments at line 1, column 7: ...".
func (e *ParseError) Error() string {
	return fmt.Sprintf("invalid arguments at line %d, column %d: %s", e.Line, e.Column, e.Msg)
}

// ParseArgs parses JSON object text into an argument map. Empty or
// whitespace-only input is the empty object. It is stricter than
// json.Unmarshal: the text must be exactly one JSON object (not an array or
// scalar, no trailing data), a key may not repeat, and an integer literal
// that a float64 cannot hold exactly (such as 2^53+1) is rejected rather than
// silently rounded, as is a nonzero number too small for a float64 (such
// as 1e-400, which would become 0). Other numbers with a fraction or an
// exponent round to the nearest float64, as JSON numbers usually do.
// Numbers become float64. Errors are *ParseError with the line and column.
func ParseArgs(data []byte) (map[string]any, error) {
	start := skipSpace(data, 0)
	if start == len(data) {
		return map[string]any{}, nil
	}
	if m, ok := parseValid(data); ok {
		return m, nil
	}
	return parseExplained(data, start)
}

// parseValid parses valid argument text in one pass with jsontext's
// tokenizer, which checks the syntax and refuses a repeated key as it
// reads. It reports false for any text it does not accept, which
// parseExplained then parses again to say what is wrong and where, in
// encoding/json's words. ParseArgs on a small object takes about a third
// of the time and half the allocations it took with only the two passes
// of parseExplained (BenchmarkParseArgs), time spent on every tools/call.
func parseValid(data []byte) (map[string]any, bool) {
	d := jsontext.NewDecoder(bytes.NewBuffer(data))
	if tok, err := d.ReadToken(); err != nil || tok.Kind() != '{' {
		return nil, false
	}
	m, ok := validObject(d, 1)
	if !ok {
		return nil, false
	}
	_, err := d.ReadToken()
	return m, err == io.EOF // nothing after the object
}

// validObject reads the members of an object whose '{' has been read,
// depth arrays and objects deep.
func validObject(d *jsontext.Decoder, depth int) (map[string]any, bool) {
	m := map[string]any{}
	for {
		tok, err := d.ReadToken()
		if err != nil {
			return nil, false
		}
		if tok.Kind() == '}' {
			return m, true
		}
		key := tok.String()
		v, ok := validValue(d, depth)
		if !ok {
			return nil, false
		}
		m[key] = v
	}
}

// validArray reads the elements of an array whose '[' has been read.
func validArray(d *jsontext.Decoder, depth int) ([]any, bool) {
	a := []any{}
	for d.PeekKind() != ']' {
		v, ok := validValue(d, depth)
		if !ok {
			return nil, false
		}
		a = append(a, v)
	}
	_, err := d.ReadToken()
	return a, err == nil
}

// validValue reads one value, refusing what parseExplained would: nesting
// past maxDepth and numbers without a float64 that stands for them.
func validValue(d *jsontext.Decoder, depth int) (any, bool) {
	tok, err := d.ReadToken()
	if err != nil {
		return nil, false
	}
	switch tok.Kind() {
	case '{':
		if depth >= maxDepth {
			return nil, false
		}
		return validObject(d, depth+1)
	case '[':
		if depth >= maxDepth {
			return nil, false
		}
		return validArray(d, depth+1)
	case '"':
		return tok.String(), true
	case '0':
		f, msg := number(tok.String())
		return f, msg == ""
	case 't', 'f':
		return tok.Bool(), true
	case 'n':
		return nil, true
	}
	return nil, false
}

// parseExplained parses data, whose value starts at start, with
// encoding/json, so that every error says what is wrong and where.
func parseExplained(data []byte, start int) (map[string]any, error) {
	// The standard scanner validates the syntax first (with exact offsets,
	// its own nesting limit and trailing-data detection); the token pass
	// below then only has to look at structure.
	var raw json.RawMessage
	if err := json.Unmarshal(data, &raw); err != nil {
		return nil, syntaxError(data, err)
	}
	if data[start] != '{' {
		return nil, errorAt(data, start, fmt.Sprintf("arguments must be a JSON object, got %s", jsonKind(data[start])))
	}
	p := parser{data: data, dec: json.NewDecoder(bytes.NewReader(data)), depth: 1}
	p.dec.UseNumber()
	if _, err := p.dec.Token(); err != nil { // the '{'
		return nil, syntaxError(data, err)
	}
	return p.object()
}

type parser struct {
	data  []byte
	dec   *json.Decoder
	depth int // arrays and objects open around the next value
}

// object parses the members of an object whose '{' has been read.
func (p *parser) object() (map[string]any, error) {
	m := map[string]any{}
	for {
		// The decoder consumes the ',' before a key itself, so the key
		// starts at the first byte that is neither space nor comma.
		keyStart := int(p.dec.InputOffset())
		for keyStart < len(p.data) && (isSpace(p.data[keyStart]) || p.data[keyStart] == ',') {
			keyStart++
		}
		tok, err := p.dec.Token()
		if err != nil {
			return nil, syntaxError(p.data, err)
		}
		if tok == json.Delim('}') {
			return m, nil
		}
		key, ok := tok.(string)
		if !ok { // unreachable for input the scanner accepted
			return nil, errorAt(p.data, keyStart, "object key must be a string")
		}
		if _, dup := m[key]; dup {
			return nil, errorAt(p.data, keyStart, fmt.Sprintf("duplicate key %q", key))
		}
		v, err := p.value()
		if err != nil {
			return nil, err
		}
		m[key] = v
	}
}

func (p *parser) array() ([]any, error) {
	a := []any{}
	for {
		if !p.dec.More() {
			if _, err := p.dec.Token(); err != nil { // the ']'
				return nil, syntaxError(p.data, err)
			}
			return a, nil
		}
		v, err := p.value()
		if err != nil {
			return nil, err
		}
		a = append(a, v)
	}
}

func (p *parser) value() (any, error) {
	tok, err := p.dec.Token()
	if err != nil {
		return nil, syntaxError(p.data, err)
	}
	switch t := tok.(type) {
	case json.Delim:
		// The same limit as validation and cache keys, so that arguments
		// that parse are never refused later for their depth alone.
		if p.depth++; p.depth > maxDepth {
			return nil, errorAt(p.data, int(p.dec.InputOffset())-1, fmt.Sprintf("arguments nested more than %d levels deep", maxDepth))
		}
		defer func() { p.depth-- }()
		if t == '{' {
			return p.object()
		}
		return p.array()
	case json.Number:
		f, msg := number(string(t))
		if msg != "" {
			return nil, errorAt(p.data, int(p.dec.InputOffset())-len(t), msg)
		}
		return f, nil
	default: // string, bool, nil
		return t, nil
	}
}

// number returns the float64 of the JSON number literal lit, or a message
// saying why it has none that stands for it.
func number(lit string) (float64, string) {
	f, err := strconv.ParseFloat(lit, 64)
	if err != nil || math.IsInf(f, 0) {
		return 0, fmt.Sprintf("number %s is out of range", lit)
	}
	if f == 0 && strings.ContainsAny(mantissa(lit), "123456789") {
		return 0, fmt.Sprintf("number %s is too small for float64 (it would become 0)", lit)
	}
	if integer, _ := scanNumber(lit); integer && !exactInteger(lit, f) {
		return 0, fmt.Sprintf("integer %s has no exact float64 representation (nearest is %s)",
			lit, new(big.Float).SetFloat64(f).Text('f', 0))
	}
	return f, ""
}

// mantissa returns the digits of the number literal lit before its
// exponent.
func mantissa(lit string) string {
	if i := strings.IndexAny(lit, "eE"); i >= 0 {
		return lit[:i]
	}
	return lit
}

// exactInteger reports whether the integer literal lit equals its float64
// value f. Within ±2^53 every integer does; beyond, only some do (1e17
// does, which JSON encoders write as 100000000000000000; 2^53+1 does not).
func exactInteger(lit string, f float64) bool {
	if n, err := strconv.ParseInt(lit, 10, 64); err == nil && n >= -maxSafeInteger && n <= maxSafeInteger {
		return true
	}
	want, ok := new(big.Int).SetString(lit, 10)
	if !ok {
		return false
	}
	got, acc := new(big.Float).SetFloat64(f).Int(nil)
	return acc == big.Exact && got.Cmp(want) == 0
}

// syntaxError converts an error of encoding/json into a *ParseError.
func syntaxError(data []byte, err error) error {
	var se *json.SyntaxError
	switch {
	case errors.As(err, &se):
		// The scanner's offset counts the offending byte itself; at the
		// end of the input it is len(data).
		off := int(se.Offset)
		msg := se.Error()
		if off >= len(data) && len(data) > 0 && msg == "unexpected end of JSON input" {
			return errorAt(data, len(data), "unexpected end of input")
		}
		if off > 0 {
			off--
		}
		if strings.HasSuffix(msg, "after top-level value") {
			msg = "unexpected data after the JSON object"
		}
		return errorAt(data, off, msg)
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return errorAt(data, len(data), "unexpected end of input")
	}
	return fmt.Errorf("invalid arguments: %w", err)
}

// errorAt builds a *ParseError for the byte offset off of data.
func errorAt(data []byte, off int, msg string) *ParseError {
	off = min(off, len(data))
	line, lineStart := 1, 0
	for i, c := range data[:off] {
		if c == '\n' {
			line++
			lineStart = i + 1
		}
	}
	return &ParseError{Line: line, Column: utf8.RuneCount(data[lineStart:off]) + 1, Msg: msg}
}

func jsonKind(c byte) string {
	switch c {
	case '[':
		return "an array"
	case '"':
		return "a string"
	case 't', 'f':
		return "a boolean"
	case 'n':
		return "null"
	}
	return "a number"
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

func skipSpace(data []byte, i int) int {
	for i < len(data) && isSpace(data[i]) {
		i++
	}
	return i
}
