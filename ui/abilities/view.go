package abilities

import (
	"sort"
	"strconv"
	"strings"

	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"

	"github.com/agentdash/agentdash/internal/agent"
	"github.com/agentdash/agentdash/internal/schema"
	"github.com/agentdash/agentdash/ui/pane"
	"github.com/agentdash/agentdash/ui/theme"
)

// View implements pane.Pane: the list on the left, the selected ability's
// details, argument editor, last result and the call history on the right.
func (m *Model) View() string {
	if !m.dirty {
		return m.view
	}
	m.dirty = false
	if m.width <= 0 || m.height <= 0 {
		m.view = ""
		return ""
	}
	lw := m.listWidth()
	rw := max(m.width-lw-3, 1)
	left := theme.Block(m.listTitle()+"\n"+m.listView(), lw, m.height)
	right := theme.Block(m.detailView(rw), rw, m.height)
	m.view = pane.JoinColumns(left, m.c.Theme.Subtle.Render(" │ "), right, m.height)
	return m.view
}

// listTitle is the list's first line: the filter input while a query is
// typed, else how many abilities there are and the filter when one is
// applied.
func (m *Model) listTitle() string {
	t := m.c.Theme
	total := len(m.infos)
	count := t.Muted.Render(" · " + strconv.Itoa(len(m.list.Items())) + " of " + strconv.Itoa(total))
	switch {
	case m.filter.Typing() && m.query == "":
		return m.filter.View()
	case m.filter.Typing():
		return m.filter.View() + count
	case m.query != "":
		return t.Key.Render("/") + t.Text.Render(m.query) + count
	}
	return t.Muted.Render(pane.Plural(total, "ability", "abilities"))
}

// listView is the list below the title line.
func (m *Model) listView() string {
	if len(m.list.Items()) == 0 && m.query != "" {
		return m.c.Theme.Muted.Render("  no match")
	}
	return m.list.View()
}

// detailView lays out the right column top-down; the result gets the space
// the other sections leave.
func (m *Model) detailView(w int) string {
	t := m.c.Theme
	in, ok := m.Selected()
	if !ok {
		if m.query != "" {
			return strings.Join(wrapIn(t.Warn, "no ability matches \""+m.query+"\"", w, 2), "\n") + "\n" +
				t.Key.Render("esc") + t.KeyDesc.Render(" clears the filter · ") +
				t.Key.Render("/") + t.KeyDesc.Render(" starts a new one")
		}
		return t.Muted.Render("no abilities registered")
	}
	if r := m.viewing; r != nil {
		head := t.Label.Render("Result") + "  #" + strconv.Itoa(r.seq) + " " + r.ability + " " + outcomeText(t, r) +
			t.Muted.Render("  "+pane.Percent(m.viewer.ScrollPercent())+" · esc closes")
		return ansi.Truncate(head, w, "…") + "\n" + m.viewer.View()
	}
	h := m.height
	var lines []string
	add := func(s ...string) { lines = append(lines, s...) }

	// Name, live summary, description.
	add(t.Bold.Render(in.Name) + "  " + t.Muted.Render(m.stats[in.Name]))
	if in.Description != "" {
		add(wrapIn(t.Text, in.Description, w, 2)...)
	}
	if in.Source != "" {
		add(ansi.Truncate(t.Label.Render("from ")+t.Muted.Render(in.Source), w, "…"))
	}
	// Schema and policy.
	infoMax := max(h/4, 2)
	add(schemaLines(t, in, w, infoMax)...)

	// Editor.
	label := "Arguments"
	if m.Editing() {
		label = "Arguments (editing)"
	}
	add(t.Label.Render(label))
	add(strings.Split(m.editor.View(), "\n")...)
	switch {
	case m.editor.Err() != "" && m.notSent:
		add(wrapIn(t.Error, "✗ not sent: "+m.editor.Err(), w, 3)...)
	case m.editor.Err() != "":
		add(wrapIn(t.Error, "✗ "+m.editor.Err(), w, 3)...)
	default:
		add(t.Good.Render("✓ valid") + t.Muted.Render(" · enter calls "+in.Name))
	}

	// History takes up to a fifth of the pane at the bottom, but not the
	// first lines of the result: in a small pane the result of the call
	// matters more than the list of calls.
	histH := 0
	if len(m.history) > 0 {
		histH = min(len(m.history), max(h/5, 2)) + 1
		if histH = min(histH, h-len(lines)-m.resultMinLines(in.Name, w)); histH < 2 {
			histH = 0 // a title without an entry says nothing
		}
	}
	resH := h - len(lines) - histH
	if resH > 0 {
		add(m.resultLines(in.Name, w, resH)...)
	}
	if histH > 0 && len(lines)+histH <= h {
		for len(lines) < h-histH {
			add("")
		}
		add(m.historyLines(w, histH)...)
	}
	return strings.Join(lines, "\n")
}

// schemaLines describes the arguments ("text string required — ...") and
// the ability's timeout and cache policy, in at most max lines.
func schemaLines(t *theme.Theme, in agent.Info, w, maxLines int) []string {
	var lines []string
	policy := t.Label.Render("timeout ") + pane.Duration(in.Timeout)
	if in.CacheTTL > 0 {
		policy += t.Label.Render("  cache ttl ") + pane.Duration(in.CacheTTL)
	} else {
		policy += t.Label.Render("  not cached")
	}
	if in.Schema == nil || len(in.Schema.Properties) == 0 {
		return append(lines, t.Label.Render("no arguments  ")+policy)
	}
	lines = append(lines, policy)
	names := make([]string, 0, len(in.Schema.Properties))
	for n := range in.Schema.Properties {
		names = append(names, n)
	}
	sort.Strings(names)
	req := make(map[string]bool, len(in.Schema.Required))
	for _, r := range in.Schema.Required {
		req[r] = true
	}
	for i, n := range names {
		if len(lines) == maxLines-1 && i < len(names)-1 {
			lines = append(lines, t.Muted.Render("… "+strconv.Itoa(len(names)-i)+" more arguments"))
			break
		}
		lines = append(lines, ansi.Truncate(propLine(t, n, in.Schema.Properties[n], req[n]), w, "…"))
	}
	return lines
}

// propLine describes one argument: name, type ("any" when the schema
// gives none: any JSON value is accepted), whether it is required, and its
// description.
func propLine(t *theme.Theme, name string, p *schema.Property, required bool) string {
	typ := p.Type
	if typ == "" {
		typ = "any"
	}
	s := t.Accent.Render(name) + " " + t.Info.Render(typ)
	if required {
		s += t.Warn.Render(" required")
	}
	if p.Description != "" {
		s += t.Muted.Render(" — " + p.Description)
	}
	return s
}

// resultShownFirst is how many lines of a result's body come before the
// history when the pane is short of room.
const resultShownFirst = 3

// resultMinLines is the height resultLines needs to show the title line
// and the first lines of the result (or that there is none yet).
func (m *Model) resultMinLines(ability string, w int) int {
	r := m.last[ability]
	if r == nil {
		return 2
	}
	body := r.value
	if r.err != "" {
		body = r.err
	}
	body, _ = firstLines(body, resultShownFirst, resultShownFirst*w*4)
	bl, _ := pane.WrapCut(body, w, resultShownFirst)
	return 1 + len(bl)
}

// resultLines shows the latest finished call of ability (or that calls are
// in flight) in at most h lines.
func (m *Model) resultLines(ability string, w, h int) []string {
	t := m.c.Theme
	lines := make([]string, 0, h)
	head := t.Label.Render("Result")
	if n := m.inFlight[ability]; n > 0 {
		head += "  " + t.Info.Render("⋯ calling ("+strconv.Itoa(n)+" in flight)")
	}
	r := m.last[ability]
	if r == nil {
		lines = append(lines, head)
		if h > 1 && m.inFlight[ability] == 0 {
			lines = append(lines, t.Muted.Render("no call yet — press enter to call "+ability))
		}
		return lines
	}
	head += "  #" + strconv.Itoa(r.seq) + " " + outcomeText(t, r) + t.Muted.Render(" in ") + r.latency
	if r.cached {
		head += "  " + t.Info.Render("[cached]")
	}
	if r.shared {
		head += "  " + t.Info.Render("[shared]")
	}
	lines = append(lines, ansi.Truncate(head, w, "…"))
	body := r.value
	st := t.Text
	if r.err != "" {
		body, st = r.err, t.Error
	}
	// Only the first screenful is wrapped: a large result costs nothing here.
	body, more := firstLines(body, h-1, (h-1)*w*4)
	bl, cut := pane.WrapCut(body, w, h-1)
	if (more || cut) && h > 1 && len(bl) == h-1 {
		bl[h-2] = ansi.Truncate(bl[h-2], max(w-18, 1), "") + t.Muted.Render(" … o shows all")
	}
	for _, l := range bl {
		lines = append(lines, st.Render(l))
	}
	return lines
}

func outcomeText(t *theme.Theme, r *record) string {
	switch {
	case r.err == "":
		return t.Good.Render("✓ " + r.outcome)
	case r.outcome == agent.OutcomeShortCircuited.String() || r.outcome == agent.OutcomeRejected.String():
		return t.Warn.Render("✗ " + r.outcome)
	}
	return t.Bad.Render("✗ " + r.outcome)
}

// historyLines lists recent calls, newest first, under a title line.
func (m *Model) historyLines(w, h int) []string {
	t := m.c.Theme
	lines := make([]string, 0, h)
	lines = append(lines, t.Label.Render("History ")+t.Muted.Render("("+pane.Plural(len(m.history), "recent call", "recent calls")+", newest first)"))
	// The columns are as wide as the widest shown entry, so they align
	// whatever the outcomes and latencies.
	shown := m.history[max(len(m.history)-(h-1), 0):]
	nameW, outW, latW := 0, 0, 0
	for _, r := range shown {
		nameW = max(nameW, ansi.StringWidth(r.ability))
		outW = max(outW, ansi.StringWidth(outcomeText(t, r)))
		latW = max(latW, ansi.StringWidth(historyLatency(r)))
	}
	for i := len(shown) - 1; i >= 0; i-- {
		r := shown[i]
		line := theme.PadLeft("#"+strconv.Itoa(r.seq), 5) + " " + theme.PadRight(r.ability, nameW) + "  " +
			theme.PadRight(outcomeText(t, r), outW) + " " + t.Muted.Render(theme.PadLeft(historyLatency(r), latW)) +
			"  " + historyDetail(t, r)
		lines = append(lines, ansi.Truncate(line, w, "…"))
	}
	return lines
}

// historyDetail is what the history says of a call after its latency:
// who made it, for a call from outside the dashboard, else its arguments.
func historyDetail(t *theme.Theme, r *record) string {
	if r.caller != "" {
		return t.Label.Render("by " + r.caller)
	}
	return t.Subtle.Render(r.args)
}

// historyLatency is a call's latency, and "cached" when the cache served it.
func historyLatency(r *record) string {
	if r.cached {
		return "cached " + r.latency
	}
	return r.latency
}

// wrapIn wraps s as pane.WrapCut does and renders each line in style st:
// a style rendered before wrapping would start on the first line only.
func wrapIn(st lipgloss.Style, s string, w, n int) []string {
	lines, _ := pane.WrapCut(s, w, n)
	for i, l := range lines {
		lines[i] = st.Render(l)
	}
	return lines
}

// firstLines returns the first n lines of s, at most maxBytes of them, and
// whether anything was cut.
func firstLines(s string, n, maxBytes int) (string, bool) {
	cut := false
	if len(s) > maxBytes {
		s, cut = strings.ToValidUTF8(s[:maxBytes], ""), true
	}
	i := 0
	for range max(n, 0) {
		j := strings.IndexByte(s[i:], '\n')
		if j < 0 {
			return s, cut
		}
		i += j + 1
	}
	return s[:max(i-1, 0)], cut || i < len(s)
}
