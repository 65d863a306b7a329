// Package pane is the contract between the dashboard root (ui/dashboard) and
// its panes (ui/abilities, ui/breakers, ui/cache, ui/training), plus small
// helpers the panes share (confirmation prompt, filter, table, text input,
// number formatting, wrapping, sparkline).
//
// # The contract
//
// A pane is a pointer type implementing Pane. The root owns it for the life of
// the program and talks to it only through these methods and messages:
//
//   - Size: the root calls SetSize with the pane's inner content size (the
//     frame and title are drawn by the root) before the first View and after
//     every resize. View must return at most that many lines of at most that
//     many cells; the root clips anything beyond, but a pane should lay itself
//     out to fit.
//   - Keys: global keys (tab, shift+tab, 1-4, ?, z, p, q, ctrl+c) are taken by
//     the root; every other tea.KeyMsg goes to the focused pane only. While
//     Capturing reports true (a text input or a modal prompt has focus), the
//     root forwards every key except ctrl+c to the pane, so typing "q" or "1"
//     into a field works. Esc should leave the capturing state.
//   - Other messages (ticks, snapshots, results of the pane's own commands,
//     mouse events inside the pane) are delivered to every pane; a pane
//     ignores what it does not know.
//   - Live data: once per frame (Config.FPS) the root sends TickMsg to every
//     pane, and (from ui/dashboard) one agent snapshot. While the user has
//     paused live updates ("p") the root sends neither, so a pane that only
//     refreshes its view on these messages freezes naturally; data keeps
//     being collected by the core meanwhile. A pane whose key changed the
//     agent returns Refresh, and the root sends a fresh snapshot at once.
//   - Background work reaches the UI only as tea.Msgs returned by tea.Cmds.
//     Commands must use Common.Ctx so that quitting cancels them, and must
//     never call Program.Send from a hot path.
//   - View must be cheap and pure: no I/O, no style construction (styles live
//     in ui/theme), and cached output when neither data nor size changed.
//   - Help: ShortHelp is shown in the footer and must contain only bindings
//     that work now (use key.Binding.SetEnabled); FullHelp feeds the "?"
//     overlay, a reference of all the pane's keys: each group is a column
//     that starts with a Heading saying when its keys apply; keys that do
//     not work at the moment are shown dimmed.
//   - Shutdown: if a pane implements Closer, the root calls Close once when
//     the dashboard quits (before the terminal is restored); Close stops
//     everything the pane started (training runs, load generators) and waits
//     for it.
package pane

import (
	"context"
	"time"

	"github.com/charmbracelet/bubbles/help"
	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/agentdash/agentdash/ui/theme"
)

// Pane is one dashboard pane. See the package documentation for the rules.
type Pane interface {
	// Init returns the pane's first command, if any.
	Init() tea.Cmd
	// Update handles one message and returns a command to run, if any.
	Update(msg tea.Msg) tea.Cmd
	// View renders the pane's content at the size last given to SetSize.
	View() string
	// SetSize sets the inner content size in cells.
	SetSize(width, height int)
	// Title is the pane's short name, shown in its frame and in the tab bar.
	Title() string
	// Focus and Blur tell the pane whether it receives keys.
	Focus()
	Blur()
	// Capturing reports whether the pane wants every key (text input or
	// modal prompt active), so the root must not act on global keys.
	Capturing() bool

	help.KeyMap
}

// Closer is implemented by panes that own background work.
type Closer interface {
	// Close stops the pane's background work and waits for it. It is
	// called once, when the dashboard quits.
	Close()
}

// Common is what the root gives every pane at construction.
type Common struct {
	// Ctx is canceled when the dashboard quits. Every command that does
	// background work (an ability call, a training run) must use it.
	Ctx context.Context
	// Theme holds every style; panes never create lipgloss styles in View.
	Theme *theme.Theme
}

// TickMsg is sent by the root to every pane once per frame, unless live
// updates are paused.
type TickMsg struct {
	// Now is the time the frame was taken (the agent's clock, so tests are
	// deterministic).
	Now time.Time
}

// StatusMsg asks the root to show a short transient message in the footer,
// e.g. "breaker uppercase reset". Return it from a command:
//
//	return func() tea.Msg { return pane.StatusMsg{Text: "saved"} }
type StatusMsg struct {
	Text string
	// Err marks the message as an error (shown in the error style).
	Err bool
}

// RefreshMsg asks the root for a fresh agent snapshot at once, even while
// live updates are paused: a pane returns it (see Refresh) after the user
// changed something (reset a breaker, called an ability), so the effect
// shows instead of the paused, now stale, state.
type RefreshMsg struct{}

// Refresh is a command that emits RefreshMsg.
func Refresh() tea.Msg { return RefreshMsg{} }

// Status returns a command that emits a StatusMsg.
func Status(text string, isErr bool) tea.Cmd {
	return func() tea.Msg { return StatusMsg{Text: text, Err: isErr} }
}

// Heading returns a pseudo-binding that titles a FullHelp group ("filter",
// "editing a field"). It has no keys, so it never matches a key and
// bubbles/help skips it.
func Heading(title string) key.Binding { return key.NewBinding(key.WithHelp("", title)) }

// IsHeading reports whether b was made by Heading.
func IsHeading(b key.Binding) bool {
	return len(b.Keys()) == 0 && b.Help().Key == "" && b.Help().Desc != ""
}
