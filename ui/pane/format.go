package pane

import (
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Duration formats d compactly for tables: "0s", "420ns", "850µs", "12.3ms",
// "250ms", "1.25s", "10s", "12.5s", "2m03s", "5m", "1h02m". Negative
// durations format as "0s".
func Duration(d time.Duration) string {
	switch {
	case d <= 0:
		return "0s"
	case d < time.Microsecond:
		return strconv.FormatInt(d.Nanoseconds(), 10) + "ns"
	case d < time.Millisecond:
		return strconv.FormatInt(d.Microseconds(), 10) + "µs"
	case d < 100*time.Millisecond:
		return strconv.FormatFloat(math.Round(float64(d)/float64(time.Millisecond)*10)/10, 'f', -1, 64) + "ms"
	case d < time.Second:
		return strconv.FormatInt(d.Milliseconds(), 10) + "ms"
	case d < 10*time.Second:
		return strconv.FormatFloat(math.Round(d.Seconds()*100)/100, 'f', -1, 64) + "s"
	case d < time.Minute:
		return strconv.FormatFloat(math.Round(d.Seconds()*10)/10, 'f', -1, 64) + "s"
	case d < time.Hour:
		m, s := int(d/time.Minute), int(d%time.Minute/time.Second)
		if s == 0 {
			return strconv.Itoa(m) + "m"
		}
		return strconv.Itoa(m) + "m" + twoDigits(s) + "s"
	default:
		h, m := int(d/time.Hour), int(d%time.Hour/time.Minute)
		if m == 0 {
			return strconv.Itoa(h) + "h"
		}
		return strconv.Itoa(h) + "h" + twoDigits(m) + "m"
	}
}

// Uptime formats an elapsed wall time as "12s", "3m04s", "2h05m07s".
func Uptime(d time.Duration) string {
	d = d.Truncate(time.Second)
	h, m, s := int(d/time.Hour), int(d%time.Hour/time.Minute), int(d%time.Minute/time.Second)
	switch {
	case h > 0:
		return strconv.Itoa(h) + "h" + twoDigits(m) + "m" + twoDigits(s) + "s"
	case m > 0:
		return strconv.Itoa(m) + "m" + twoDigits(s) + "s"
	}
	return strconv.Itoa(s) + "s"
}

func twoDigits(n int) string {
	if n < 10 {
		return "0" + strconv.Itoa(n)
	}
	return strconv.Itoa(n)
}

// Count formats a counter compactly: "999", "1.2k", "12k", "3.4M", "5.6G".
func Count(n uint64) string {
	switch {
	case n < 1000:
		return strconv.FormatUint(n, 10)
	case n < 1_000_000:
		return compact(float64(n)/1e3) + "k"
	case n < 1_000_000_000:
		return compact(float64(n)/1e6) + "M"
	}
	return compact(float64(n)/1e9) + "G"
}

func compact(v float64) string {
	if v < 10 {
		return strconv.FormatFloat(math.Floor(v*10)/10, 'f', 1, 64)
	}
	return strconv.FormatFloat(math.Floor(v), 'f', 0, 64)
}

// Plural returns "1 call" or "n calls": n followed by Word's choice.
func Plural(n int, singular, plural string) string {
	return strconv.Itoa(n) + " " + Word(n, singular, plural)
}

// Word returns singular when n is 1, else plural: the noun after a count
// formatted otherwise ("1.2k calls").
func Word[N int | uint64](n N, singular, plural string) string {
	if n == 1 {
		return singular
	}
	return plural
}

// MoreRows says how many rows are out of view above and below, for the
// line under a list cut to fit: "↑ 2 more rows · ↓ 1 more row", or "" when
// every row is shown.
func MoreRows(above, below int) string {
	var parts []string
	if above > 0 {
		parts = append(parts, "↑ "+Plural(above, "more row", "more rows"))
	}
	if below > 0 {
		parts = append(parts, "↓ "+Plural(below, "more row", "more rows"))
	}
	return strings.Join(parts, " · ")
}

// Rate formats a per-second rate: "0", "0.4", "12.5", "340", "1.2k".
func Rate(r float64) string {
	switch {
	case math.IsNaN(r) || r <= 0:
		return "0"
	case r < 100:
		return strconv.FormatFloat(r, 'f', 1, 64)
	case r < 1000:
		return strconv.FormatFloat(r, 'f', 0, 64)
	}
	return Count(uint64(r))
}

// Percent formats a ratio in [0,1] as "42%" (or "–" when undefined).
func Percent(f float64) string {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return "–"
	}
	return strconv.FormatFloat(f*100, 'f', 0, 64) + "%"
}

// sparkRunes are the eight block heights of a sparkline, lowest first.
var sparkRunes = [...]rune{'▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'}

// Sparkline renders values as a one-line bar chart exactly width cells wide,
// scaled so the largest value is a full block. A series longer than width is
// bucketed (the mean of each column's samples, so no spike is dropped by
// sampling, and the newest sample lands in the last column); a shorter one is
// right-aligned so time always flows to the right edge. Zero, negative and
// NaN values render as a space.
//
// Hand-written because asciigraph draws multi-line plots with axes; a single
// block-rune line is a few lines of code.
func Sparkline(values []float64, width int) string {
	if width <= 0 {
		return ""
	}
	var sb strings.Builder
	sb.Grow(width * utf8.UTFMax)
	n := len(values)
	cols := min(n, width)
	for range width - cols {
		sb.WriteByte(' ')
	}
	if cols == 0 {
		return sb.String()
	}
	// column i covers values[i*n/cols : (i+1)*n/cols]
	var stackBuf [256]float64
	col := stackBuf[:0]
	peak := 0.0
	for i := range cols {
		lo, hi := i*n/cols, (i+1)*n/cols
		sum, cnt := 0.0, 0
		for _, v := range values[lo:hi] {
			if !math.IsNaN(v) && !math.IsInf(v, 0) {
				sum += v
				cnt++
			}
		}
		m := 0.0
		if cnt > 0 {
			m = sum / float64(cnt)
		}
		col = append(col, m)
		peak = max(peak, m)
	}
	for _, v := range col {
		if v <= 0 || peak <= 0 {
			sb.WriteByte(' ')
			continue
		}
		lvl := int(math.Ceil(v/peak*float64(len(sparkRunes)))) - 1
		sb.WriteRune(sparkRunes[max(0, min(lvl, len(sparkRunes)-1))])
	}
	return sb.String()
}
