package pane

import (
	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/textinput"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/agentdash/agentdash/ui/theme"
)

// Filter is the "/" filter every filterable pane shares, so that filtering
// looks and works the same everywhere:
//
//   - "/" starts a fresh query (as in k9s and lazygit); the rows narrow as
//     the user types.
//   - enter keeps the query, even one that matches nothing: the pane then
//     shows an empty list and says so, and nothing is selected (so a
//     following enter can never act on a row the user cannot see).
//   - esc while typing cancels the filter; esc afterwards clears it.
//
// While Typing reports true the owning pane should report Capturing() ==
// true and send it every key.
type Filter struct {
	t      *theme.Theme
	input  textinput.Model
	typing bool

	start, accept, cancel, clear key.Binding
}

// NewFilter returns an empty filter.
func NewFilter(t *theme.Theme) *Filter {
	in := NewInput(t, 64)
	in.Prompt = "/"
	in.PromptStyle = t.Key
	f := &Filter{
		t:      t,
		input:  in,
		start:  key.NewBinding(key.WithKeys("/"), key.WithHelp("/", "filter")),
		accept: key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "apply filter")),
		cancel: key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "cancel filter")),
		clear:  key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "clear filter")),
	}
	f.sync()
	return f
}

// Typing reports whether the filter input has the keyboard.
func (f *Filter) Typing() bool { return f.typing }

// Value returns the filter text.
func (f *Filter) Value() string { return f.input.Value() }

// Active reports whether a filter is being typed or applied.
func (f *Filter) Active() bool { return f.typing || f.input.Value() != "" }

// Stop leaves typing mode, keeping the text (used when the pane loses focus).
func (f *Filter) Stop() {
	f.typing = false
	f.input.Blur()
	f.sync()
}

// Update handles a key and reports whether it was the filter's: "/" when
// idle, every key while typing, esc while a filter is applied. The owner
// re-filters its rows when Value changed.
func (f *Filter) Update(msg tea.KeyMsg) bool {
	defer f.sync()
	if f.typing {
		switch {
		case key.Matches(msg, f.accept):
			f.Stop()
		case key.Matches(msg, f.cancel):
			f.input.SetValue("")
			f.Stop()
		default:
			f.input, _ = f.input.Update(msg)
		}
		return true
	}
	switch {
	case key.Matches(msg, f.start):
		f.typing = true
		f.input.SetValue("") // a fresh query, not an edit of the last one
		f.input.Focus()
		return true
	case key.Matches(msg, f.clear):
		f.input.SetValue("")
		return true
	}
	return false
}

func (f *Filter) sync() {
	f.start.SetEnabled(!f.typing)
	f.accept.SetEnabled(f.typing)
	f.cancel.SetEnabled(f.typing)
	f.clear.SetEnabled(!f.typing && f.input.Value() != "")
}

// ShortHelp returns the filter's keys that work now: "enter apply filter •
// esc cancel filter" while typing, else "/ filter" and, when a filter is
// applied, "esc clear filter".
func (f *Filter) ShortHelp() []key.Binding {
	if f.typing {
		return []key.Binding{f.accept, f.cancel}
	}
	return []key.Binding{f.start, f.clear}
}

// FullHelp returns every filter key under a heading, for the help overlay.
func (f *Filter) FullHelp() []key.Binding {
	return []key.Binding{Heading("filter"), f.start, f.accept, f.cancel, f.clear}
}

// View renders the filter line: the input while typing ("/text"), the
// applied filter with a reminder that esc clears it, or "" when no filter
// is active.
func (f *Filter) View() string {
	if !f.typing {
		if v := f.input.Value(); v != "" {
			return f.t.Key.Render("/") + f.t.Text.Render(v) + f.t.Muted.Render("  (esc clears)")
		}
		return ""
	}
	return f.input.View()
}
