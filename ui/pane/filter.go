package pane

import (
	"github.com/charmbracelet/bubbles/cursor"
	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/textinput"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/agentdash/agentdash/ui/theme"
)

// Filter is the "/" filter of a table pane: "/" starts typing, the rows
// narrow as the user types, enter keeps the filter, esc clears it (while
// typing, or afterwards). While Typing reports true the owning pane should
// report Capturing() == true.
type Filter struct {
	t      *theme.Theme
	input  textinput.Model
	typing bool

	start, accept, clear key.Binding
}

// NewFilter returns an empty filter.
func NewFilter(t *theme.Theme) *Filter {
	in := textinput.New()
	in.Prompt = "/"
	in.PromptStyle = t.Key
	in.TextStyle = t.Text
	in.CharLimit = 64
	in.Cursor.SetMode(cursor.CursorStatic)
	f := &Filter{
		t:      t,
		input:  in,
		start:  key.NewBinding(key.WithKeys("/"), key.WithHelp("/", "filter")),
		accept: key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "apply filter")),
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
// idle, every key while typing, esc while a filter is applied.
func (f *Filter) Update(msg tea.KeyMsg) bool {
	defer f.sync()
	if f.typing {
		switch {
		case key.Matches(msg, f.accept):
			f.Stop()
		case key.Matches(msg, f.clear):
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
		f.input.Focus()
		f.input.CursorEnd()
		return true
	case key.Matches(msg, f.clear) && f.input.Value() != "":
		f.input.SetValue("")
		return true
	}
	return false
}

func (f *Filter) sync() {
	f.start.SetEnabled(!f.typing)
	f.accept.SetEnabled(f.typing)
	f.clear.SetEnabled(f.typing || f.input.Value() != "")
}

// ShortHelp returns the filter's keys that work now.
func (f *Filter) ShortHelp() []key.Binding {
	if f.typing {
		return []key.Binding{f.accept, f.clear}
	}
	return []key.Binding{f.start, f.clear}
}

// View renders the filter line ("/text"), or "" when no filter is active.
func (f *Filter) View() string {
	if !f.typing {
		if v := f.input.Value(); v != "" {
			return f.t.Key.Render("/") + f.t.Text.Render(v) + f.t.Muted.Render("  (esc clears)")
		}
		return ""
	}
	return f.input.View()
}
