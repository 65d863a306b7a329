package schema

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"unicode/utf8"
)

// AppendCanonical appends the canonical JSON encoding of v to dst and
// returns the extended buffer. Equal argument values produce equal bytes,
// whatever the key order of their maps, so the result serves as a cache
// key:
//
//   - object keys are sorted bytewise (which is code point order) and there
//     is no whitespace;
//   - numbers are formatted with strconv 'g' and the shortest exact
//     precision; integers of any Go type within ±2^53 encode like the equal
//     float64, larger ones exactly with all their digits, and -0 as 0;
//   - strings are escaped minimally (quote, backslash and control
//     characters only); invalid UTF-8 is an error rather than being replaced,
//     so distinct strings never share an encoding.
//
// Supported types are nil, bool, string, float64, float32, the int and uint
// types, json.Number, []any, []string, []float64 and map[string]any. Any
// other type, NaN, an infinity, or nesting deeper than 1000 levels (a cycle)
// is an error. No reflection is used, and encoding a small map into a
// buffer with enough capacity does not allocate.
func AppendCanonical(dst []byte, v any) ([]byte, error) {
	return appendValue(dst, v, 0)
}

func appendValue(dst []byte, v any, depth int) ([]byte, error) {
	switch x := v.(type) {
	case nil:
		return append(dst, "null"...), nil
	case bool:
		return strconv.AppendBool(dst, x), nil
	case string:
		return appendString(dst, x)
	case float64:
		return appendFloat(dst, x)
	case float32:
		return appendFloat(dst, float64(x))
	case int:
		return appendInt(dst, int64(x))
	case int8:
		return appendInt(dst, int64(x))
	case int16:
		return appendInt(dst, int64(x))
	case int32:
		return appendInt(dst, int64(x))
	case int64:
		return appendInt(dst, x)
	case uint:
		return appendUint(dst, uint64(x))
	case uint8:
		return appendUint(dst, uint64(x))
	case uint16:
		return appendUint(dst, uint64(x))
	case uint32:
		return appendUint(dst, uint64(x))
	case uint64:
		return appendUint(dst, x)
	case json.Number:
		return appendNumber(dst, string(x))
	case []any:
		if depth >= maxDepth {
			return dst, errTooDeep
		}
		return appendArray(dst, x, func(dst []byte, e any) ([]byte, error) { return appendValue(dst, e, depth+1) })
	case []string:
		return appendArray(dst, x, appendString)
	case []float64:
		return appendArray(dst, x, appendFloat)
	case map[string]any:
		if depth >= maxDepth {
			return dst, errTooDeep
		}
		return appendObject(dst, x, depth)
	}
	return dst, fmt.Errorf("unsupported type %T", v)
}

var errTooDeep = fmt.Errorf("nested more than %d levels deep (cyclic value?)", maxDepth)

// wrapPath prefixes err with where in the value it happened (format takes
// the element and %w), except errTooDeep: a path a thousand levels long
// says nothing, and building it costs time quadratic in the depth.
func wrapPath(err error, format string, elem any) error {
	if err == errTooDeep {
		return err
	}
	return fmt.Errorf(format, elem, err)
}

// smallObject is the number of members an object may have to be sorted in
// stack arrays; larger objects sort a heap-allocated slice of keys.
const smallObject = 8

func appendObject(dst []byte, m map[string]any, depth int) ([]byte, error) {
	if len(m) > smallObject {
		return appendLargeObject(dst, m, depth)
	}
	// One pass over the map collects the members; an insertion sort (the
	// fastest for so few) orders them without touching the map again.
	var keyStack [smallObject]string
	var valStack [smallObject]any
	keys, vals := keyStack[:0], valStack[:0]
	for k, v := range m {
		keys, vals = append(keys, k), append(vals, v)
	}
	for i := 1; i < len(keys); i++ {
		for j := i; j > 0 && keys[j] < keys[j-1]; j-- {
			keys[j], keys[j-1] = keys[j-1], keys[j]
			vals[j], vals[j-1] = vals[j-1], vals[j]
		}
	}
	dst = append(dst, '{')
	for i, k := range keys {
		var err error
		if dst, err = appendMember(dst, i, k, vals[i], depth); err != nil {
			return dst, err
		}
	}
	return append(dst, '}'), nil
}

func appendLargeObject(dst []byte, m map[string]any, depth int) ([]byte, error) {
	keys := sortedKeys(m)
	dst = append(dst, '{')
	for i, k := range keys {
		var err error
		if dst, err = appendMember(dst, i, k, m[k], depth); err != nil {
			return dst, err
		}
	}
	return append(dst, '}'), nil
}

func appendMember(dst []byte, i int, k string, v any, depth int) ([]byte, error) {
	if i > 0 {
		dst = append(dst, ',')
	}
	var err error
	if dst, err = appendString(dst, k); err != nil {
		return dst, fmt.Errorf("key %q: %w", k, err)
	}
	dst = append(dst, ':')
	if dst, err = appendValue(dst, v, depth+1); err != nil {
		return dst, wrapPath(err, "%q: %w", k)
	}
	return dst, nil
}

func appendFloat(dst []byte, f float64) ([]byte, error) {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return dst, fmt.Errorf("number %v has no JSON encoding", f)
	}
	if f == 0 {
		f = 0 // -0 and 0 are the same JSON value
	}
	return strconv.AppendFloat(dst, f, 'g', -1, 64), nil
}

func appendInt(dst []byte, n int64) ([]byte, error) {
	if n >= -maxSafeInteger && n <= maxSafeInteger {
		return appendFloat(dst, float64(n))
	}
	// Beyond 2^53 a float64 would round; keep every digit. Floats of this
	// size always format with an exponent, so the two never collide.
	return strconv.AppendInt(dst, n, 10), nil
}

func appendUint(dst []byte, n uint64) ([]byte, error) {
	if n <= maxSafeInteger {
		return appendFloat(dst, float64(n))
	}
	return strconv.AppendUint(dst, n, 10), nil
}

func appendNumber(dst []byte, s string) ([]byte, error) {
	integer, ok := scanNumber(s)
	if !ok {
		return dst, fmt.Errorf("json.Number %q is not a valid JSON number", s)
	}
	if integer {
		if n, err := strconv.ParseInt(s, 10, 64); err == nil {
			return appendInt(dst, n)
		}
		// A valid JSON integer literal is already canonical (no leading
		// zeros, no plus sign), except for "-0", which ParseInt handled.
		return append(dst, s...), nil
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return dst, fmt.Errorf("json.Number %q is out of range", s)
	}
	return appendFloat(dst, f)
}

// scanNumber reports whether s is a JSON number literal and whether it is an
// integer literal (no fraction, no exponent).
func scanNumber(s string) (integer, ok bool) {
	i := 0
	if i < len(s) && s[i] == '-' {
		i++
	}
	switch {
	case i < len(s) && s[i] == '0':
		i++
	case i < len(s) && s[i] >= '1' && s[i] <= '9':
		for i < len(s) && isDigit(s[i]) {
			i++
		}
	default:
		return false, false
	}
	integer = true
	if i < len(s) && s[i] == '.' {
		integer = false
		i++
		start := i
		for i < len(s) && isDigit(s[i]) {
			i++
		}
		if i == start {
			return false, false
		}
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		integer = false
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		start := i
		for i < len(s) && isDigit(s[i]) {
			i++
		}
		if i == start {
			return false, false
		}
	}
	return integer, i == len(s)
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

var errInvalidUTF8 = errors.New("string is not valid UTF-8")

const hexDigits = "0123456789abcdef"

// appendString appends s as a JSON string, escaping only what JSON
// requires.
func appendString(dst []byte, s string) ([]byte, error) {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c >= utf8.RuneSelf {
			r, size := utf8.DecodeRuneInString(s[i:])
			if r == utf8.RuneError && size == 1 {
				return dst, errInvalidUTF8
			}
			i += size
			continue
		}
		if c >= 0x20 && c != '"' && c != '\\' {
			i++
			continue
		}
		dst = append(dst, s[start:i]...)
		switch c {
		case '"', '\\':
			dst = append(dst, '\\', c)
		case '\n':
			dst = append(dst, '\\', 'n')
		case '\r':
			dst = append(dst, '\\', 'r')
		case '\t':
			dst = append(dst, '\\', 't')
		case '\b':
			dst = append(dst, '\\', 'b')
		case '\f':
			dst = append(dst, '\\', 'f')
		default:
			dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
		}
		i++
		start = i
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"'), nil
}

// appendArray appends the elements of x, each encoded by appendElem, as a
// JSON array; an error names the index of the element that failed.
func appendArray[T any](dst []byte, x []T, appendElem func([]byte, T) ([]byte, error)) ([]byte, error) {
	dst = append(dst, '[')
	for i, e := range x {
		if i > 0 {
			dst = append(dst, ',')
		}
		var err error
		if dst, err = appendElem(dst, e); err != nil {
			return dst, wrapPath(err, "[%d]: %w", i)
		}
	}
	return append(dst, ']'), nil
}
