// Package chooser is the list `agentdash attach` shows when several
// agentdash processes run and no target was named: one row per process
// (name, PID, uptime, command, transport); enter attaches to the row
// selected, q or esc leaves without attaching.
package chooser

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/charmbracelet/bubbles/help"
	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/table"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"

	"github.com/agentdash/agentdash/internal/control"
	"github.com/agentdash/agentdash/ui/pane"
	"github.com/agentdash/agentdash/ui/theme"
)

// keyMap is the chooser's own keys; the table moves the selection.
type keyMap struct {
	table         table.KeyMap
	choose, leave key.Binding
}

func (k keyMap) ShortHelp() []key.Binding {
	return []key.Binding{k.table.LineUp, k.table.LineDown, k.choose, k.leave}
}

func (k keyMap) FullHelp() [][]key.Binding { return [][]key.Binding{k.ShortHelp()} }

// Model is the chooser. Create it with New.
type Model struct {
	t      *theme.Theme
	list   []control.Info
	table  table.Model
	keys   keyMap
	help   help.Model
	chosen int // index into list; -1 while none
	done   bool
	// noColor filters the colours out of every frame, as the dashboard
	// does under NO_COLOR.
	noColor bool
}

// New returns the chooser of list, whose uptimes are counted to now.
func New(list []control.Info, t *theme.Theme, now time.Time) *Model {
	km := keyMap{table: table.DefaultKeyMap(),
		choose: key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "attach")),
		leave:  key.NewBinding(key.WithKeys("q", "esc", "ctrl+c"), key.WithHelp("q/esc", "leave"))}
	rows := make([]table.Row, len(list))
	cols := []table.Column{{Title: "NAME", Width: 4}, {Title: "PID", Width: 3}, {Title: "UPTIME", Width: 6},
		{Title: "COMMAND", Width: 7}, {Title: "TRANSPORT", Width: 9}}
	for i, in := range list {
		rows[i] = table.Row{in.Name, strconv.Itoa(in.PID), pane.Uptime(now.Sub(in.Started)), in.Command, in.Transport}
		for j, cell := range rows[i] {
			cols[j].Width = max(cols[j].Width, lipgloss.Width(cell))
		}
	}
	tb := table.New(table.WithColumns(cols), table.WithRows(rows), table.WithFocused(true),
		table.WithHeight(min(len(rows)+1, 15)), table.WithKeyMap(km.table),
		table.WithStyles(table.Styles{Header: t.Bold.Padding(0, 1), Cell: t.Text.Padding(0, 1), Selected: t.Selected}))
	h := help.New()
	h.Styles = t.HelpStyles()
	return &Model{t: t, list: list, table: tb, keys: km, help: h, chosen: -1}
}

// Init implements tea.Model.
func (m *Model) Init() tea.Cmd { return nil }

// Update implements tea.Model.
func (m *Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	if k, ok := msg.(tea.KeyMsg); ok {
		switch {
		case key.Matches(k, m.keys.choose):
			if len(m.list) > 0 {
				m.chosen = m.table.Cursor()
			}
			m.done = true
			return m, tea.Quit
		case key.Matches(k, m.keys.leave):
			m.done = true
			return m, tea.Quit
		}
	}
	if w, ok := msg.(tea.WindowSizeMsg); ok {
		m.help.Width = w.Width
	}
	var cmd tea.Cmd
	m.table, cmd = m.table.Update(msg)
	return m, cmd
}

// View implements tea.Model: nothing once done, so that the dashboard
// starts on a clean line.
func (m *Model) View() string {
	if m.done {
		return ""
	}
	v := m.t.Bold.Render(strconv.Itoa(len(m.list))+" agentdash processes are running; attach to which?") + "\n\n" +
		m.table.View() + "\n\n" + m.help.View(m.keys) + "\n"
	if m.noColor {
		v = theme.WithoutColor(v)
	}
	return v
}

// Chosen returns the process chosen, and false if the user left.
func (m *Model) Chosen() (control.Info, bool) {
	if m.chosen < 0 {
		return control.Info{}, false
	}
	return m.list[m.chosen], true
}

// ErrLeft is Run's error when the user leaves without choosing.
var ErrLeft = errors.New("no process chosen")

// Run shows the chooser on the terminal (in, out) until the user chooses
// or leaves (ErrLeft), or ctx is canceled.
func Run(ctx context.Context, list []control.Info, noColor bool, in io.Reader, out io.Writer) (control.Info, error) {
	t := theme.New(nil)
	if noColor {
		t = theme.NoColor(nil)
	}
	m := New(list, t, time.Now())
	m.noColor = noColor
	p := tea.NewProgram(m, tea.WithContext(ctx), tea.WithInput(in), tea.WithOutput(out), tea.WithoutSignalHandler())
	if _, err := p.Run(); err != nil {
		if ctx.Err() != nil {
			return control.Info{}, ErrLeft
		}
		return control.Info{}, fmt.Errorf("chooser: %w", err)
	}
	chosen, ok := m.Chosen()
	if !ok {
		return control.Info{}, ErrLeft
	}
	return chosen, nil
}
