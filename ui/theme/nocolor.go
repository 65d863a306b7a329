package theme

import "strings"

// WithoutColor returns s with every colour removed from its SGR ("select
// graphic rendition") sequences: foreground, background and underline
// colours in all their forms (16 colours, 256 colours, RGB). Text
// attributes stay: bold, faint, italic, underline, reverse video and their
// resets. A sequence left with nothing is dropped; every other escape
// sequence and all text are copied unchanged.
//
// This is what NO_COLOR asks for: no colour, while reverse video still
// draws the text cursor of every input and bold still marks keys and
// headings. lipgloss and termenv offer only all or nothing (their Ascii
// profile drops attributes too), and bubbles components pick colours of
// their own, so the dashboard draws as usual and filters the finished frame
// here; written by hand because no library filters SGR parameters.
func WithoutColor(s string) string {
	i := strings.Index(s, "\x1b[")
	if i < 0 {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	for i >= 0 {
		b.WriteString(s[:i])
		s = s[i:]
		// A control sequence: ESC [, parameter bytes (0x30-0x3F),
		// intermediate bytes (0x20-0x2F), one final byte (0x40-0x7E).
		j := 2
		for j < len(s) && s[j] >= 0x30 && s[j] <= 0x3f {
			j++
		}
		params := s[2:j]
		for j < len(s) && s[j] >= 0x20 && s[j] <= 0x2f {
			j++
		}
		if j == len(s) || s[j] < 0x40 || s[j] > 0x7e {
			// Not a complete sequence: copy the introducer as text and go on.
			b.WriteString(s[:2])
			s = s[2:]
		} else {
			if s[j] == 'm' && j == 2+len(params) {
				writeSGR(&b, params)
			} else {
				b.WriteString(s[:j+1])
			}
			s = s[j+1:]
		}
		i = strings.Index(s, "\x1b[")
	}
	b.WriteString(s)
	return b.String()
}

// writeSGR writes the SGR sequence with parameters params, less its colour
// parameters (or nothing, when only colours were set). It walks the
// parameters in place, without splitting them into a slice: a frame holds
// thousands of sequences.
func writeSGR(b *strings.Builder, params string) {
	if params == "" {
		b.WriteString("\x1b[m") // a reset
		return
	}
	kept := 0
	for rest, more := params, true; more; {
		var f string
		f, rest, more = strings.Cut(rest, ";")
		switch c := strings.IndexByte(f, ':'); {
		case c >= 0:
			// A parameter with sub-parameters: "38:2::255:0:0" is a
			// colour, "4:3" (curly underline) is not.
			if !isExtendedColor(f[:c]) {
				kept = keepParam(b, kept, f)
			}
		case isExtendedColor(f):
			// "38;5;N" or "38;2;R;G;B": the colour's own parameters follow.
			if !more {
				break
			}
			var kind string
			kind, rest, more = strings.Cut(rest, ";")
			switch kind {
			case "5":
				rest, more = dropParams(rest, more, 1)
			case "2":
				rest, more = dropParams(rest, more, 3)
			default:
				more = false // malformed: nothing after it can be trusted
			}
		case isColor(f):
		default:
			kept = keepParam(b, kept, f)
		}
	}
	if kept > 0 {
		b.WriteByte('m')
	}
}

// keepParam writes parameter f of an SGR sequence, opening the sequence
// if it is the first (kept of them so far), and returns kept+1.
func keepParam(b *strings.Builder, kept int, f string) int {
	if kept == 0 {
		b.WriteString("\x1b[")
	} else {
		b.WriteByte(';')
	}
	b.WriteString(f)
	return kept + 1
}

// dropParams skips n parameters of rest; more says whether there are any.
func dropParams(rest string, more bool, n int) (string, bool) {
	for ; n > 0 && more; n-- {
		_, rest, more = strings.Cut(rest, ";")
	}
	return rest, more
}

// isExtendedColor reports whether an SGR parameter introduces a 256-colour
// or RGB colour: foreground (38), background (48) or underline (58).
func isExtendedColor(p string) bool { return p == "38" || p == "48" || p == "58" }

// isColor reports whether an SGR parameter sets or resets a colour by
// itself: 30-37 and 90-97 (foreground), 40-47 and 100-107 (background),
// 39, 49 and 59 (the default colours).
func isColor(p string) bool {
	switch len(p) {
	case 2:
		return (p[0] == '3' || p[0] == '4' || p[0] == '9') && p[1] >= '0' && p[1] <= '9' && p != "38" && p != "48" ||
			p == "59"
	case 3:
		return p[0] == '1' && p[1] == '0' && p[2] >= '0' && p[2] <= '7'
	}
	return false
}
