package dataset

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"strconv"
)

// pow10 holds the powers of ten that float64 represents exactly.
var pow10 = [...]float64{
	1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10,
	1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
}

// Errors a CSV field can have, wrapped by [ParseError] so callers can test
// for them with errors.Is.
var (
	ErrNotNumber = errors.New("not a number")
	ErrNotFinite = errors.New("NaN and infinite values are not allowed")
	ErrRange     = errors.New("out of range for float64")
	ErrEmpty     = errors.New("empty field")
)

// isSpace reports whether c is blank space allowed around a field.
func isSpace(c byte) bool { return c == ' ' || c == '\t' }

// parseField parses the numeric field that starts at line[i] and ends at the
// next comma or the end of the line, allowing blanks around the number. It
// returns the value and the index of the comma (or len(line)).
//
// Simple decimals (the shape [sign] digits [. digits] [e [sign] digits] with
// at most 19 significant digits) take an exact fast path: when the digits
// form an integer m < 2^53 and the decimal exponent e satisfies |e| <= 22,
// both m and 10^|e| are exact float64 values, so the single IEEE
// multiplication or division m*10^e rounds correctly, giving the same bits
// as strconv.ParseFloat (Clinger's fast path). Anything else, including
// every malformed field, goes to strconv.ParseFloat, which also decides the
// error. strconv has no entry point that parses a prefix of a byte slice,
// which is why the fast path is written here.
func parseField(line []byte, i int) (v float64, end int, err error) {
	n := len(line)
	start := i
	for i < n && isSpace(line[i]) {
		i++
	}
	neg := false
	if i < n && (line[i] == '-' || line[i] == '+') {
		neg = line[i] == '-'
		i++
	}
	var mant uint64
	nd, exp := 0, 0 // significant digits, decimal exponent
	digits := false
	for ; i < n; i++ {
		c := line[i] - '0'
		if c > 9 {
			break
		}
		digits = true
		if mant != 0 || c != 0 {
			mant = mant*10 + uint64(c)
			nd++
		}
	}
	if i < n && line[i] == '.' {
		for i++; i < n; i++ {
			c := line[i] - '0'
			if c > 9 {
				break
			}
			digits = true
			if mant != 0 || c != 0 {
				mant = mant*10 + uint64(c)
				nd++
			}
			exp--
		}
	}
	if !digits || nd > 19 {
		return parseSlow(line, start)
	}
	if i < n && (line[i] == 'e' || line[i] == 'E') {
		i++
		eneg := false
		if i < n && (line[i] == '-' || line[i] == '+') {
			eneg = line[i] == '-'
			i++
		}
		e, edigits := 0, false
		for ; i < n; i++ {
			c := line[i] - '0'
			if c > 9 {
				break
			}
			edigits = true
			if e < 10000 {
				e = e*10 + int(c)
			}
		}
		if !edigits {
			return parseSlow(line, start)
		}
		if eneg {
			e = -e
		}
		exp += e
	}
	for i < n && isSpace(line[i]) {
		i++
	}
	if i < n && line[i] != ',' {
		return parseSlow(line, start)
	}
	switch {
	case mant == 0:
		v = 0
	case mant < 1<<53 && exp >= 0 && exp <= 22:
		v = float64(mant) * pow10[exp]
	case mant < 1<<53 && exp < 0 && exp >= -22:
		v = float64(mant) / pow10[-exp]
	default:
		return parseSlow(line, start)
	}
	if neg {
		v = -v
	}
	return v, i, nil
}

// parseSlow parses the field starting at line[start] with strconv.ParseFloat,
// or with parseQuoted when the field is quoted.
func parseSlow(line []byte, start int) (float64, int, error) {
	if q := skipBlanks(line, start); q < len(line) && line[q] == '"' {
		return parseQuoted(line, q)
	}
	end := len(line)
	if k := bytes.IndexByte(line[start:], ','); k >= 0 {
		end = start + k
	}
	field := bytes.Trim(line[start:end], " \t")
	if len(field) == 0 {
		return 0, end, ErrEmpty
	}
	// The conversion does not allocate for short fields: ParseFloat does not
	// retain its argument.
	v, err := strconv.ParseFloat(string(field), 64)
	switch {
	case errors.Is(err, strconv.ErrRange):
		return 0, end, fmt.Errorf("%s is %w", quote(field), ErrRange)
	case err != nil:
		return 0, end, fmt.Errorf("%s is %w", quote(field), ErrNotNumber)
	case math.IsNaN(v) || math.IsInf(v, 0):
		return 0, end, fmt.Errorf("%s: %w", quote(field), ErrNotFinite)
	}
	return v, end, nil
}

// quote returns field quoted for an error message, shortened if long.
func quote(field []byte) string {
	const maxLen = 40
	if len(field) > maxLen {
		return strconv.Quote(string(field[:maxLen])) + "..."
	}
	return strconv.Quote(string(field))
}

// parseQuoted parses the quoted field whose opening quote is line[q]: as
// RFC 4180 has it, the text between the quotes is the field, so a quoted
// number is a number. It returns the value and the index of the comma
// after the field (or len(line)).
func parseQuoted(line []byte, q int) (float64, int, error) {
	closing, end, err := quotedEnd(line, q)
	if err != nil {
		return 0, end, err
	}
	text := bytes.Trim(line[q+1:closing], " \t")
	if bytes.IndexByte(text, ',') >= 0 {
		return 0, end, fmt.Errorf("%s is %w%s", quote(text), ErrNotNumber, commaHint(text))
	}
	if bytes.IndexByte(text, '"') >= 0 {
		return 0, end, fmt.Errorf("%s is %w", quote(text), ErrNotNumber)
	}
	v, _, err := parseField(text, 0) // text has no comma: parseField reads all of it
	return v, end, err
}

// commaHint explains a comma in a quoted number: a decimal comma, as some
// locales write numbers, or thousands separators. It is "" when the text
// is not a number either way.
func commaHint(text []byte) string {
	digits := text
	if len(digits) > 0 && (digits[0] == '-' || digits[0] == '+') {
		digits = digits[1:]
	}
	grouped := thousands(digits)
	var dot []byte
	if bytes.Count(text, []byte{','}) == 1 {
		dot = bytes.Replace(text, []byte{','}, []byte{'.'}, 1)
		if _, err := strconv.ParseFloat(string(dot), 64); err != nil {
			dot = nil
		}
	}
	bare := bytes.ReplaceAll(text, []byte{','}, nil)
	switch {
	case dot != nil && grouped:
		return fmt.Sprintf(": it looks like a decimal comma or a thousands separator; write %s or %s", dot, bare)
	case dot != nil:
		return fmt.Sprintf(": it looks like a decimal comma; use a dot: %s", dot)
	case grouped:
		return fmt.Sprintf(": it looks like it has thousands separators; write %s", bare)
	}
	return ""
}

// thousands reports whether digits groups its integer part by threes with
// commas (1,234 or 12,345,678.5) and is a number without them.
func thousands(digits []byte) bool {
	intPart, frac, _ := bytes.Cut(digits, []byte{'.'})
	groups := bytes.Split(intPart, []byte{','})
	if bytes.IndexByte(frac, ',') >= 0 {
		return false
	}
	if len(groups) < 2 || len(groups[0]) == 0 || len(groups[0]) > 3 {
		return false
	}
	for i, g := range groups {
		if i > 0 && len(g) != 3 {
			return false
		}
		for _, c := range g {
			if c < '0' || c > '9' {
				return false
			}
		}
	}
	_, err := strconv.ParseFloat(string(bytes.ReplaceAll(digits, []byte{','}, nil)), 64)
	return err == nil
}

// skipBlanks returns the index of the first byte at or after i that is not
// a blank.
func skipBlanks(line []byte, i int) int {
	for i < len(line) && isSpace(line[i]) {
		i++
	}
	return i
}
