package abilities

import (
	"io"
	"strings"

	"github.com/charmbracelet/bubbles/list"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"

	"github.com/agentdash/agentdash/internal/agent"
	"github.com/agentdash/agentdash/ui/theme"
)

// item adapts an ability to bubbles/list.
type item struct {
	agent.Info
	// matches are the byte positions in Name + " " + Description that the
	// filter query matched, for highlighting.
	matches []int
}

// FilterValue implements list.Item: the name and the description, which
// is also what the pane's filter matches, so "/file" finds read_file by
// what it does too.
func (i item) FilterValue() string { return i.Name + " " + i.Description }

// delegate renders one ability per line: a cursor marker, the name (fuzzy
// matches underlined) and as much of the description as fits.
type delegate struct {
	t               *theme.Theme
	match, selMatch lipgloss.Style
}

func newDelegate(t *theme.Theme) delegate {
	return delegate{t: t, match: t.Accent.Underline(true), selMatch: t.Selected.Underline(true)}
}

// Height is one line per ability.
func (d delegate) Height() int { return 1 }

// Spacing is zero: abilities are listed without blank lines between them.
func (d delegate) Spacing() int { return 0 }

// Update does nothing; the pane handles every key itself.
func (d delegate) Update(tea.Msg, *list.Model) tea.Cmd { return nil }

// Render draws item li at index.
func (d delegate) Render(w io.Writer, m list.Model, index int, li list.Item) {
	it, ok := li.(item)
	if !ok {
		return
	}
	t := d.t
	width := m.Width()
	selected := index == m.Index()

	name := it.Name
	if matches := it.matches; len(matches) > 0 {
		// Only positions inside the name are highlighted.
		var inName []int
		for _, p := range matches {
			if p < len(name) {
				inName = append(inName, p)
			}
		}
		if len(inName) > 0 {
			base, match := t.Text, d.match
			if selected {
				base, match = t.Selected, d.selMatch
			}
			name = lipgloss.StyleRunes(name, inName, match, base)
		}
	}
	var b strings.Builder
	if selected {
		b.WriteString(t.Selected.Render("▸ "))
		if name == it.Name {
			name = t.Selected.Render(name)
		}
	} else {
		b.WriteString("  ")
	}
	b.WriteString(name)
	used := 2 + lipgloss.Width(it.Name)
	if rest := width - used - 2; rest > 4 && it.Description != "" {
		b.WriteString("  ")
		b.WriteString(t.Muted.Render(theme.PadRight(it.Description, rest)))
	}
	_, _ = io.WriteString(w, theme.PadRight(b.String(), width))
}
