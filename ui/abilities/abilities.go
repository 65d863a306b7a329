// Package abilities is the dashboard's Abilities pane: a filterable list of
// the agent's abilities with their description and schema, a JSON argument
// editor prefilled from the schema, asynchronous calls whose result (text
// for a string, pretty JSON otherwise, or the error), latency and cache flag
// are shown, and a history of recent
// calls. Arguments that are not valid JSON or break the schema are reported
// inline and never sent.
package abilities

import (
	"context"
	"encoding/json"
	"math"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/charmbracelet/bubbles/cursor"
	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/list"
	"github.com/charmbracelet/bubbles/textarea"
	"github.com/charmbracelet/bubbles/viewport"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/ansi"
	"github.com/rivo/uniseg"

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
	editor  textarea.Model
	editing bool
	// scrolled: the editor's view may be scrolled down from the text's
	// first row: it was fitted while editing text it cannot show whole,
	// and its text has not been set anew since (SetValue scrolls to the
	// top).
	scrolled bool
	// fitRows and fitHeight are the rows the editor's text took and the
	// editor's height at the last fitEditor.
	fitRows, fitHeight int
	focused            bool

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
	argErr    string // parse/validation error of the editor text, "" if valid
	notSent   bool   // the last enter was refused because of argErr

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

	m.editor = textarea.New()
	m.editor.Prompt = ""
	m.editor.ShowLineNumbers = true
	m.editor.CharLimit = maxArgs
	m.editor.MaxHeight = 0
	m.editor.KeyMap.InsertNewline = m.keys.Newline
	m.editor.Placeholder = "{}"
	// A static cursor: a blinking one re-renders the screen twice a second
	// for nothing and keeps timers running.
	m.editor.Cursor.SetMode(cursor.CursorStatic)
	for _, s := range []*textarea.Style{&m.editor.FocusedStyle, &m.editor.BlurredStyle} {
		s.Base = t.Text
		s.Text = t.Text
		s.CursorLine = t.Text
		s.LineNumber = t.Subtle
		s.CursorLineNumber = t.Muted
		s.Placeholder = t.Muted
		s.EndOfBuffer = t.Subtle
	}
	m.editor.BlurredStyle.Text = t.Muted

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
	m.setEditorText(text) // the cursor at the end, as ctrl+r leaves it
	m.fitEditor()
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

// validate checks the editor text and records the error to show inline.
func (m *Model) validate() {
	m.argErr = ""
	in, ok := m.Selected()
	if !ok {
		return
	}
	text := m.editor.Value()
	if _, err := parseArgs(in, text); err != nil {
		m.argErr = m.argsError(text, err)
	}
}

// maxArgs is the most the argument editor holds, in cells (a wide
// character counts two); a paste past it is cut.
const maxArgs = 64 << 10

// fitRunes cuts the characters k inserts into the editor, whose text is
// text, to the room left below maxArgs, counted in cells as the editor's
// limit is. The textarea compares that room with the number of characters
// instead, so a paste of wide characters got past the limit whole, and
// then nothing could be typed.
func (m *Model) fitRunes(k tea.KeyMsg, text string) tea.KeyMsg {
	// A character takes no more cells than bytes, and a pasted one at most
	// two: most keys are ruled out before the textarea counts cells.
	if len(text)+2*len(k.Runes) <= maxArgs {
		return k
	}
	room := maxArgs - m.editor.Length()
	for i, r := range k.Runes {
		w := 1 // a newline takes a place of its own in the limit
		if r != '\n' {
			w = uniseg.StringWidth(string(r))
		}
		if room -= w; room < 0 {
			k.Runes = k.Runes[:i:i]
			break
		}
	}
	return k
}

// argsError is the message for err, the parse or validation error of text,
// the editor's. The textarea cuts a paste at its limit without a word, and
// the error is then about the cut, at a column past anything typed: text at
// the limit is said to have been cut there.
func (m *Model) argsError(text string, err error) string {
	// A character takes no more cells than bytes: the text's byte length
	// rules out most texts before the textarea counts cells.
	// fitRunes cuts to whole characters, so a cut text of wide ones can
	// end a cell short of the limit.
	if len(text) >= maxArgs-1 && m.editor.Length() >= maxArgs-1 {
		return "text cut at the " + strconv.Itoa(maxArgs>>10) + " KiB limit: " + err.Error()
	}
	return err.Error()
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
		m.setEditorText(text)
		m.fitEditor()
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
func (m *Model) Capturing() bool { return m.editing || m.filter.Typing() || m.viewing != nil }

// Editing reports whether the argument editor has the keyboard.
func (m *Model) Editing() bool { return m.editing }

func (m *Model) startEditing() tea.Cmd {
	m.editing = true
	cmd := m.editor.Focus()
	m.fitEditor()
	return cmd
}

func (m *Model) stopEditing() {
	m.editing = false
	m.editor.Blur()
}

// Update implements pane.Pane.
func (m *Model) Update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case pane.SnapshotMsg:
		return m.onSnapshot(msg.Snap)
	case pane.TickMsg:
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
	if m.editing {
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
	if m.editing {
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
			return m.startEditing()
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
	m.setEditorText(text)
	m.fitEditor()
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
	text := m.editor.Value()
	args, err := parseArgs(in, text)
	if err != nil {
		m.argErr, m.notSent = m.argsError(text, err), true
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
	m.keys.Open.SetEnabled(m.focused && has && !filtering && !m.editing && m.last[in.Name] != nil)
	m.keys.Close.SetEnabled(m.viewing != nil)
	m.keys.Top.SetEnabled(m.viewing != nil)
	m.keys.Bottom.SetEnabled(m.viewing != nil)
	m.keys.Call.SetEnabled(m.focused && has && !filtering)
	m.keys.Edit.SetEnabled(m.focused && has && !filtering && !m.editing)
	m.keys.Defaults.SetEnabled(m.focused && has && !filtering)
	m.keys.Back.SetEnabled(m.editing)
	m.keys.Newline.SetEnabled(m.editing)
}

// ShortHelp implements help.KeyMap.
func (m *Model) ShortHelp() []key.Binding {
	if m.viewing != nil {
		k := m.viewer.KeyMap
		return []key.Binding{k.Up, k.Down, k.PageUp, k.PageDown, m.keys.Top, m.keys.Bottom, m.keys.Close}
	}
	if m.editing {
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
	m.editor.SetWidth(max(w-lw-3, 10))
	m.fitEditor() // the text wraps anew
	if m.viewing != nil {
		m.openResult() // re-wrap to the new width
	}
	m.dirty = true
}

// listWidth is the width of the ability list column.
func (m *Model) listWidth() int { return max(min(m.width/3, 32), 18) }

// setEditorText puts text in the editor, the cursor at its end and the
// view at its first row; fit the editor to it next (fitEditor).
func (m *Model) setEditorText(text string) {
	m.editor.SetValue(text)
	m.scrolled = false
}

// updateEditor passes msg (a key, or the text the textarea read from the
// clipboard) to the argument editor; when it changed the text, the text is
// validated and the editor fitted to it, the cursor in view.
func (m *Model) updateEditor(msg tea.Msg) tea.Cmd {
	before, height := m.editor.Value(), m.editor.Height()
	if k, ok := msg.(tea.KeyMsg); ok && k.Type == tea.KeyRunes {
		msg = m.fitRunes(k, before)
	}
	// The textarea scrolls its view to the cursor in Update, at the height
	// it has then: let that be the height the editor can grow to, or text
	// that makes it grow is scrolled within the old height and shown from
	// its second row, above an empty one.
	m.editor.SetHeight(m.editorMaxHeight())
	var cmd tea.Cmd
	m.editor, cmd = m.editor.Update(msg)
	if m.editor.Value() == before {
		m.editor.SetHeight(height)
		return cmd
	}
	m.validate()
	m.notSent = false
	m.fitEditor()
	return cmd
}

// fitEditor sizes the editor to its text, within limits set by the pane
// height, and scrolls its view so that text that fits is shown whole and
// text that does not fills the editor, the cursor in view while editing.
//
// The textarea scrolls only at the end of its Update, and only as far as
// the text it rendered last reaches: its viewport holds the lines of its
// previous View and clamps the scroll to them. After a paste that adds
// more rows than the editor shows (a 50,000-character line is hundreds),
// the view stayed where the old text ended, the cursor far below it,
// until the next key scrolled again with the pasted rows rendered. So
// the editor is rendered here with the text and height it has now, then
// scrolled (scrollToCursor).
func (m *Model) fitEditor() {
	limit := m.editorMaxHeight()
	rows := wrappedRows(m.editor.Value(), m.editor.Width(), math.MaxInt)
	height := min(rows, limit)
	m.editor.SetHeight(height)
	// The view may end below the text only if the text lost rows or the
	// editor gained some since the last fit: the textarea never scrolls
	// further down than the cursor.
	below := rows < m.fitRows || height > m.fitHeight
	m.fitRows, m.fitHeight = rows, height
	if rows <= limit {
		if m.scrolled {
			m.editorToTop()
		}
		return
	}
	if m.editing || m.scrolled {
		// Not editing, a view that editing scrolled keeps the cursor in
		// it; one it did not shows the first rows, as SetValue left it.
		m.scrollToCursor(rows, below)
		m.scrolled = true
	}
}

// scrollToCursor scrolls the editor's view, whose text overflows it in
// rows, to the cursor and, when it may end below the text, so that it
// shows no row past the text's end.
//
// The textarea scrolls only to bring the cursor into view. It keeps its
// scroll offset when the text rewraps into fewer rows (a wider pane, rows
// deleted after the cursor) or the editor grows taller, so its view could
// end below the text, empty rows under its last one, and stayed so while
// the cursor was in it. An offset past the text's end (a pane shrunk then
// grown back: the narrow text had more rows) its viewport moved into the
// padding rows it renders below the text, and the textarea scrolled back
// up only as far as the cursor: the text's last row at the view's top,
// every other row empty. Nothing exported reads or sets the offset, so the
// cursor moves instead: when it is below top, the first row of the view
// that ends at the text's last row, it is moved up to top, to which the
// textarea scrolls up if its view starts lower (a view starting higher
// shows top already), and is then put back, in that view.
func (m *Model) scrollToCursor(rows int, below bool) {
	if !m.editing { // the textarea scrolls only while focused
		_ = m.editor.Focus() // nil: the cursor does not blink
		defer m.editor.Blur()
	}
	_ = m.editor.View() // the text's rows at the current width and height
	m.editor, _ = m.editor.Update(nil)
	if !below {
		return
	}

	text := m.editor.Value()
	top := rows - m.editor.Height()
	row, li := m.editor.Line(), m.editor.LineInfo()
	before := 0
	for range row {
		line, rest, _ := strings.Cut(text, "\n")
		before += lineRows(line, m.editor.Width())
		text = rest
	}
	up := before + li.RowOffset - top
	if up <= 0 {
		return // the view starts at or above the cursor, so above top
	}
	col := li.StartColumn + li.ColumnOffset
	for range up {
		m.editor.CursorUp()
	}
	m.editor, _ = m.editor.Update(nil)
	m.restoreCursor(row, col)
}

// editorToTop scrolls the editor's view to the text's first row, the
// cursor staying where it is. The textarea scrolls up only as far as the
// cursor, so text that came to fit (by deleting, or a wider pane) would
// be shown from a later row, above empty ones; SetValue is what scrolls
// it to the top, and puts the cursor at the end.
func (m *Model) editorToTop() {
	row, li := m.editor.Line(), m.editor.LineInfo()
	m.editor.SetValue(m.editor.Value())
	m.scrolled = false
	m.restoreCursor(row, li.StartColumn+li.ColumnOffset)
}

// restoreCursor moves the editor's cursor to column col of line row.
func (m *Model) restoreCursor(row, col int) {
	for m.editor.Line() > row {
		m.editor.CursorUp()
	}
	for m.editor.Line() < row {
		m.editor.CursorDown()
	}
	m.editor.SetCursor(col)
}

// editorMaxHeight is the most rows the editor takes: a quarter of the
// pane, at most 10. Within it the editor is as tall as its text as
// displayed, soft-wrapped rows included (a long pasted line takes several).
func (m *Model) editorMaxHeight() int { return max(min(m.height/4, 10), 1) }

// wrappedRows counts the rows text takes in a textarea whose text is width
// cells wide, counting no further than limit.
func wrappedRows(text string, width, limit int) int {
	width = max(width, 1)
	rows := 0
	for rows < limit {
		line, rest, more := strings.Cut(text, "\n")
		rows += lineRows(line, width)
		if !more {
			break
		}
		text = rest
	}
	return rows
}

// lineRows counts the rows one line takes in a textarea width cells wide,
// wrapping as bubbles' textarea does: at spaces, a word wider than a row
// broken where it overflows, and a row more when the text fills the last
// one (the textarea keeps a cell there for the cursor).
func lineRows(line string, width int) int {
	rows, rowW, wordW, spaces := 1, 0, 0, 0
	for _, r := range line {
		if unicode.IsSpace(r) {
			spaces++
		} else {
			wordW += runeWidth(r)
		}
		switch {
		case spaces > 0:
			if rowW+wordW+spaces > width {
				rows++
				rowW = 0
			}
			rowW += wordW + spaces
			wordW, spaces = 0, 0
		case wordW+runeWidth(r) > width:
			if rowW > 0 {
				rows++
			}
			rowW, wordW = wordW, 0
		}
	}
	if rowW+wordW+spaces >= width {
		rows++
	}
	return rows
}

// runeWidth is the width of r in cells.
func runeWidth(r rune) int {
	if r < 0x80 {
		if r < 0x20 || r == 0x7f {
			return 0
		}
		return 1
	}
	return ansi.StringWidth(string(r))
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
