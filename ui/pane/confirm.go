package pane

import (
	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/agentdash/agentdash/ui/theme"
)

// Confirm is a one-line yes/no prompt for destructive actions ("trip
// breaker uppercase? y/n"). While it is active the owning pane should report
// Capturing() == true and pass key messages to Update first.
//
// "y" or "Y" runs the action; any other key (n, esc, q, ...) cancels, so a
// stray key never confirms.
type Confirm struct {
	prompt string
	onYes  func() tea.Cmd
}

// Ask activates the prompt; onYes runs (and its command is returned) when
// the user answers "y".
func (c *Confirm) Ask(prompt string, onYes func() tea.Cmd) {
	c.prompt, c.onYes = prompt, onYes
}

// confirmKeys are the answers, for the footer.
var confirmKeys = []key.Binding{
	key.NewBinding(key.WithKeys("y"), key.WithHelp("y", "yes")),
	key.NewBinding(key.WithKeys("n", "esc"), key.WithHelp("n/esc", "no")),
}

// ShortHelp returns the answer keys while the prompt is active, else nil.
func (c *Confirm) ShortHelp() []key.Binding {
	if !c.Active() {
		return nil
	}
	return confirmKeys
}

// Active reports whether the prompt is waiting for an answer.
func (c *Confirm) Active() bool { return c.onYes != nil }

// Prompt returns the question being asked, or "" when inactive.
func (c *Confirm) Prompt() string { return c.prompt }

// Cancel dismisses the prompt without running the action.
func (c *Confirm) Cancel() { c.prompt, c.onYes = "", nil }

// Update answers the prompt with msg. It reports whether msg was consumed
// (always, for a key message while active) and returns the action's command
// when the answer was yes.
func (c *Confirm) Update(msg tea.Msg) (tea.Cmd, bool) {
	k, ok := msg.(tea.KeyMsg)
	if !ok || !c.Active() {
		return nil, false
	}
	fn := c.onYes
	c.Cancel()
	if s := k.String(); s == "y" || s == "Y" {
		return fn(), true
	}
	return nil, true
}

// View renders the prompt line, or "" when inactive.
func (c *Confirm) View(t *theme.Theme) string {
	if !c.Active() {
		return ""
	}
	return t.Prompt.Render(c.prompt) + " " + t.Key.Render("y") + t.KeyDesc.Render(" yes  ") +
		t.Key.Render("n/esc") + t.KeyDesc.Render(" no")
}
