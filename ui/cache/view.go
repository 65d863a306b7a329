package cache

import (
	"strconv"
	"strings"
	"time"

	"github.com/charmbracelet/lipgloss"

	"github.com/agentdash/agentdash/internal/agent"
	"github.com/agentdash/agentdash/ui/pane"
	"github.com/agentdash/agentdash/ui/theme"
)

// rows builds the table rows from the latest snapshot.
func (m *Model) rows() [][]pane.Cell {
	t := m.c.Theme
	rows := make([][]pane.Cell, len(m.stats))
	var buf []float64
	dash := pane.Cell{Text: "–", Style: &t.Subtle}
	for i := range m.stats {
		a := &m.stats[i]
		row := make([]pane.Cell, len(columns))
		row[colName] = pane.Cell{Text: a.Name}
		row[colRate] = pane.Cell{Text: pane.Rate(a.Rate)}
		row[colInFlight] = pane.Cell{Text: strconv.FormatInt(a.InFlight, 10)}
		if a.InFlight > 0 {
			row[colInFlight].Style = &t.Info
		}
		if a.Cached {
			row[colHits] = pane.Cell{Text: pane.Count(a.CacheHits)}
			row[colMisses] = pane.Cell{Text: pane.Count(a.CacheMisses)}
			row[colRatio] = ratioCell(t, a)
			row[colEntries] = pane.Cell{Text: strconv.Itoa(a.CacheEntries)}
			row[colEvictions] = pane.Cell{Text: pane.Count(a.CacheEvictions)}
		} else {
			row[colHits], row[colMisses], row[colRatio], row[colEntries], row[colEvictions] = dash, dash, dash, dash, dash
		}
		if a.Recent.Count > 0 {
			row[colP50] = pane.Cell{Text: pane.Duration(a.Recent.P50)}
			row[colP95] = pane.Cell{Text: pane.Duration(a.Recent.P95)}
			row[colP99] = pane.Cell{Text: pane.Duration(a.Recent.P99)}
		} else {
			row[colP50], row[colP95], row[colP99] = dash, dash, dash
		}
		buf = m.series(buf[:0], a)
		row[colSpark] = pane.Cell{Text: pane.Sparkline(buf, m.sparkWidth()), Style: &t.Accent}
		rows[i] = row
	}
	return rows
}

// sparkWidth is the width of the table's sparkline column (the flex
// column, so it grows with the pane), at most one cell per second.
func (m *Model) sparkWidth() int { return min(m.table.ColumnWidth(colSpark), seriesLen) }

// series returns the sparkline data of a: calls per second, or mean
// latency per second (ms) when toggled.
func (m *Model) series(dst []float64, a *agent.AbilityStats) []float64 {
	if !m.showLat {
		return append(dst, a.RateSeries...)
	}
	if ls := m.lat[a.Name]; ls != nil {
		return ls.appendTo(dst)
	}
	return dst
}

func ratioCell(t *theme.Theme, a *agent.AbilityStats) pane.Cell {
	total := a.CacheHits + a.CacheMisses
	if total == 0 {
		return pane.Cell{Text: "–", Style: &t.Subtle}
	}
	r := float64(a.CacheHits) / float64(total)
	c := pane.Cell{Text: pane.Percent(r)}
	switch {
	case r >= 0.8:
		c.Style = &t.Good
	case r < 0.2:
		c.Style = &t.Warn
	}
	return c
}

// View implements pane.Pane.
func (m *Model) View() string {
	if !m.dirty {
		return m.view
	}
	m.dirty = false
	if m.width <= 0 || m.height <= 0 {
		m.view = ""
		return ""
	}
	t := m.c.Theme
	var sb strings.Builder
	sb.Grow(m.width * m.height * 2)
	sb.WriteString(m.concurrencyLine())
	sb.WriteByte('\n')
	sb.WriteString(m.loadLine())
	sb.WriteByte('\n')
	sb.WriteString(m.filter.View()) // the filter line, or a blank line
	sb.WriteByte('\n')
	// The detail block follows the table's last row.
	sb.WriteString(m.table.View())
	sb.WriteByte('\n')
	sb.WriteString(t.Subtle.Render(strings.Repeat("─", m.width)))
	sb.WriteByte('\n')
	sb.WriteString(m.detailView())
	m.view = theme.Block(sb.String(), m.width, m.height)
	return m.view
}

// concurrencyLine is the global concurrency gauge, e.g.
// "concurrency [███░░░░░] 3/8 in use · 1 waiting · 12.5 calls/s".
func (m *Model) concurrencyLine() string {
	t, s := m.c.Theme, &m.snap
	const gw = 16
	filled := 0
	if s.Limit > 0 {
		filled = min(gw, (s.InUse*gw+s.Limit-1)/s.Limit)
	}
	bar := strings.Repeat("█", filled)
	st := &t.Good
	switch {
	case s.Waiting > 0:
		st = &t.Bad
	case s.Limit > 0 && s.InUse*4 >= s.Limit*3:
		st = &t.Warn
	}
	line := t.Label.Render("concurrency ") + "[" + st.Render(bar) + t.Subtle.Render(strings.Repeat("░", gw-filled)) + "] " +
		strconv.Itoa(s.InUse) + "/" + strconv.Itoa(s.Limit) + t.Muted.Render(" in use")
	w := t.Muted.Render(" · ") + strconv.Itoa(s.Waiting) + t.Muted.Render(" waiting")
	if s.Waiting > 0 {
		w = t.Muted.Render(" · ") + t.Bad.Render(strconv.Itoa(s.Waiting)+" waiting")
	}
	return line + w + t.Muted.Render(" · ") + pane.Rate(s.Rate) + t.Muted.Render(" calls/s total")
}

// loadLine describes the load generator: its calls sent, not ok (any
// outcome but success) and skipped (MaxInFlight already outstanding).
func (m *Model) loadLine() string {
	t := m.c.Theme
	rate := rateText(rateSteps[m.rateStep])
	if m.gen == nil {
		line := t.Label.Render("load ") + t.Muted.Render("■ off") + t.Muted.Render(" · next: ") + rate + " " + m.mode.String()
		if name := m.Selected(); name != "" {
			line += t.Muted.Render(" · l sends it to ") + name
		}
		if m.loadErr != "" {
			line += "  " + t.Error.Render(m.loadErr)
		}
		return line
	}
	sp := m.gen.Spec()
	return t.Label.Render("load ") + t.Good.Render("▶ "+rateText(sp.Rate)+" "+sp.Mode.String()) +
		t.Muted.Render(" → ") + t.Bold.Render(sp.Ability) +
		t.Muted.Render(" · sent ") + pane.Count(m.gen.Sent()) +
		// Every outcome but success: "failed" would read as the failure
		// outcome the detail below counts apart.
		t.Muted.Render(" · not ok ") + pane.Count(m.gen.Failed()) +
		t.Muted.Render(" · skipped ") + pane.Count(m.gen.Skipped())
}

// detailView is the selected ability's full-width sparkline and latency
// summary.
func (m *Model) detailView() string {
	t := m.c.Theme
	i := m.table.Cursor()
	switch {
	case len(m.stats) == 0:
		return t.Muted.Render("no abilities registered")
	case i < 0 || i >= len(m.stats):
		return t.Muted.Render("no ability matches the filter")
	}
	a := &m.stats[i]
	var buf [seriesLen]float64
	data := m.series(buf[:0], a)
	what, peak := "calls/s", 0.0
	for _, v := range data {
		if v == v { // not NaN
			peak = max(peak, v)
		}
	}
	peakText := pane.Rate(peak) + "/s"
	if m.showLat {
		what = "mean latency"
		peakText = pane.Duration(time.Duration(peak * float64(time.Millisecond))) // the series is in ms
	}
	title := t.Bold.Render(a.Name) + t.Muted.Render(" · "+what+" over the last minute · peak ") + peakText
	// Stretch the minute across the pane: each second gets k cells.
	k := max(m.width/seriesLen, 1)
	wide := make([]float64, 0, len(data)*k)
	for _, v := range data {
		for range k {
			wide = append(wide, v)
		}
	}
	spark := t.Accent.Render(pane.Sparkline(wide, m.width))
	l := a.Latency
	// Every call counts (as in the other panes), including those refused
	// before they ran, which have no latency: the quantiles are over the
	// calls that ran or were served from the cache. The outcomes are named
	// as the CLI and the metrics' outcome label name them.
	sum := t.Label.Render("all-time ") + pane.Count(a.Calls) + t.Muted.Render(" calls")
	for o := agent.Outcome(0); o < agent.NumOutcomes; o++ {
		if n := a.Outcomes[o]; n > 0 && o != agent.OutcomeSuccess {
			sum += t.Muted.Render(" · ") + outcomeStyle(t, o).Render(pane.Count(n)+" "+o.String())
		}
	}
	if l.Count > 0 {
		sum += t.Muted.Render(" · p50 ") + pane.Duration(l.P50) + t.Muted.Render(" p95 ") + pane.Duration(l.P95) +
			t.Muted.Render(" p99 ") + pane.Duration(l.P99) + t.Muted.Render(" max ") + pane.Duration(l.Max)
	}
	return title + "\n" + spark + "\n" + sum
}

// outcomeStyle colours a count of calls that did not succeed: the
// ability's own failures and bad arguments as bad, calls refused for
// capacity or an open breaker as a warning.
func outcomeStyle(t *theme.Theme, o agent.Outcome) *lipgloss.Style {
	switch o {
	case agent.OutcomeRejected, agent.OutcomeShortCircuited:
		return &t.Warn
	case agent.OutcomeCanceled:
		return &t.Muted
	}
	return &t.Bad
}
