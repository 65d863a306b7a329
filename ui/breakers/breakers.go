// Package breakers is the dashboard's Breakers pane: a live table of every
// ability's circuit breaker (state, failure rate over the window, consecutive
// failures, half-open probes, cooldown counting down, last transition), with
// keys to trip and reset breakers and to inject faults so a user can watch a
// breaker trip and recover, and a form that edits an ability's settings
// (breaker rule, timeout, cache TTL) in the configuration, applied at once
// and written to the file on w.
package breakers

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/agentdash/agentdash/internal/agent"
	"github.com/agentdash/agentdash/internal/breaker"
	"github.com/agentdash/agentdash/ui/pane"
	"github.com/agentdash/agentdash/ui/theme"
)

// Controller is the part of *agent.Agent the pane drives.
type Controller interface {
	Abilities() []agent.Info
	Trip(name string) error
	Reset(name string) error
	ResetAll()
	SetFault(name string, f agent.Fault) error
}

type keyMap struct {
	Trip, Reset, ResetAll, Fault, ClearFault, Edit, Write key.Binding
}

func (k keyMap) all() []key.Binding {
	return []key.Binding{k.Trip, k.Reset, k.ResetAll, k.Fault, k.ClearFault, k.Edit, k.Write}
}

// Model is the Breakers pane. Create it with New.
type Model struct {
	c      pane.Common
	ctl    Controller
	keys   keyMap
	table  *pane.Table
	filter *pane.Filter

	stats    []agent.AbilityStats
	settings map[string]agent.Info // per ability, from the registry
	now      time.Time
	confirm  pane.Confirm
	form     faultForm
	focused  bool

	config  Settings // nil: no settings form
	edit    settingsForm
	unsaved bool   // config has edits not written yet
	file    string // config's file, "" without one

	width, height int
	view          string
	dirty         bool
}

// New returns the pane driving ctl (normally the *agent.Agent); settings,
// if not nil, is the configuration the settings form edits.
func New(c pane.Common, ctl Controller, settings Settings) *Model {
	m := &Model{
		c:   c,
		ctl: ctl,
		keys: keyMap{
			Trip:       key.NewBinding(key.WithKeys("t"), key.WithHelp("t", "trip")),
			Reset:      key.NewBinding(key.WithKeys("r"), key.WithHelp("r", "reset")),
			ResetAll:   key.NewBinding(key.WithKeys("R"), key.WithHelp("R", "reset all")),
			Fault:      key.NewBinding(key.WithKeys("f"), key.WithHelp("f", "inject fault")),
			ClearFault: key.NewBinding(key.WithKeys("x"), key.WithHelp("x", "clear fault")),
			Edit:       key.NewBinding(key.WithKeys("e"), key.WithHelp("e", "edit settings")),
			Write:      key.NewBinding(key.WithKeys("w"), key.WithHelp("w", "write config")),
		},
		table:  pane.NewTable(c.Theme, columns),
		filter: pane.NewFilter(c.Theme),
		form:   newFaultForm(c.Theme),
		config: settings,
		edit:   newSettingsForm(c.Theme),
		dirty:  true,
	}
	if settings != nil {
		m.file = settings.File()
	}
	m.loadSettings()
	m.updateKeys()
	return m
}

// Columns of the table, by index.
const (
	colName = iota
	colState
	colFailures
	colConsec
	colProbes
	colCooldown
	colFault
	colLast
)

var columns = []pane.Column{
	colName:     {Title: "ABILITY", Width: 11},
	colState:    {Title: "STATE", Width: 13},
	colFailures: {Title: "FAILED", Width: 10, Right: true},
	colConsec:   {Title: "CONSEC", Width: 6, Right: true, Drop: 2},
	colProbes:   {Title: "PROBES", Width: 6, Right: true, Drop: 3},
	colCooldown: {Title: "COOLDOWN", Width: 8, Right: true},
	colFault:    {Title: "FAULT", Width: 13, Fit: true}, // as wide as the faults shown; LAST TRANSITION gives way
	colLast:     {Title: "LAST TRANSITION", Short: "LAST", Width: 18, Flex: true},
}

// Init implements pane.Pane.
func (m *Model) Init() tea.Cmd { return nil }

// Title implements pane.Pane.
func (m *Model) Title() string { return "Breakers" }

// Focus implements pane.Pane.
func (m *Model) Focus() { m.focused = true; m.updateKeys() }

// Blur implements pane.Pane; an open prompt or form is dismissed.
func (m *Model) Blur() {
	m.focused = false
	m.confirm.Cancel()
	m.form.close()
	if !m.edit.busy {
		m.edit.close()
	}
	m.filter.Stop()
	m.updateKeys()
	m.dirty = true
}

// Capturing implements pane.Pane: true while a confirmation prompt, the
// fault form, the settings form or the filter input is open.
func (m *Model) Capturing() bool {
	return m.confirm.Active() || m.form.active || m.edit.active || m.filter.Typing()
}

// SetSize implements pane.Pane.
func (m *Model) SetSize(w, h int) {
	if w == m.width && h == m.height {
		return
	}
	m.width, m.height = w, h
	m.layoutTable()
	m.dirty = true
}

// layoutTable sizes the table: the pane minus the detail block, the rule
// and (while a filter is shown) the filter line.
func (m *Model) layoutTable() {
	h := m.height - m.detailLines() - 1
	if m.filter.Active() {
		h--
	}
	m.table.SetSize(m.width, max(h, 2))
}

// detailLines is the height of the selected breaker's detail block: a
// line more for the configuration when there is a settings form.
func (m *Model) detailLines() int {
	if m.config != nil {
		return 6
	}
	return 5
}

// Selected returns the name of the selected ability ("" when there is none).
func (m *Model) Selected() string {
	s, _ := m.selectedStats()
	return s.Name
}

func (m *Model) selectedStats() (agent.AbilityStats, bool) {
	if i := m.table.Cursor(); i >= 0 && i < len(m.stats) {
		return m.stats[i], true
	}
	return agent.AbilityStats{}, false
}

// Update implements pane.Pane.
func (m *Model) Update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case pane.SnapshotMsg:
		m.stats, m.now = msg.Snap.Abilities, msg.Snap.Taken
		// A reload or the settings form may have changed any ability's
		// settings.
		m.loadSettings()
		m.table.SetRows(m.rows())
		m.updateKeys()
		m.dirty = true
	case tea.KeyMsg:
		cmd := m.handleKey(msg)
		m.updateKeys()
		m.dirty = true
		return cmd
	case settingsDoneMsg:
		cmd := m.settingsDone(msg)
		m.updateKeys()
		m.dirty = true
		return cmd
	}
	return nil
}

func (m *Model) handleKey(msg tea.KeyMsg) tea.Cmd {
	if cmd, ok := m.confirm.Update(msg); ok {
		return cmd
	}
	if m.edit.active {
		changes, apply, done := m.edit.update(msg)
		switch {
		case done:
			return nil
		case apply && changes == nil:
			m.edit.close()
			return pane.Status(m.edit.ability+": no setting changed", false)
		case apply:
			return m.applySettings(m.edit.ability, changes)
		}
		return nil
	}
	if m.form.active {
		f, done, err := m.form.update(msg)
		if !done {
			return nil
		}
		if err != nil {
			return nil // shown inline by the form
		}
		if f == nil {
			return nil // canceled
		}
		return m.setFault(m.form.ability, *f)
	}
	if m.filter.Update(msg) {
		m.table.SetFilter(m.filter.Value())
		m.layoutTable()
		return nil
	}
	if m.table.Update(msg) {
		return nil
	}
	if key.Matches(msg, m.keys.Write) {
		return m.write()
	}
	name := m.Selected()
	if name == "" && !key.Matches(msg, m.keys.ResetAll) {
		return nil // nothing selected (the filter matches no row)
	}
	switch {
	case key.Matches(msg, m.keys.Trip):
		m.confirm.Ask(fmt.Sprintf("Trip breaker %q? It stays open until reset.", name), func() tea.Cmd {
			return m.do(func() error { return m.ctl.Trip(name) }, "breaker "+name+" tripped (forced open)")
		})
	case key.Matches(msg, m.keys.Reset):
		return m.do(func() error { return m.ctl.Reset(name) }, "breaker "+name+" reset (closed)")
	case slices.Contains(m.keys.Reset.Keys(), msg.String()):
		// r is left out of the help on a closed breaker; pressed anyway, it
		// says why it does nothing.
		return pane.Status(name+": breaker already closed", false)
	case key.Matches(msg, m.keys.ResetAll):
		m.confirm.Ask(fmt.Sprintf("Reset all %d breakers to closed?", len(m.stats)), func() tea.Cmd {
			return m.do(func() error { m.ctl.ResetAll(); return nil }, "all breakers reset")
		})
	case key.Matches(msg, m.keys.Fault):
		st, _ := m.selectedStats()
		m.form.open(name, st.Fault)
	case key.Matches(msg, m.keys.ClearFault):
		return m.setFault(name, agent.Fault{})
	case key.Matches(msg, m.keys.Edit):
		vals, err := m.config.Values(name, m.edit.keys)
		if err != nil {
			return pane.Status("settings of "+name+": "+oneLine(err.Error()), true)
		}
		m.edit.open(name, vals, m.settings[name])
	}
	return nil
}

// loadSettings reads every ability's settings from the registry.
func (m *Model) loadSettings() {
	infos := m.ctl.Abilities()
	m.settings = make(map[string]agent.Info, len(infos))
	for _, in := range infos {
		in.Breaker = in.Breaker.WithDefaults()
		m.settings[in.Name] = in
	}
	if m.config != nil {
		m.unsaved, m.file = m.config.Unsaved(), m.config.File()
	}
}

func (m *Model) setFault(name string, f agent.Fault) tea.Cmd {
	done := "fault on " + name + " cleared"
	if f != (agent.Fault{}) {
		done = "fault on " + name + ": " + faultText(f)
	}
	return m.do(func() error { return m.ctl.SetFault(name, f) }, done)
}

// do runs a quick control action as a command, reports it in the footer
// and asks for a fresh snapshot, so its effect shows even while paused.
func (m *Model) do(fn func() error, done string) tea.Cmd {
	return tea.Sequence(func() tea.Msg {
		if err := fn(); err != nil {
			return pane.StatusMsg{Text: err.Error(), Err: true}
		}
		return pane.StatusMsg{Text: done}
	}, pane.Refresh)
}

func (m *Model) updateKeys() {
	idle := m.focused && !m.Capturing()
	st, ok := m.selectedStats()
	sel := idle && ok
	m.keys.Trip.SetEnabled(sel && st.Breaker.State != breaker.ForcedOpen)
	m.keys.Reset.SetEnabled(sel && st.Breaker.State != breaker.Closed)
	m.keys.ResetAll.SetEnabled(idle && len(m.stats) > 0)
	m.keys.Fault.SetEnabled(sel)
	m.keys.ClearFault.SetEnabled(sel && st.Fault != (agent.Fault{}))
	m.keys.Edit.SetEnabled(sel && m.config != nil)
	m.keys.Write.SetEnabled(idle && m.config != nil && m.unsaved)
}

// ShortHelp implements help.KeyMap.
func (m *Model) ShortHelp() []key.Binding {
	switch {
	case m.edit.active:
		return m.edit.keyList()
	case m.form.active:
		return m.form.keyList()
	case m.confirm.Active():
		return m.confirm.ShortHelp()
	case m.filter.Typing():
		return m.filter.ShortHelp()
	}
	return m.table.ShortHelp(m.filter, m.keys.all()...)
}

// FullHelp implements help.KeyMap: every key, grouped by when it applies.
func (m *Model) FullHelp() [][]key.Binding {
	return [][]key.Binding{
		append([]key.Binding{pane.Heading("table")}, m.table.NavKeys()...),
		m.filter.FullHelp(),
		append([]key.Binding{pane.Heading("selected breaker")}, m.keys.all()...),
		append([]key.Binding{pane.Heading("fault form")}, m.form.keyList()...),
		append([]key.Binding{pane.Heading("settings form")}, m.edit.keyList()...),
	}
}

// rows builds the table rows from the latest snapshot.
func (m *Model) rows() [][]pane.Cell {
	t := m.c.Theme
	rows := make([][]pane.Cell, len(m.stats))
	for i := range m.stats {
		s := &m.stats[i]
		b := &s.Breaker
		row := make([]pane.Cell, len(columns))
		row[colName] = pane.Cell{Text: s.Name}
		row[colState] = stateCell(t, b.State)
		row[colFailures] = pane.Cell{Text: failuresText(b)}
		if b.FailureRate >= 0.5 && b.WindowCalls > 0 {
			row[colFailures].Style = &t.Warn
		}
		row[colConsec] = pane.Cell{Text: strconv.Itoa(b.ConsecutiveFailures)}
		row[colProbes] = pane.Cell{Text: "–"}
		if b.State == breaker.HalfOpen {
			row[colProbes].Text = strconv.Itoa(b.HalfOpenInFlight) + " +" + strconv.Itoa(b.HalfOpenSuccesses) + "✓"
		}
		row[colCooldown] = pane.Cell{Text: "–"}
		if b.State == breaker.Open {
			row[colCooldown] = pane.Cell{Text: cooldownText(b.CooldownRemaining), Style: &t.Warn}
		}
		row[colFault] = pane.Cell{Text: "–", Style: &t.Muted}
		if s.Fault != (agent.Fault{}) {
			row[colFault] = pane.Cell{Text: faultShort(s.Fault), Style: &t.Warn}
		}
		row[colLast] = pane.Cell{Text: "–", Style: &t.Muted}
		if b.HasTransition {
			row[colLast] = pane.Cell{Text: string(b.LastTransition.Reason) + " " + ago(m.now, b.LastTransition.At)}
		}
		rows[i] = row
	}
	return rows
}

// stateCell is the state as a symbol and a word in the state's colour, so
// it reads without colour.
func stateCell(t *theme.Theme, s breaker.State) pane.Cell {
	switch s {
	case breaker.Closed:
		return pane.Cell{Text: "● closed", Style: &t.Good}
	case breaker.Open:
		return pane.Cell{Text: "○ OPEN", Style: &t.Bad}
	case breaker.HalfOpen:
		return pane.Cell{Text: "◐ half-open", Style: &t.Warn}
	case breaker.ForcedOpen:
		return pane.Cell{Text: "■ FORCED-OPEN", Style: &t.Bad}
	}
	return pane.Cell{Text: s.String()}
}

func failuresText(b *breaker.Stats) string {
	if b.WindowCalls == 0 {
		return "–"
	}
	return pane.Percent(b.FailureRate) + " " + strconv.Itoa(b.WindowFailures) + "/" + strconv.Itoa(b.WindowCalls)
}

// cooldownText shows the remaining cooldown with tenths of a second so the
// countdown visibly moves at the frame rate.
func cooldownText(d time.Duration) string {
	if d < time.Minute {
		return strconv.FormatFloat(d.Seconds(), 'f', 1, 64) + "s"
	}
	return pane.Duration(d)
}

// faultShort is the fault for the table: "25% +50ms".
func faultShort(f agent.Fault) string {
	switch {
	case f.FailureRate > 0 && f.Latency > 0:
		return faultRate(f.FailureRate) + " +" + pane.Duration(f.Latency)
	case f.FailureRate > 0:
		return faultRate(f.FailureRate)
	case f.Latency > 0:
		return "+" + pane.Duration(f.Latency)
	}
	return "–"
}

// faultRate is an injected failure rate as a percentage. One below 1 %
// keeps two significant digits ("0.5%", "0.05%"), so that an active fault
// never reads "0%".
func faultRate(r float64) string {
	if r > 0 && r < 0.01 {
		return strconv.FormatFloat(r*100, 'g', 2, 64) + "%"
	}
	return pane.Percent(r)
}

// faultText is the fault in words: "25% failures +50ms".
func faultText(f agent.Fault) string {
	var parts []string
	if f.FailureRate > 0 {
		parts = append(parts, faultRate(f.FailureRate)+" failures")
	}
	if f.Latency > 0 {
		parts = append(parts, "+"+pane.Duration(f.Latency))
	}
	if len(parts) == 0 {
		return "–"
	}
	return strings.Join(parts, " ")
}

func ago(now, at time.Time) string {
	if at.IsZero() || now.IsZero() {
		return ""
	}
	return pane.Uptime(max(now.Sub(at), 0)) + " ago"
}

// View implements pane.Pane.
func (m *Model) View() string {
	if !m.dirty {
		return m.view
	}
	m.dirty = false
	t := m.c.Theme
	if len(m.stats) == 0 {
		m.view = t.Muted.Render("no abilities registered")
		return m.view
	}
	if m.edit.active {
		m.view = theme.Block(m.settingsView(), m.width, m.height)
		return m.view
	}
	var sb strings.Builder
	if m.filter.Active() {
		sb.WriteString(m.filter.View())
		sb.WriteByte('\n')
	}
	// The detail block follows the table's last row.
	sb.WriteString(m.table.View())
	if m.table.Visible() == 0 {
		sb.WriteString("\n" + t.Muted.Render("  no ability matches the filter"))
	}
	sb.WriteByte('\n')
	switch {
	case m.confirm.Active():
		sb.WriteString(m.confirm.View(t))
	case m.form.active:
		sb.WriteString(t.Prompt.Render("Fault injection for " + m.form.ability))
	default:
		sb.WriteString(t.Subtle.Render(strings.Repeat("─", max(m.width, 0))))
	}
	sb.WriteByte('\n')
	if m.form.active {
		sb.WriteString(m.form.view())
	} else {
		sb.WriteString(m.detailView())
	}
	m.view = theme.Block(sb.String(), m.width, m.height)
	return m.view
}

// detailView explains the selected breaker in words.
func (m *Model) detailView() string {
	t := m.c.Theme
	s, ok := m.selectedStats()
	if !ok {
		return ""
	}
	b := &s.Breaker
	st := stateCell(t, b.State)
	lines := make([]string, 0, m.detailLines())

	l1 := t.Bold.Render(s.Name) + "  " + st.Style.Render(st.Text)
	switch b.State {
	case breaker.Open:
		l1 += t.Muted.Render("  short-circuiting calls; half-open in ") + t.Warn.Render(cooldownText(b.CooldownRemaining))
	case breaker.HalfOpen:
		set := m.settings[s.Name].Breaker
		l1 += t.Muted.Render(fmt.Sprintf("  probing: %d of %d probes in flight, %d/%d successes to close",
			b.HalfOpenInFlight, set.HalfOpenProbes, b.HalfOpenSuccesses, set.SuccessThreshold))
	case breaker.ForcedOpen:
		l1 += t.Muted.Render("  tripped by hand; press r to reset")
	}
	lines = append(lines, l1)

	lines = append(lines, t.Label.Render("window ")+failuresLong(b)+
		t.Label.Render("  consecutive failures ")+strconv.Itoa(b.ConsecutiveFailures))
	// The rule has its own line: cut at the end of the window line, it lost
	// the cooldown at 80 columns.
	in := m.settings[s.Name]
	if rule := tripRule(in.Breaker); rule != "" {
		lines = append(lines, t.Label.Render("rule ")+t.Muted.Render(rule))
	}

	last := t.Muted.Render("no transition yet")
	if b.HasTransition {
		tr := b.LastTransition
		last = ago(m.now, tr.At) + ": " + tr.From.String() + " → " + tr.To.String() +
			" (" + string(tr.Reason) + ")"
		if tr.Detail != "" {
			last += " " + t.Muted.Render(tr.Detail)
		}
	}
	if b.Transitions > 0 {
		last += t.Muted.Render(" · " + pane.Plural(int(b.Transitions), "transition", "transitions"))
	}
	lines = append(lines, t.Label.Render("last ")+last)

	fault := t.Label.Render("fault ") + t.Muted.Render("none")
	if s.Fault != (agent.Fault{}) {
		fault = t.Label.Render("fault ") + t.Warn.Render(faultText(s.Fault))
	}
	if s.LastError != "" {
		fault += t.Label.Render("  last error ") + t.Error.Render(s.LastError)
		if e := ago(m.now, s.LastErrorAt); e != "" {
			fault += t.Muted.Render(" (" + e + ")")
		}
	}
	lines = append(lines, fault)
	if m.config != nil {
		lines = append(lines, m.configLine(in))
	}
	return strings.Join(lines, "\n")
}

// tripRule says when the breaker opens and how long it stays open, e.g.
// "opens at ≥50% of the last 20 (10+ calls), ≥80% slower than 1s or 5 in
// a row · cooldown 5s".
func tripRule(set breaker.Settings) string {
	if set.WindowSize == 0 {
		return ""
	}
	var parts []string
	if set.FailureRate > 0 {
		parts = append(parts, fmt.Sprintf("≥%s of the last %d (%d+ calls)", pane.Percent(set.FailureRate), set.WindowSize, set.MinCalls))
	}
	if set.SlowCallThreshold > 0 {
		slow := fmt.Sprintf("≥%s slower than %s", pane.Percent(set.SlowCallRate), pane.Duration(set.SlowCallThreshold))
		if set.FailureRate <= 0 {
			slow += fmt.Sprintf(" of the last %d (%d+ calls)", set.WindowSize, set.MinCalls)
		}
		parts = append(parts, slow)
	}
	if set.ConsecutiveFailures > 0 {
		parts = append(parts, fmt.Sprintf("%d in a row", set.ConsecutiveFailures))
	}
	if len(parts) == 0 {
		return "cooldown " + pane.Duration(set.Cooldown)
	}
	rule := strings.Join(parts[:len(parts)-1], ", ")
	if rule != "" {
		rule += " or "
	}
	return "opens at " + rule + parts[len(parts)-1] + " · cooldown " + pane.Duration(set.Cooldown)
}

func failuresLong(b *breaker.Stats) string {
	if b.WindowCalls == 0 {
		return "empty"
	}
	s := fmt.Sprintf("%d/%d failed (%s)", b.WindowFailures, b.WindowCalls, pane.Percent(b.FailureRate))
	if b.WindowSlow > 0 {
		s += fmt.Sprintf(", %d slow (%s)", b.WindowSlow, pane.Percent(b.SlowRate))
	}
	return s
}

var _ pane.Pane = (*Model)(nil)
