package dashboard

import (
	"slices"
	"strconv"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"

	"github.com/agentdash/agentdash/ui/pane"
	"github.com/agentdash/agentdash/ui/theme"
)

// View renders the whole screen: exactly height lines of width cells, or
// nothing once quitting.
func (m *Model) View() string {
	if m.quitting {
		// Bubble Tea leaves its last frame on the alternate screen when it
		// switches back, and tmux, leaving an alternate screen that grew
		// wider than when it was entered, reflows lines wider than the old
		// size into the main screen: a blank last frame leaves nothing.
		return ""
	}
	if m.cfg.NoColor {
		return theme.WithoutColor(m.view())
	}
	return m.view()
}

func (m *Model) view() string {
	if m.width == 0 || m.height == 0 {
		return "" // no WindowSizeMsg yet
	}
	if m.layout.kind == layoutTooSmall {
		return m.tooSmallView()
	}
	var sb strings.Builder
	sb.Grow(m.width * m.height * 3)
	sb.WriteString(m.headerView())
	sb.WriteByte('\n')
	if m.showHelp || m.showUpstreams {
		var body strings.Builder
		m.writeBody(&body)
		box := m.helpBox
		if m.showUpstreams {
			box = m.upstreamBox
		}
		sb.WriteString(m.overlay(body.String(), box()))
	} else {
		m.writeBody(&sb)
	}
	sb.WriteByte('\n')
	sb.WriteString(m.footerView())
	return sb.String()
}

func (m *Model) tooSmallView() string {
	t := m.theme
	msg := t.Bad.Render("terminal too small") + "\n" +
		t.Text.Render(strconv.Itoa(m.width)+"×"+strconv.Itoa(m.height)+", need at least "+
			strconv.Itoa(minW)+"×"+strconv.Itoa(minH)) + "\n" +
		t.Muted.Render("enlarge the window, or press q to quit")
	// The lines wrap to the width rather than being cut short; Place does
	// not clip content taller than the box: Block does.
	msg = t.Centered.Width(m.width).Render(msg)
	return theme.Block(t.Renderer().Place(m.width, m.height, lipgloss.Center, lipgloss.Center, msg), m.width, m.height)
}

// headerView is one line: agent name, uptime, call rate, concurrency,
// exporter address and the ZOOM/PAUSED badges. Labels are shortened when
// the long form does not fit.
func (m *Model) headerView() string {
	t := m.theme
	var badges string
	if m.zoom {
		badges += t.Badge.Render(" ZOOM ") + t.Header.Render(" ")
	}
	if m.paused {
		badges += t.Badge.Render(" PAUSED ") + t.Header.Render(" ")
	}
	if m.health != nil {
		badges += t.Badge.Render(" disconnected — retrying ") + t.Header.Render(" ")
	}
	name := t.HeaderName.Render(" " + m.snap.Name + " ")
	room := max(m.width-lipgloss.Width(name)-lipgloss.Width(badges), 0)
	info := m.headerInfo(false)
	if lipgloss.Width(info) > room {
		info = m.headerInfo(true)
	}
	return theme.PadRight(name+t.Header.Render(theme.PadRight(info, room))+badges, m.width)
}

func (m *Model) headerInfo(short bool) string {
	s := &m.snap
	var b strings.Builder
	b.WriteString(" up ")
	b.WriteString(pane.Uptime(s.Uptime))
	b.WriteString(" │ ")
	b.WriteString(pane.Rate(s.Rate))
	if short {
		b.WriteString("/s │ ")
	} else {
		b.WriteString(" calls/s │ concurrency ")
	}
	b.WriteString(strconv.Itoa(s.InUse))
	b.WriteByte('/')
	b.WriteString(strconv.Itoa(s.Limit))
	if short {
		b.WriteString(" busy")
	}
	if s.Waiting > 0 {
		b.WriteString(" (")
		b.WriteString(strconv.Itoa(s.Waiting))
		b.WriteString(" waiting)")
	}
	b.WriteString(" │ metrics ")
	if m.cfg.MetricsAddr != "" {
		b.WriteString(m.cfg.MetricsAddr)
	} else {
		b.WriteString("off")
	}
	if m.cfg.MCPAddr != "" {
		b.WriteString(" │ mcp ")
		b.WriteString(m.cfg.MCPAddr)
	}
	if badge := m.upstreamBadge(); badge != "" {
		b.WriteString(" │ " + badge)
	}
	b.WriteByte(' ')
	return b.String()
}

func (m *Model) tabBarView() string {
	t := m.theme
	var b strings.Builder
	x := 0
	for i, p := range m.panes {
		label := strconv.Itoa(i+1) + " " + p.Title()
		var s string
		if i == m.focus {
			s = t.ActiveTab.Render("[" + label + "]")
		} else {
			s = t.Tab.Render(" " + label + " ")
		}
		w := lipgloss.Width(s)
		m.layout.tabs[i] = rect{x, m.layout.body.y, w, 1}
		x += w
		b.WriteString(s)
	}
	return theme.PadRight(b.String(), m.width)
}

// writeBody renders the panes into the body area.
func (m *Model) writeBody(sb *strings.Builder) {
	l := &m.layout
	switch {
	case l.kind == layoutGrid && !m.zoom:
		top := m.frameLines(0, 1)
		bottom := m.frameLines(2, 3)
		writeJoined(sb, top)
		sb.WriteByte('\n')
		writeJoined(sb, bottom)
	default:
		if l.tabBar {
			sb.WriteString(m.tabBarView())
			sb.WriteByte('\n')
		}
		sb.WriteString(m.frameView(m.focus))
	}
}

// frameView is pane i's content inside its titled frame.
func (m *Model) frameView(i int) string { return m.framed(i).out }

// framed returns pane i framed, reusing the last frame when the pane's
// view, size and focus are unchanged (panes return the same cached string
// when nothing changed, so the comparison is a pointer check).
func (m *Model) framed(i int) *frameCache {
	r := m.layout.frames[i]
	body := m.panes[i].View()
	fc := &m.frameCache[i]
	if fc.out != "" && fc.body == body && fc.w == r.w && fc.h == r.h && fc.focused == (i == m.focus) {
		return fc
	}
	title := strconv.Itoa(i+1) + " " + m.panes[i].Title()
	*fc = frameCache{body: body, w: r.w, h: r.h, focused: i == m.focus}
	fc.out = m.theme.Frame(title, body, r.w, r.h, fc.focused)
	fc.lines = strings.Split(fc.out, "\n")
	return fc
}

// frameCache is the last framed view of one pane.
type frameCache struct {
	body    string
	w, h    int
	focused bool
	out     string
	lines   []string
}

// frameLines returns two side-by-side frames as lines.
func (m *Model) frameLines(left, right int) [2][]string {
	return [2][]string{m.framed(left).lines, m.framed(right).lines}
}

func writeJoined(sb *strings.Builder, cols [2][]string) {
	for i := range cols[0] {
		if i > 0 {
			sb.WriteByte('\n')
		}
		sb.WriteString(cols[0][i])
		if i < len(cols[1]) {
			sb.WriteString(cols[1][i])
		}
	}
}

// footerView shows the keys that work now: the focused pane's on the left
// (cut with "…" when they do not fit), the global ones on the right (always
// visible), and between them the latest status message, if any, else why
// the configuration file was last not applied, if it was not. The status
// never hides the keys: it takes the room they leave, and at least half of
// it when it is long (two thirds for an error), cut with "…".
func (m *Model) footerView() string {
	t := m.theme
	var local, global []key.Binding
	focused := m.panes[m.focus]
	switch {
	case m.showHelp:
		global = []key.Binding{m.keys.Close, m.keys.Quit}
		if _, room := m.helpWindow(); len(m.helpLines()) > room {
			global = append([]key.Binding{m.keys.HelpUp}, global...)
		}
	case focused.Capturing():
		// Global keys go to the pane now; only ctrl+c still quits.
		local, global = focused.ShortHelp(), []key.Binding{m.keys.ForceQuit}
	default:
		local, global = focused.ShortHelp(), m.keys.short(m.zoom, m.paused)
		if m.width < 100 {
			global = global[1:] // drop "tab next pane" to leave room for the pane's keys
		}
	}
	right, rightW := m.keysView(global, m.width)
	// One space at each end, at least two between the parts.
	room := max(m.width-rightW-4, 0)
	text, isErr := m.status, m.statusErr
	if text == "" {
		text, isErr = m.reloadErr, true
	}
	if text == "" {
		left, _ := m.fitKeys(local, room)
		return theme.PadRight(theme.PadRight(" "+left, room+1)+"  "+right+" ", m.width)
	}

	st := t.Info
	if isErr {
		text, st = "✗ "+text, t.Error
	}
	room -= 3 // the status is followed by " │ "
	_, keysW := m.keysView(local, -1)
	full := ansi.StringWidth(text)
	sw := full
	if keysW+2+sw > room {
		share := room / 2
		if isErr {
			share = room * 2 / 3 // what went wrong, and where, before the keys ? lists
		}
		sw = max(room-keysW-2, min(sw, share))
	}
	left, leftW := m.fitKeys(local, room-sw-2)
	sw = min(full, room-leftW-2) // the keys may leave more than they were given
	if sw < 2 {
		return theme.PadRight(theme.PadRight(" "+left, room+4)+"  "+right+" ", m.width)
	}
	status := st.Render(ansi.Truncate(text, sw, "…")) + t.Subtle.Render(" │ ")
	return theme.PadRight(theme.PadRight(" "+left, m.width-rightW-sw-4)+status+right+" ", m.width)
}

// fitKeys is keysView for the focused pane's keys: when they do not all fit
// in w cells, the cursor movement keys (bound to up or down, which every
// user tries first and "?" lists) make way for the pane's actions.
func (m *Model) fitKeys(bindings []key.Binding, w int) (string, int) {
	s, sw := m.keysView(bindings, w)
	if !strings.HasSuffix(s, " …") {
		return s, sw
	}
	actions := make([]key.Binding, 0, len(bindings))
	for _, b := range bindings {
		if !slices.Contains(b.Keys(), "up") && !slices.Contains(b.Keys(), "down") {
			actions = append(actions, b)
		}
	}
	if len(actions) == len(bindings) {
		return s, sw
	}
	return m.keysView(actions, w)
}

// keysView renders the enabled bindings as "key desc • key desc" in at most
// w cells (no limit when w < 0), ending in " …" when some do not fit, and
// returns it with its width. Written by hand because help.Model's
// ShortHelpView overflows its width by an item when the ellipsis does not
// fit.
func (m *Model) keysView(bindings []key.Binding, w int) (string, int) {
	st := &m.help.Styles
	sep := st.ShortSeparator.Render(m.help.ShortSeparator)
	var (
		b    strings.Builder
		ends []int // byte length and width after each item
		wids []int
		used int
	)
	for _, kb := range bindings {
		if !kb.Enabled() {
			continue
		}
		item := st.ShortKey.Render(kb.Help().Key) + " " + st.ShortDesc.Render(kb.Help().Desc)
		if used > 0 {
			item = sep + item
		}
		iw := ansi.StringWidth(item)
		if w >= 0 && used+iw > w {
			// Drop items until the ellipsis fits after the rest.
			const ellipsisW = 2 // " …"
			n := len(ends)
			for n > 0 && wids[n-1]+ellipsisW > w {
				n--
			}
			if n == 0 {
				return "", 0
			}
			return b.String()[:ends[n-1]] + st.Ellipsis.Render(" …"), wids[n-1] + ellipsisW
		}
		b.WriteString(item)
		used += iw
		ends, wids = append(ends, b.Len()), append(wids, used)
	}
	return b.String(), used
}

// helpBox is the full key reference of the focused pane and the global
// keys, in a bordered box over the panes. When it is taller than the screen
// it shows the part from helpTop on, and its title says where more is.
func (m *Model) helpBox() string {
	t := m.theme
	lines := m.helpLines()
	top, room := m.helpWindow()
	title := t.Bold.Render("Keys — " + m.panes[m.focus].Title())
	if len(lines) > room {
		top = max(min(top, len(lines)-room), 0)
		var more []string
		if top > 0 {
			more = append(more, "↑")
		}
		if top+room < len(lines) {
			more = append(more, "↓")
		}
		title += t.Muted.Render("  " + strings.Join(more, "") + " more, ↑/↓ scroll")
		// The box keeps the width of the whole list while it scrolls.
		w := 0
		for _, l := range lines {
			w = max(w, ansi.StringWidth(l))
		}
		lines = slices.Clone(lines[top : top+room])
		lines[0] = theme.PadRight(lines[0], w)
	}
	return t.Overlay.Render(title + "\n\n" + strings.Join(lines, "\n"))
}

// helpWindow returns the first key-list line the help overlay shows and
// how many fit under its border and title.
func (m *Model) helpWindow() (top, room int) {
	return m.helpTop, max(m.layout.body.h-4, 1)
}

// helpLines lays out the focused pane's key groups and the global keys:
// one column per group, under its heading, flowed into as many rows as the
// width needs, after the whole of the configuration file's error, if the
// file was last not applied. Keys that do not work at the moment are dimmed. Laid out by
// hand because help.Model's FullHelpView cuts the columns that do not fit
// (at 80×24, the global keys) and hides disabled keys.
func (m *Model) helpLines() []string {
	groups := append(m.panes[m.focus].FullHelp(), m.keys.full())
	maxW := max(m.width-6, 10) // border, padding and a margin
	const gap = "   "
	var (
		rows         []string
		row          [][]string // the columns of the row being built
		rowW, height int
	)
	flush := func() {
		if len(row) == 0 {
			return
		}
		if len(rows) > 0 {
			rows = append(rows, "")
		}
		for i := range height {
			var b strings.Builder
			for j, col := range row {
				if j > 0 {
					b.WriteString(gap)
				}
				line := ""
				if i < len(col) {
					line = col[i]
				}
				if j < len(row)-1 {
					line = theme.PadRight(line, ansi.StringWidth(col[0]))
				}
				b.WriteString(line)
			}
			rows = append(rows, b.String())
		}
		row, rowW, height = row[:0], 0, 0
	}
	for _, g := range groups {
		col := m.helpColumn(g)
		if len(col) == 0 {
			continue
		}
		w := ansi.StringWidth(col[0])
		if len(row) > 0 && rowW+len(gap)+w > maxW {
			flush()
		}
		if len(row) > 0 {
			rowW += len(gap)
		}
		row = append(row, col)
		rowW += w
		height = max(height, len(col))
	}
	flush()
	if m.reloadErr != "" {
		// The footer has room for the error's place and the start of its
		// reason; the whole of it is here.
		head := strings.Split(ansi.Wrap("✗ "+m.reloadErr, maxW, " "), "\n")
		for i, l := range head {
			head[i] = m.theme.Error.Render(l)
		}
		rows = append(append(head, ""), rows...)
	}
	return rows
}

// helpColumn renders one help group as lines of equal width: the heading,
// then "key  description" with the keys aligned.
func (m *Model) helpColumn(g []key.Binding) []string {
	t := m.theme
	st := &m.help.Styles
	heading, keyW := "", 0
	var keys []key.Binding
	for _, b := range g {
		switch {
		case pane.IsHeading(b):
			heading = b.Help().Desc
		case b.Help().Key != "":
			keys = append(keys, b)
			keyW = max(keyW, ansi.StringWidth(b.Help().Key))
		}
	}
	if len(keys) == 0 {
		return nil
	}
	lines := make([]string, 0, len(keys)+1)
	width := ansi.StringWidth(heading)
	for _, b := range keys {
		width = max(width, keyW+1+ansi.StringWidth(b.Help().Desc))
	}
	lines = append(lines, t.Label.Render(theme.PadRight(heading, width)))
	for _, b := range keys {
		k, d := st.FullKey, st.FullDesc
		if !b.Enabled() {
			k, d = t.Subtle, t.Subtle
		}
		lines = append(lines, k.Render(theme.PadRight(b.Help().Key, keyW))+" "+d.Render(theme.PadRight(b.Help().Desc, width-keyW-1)))
	}
	return lines
}

// overlay draws box centred over the body area, keeping the panes visible
// around it (lipgloss v1 has no layers, so lines are spliced by cell).
func (m *Model) overlay(body, box string) string {
	lines := strings.Split(theme.Block(body, m.width, m.layout.body.h), "\n")
	boxLines := strings.Split(box, "\n")
	bw := min(lipgloss.Width(box), m.width)
	x := (m.width - bw) / 2
	y := max((len(lines)-len(boxLines))/2, 0)
	reset := ""
	if m.theme.Styled() {
		reset = "\x1b[0m" // close any style the cut left open
	}
	for i, bl := range boxLines {
		if y+i >= len(lines) {
			break
		}
		l := lines[y+i]
		lines[y+i] = ansi.Truncate(l, x, "") + reset + theme.PadRight(bl, bw) + reset + ansi.TruncateLeft(l, x+bw, "")
	}
	return strings.Join(lines, "\n")
}
