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

// parseSlow parses the field starting at line[start] with strconv.ParseFloat.
func parseSlow(line []byte, start int) (float64, int, error) {
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
	case err != nil && field[0] == '"':
		return 0, end, fmt.Errorf("%s is %w (numbers must be written without quotes)", quote(field), ErrNotNumber)
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
