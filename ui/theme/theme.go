// Package theme holds every lipgloss style the dashboard uses, created once
// from a single renderer so that View functions never build styles and so that
// NO_COLOR switches the whole screen to one without colour at once (see
// NoColor and WithoutColor).
//
// Colour is never the only carrier of meaning: every state the theme colours
// (good, warn, bad, focus) is also spelled out in words or border shape by the
// code that uses it, so the dashboard reads the same on a monochrome terminal.
package theme

import (
	"strings"

	"github.com/charmbracelet/bubbles/help"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"
	"github.com/muesli/termenv"
)

// Palette colours. Adaptive so the dashboard works on light and dark backgrounds.
var (
	colText    = lipgloss.AdaptiveColor{Light: "235", Dark: "252"}
	colMuted   = lipgloss.AdaptiveColor{Light: "245", Dark: "243"}
	colSubtle  = lipgloss.AdaptiveColor{Light: "250", Dark: "238"}
	colAccent  = lipgloss.AdaptiveColor{Light: "#5A3FC0", Dark: "#9D8CFF"}
	colGood    = lipgloss.AdaptiveColor{Light: "#1E8A3C", Dark: "#5FD787"}
	colWarn    = lipgloss.AdaptiveColor{Light: "#9A6700", Dark: "#F5C542"}
	colBad     = lipgloss.AdaptiveColor{Light: "#C21F3A", Dark: "#FF5F6D"}
	colInfo    = lipgloss.AdaptiveColor{Light: "#0969DA", Dark: "#58B4FF"}
	colSelBg   = lipgloss.AdaptiveColor{Light: "#DDD6FE", Dark: "#3B3363"}
	colHeaderB = lipgloss.AdaptiveColor{Light: "#E9E4FF", Dark: "#262140"}
)

// Theme is the dashboard's style sheet. Build it once with New and share the
// pointer; its fields are read-only after construction.
type Theme struct {
	r       *lipgloss.Renderer
	styled  bool // the renderer emits SGR sequences
	noColor bool // built by NoColor: the output is filtered by WithoutColor

	// Text styles.
	Text, Muted, Subtle, Accent, Bold lipgloss.Style
	// Semantic styles: always pair them with a word ("open", "error", ...).
	Good, Warn, Bad, Info lipgloss.Style
	// Selected is the highlighted row of a list or table.
	Selected lipgloss.Style
	// Key and KeyDesc render key hints ("enter call").
	Key, KeyDesc lipgloss.Style
	// Header is the top status bar; HeaderName its agent name; Badge a
	// reversed word such as PAUSED.
	Header, HeaderName, Badge lipgloss.Style
	// Title and FocusedTitle are pane titles embedded in the frame border.
	Title, FocusedTitle lipgloss.Style
	// Border and FocusedBorder colour pane frames.
	Border, FocusedBorder lipgloss.Style
	// Tab and ActiveTab render the tab bar of the stacked layout.
	Tab, ActiveTab lipgloss.Style
	// Label renders a field label in forms ("rate/s").
	Label lipgloss.Style
	// Overlay is the box of the help overlay and of modal prompts.
	Overlay lipgloss.Style
	// Prompt renders a yes/no confirmation line.
	Prompt lipgloss.Style
	// Error renders an inline error message.
	Error lipgloss.Style
	// Centered centres text in the width its copy is given
	// (t.Centered.Width(w)).
	Centered lipgloss.Style

	help help.Styles
}

// New builds a theme on renderer r (lipgloss.DefaultRenderer() when nil).
// The renderer's colour profile decides whether any colour is emitted.
func New(r *lipgloss.Renderer) *Theme {
	if r == nil {
		r = lipgloss.DefaultRenderer()
	}
	s := r.NewStyle
	t := &Theme{r: r, styled: r.ColorProfile() != termenv.Ascii}

	t.Text = s().Foreground(colText)
	t.Muted = s().Foreground(colMuted)
	t.Subtle = s().Foreground(colSubtle)
	t.Accent = s().Foreground(colAccent)
	t.Bold = s().Bold(true)
	t.Good = s().Foreground(colGood)
	t.Warn = s().Foreground(colWarn)
	t.Bad = s().Foreground(colBad).Bold(true)
	t.Info = s().Foreground(colInfo)
	t.Selected = s().Background(colSelBg).Bold(true)
	t.Key = s().Foreground(colAccent).Bold(true)
	t.KeyDesc = s().Foreground(colMuted)
	t.Header = s().Background(colHeaderB).Foreground(colText)
	t.HeaderName = s().Background(colHeaderB).Foreground(colAccent).Bold(true)
	t.Badge = s().Reverse(true).Bold(true)
	t.Title = s().Foreground(colMuted)
	t.FocusedTitle = s().Foreground(colAccent).Bold(true)
	t.Border = s().Foreground(colSubtle)
	t.FocusedBorder = s().Foreground(colAccent)
	t.Tab = s().Foreground(colMuted).Padding(0, 1)
	t.ActiveTab = s().Foreground(colAccent).Bold(true).Underline(true).Padding(0, 1)
	t.Label = s().Foreground(colMuted)
	t.Overlay = s().Border(lipgloss.RoundedBorder()).BorderForeground(colAccent).Padding(0, 1)
	t.Prompt = s().Foreground(colWarn).Bold(true)
	t.Error = s().Foreground(colBad)
	t.Centered = s().Align(lipgloss.Center)

	t.help = help.Styles{
		Ellipsis:       t.Muted,
		ShortKey:       t.Key,
		ShortDesc:      t.KeyDesc,
		ShortSeparator: t.Subtle,
		FullKey:        t.Key,
		FullDesc:       t.KeyDesc,
		FullSeparator:  t.Subtle,
	}
	return t
}

// Ascii returns a theme that never emits colour or other SGR sequences
// (plain text, as golden tests want).
func Ascii() *Theme {
	r := lipgloss.NewRenderer(nil)
	r.SetColorProfile(termenv.Ascii)
	return New(r)
}

// NoColor returns the theme for NO_COLOR on renderer r
// (lipgloss.DefaultRenderer() when nil), whose profile should be what the
// terminal supports: text attributes (bold, underline, reverse video, which
// draws the text cursor) are kept, colours are not. Its styles are New's,
// so whoever writes the screen must pass every frame through WithoutColor,
// which also removes the colours bubbles components choose by themselves.
// Color reports false, so that code writing raw colour (asciigraph) does
// not.
func NoColor(r *lipgloss.Renderer) *Theme {
	t := New(r)
	t.noColor = true
	return t
}

// Renderer returns the renderer all styles were created on; use it (not the
// lipgloss package functions) for any style a component must build itself.
func (t *Theme) Renderer() *lipgloss.Renderer { return t.r }

// Color reports whether colour is emitted. Code that writes raw ANSI colour
// itself (asciigraph) must check it and stay plain when it is false.
func (t *Theme) Color() bool { return t.styled && !t.noColor }

// Styled reports whether styles emit SGR sequences at all (colour or text
// attributes): code that cuts styled lines must then close what the cut
// left open.
func (t *Theme) Styled() bool { return t.styled }

// HelpStyles returns styles for bubbles/help.
func (t *Theme) HelpStyles() help.Styles { return t.help }

// Frame draws a box of exactly width×height cells around body with title
// set into the top border. The focused frame uses a thick border and a
// bracketed title so that focus is visible without colour. Body lines longer
// than the inner width are truncated and missing lines are padded, so a pane
// can never push the layout out of shape.
//
// The title-in-border line is assembled by hand because lipgloss v1 borders
// cannot carry text.
func (t *Theme) Frame(title, body string, width, height int, focused bool) string {
	if width < 2 || height < 2 {
		return ""
	}
	b, bs, ts := lipgloss.RoundedBorder(), t.Border, t.Title
	if focused {
		b, bs, ts = lipgloss.ThickBorder(), t.FocusedBorder, t.FocusedTitle
		title = "[" + title + "]"
	} else {
		title = " " + title + " "
	}
	inner := width - 2
	title = ansi.Truncate(title, max(inner-2, 0), "…")
	tw := ansi.StringWidth(title)

	var sb strings.Builder
	sb.Grow((width + 2) * height * 2)
	sb.WriteString(bs.Render(b.TopLeft + b.Top))
	sb.WriteString(ts.Render(title))
	sb.WriteString(bs.Render(strings.Repeat(b.Top, max(inner-1-tw, 0)) + b.TopRight))

	left, right := bs.Render(b.Left), bs.Render(b.Right)
	lines := strings.Split(body, "\n")
	for i := range height - 2 {
		sb.WriteByte('\n')
		sb.WriteString(left)
		var line string
		if i < len(lines) {
			line = lines[i]
		}
		sb.WriteString(PadRight(line, inner))
		sb.WriteString(right)
	}
	sb.WriteByte('\n')
	sb.WriteString(bs.Render(b.BottomLeft + strings.Repeat(b.Bottom, inner) + b.BottomRight))
	return sb.String()
}

// PadRight truncates or pads s (which may hold ANSI sequences) to exactly w cells.
func PadRight(s string, w int) string {
	sw := ansi.StringWidth(s)
	switch {
	case sw > w:
		return ansi.Truncate(s, w, "…")
	case sw < w:
		return s + strings.Repeat(" ", w-sw)
	}
	return s
}

// PadLeft truncates or left-pads s to exactly w cells (for right-aligned numbers).
func PadLeft(s string, w int) string {
	sw := ansi.StringWidth(s)
	switch {
	case sw > w:
		return ansi.Truncate(s, w, "…")
	case sw < w:
		return strings.Repeat(" ", w-sw) + s
	}
	return s
}

// Block truncates or pads every line of s to w cells and the block to h lines.
func Block(s string, w, h int) string {
	if w <= 0 || h <= 0 {
		return ""
	}
	lines := strings.SplitN(s, "\n", h+1)
	var sb strings.Builder
	sb.Grow((w + 1) * h)
	for i := range h {
		if i > 0 {
			sb.WriteByte('\n')
		}
		var line string
		if i < len(lines) {
			line = lines[i]
		}
		sb.WriteString(PadRight(line, w))
	}
	return sb.String()
}
