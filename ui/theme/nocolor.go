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
// parameters.
func writeSGR(b *strings.Builder, params string) {
	if params == "" {
		b.WriteString("\x1b[m") // a reset
		return
	}
	var kept [16]string
	keep := kept[:0]
	fields := strings.Split(params, ";")
	for k := 0; k < len(fields); k++ {
		f := fields[k]
		if c := strings.IndexByte(f, ':'); c >= 0 {
			// A parameter with sub-parameters: "38:2::255:0:0" is a
			// colour, "4:3" (curly underline) is not.
			if !isExtendedColor(f[:c]) {
				keep = append(keep, f)
			}
			continue
		}
		switch {
		case isExtendedColor(f):
			// "38;5;N" or "38;2;R;G;B": the colour's own parameters follow.
			if k+1 < len(fields) {
				switch fields[k+1] {
				case "5":
					k += 2
				case "2":
					k += 4
				default:
					k = len(fields) // malformed: nothing after it can be trusted
				}
			}
		case isColor(f):
		default:
			keep = append(keep, f)
		}
	}
	if len(keep) == 0 {
		return
	}
	b.WriteString("\x1b[")
	for k, f := range keep {
		if k > 0 {
			b.WriteByte(';')
		}
		b.WriteString(f)
	}
	b.WriteByte('m')
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
