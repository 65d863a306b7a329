// Package dashboard is the root of the agentdash terminal UI: it owns the
// panes (Abilities, Breakers, Cache & latency, Training), focus, layout,
// header, footer and help overlay, takes one agent snapshot per frame and
// broadcasts it to the panes, and runs the Bubble Tea program (Run).
package dashboard

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/help"
	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/agentdash/agentdash/internal/agent"
	"github.com/agentdash/agentdash/internal/control"
	"github.com/agentdash/agentdash/internal/train"
	"github.com/agentdash/agentdash/internal/upstream"
	"github.com/agentdash/agentdash/ui/abilities"
	"github.com/agentdash/agentdash/ui/breakers"
	"github.com/agentdash/agentdash/ui/cache"
	"github.com/agentdash/agentdash/ui/pane"
	"github.com/agentdash/agentdash/ui/theme"
	"github.com/agentdash/agentdash/ui/training"
)

// DefaultFPS is the frame (snapshot) rate used when Config.FPS is zero.
const DefaultFPS = 15

// statusFor is how long a footer status message stays visible.
const statusFor = 4 * time.Second

const numPanes = 4

// Config configures the dashboard.
type Config struct {
	// Agent is the agent whose abilities are shown and called, in this
	// process (control.NewLocal) or another one (a control.Client): the
	// panes cannot tell. Required.
	Agent control.Backend
	// Train prefills the training form.
	Train train.Config
	// MetricsAddr is the address of a running Prometheus exporter, shown in
	// the header; "" means the exporter is off.
	MetricsAddr string
	// MCPAddr is the URL of an MCP server running beside the dashboard,
	// shown in the header; "" means none.
	MCPAddr string
	// FPS is the number of frames (agent snapshots) per second; 0 means
	// DefaultFPS. The terminal renderer is capped at the same rate.
	FPS int
	// NoColor turns colour off, as NO_COLOR asks: text attributes such as
	// bold and the reverse-video text cursor stay.
	NoColor bool
	// OnAbort, if set, is called by Run with a function that restores the
	// terminal at once, for a process about to end without waiting for Run
	// (see Run); Run calls the function OnAbort returns when it is done.
	OnAbort func(restore func()) (remove func())
	// OnStatus, if set, is called by Run with a function that shows a
	// status message in the footer (a configuration reloaded, or why it
	// was not: that error stays in the footer, under newer messages, until
	// a reload succeeds), safe to call from any goroutine while Run runs; Run calls
	// the function OnStatus returns when it is done, and show does nothing
	// afterwards.
	OnStatus func(show func(text string, isErr bool)) (remove func())
	// Callers, when true, lists in the Abilities pane's history the calls
	// that name their caller (agent.WithCaller): those of the clients of a
	// server the process runs beside the dashboard, an MCP client of
	// --mcp-http say, with who made them.
	Callers bool
	// Reload, if set, applies the configuration file again: the f5 key
	// calls it (while Settings, if set, names a file), off the event loop (its outcome comes back as a status
	// message, through OnStatus).
	Reload func()
	// Settings, if set, is the configuration the Breakers pane's settings
	// form edits (e) and writes (w).
	Settings breakers.Settings
	// Upstreams, if set, returns the state of the MCP servers whose tools
	// the agent proxies: the header counts those up, and the u key shows
	// them.
	Upstreams func() []upstream.Status
}

// ErrNoAgent is returned by Run when Config.Agent is nil.
var ErrNoAgent = errors.New("dashboard: Config.Agent is nil")

// Model is the root tea.Model. Create it with New; it is used through a
// pointer and must be closed with Close when it is not run by Run.
type Model struct {
	cfg    Config
	ctx    context.Context
	cancel context.CancelFunc
	theme  *theme.Theme
	keys   keyMap
	help   help.Model

	panes    [numPanes]pane.Pane
	sizes    [numPanes][2]int
	focus    int
	zoom     bool
	paused   bool
	showHelp bool
	// showUpstreams shows the MCP servers' overlay; ups is their state at
	// the last frame.
	showUpstreams bool
	ups           []upstream.Status
	helpTop       int // first line of the help overlay's key list shown (it scrolls when taller than the screen)
	closed        bool
	quitting      bool // the last frame is being drawn: it is blank (see View)

	width, height int
	layout        layout
	frameCache    [numPanes]frameCache

	interval time.Duration
	tickID   int
	snap     agent.Snapshot
	health   error // the agent out of reach (an attached dashboard): shown in the header

	status      string
	statusErr   bool
	statusTicks int // frames left before the status message is cleared
	// reloadErr is why the configuration file was last not applied, until
	// a reload succeeds: the running configuration is not the file's, which
	// the footer keeps saying whenever no newer message shows.
	reloadErr string
}

// tickMsg drives the frame loop; id drops ticks from a superseded loop.
type tickMsg struct{ id int }

// reloadMsg is the outcome of a reload of the configuration file (see
// Config.OnStatus).
type reloadMsg struct {
	text  string
	isErr bool
}

// New returns the root model for cfg, drawing with the default lipgloss
// renderer, or in plain text (no SGR sequence at all) when cfg.NoColor.
// cfg.Agent must not be nil. It is
// exported for tests and embedding; most callers want Run. Whoever creates
// the model must call Close when done with it.
func New(cfg Config) *Model {
	th := theme.New(nil)
	if cfg.NoColor {
		th = theme.Ascii()
	}
	return newModel(context.Background(), cfg, th)
}

func newModel(ctx context.Context, cfg Config, th *theme.Theme) *Model {
	if cfg.FPS <= 0 {
		cfg.FPS = DefaultFPS
	}
	ctx, cancel := context.WithCancel(ctx)
	m := &Model{
		cfg:      cfg,
		ctx:      ctx,
		cancel:   cancel,
		theme:    th,
		keys:     newKeyMap(),
		help:     help.New(),
		interval: time.Second / time.Duration(cfg.FPS),
	}
	m.help.Styles = th.HelpStyles()
	m.keys.Reload.SetEnabled(m.canReload())
	m.keys.Upstreams.SetEnabled(cfg.Upstreams != nil)
	if cfg.Upstreams != nil {
		m.ups = cfg.Upstreams()
	}
	c := pane.Common{Ctx: ctx, Theme: th}
	m.panes = [numPanes]pane.Pane{
		abilities.New(c, cfg.Agent),
		breakers.New(c, cfg.Agent, cfg.Settings),
		cache.New(c, cfg.Agent),
		training.New(c, cfg.Train),
	}
	m.panes[0].Focus()
	m.snap = cfg.Agent.Snapshot()
	m.health = cfg.Agent.Health()
	return m
}

// Init starts the frame loop and the panes.
func (m *Model) Init() tea.Cmd {
	cmds := []tea.Cmd{m.tick()}
	for _, p := range m.panes {
		cmds = append(cmds, p.Init())
	}
	// Give every pane the first snapshot before the first frame.
	cmds = append(cmds, m.broadcastCmd())
	return tea.Batch(cmds...)
}

func (m *Model) tick() tea.Cmd {
	id := m.tickID
	return tea.Tick(m.interval, func(time.Time) tea.Msg { return tickMsg{id: id} })
}

func (m *Model) broadcastCmd() tea.Cmd {
	snap := m.snap
	return func() tea.Msg { return pane.SnapshotMsg{Snap: snap} }
}

// Close cancels every command started by the dashboard and stops the panes'
// background work (training runs, load generators). It is idempotent.
func (m *Model) Close() {
	if m.closed {
		return
	}
	m.closed = true
	m.cancel()
	for _, p := range m.panes {
		if c, ok := p.(pane.Closer); ok {
			c.Close()
		}
	}
}

// Update handles one message.
func (m *Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.width, m.height = msg.Width, msg.Height
		m.relayout()
		return m, nil

	case tickMsg:
		if msg.id != m.tickID {
			return m, nil
		}
		if m.statusTicks > 0 {
			if m.statusTicks--; m.statusTicks == 0 {
				m.status = ""
			}
		}
		return m, tea.Batch(m.tick(), m.frame())

	case pane.SnapshotMsg:
		m.snap = msg.Snap
		return m, m.broadcast(msg)

	case pane.RefreshMsg:
		// Also while paused: the user's own action must show.
		m.snap = m.cfg.Agent.Snapshot()
		return m, m.broadcast(pane.SnapshotMsg{Snap: m.snap})

	case pane.StatusMsg:
		m.setStatus(msg.Text, msg.Err)
		return m, nil

	case reloadMsg:
		m.setStatus(msg.text, msg.isErr)
		m.reloadErr = ""
		if msg.isErr {
			m.reloadErr = msg.text
		}
		return m, nil

	case quitMsg:
		return m, m.quit()

	case tea.KeyMsg:
		return m, m.handleKey(msg)

	case tea.MouseMsg:
		return m, m.handleMouse(msg)
	}
	return m, m.broadcast(msg)
}

// canReload says whether f5 reloads: there is a Reload and a file to
// reload, which the settings form may create while the dashboard runs.
func (m *Model) canReload() bool {
	return m.cfg.Reload != nil && (m.cfg.Settings == nil || m.cfg.Settings.File() != "")
}

// frame takes a snapshot and hands it to every pane, unless paused.
func (m *Model) frame() tea.Cmd {
	if m.paused {
		return nil
	}
	m.snap = m.cfg.Agent.Snapshot()
	if m.cfg.Upstreams != nil {
		m.ups = m.cfg.Upstreams()
	}
	m.health = m.cfg.Agent.Health()
	m.keys.Reload.SetEnabled(m.canReload())
	return tea.Batch(m.broadcast(pane.SnapshotMsg{Snap: m.snap}), m.broadcast(pane.TickMsg{Now: m.snap.Taken}))
}

func (m *Model) broadcast(msg tea.Msg) tea.Cmd {
	var cmds [numPanes]tea.Cmd
	for i, p := range m.panes {
		cmds[i] = p.Update(msg)
	}
	return tea.Batch(cmds[:]...)
}

func (m *Model) handleKey(msg tea.KeyMsg) tea.Cmd {
	focused := m.panes[m.focus]
	if msg.Type == tea.KeyCtrlC {
		return m.quit()
	}
	if m.layout.kind == layoutTooSmall {
		// Nothing but the size message is shown: a key must not act on a
		// pane the user cannot see (a hidden form or prompt), and q quits
		// as the message says, even when that pane was capturing keys.
		if key.Matches(msg, m.keys.Quit) || msg.Type == tea.KeyRunes && strings.ContainsRune(string(msg.Runes), 'q') && !msg.Paste {
			return m.quit()
		}
		return nil
	}
	if msg.Type == tea.KeyRunes && len(msg.Runes) > 1 && !msg.Paste && !m.showHelp && !focused.Capturing() {
		return m.splitKeys(msg)
	}
	if m.showUpstreams {
		switch {
		case key.Matches(msg, m.keys.Upstreams), key.Matches(msg, m.keys.Close):
			m.showUpstreams = false
		case key.Matches(msg, m.keys.Quit):
			return m.quit()
		}
		return nil
	}
	if m.showHelp {
		_, room := m.helpWindow()
		switch {
		case key.Matches(msg, m.keys.Close):
			m.showHelp = false
		case key.Matches(msg, m.keys.Quit):
			return m.quit()
		case key.Matches(msg, m.keys.HelpUp):
			m.helpTop--
		case key.Matches(msg, m.keys.HelpDown):
			m.helpTop++
		case key.Matches(msg, m.keys.HelpPgUp):
			m.helpTop -= room
		case key.Matches(msg, m.keys.HelpPgDown):
			m.helpTop += room
		}
		m.helpTop = max(min(m.helpTop, len(m.helpLines())-room), 0)
		return nil
	}
	if focused.Capturing() {
		return focused.Update(msg)
	}
	switch {
	case key.Matches(msg, m.keys.Quit):
		return m.quit()
	case key.Matches(msg, m.keys.Next):
		m.setFocus((m.focus + 1) % numPanes)
	case key.Matches(msg, m.keys.Prev):
		m.setFocus((m.focus + numPanes - 1) % numPanes)
	case key.Matches(msg, m.keys.Jump):
		m.setFocus(int(msg.Runes[0] - '1'))
	case key.Matches(msg, m.keys.Help):
		m.showHelp, m.helpTop = true, 0
	case key.Matches(msg, m.keys.Upstreams):
		m.showUpstreams = true
	case key.Matches(msg, m.keys.Reload):
		reload := m.cfg.Reload
		return func() tea.Msg { reload(); return nil }
	case key.Matches(msg, m.keys.Zoom):
		m.zoom = !m.zoom
		m.keys.setModes(m.zoom, m.paused)
		m.relayout()
	case key.Matches(msg, m.keys.Pause):
		m.paused = !m.paused
		m.keys.setModes(m.zoom, m.paused)
		if !m.paused {
			return m.frame() // show fresh data at once
		}
	default:
		return focused.Update(msg)
	}
	return nil
}

// splitKeys handles keys typed faster than the terminal is read, which
// Bubble Tea delivers as one multi-rune message ("jj"), one key at a time,
// so that commands and navigation do not depend on typing speed. Once a
// pane starts capturing (e.g. "/" opened a filter), the rest goes to it as
// typed text.
func (m *Model) splitKeys(msg tea.KeyMsg) tea.Cmd {
	var cmds []tea.Cmd
	for i, r := range msg.Runes {
		if m.panes[m.focus].Capturing() || m.showHelp {
			rest := msg
			rest.Runes = msg.Runes[i:]
			return tea.Batch(append(cmds, m.handleKey(rest))...)
		}
		cmds = append(cmds, m.handleKey(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune{r}, Alt: msg.Alt}))
		if m.closed {
			break // q quit
		}
	}
	return tea.Batch(cmds...)
}

func (m *Model) handleMouse(msg tea.MouseMsg) tea.Cmd {
	if m.showHelp || m.layout.kind == layoutTooSmall {
		return nil
	}
	switch {
	case msg.Action == tea.MouseActionPress && msg.Button == tea.MouseButtonLeft:
		for i := range numPanes {
			if m.layout.tabBar && m.layout.tabs[i].contains(msg.X, msg.Y) ||
				m.layout.frames[i].contains(msg.X, msg.Y) {
				m.setFocus(i)
				return nil
			}
		}
	case msg.Button == tea.MouseButtonWheelUp || msg.Button == tea.MouseButtonWheelDown:
		// The wheel scrolls the focused pane's list like the arrow keys.
		if !m.layout.frames[m.focus].contains(msg.X, msg.Y) || m.panes[m.focus].Capturing() {
			return nil
		}
		k := tea.KeyMsg{Type: tea.KeyDown}
		if msg.Button == tea.MouseButtonWheelUp {
			k.Type = tea.KeyUp
		}
		return m.panes[m.focus].Update(k)
	}
	return nil
}

// setStatus shows text in the footer for statusFor.
func (m *Model) setStatus(text string, isErr bool) {
	m.status, m.statusErr = text, isErr
	m.statusTicks = int(statusFor / m.interval)
}

func (m *Model) setFocus(i int) {
	if i == m.focus || i < 0 || i >= numPanes {
		return
	}
	m.panes[m.focus].Blur()
	// A status message is about what was just done in the pane being left.
	m.status, m.statusTicks = "", 0
	m.focus = i
	m.panes[i].Focus()
	m.relayout()
}

func (m *Model) quit() tea.Cmd {
	m.quitting = true
	m.Close()
	return tea.Quit
}

// relayout recomputes the layout and gives every pane its content size.
// Hidden panes keep the size they would have when shown, so switching tabs
// never re-renders from scratch.
func (m *Model) relayout() {
	m.layout = computeLayout(m.width, m.height, m.focus, m.zoom)
	if m.layout.kind == layoutTooSmall {
		return
	}
	normal := m.layout
	if m.zoom {
		normal = computeLayout(m.width, m.height, m.focus, false)
	}
	for i, p := range m.panes {
		r := normal.frames[i]
		if normal.kind == layoutTabs {
			r = normal.frames[m.focus]
		}
		if m.zoom && i == m.focus {
			r = m.layout.frames[i]
		}
		w, h := r.contentSize()
		if m.sizes[i] != [2]int{w, h} {
			m.sizes[i] = [2]int{w, h}
			p.SetSize(w, h)
		}
	}
}
