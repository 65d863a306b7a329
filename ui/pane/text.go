package pane

import (
	"strings"

	"github.com/charmbracelet/bubbles/cursor"
	"github.com/charmbracelet/bubbles/textinput"
	"github.com/charmbracelet/x/ansi"

	"github.com/agentdash/agentdash/ui/theme"
)

// WrapWords word-wraps s (which may hold ANSI sequences) to w cells and
// keeps at most n lines, n ≥ 1; when text is left over, the last line ends
// in " …" after its last whole word, so a cut never splits a word.
func WrapWords(s string, w, n int) []string {
	lines := strings.Split(ansi.Wrap(s, w, ""), "\n")
	if len(lines) > n {
		lines = lines[:n]
		last := lines[n-1]
		cut := max(w-2, 0)
		if plain := ansi.Strip(last); ansi.StringWidth(plain) > cut {
			if i := strings.LastIndexByte(ansi.Truncate(plain, cut+1, ""), ' '); i > 0 {
				cut = ansi.StringWidth(plain[:i])
			}
		}
		lines[n-1] = ansi.Truncate(last, cut, "") + " …"
	}
	return lines
}

// WrapCut word-wraps s to w cells (words longer than w are broken) and
// keeps at most n lines, the last one cut to end in "…" when text was left
// over; it reports whether text was left over. It is for text where every
// cell counts (a call's result), not for sentences (see WrapWords).
func WrapCut(s string, w, n int) ([]string, bool) {
	if n <= 0 || w <= 0 {
		return nil, s != ""
	}
	lines := strings.Split(ansi.Wrap(s, w, ""), "\n")
	if len(lines) <= n {
		return lines, false
	}
	lines = lines[:n]
	lines[n-1] = ansi.Truncate(lines[n-1], w-1, "") + "…"
	return lines, true
}

// JoinColumns sets two blocks of at least h lines side by side, h lines
// of left, sep and right; the blocks are expected padded to their widths
// (theme.Block).
func JoinColumns(left, sep, right string, h int) string {
	l, r := strings.SplitN(left, "\n", h+1), strings.SplitN(right, "\n", h+1)
	var sb strings.Builder
	sb.Grow(len(left) + len(right) + (len(sep)+1)*h)
	for i := range h {
		if i > 0 {
			sb.WriteByte('\n')
		}
		sb.WriteString(l[i])
		sb.WriteString(sep)
		sb.WriteString(r[i])
	}
	return sb.String()
}

// NewInput returns a one-line text input in the theme's styles, without a
// prompt, holding at most limit characters. Its cursor does not blink: a
// blinking one re-renders the screen twice a second for nothing.
func NewInput(t *theme.Theme, limit int) textinput.Model {
	in := textinput.New()
	in.Prompt = ""
	in.CharLimit = limit
	in.TextStyle = t.Text
	in.PlaceholderStyle = t.Muted
	in.Cursor.SetMode(cursor.CursorStatic)
	return in
}
