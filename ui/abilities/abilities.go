// Package abilities is the dashboard's Abilities pane: a filterable list of
// the agent's abilities with their description and schema, a JSON argument
// editor prefilled from the schema, asynchronous calls whose result (text
// for a string, pretty JSON otherwise, or the error), latency and cache flag
// are shown, and a history of recent calls. Arguments that are not valid
// JSON or break the schema are reported inline and never sent.
package abilities

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/list"
	"github.com/charmbracelet/bubbles/viewport"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/ansi"

	"github.com/agentdash/agentdash/internal/agent"
	"github.com/agentdash/agentdash/internal/schema"
	"github.com/agentdash/agentdash/ui/pane"
)

// Caller is the part of *agent.Agent the pane uses.
type Caller interface {
	Abilities() []agent.Info
	Call(ctx context.Context, name string, args map[string]any) (agent.Result, error)
}

// historySize is how many recent calls are kept.
const historySize = 50

type keyMap struct {
	Call, Edit, Defaults, Back, Newline, Open, Close key.Binding
	// Top and Bottom jump to the result viewer's start and end.
	Top, Bottom key.Binding
}

// Model is the Abilities pane. Create it with New.
type Model struct {
	c      pane.Common
	caller Caller
	keys   keyMap

	infos   []agent.Info
	targets []string   // what the filter matches, per ability (name and description)
	list    list.Model // the abilities matching the filter, best match first
	filter  *pane.Filter
	query   string // the filter text the list was built for
	editor  *argEditor
	focused bool

	// viewer shows the selected ability's last result in full, scrollable.
	viewer  viewport.Model
	viewing *record

	// args holds the editor text per ability, so switching keeps edits.
	args map[string]string
	// prefilled is the example text each ability's editor was last filled
	// with: text left as it was follows the ability's current example
	// (predict's changes with the model it serves).
	prefilled map[string]string
	current   string // ability whose args are in the editor
	notSent   bool   // the last enter was refused because of the editor's error

	seq      int
	inFlight map[string]int
	last     map[string]*record // latest finished call per ability
	history  []*record          // newest last, at most historySize

	stats map[string]string // one-line live summary per ability

	width, height int
	view          string
	dirty         bool
}

// record is one finished call.
type record struct {
	seq     int
	ability string
	args    string // compact JSON of the arguments sent
	outcome string
	latency string
	cached  bool
	shared  bool
	value   string // the result formatted for reading (formatResult)
	err     string
	caller  string // who made a call from outside the dashboard (CallsMsg), for display; "" for the dashboard's own
}

// callDoneMsg carries a finished call back to the pane.
type callDoneMsg struct{ rec *record }

// New returns the pane calling through c (normally the *agent.Agent).
func New(common pane.Common, c Caller) *Model {
	t := common.Theme
	m := &Model{
		c:         common,
		caller:    c,
		args:      make(map[string]string),
		prefilled: make(map[string]string),
		inFlight:  make(map[string]int),
		last:      make(map[string]*record),
		stats:     make(map[string]string),
		dirty:     true,
		keys: keyMap{
			Call:     key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "call")),
			Edit:     key.NewBinding(key.WithKeys("e"), key.WithHelp("e", "edit args")),
			Defaults: key.NewBinding(key.WithKeys("ctrl+r"), key.WithHelp("ctrl+r", "example args")),
			Back:     key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "done editing")),
			Newline:  key.NewBinding(key.WithKeys("alt+enter", "ctrl+j"), key.WithHelp("ctrl+j", "newline")),
			Open:     key.NewBinding(key.WithKeys("o"), key.WithHelp("o", "open result")),
			Close:    key.NewBinding(key.WithKeys("esc", "o", "q"), key.WithHelp("esc", "close result")),
			Top:      key.NewBinding(key.WithKeys("home", "g"), key.WithHelp("g/home", "start")),
			Bottom:   key.NewBinding(key.WithKeys("end", "G"), key.WithHelp("G/end", "end")),
		},
		viewer: viewport.New(0, 0),
		filter: pane.NewFilter(t),
	}

	d := newDelegate(t)
	m.list = list.New(nil, d, 0, 0)
	// The pane draws the list's title line itself (the count, or the
	// filter), and filters with the shared pane.Filter so that "/" works
	// as in every other pane; the list only scrolls and selects. Its own
	// filter is off: it matches in the background, so an enter typed
	// right after the query could act on the previous matches.
	m.list.SetShowTitle(false)
	m.list.SetFilteringEnabled(false)
	m.list.SetShowHelp(false)
	m.list.SetShowStatusBar(false)
	m.list.SetStatusBarItemName("ability", "abilities")
	m.list.DisableQuitKeybindings()
	m.list.KeyMap.ShowFullHelp.SetEnabled(false)
	m.list.KeyMap.CloseFullHelp.SetEnabled(false)
	st := &m.list.Styles
	st.NoItems = t.Muted
	st.DividerDot = t.Subtle.SetString(" • ")
	st.PaginationStyle = t.Muted
	st.ActivePaginationDot = t.Accent.SetString("•")
	st.InactivePaginationDot = t.Subtle.SetString("•")
	st.ArabicPagination = t.Muted
	m.list.Paginator.ActiveDot = st.ActivePaginationDot.String()
	m.list.Paginator.InactiveDot = st.InactivePaginationDot.String()

	m.editor = newArgEditor(t, m.keys.Newline)

	m.refreshAbilities()
	m.updateKeys()
	return m
}

// refreshAbilities reloads the ability list from the agent.
func (m *Model) refreshAbilities() {
	m.infos = m.caller.Abilities()
	m.targets = make([]string, len(m.infos))
	for i, in := range m.infos {
		m.targets[i] = in.Name + " " + in.Description
	}
	m.refilter()
}

// refilter lists the abilities that match the filter (fuzzily, on name and
// description), best match first. While a query is typed its best match is
// selected; otherwise the ability selected last stays selected when it is
// listed. A query that matches nothing leaves the list empty and nothing
// selected.
func (m *Model) refilter() {
	m.query = m.filter.Value()
	var items []list.Item
	if m.query == "" {
		items = make([]list.Item, len(m.infos))
		for i, in := range m.infos {
			items[i] = item{Info: in}
		}
	} else {
		for _, r := range list.DefaultFilter(m.query, m.targets) {
			items = append(items, item{Info: m.infos[r.Index], matches: r.MatchedIndexes})
		}
	}
	m.list.SetItems(items)
	sel := 0
	if !m.filter.Typing() || m.query == "" {
		for i, it := range items {
			if it.(item).Name == m.current {
				sel = i
				break
			}
		}
	}
	m.list.Select(sel)
	m.syncEditor()
	m.dirty = true
}

// Selected returns the selected ability (false when the list is empty).
func (m *Model) Selected() (agent.Info, bool) {
	it, ok := m.list.SelectedItem().(item)
	return it.Info, ok
}

// syncEditor puts the selected ability's args into the editor.
func (m *Model) syncEditor() {
	in, ok := m.Selected()
	if !ok || in.Name == m.current {
		return
	}
	if m.current != "" {
		m.args[m.current] = m.editor.Value()
	}
	m.current = in.Name
	text, ok := m.args[in.Name]
	if !ok || text == m.prefilled[in.Name] { // never edited: the example as it is now
		text = exampleArgs(in)
		m.prefilled[in.Name] = text
	}
	m.editor.SetText(text) // the cursor at the end, as ctrl+r leaves it
	m.validate()
	m.notSent = false
	m.dirty = true
}

// exampleArgs is the ability's example arguments as indented JSON.
func exampleArgs(in agent.Info) string {
	ex := in.ExampleArgs()
	if len(ex) == 0 {
		return "{}"
	}
	b, err := json.MarshalIndent(ex, "", "  ")
	if err != nil {
		return "{}"
	}
	return string(b)
}

// parseArgs parses and validates the editor text for ability in.
func parseArgs(in agent.Info, text string) (map[string]any, error) {
	args, err := schema.ParseArgs([]byte(text))
	if err != nil {
		return nil, err
	}
	if in.Schema != nil {
		if args, err = in.Schema.Validate(args); err != nil {
			return nil, err
		}
	}
	return args, nil
}

// validate checks the editor text against the selected ability, for the
// editor to show its error inline.
func (m *Model) validate() {
	in, ok := m.Selected()
	if !ok {
		m.editor.ClearErr()
		return
	}
	_, _ = m.editor.Validate(in)
}

// Init implements pane.Pane.
func (m *Model) Init() tea.Cmd { return nil }

// Title implements pane.Pane.
func (m *Model) Title() string { return "Abilities" }

// Focus implements pane.Pane.
func (m *Model) Focus() { m.focused = true; m.refreshExample(); m.updateKeys(); m.dirty = true }

// refreshExample puts the selected ability's example as it is now in the
// editor if the text there is still the example it was filled with: the
// user may have trained another model for predict in the meantime.
func (m *Model) refreshExample() {
	in, ok := m.Selected()
	if !ok || in.Name != m.current || m.editor.Value() != m.prefilled[in.Name] {
		return
	}
	if text := exampleArgs(in); text != m.editor.Value() {
		m.prefilled[in.Name] = text
		m.editor.SetText(text)
		m.validate()
	}
}

// Blur implements pane.Pane; editing stops, the result viewer closes and a
// filter being typed is kept as it is.
func (m *Model) Blur() {
	m.focused = false
	m.stopEditing()
	m.filter.Stop()
	m.viewing = nil
	m.updateKeys()
	m.dirty = true
}

// Capturing implements pane.Pane: true while the argument editor, the
// filter input or the result viewer has the keyboard.
func (m *Model) Capturing() bool { return m.Editing() || m.filter.Typing() || m.viewing != nil }

// Editing reports whether the argument editor has the keyboard.
func (m *Model) Editing() bool { return m.editor.Focused() }

func (m *Model) stopEditing() { m.editor.Blur() }

// Update implements pane.Pane.
func (m *Model) Update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case pane.SnapshotMsg:
		return m.onSnapshot(msg.Snap)
	case pane.TickMsg:
		return nil
	case CallsMsg:
		m.addCalls(msg.Events)
		return nil
	case callDoneMsg:
		m.finish(msg.rec)
		m.updateKeys()
		return pane.Refresh // the call counts and breaker state, even while paused
	case tea.KeyMsg:
		cmd := m.handleKey(msg)
		m.updateKeys()
		m.dirty = true
		return cmd
	}
	// Component messages: the text the textarea read from the clipboard
	// for its paste key (cursors do not blink).
	if m.Editing() {
		cmd := m.updateEditor(msg)
		m.dirty = true
		return cmd
	}
	return nil
}

func (m *Model) handleKey(msg tea.KeyMsg) tea.Cmd {
	if m.viewing != nil {
		switch {
		case key.Matches(msg, m.keys.Close):
			m.viewing = nil
			return nil
		case key.Matches(msg, m.keys.Top):
			m.viewer.GotoTop()
			return nil
		case key.Matches(msg, m.keys.Bottom):
			m.viewer.GotoBottom()
			return nil
		}
		var cmd tea.Cmd
		m.viewer, cmd = m.viewer.Update(msg)
		return cmd
	}
	if m.Editing() {
		switch {
		case key.Matches(msg, m.keys.Back):
			m.stopEditing()
			return nil
		case key.Matches(msg, m.keys.Call):
			return m.call()
		case key.Matches(msg, m.keys.Defaults):
			m.resetArgs()
			return nil
		}
		return m.updateEditor(msg)
	}
	if !m.filter.Typing() {
		switch {
		case key.Matches(msg, m.keys.Call):
			return m.call()
		case key.Matches(msg, m.keys.Edit):
			return m.editor.Focus()
		case key.Matches(msg, m.keys.Open):
			m.openResult()
			return nil
		case key.Matches(msg, m.keys.Defaults):
			m.resetArgs()
			return nil
		}
	}
	if m.filter.Update(msg) {
		if m.filter.Value() != m.query {
			m.refilter()
		}
		return nil
	}
	var cmd tea.Cmd
	m.list, cmd = m.list.Update(msg)
	m.syncEditor()
	return cmd
}

func (m *Model) resetArgs() {
	in, ok := m.Selected()
	if !ok {
		return
	}
	text := exampleArgs(in)
	m.prefilled[in.Name] = text
	m.editor.SetText(text)
	m.validate()
	m.notSent = false
}

// call validates the editor text and, if it is good, returns a command
// that calls the ability. Nothing is sent when the arguments are bad.
func (m *Model) call() tea.Cmd {
	in, ok := m.Selected()
	if !ok {
		return nil
	}
	args, err := m.editor.Validate(in)
	if err != nil {
		m.notSent = true
		return nil
	}
	compact, _ := json.Marshal(args)
	m.seq++
	m.inFlight[in.Name]++
	rec := &record{seq: m.seq, ability: in.Name, args: string(compact)}
	ctx, caller := m.c.Ctx, m.caller
	return func() tea.Msg {
		res, err := caller.Call(ctx, rec.ability, args)
		rec.fill(res, err)
		return callDoneMsg{rec}
	}
}

// fill records a call's result. It runs in the command's goroutine, so the
// JSON formatting stays off the UI loop.
func (r *record) fill(res agent.Result, err error) {
	r.outcome = res.Outcome.String()
	r.latency = pane.Duration(res.Latency)
	r.cached, r.shared = res.Cached, res.Shared
	if err != nil {
		r.err = err.Error()
		return
	}
	b, jerr := formatResult(res.Value)
	if jerr != nil {
		r.err = "result is not JSON-encodable: " + jerr.Error()
		return
	}
	if len(b) > maxResult {
		r.value = cutResult(b)
		return
	}
	r.value = string(b)
}

// cutResult keeps the first maxResult bytes of the formatted result b,
// backed off to a rune boundary, and says how long the whole was. It cuts
// within a line when it must: a long string without line breaks is one
// line. A line cut short ends in "…".
func cutResult(b []byte) string {
	cut := maxResult
	for cut > 0 && !utf8.RuneStart(b[cut]) {
		cut--
	}
	head, end := b[:cut], "\n"
	if len(head) > 0 && head[len(head)-1] != '\n' {
		end = "…\n"
	}
	return strings.ToValidUTF8(string(head), "") + end + "… (" + strconv.Itoa(len(b)) + " bytes, cut for display)"
}

// maxResult caps the text kept for displaying one result (the viewer
// shows all of it; the result area only its first screenful).
const maxResult = 256 << 10

func (m *Model) finish(r *record) {
	if m.inFlight[r.ability]--; m.inFlight[r.ability] <= 0 {
		delete(m.inFlight, r.ability)
	}
	m.last[r.ability] = r
	m.push(r)
}

// push adds r to the history, the oldest call leaving a full one.
func (m *Model) push(r *record) {
	if len(m.history) == historySize {
		copy(m.history, m.history[1:])
		m.history = m.history[:historySize-1]
	}
	m.history = append(m.history, r)
	m.dirty = true
}

// onSnapshot refreshes the per-ability live summary; the view is only
// invalidated when the selected ability's summary text changed.
func (m *Model) onSnapshot(s agent.Snapshot) tea.Cmd {
	if len(s.Abilities) != len(m.infos) {
		m.refreshAbilities()
		m.dirty = true
	}
	sel, _ := m.Selected()
	for i := range s.Abilities {
		a := &s.Abilities[i]
		line := summary(a)
		if m.stats[a.Name] != line {
			m.stats[a.Name] = line
			if a.Name == sel.Name {
				m.dirty = true
			}
		}
	}
	return nil
}

// openResult shows the selected ability's last result in the viewer.
func (m *Model) openResult() {
	in, ok := m.Selected()
	r := m.last[in.Name]
	if !ok || r == nil {
		return
	}
	m.viewing = r
	m.sizeViewer()
	body := r.value
	if r.err != "" {
		body = r.err
	}
	m.viewer.SetContent(ansi.Wrap(body, max(m.viewer.Width, 1), ""))
	m.viewer.GotoTop()
}

// sizeViewer fits the viewer to the right column, below its title line.
func (m *Model) sizeViewer() {
	m.viewer.Width = max(m.width-m.listWidth()-3, 1)
	m.viewer.Height = max(m.height-1, 1)
}

func (m *Model) updateKeys() {
	in, has := m.Selected()
	filtering := m.filter.Typing()
	m.keys.Open.SetEnabled(m.focused && has && !filtering && !m.Editing() && m.last[in.Name] != nil)
	m.keys.Close.SetEnabled(m.viewing != nil)
	m.keys.Top.SetEnabled(m.viewing != nil)
	m.keys.Bottom.SetEnabled(m.viewing != nil)
	m.keys.Call.SetEnabled(m.focused && has && !filtering)
	m.keys.Edit.SetEnabled(m.focused && has && !filtering && !m.Editing())
	m.keys.Defaults.SetEnabled(m.focused && has && !filtering)
	m.keys.Back.SetEnabled(m.Editing())
	m.keys.Newline.SetEnabled(m.Editing())
}

// ShortHelp implements help.KeyMap.
func (m *Model) ShortHelp() []key.Binding {
	if m.viewing != nil {
		k := m.viewer.KeyMap
		return []key.Binding{k.Up, k.Down, k.PageUp, k.PageDown, m.keys.Top, m.keys.Bottom, m.keys.Close}
	}
	if m.Editing() {
		return []key.Binding{m.keys.Call, m.keys.Newline, m.keys.Defaults, m.keys.Back}
	}
	if m.filter.Typing() {
		return m.filter.ShortHelp()
	}
	keys := []key.Binding{m.list.KeyMap.CursorUp, m.list.KeyMap.CursorDown}
	keys = append(keys, m.filter.ShortHelp()...)
	return append(keys, m.keys.Call, m.keys.Edit, m.keys.Open)
}

// FullHelp implements help.KeyMap: every key, grouped by when it applies.
func (m *Model) FullHelp() [][]key.Binding {
	k := m.list.KeyMap
	v := m.viewer.KeyMap
	viewing := func(b key.Binding) key.Binding { b.SetEnabled(m.viewing != nil); return b }
	return [][]key.Binding{
		{pane.Heading("list"), k.CursorUp, k.CursorDown, k.NextPage, k.PrevPage, k.GoToStart, k.GoToEnd},
		m.filter.FullHelp(),
		{pane.Heading("selected ability"), m.keys.Call, m.keys.Edit, m.keys.Defaults, m.keys.Open},
		{pane.Heading("editing arguments"), m.keys.Call, m.keys.Newline, m.keys.Defaults, m.keys.Back},
		{pane.Heading("result viewer"), viewing(v.Up), viewing(v.Down), viewing(v.PageUp), viewing(v.PageDown), viewing(m.keys.Top), viewing(m.keys.Bottom), m.keys.Close},
	}
}

// SetSize implements pane.Pane.
func (m *Model) SetSize(w, h int) {
	if w == m.width && h == m.height {
		return
	}
	m.width, m.height = w, h
	lw := m.listWidth()
	m.list.SetSize(lw, max(h-1, 1)) // below the title line
	// A quarter of the pane, at most 10 rows; within it the editor is as
	// tall as its text, soft-wrapped rows included.
	m.editor.SetSize(max(w-lw-3, 10), max(min(h/4, 10), 1))
	if m.viewing != nil {
		m.openResult() // re-wrap to the new width
	}
	m.dirty = true
}

// listWidth is the width of the ability list column.
func (m *Model) listWidth() int { return max(min(m.width/3, 32), 18) }

// updateEditor passes msg (a key, or the text the textarea read from the
// clipboard) to the argument editor and validates the text it changed.
func (m *Model) updateEditor(msg tea.Msg) tea.Cmd {
	cmd, changed := m.editor.Update(msg)
	if changed {
		m.validate()
		m.notSent = false
	}
	return cmd
}

var _ pane.Pane = (*Model)(nil)

// summary is the live one-line state of an ability.
func summary(a *agent.AbilityStats) string {
	var b strings.Builder
	b.WriteString("breaker ")
	b.WriteString(a.Breaker.State.String())
	b.WriteString(" · ")
	b.WriteString(pane.Count(a.Calls))
	b.WriteString(" " + pane.Word(a.Calls, "call", "calls"))
	if a.Latency.Count > 0 {
		b.WriteString(" · p50 ")
		b.WriteString(pane.Duration(a.Latency.P50))
		b.WriteString(" p99 ")
		b.WriteString(pane.Duration(a.Latency.P99))
	}
	if a.Fault != (agent.Fault{}) {
		b.WriteString(" · fault injected")
	}
	return b.String()
}
