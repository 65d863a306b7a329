package training

import (
	"math"
	"strconv"
	"strings"

	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"

	"github.com/agentdash/agentdash/internal/train"
	"github.com/agentdash/agentdash/ui/theme"
)

// Column widths of the run list.
const (
	runNameCells = 10
	runNumCells  = 9
	runGapCells  = 8
	runStopCells = 9
	// wideList is the width from which the list has a column for the
	// best loss; a narrower one keeps the room for the changes.
	wideList = 100
)

// compactPercent formats a share as a signed percentage of two
// significant digits, whole from 100 % ("+3.2%", "+0.05%", "+2234%").
func compactPercent(f float64) string {
	p := f * 100
	s := strconv.FormatFloat(p, 'g', 2, 64)
	if math.Abs(p) >= 100 || strings.Contains(s, "e") {
		s = strconv.FormatFloat(p, 'f', 0, 64)
	}
	if p >= 0 {
		s = "+" + s
	}
	return s + "%"
}

// runListHeader returns the run list's header line for w cells.
func runListHeader(th *theme.Theme, w int) string {
	best := ""
	if w >= wideList {
		best = theme.PadLeft("best", runNumCells) + " "
	}
	s := "    " + theme.PadRight("run", runNameCells) + " " +
		theme.PadLeft("final", runNumCells) + " " + best +
		theme.PadLeft("gap", runGapCells) + " " + theme.PadLeft("1% at", runGapCells) + "  " +
		theme.PadRight("stop", runStopCells) + " changes"
	return th.Label.Render(ansi.Truncate(s, w, "…"))
}

// runRow renders runs[i] in w cells: the cursor mark, the slot's line
// glyph and number when the run is overlaid (slot >= 0), its name, final
// and best training loss, gap to the optimum, first epoch within 1 % of
// it, how it stopped, and its settings that differ from the run before it
// in the list.
func runRow(th *theme.Theme, runs []Run, i, slot int, cursor bool, w int) string {
	r := &runs[i]
	mark := "  "
	if cursor {
		mark = "▸ "
	}
	shown := "  "
	if slot >= 0 {
		shown = runStyle(th, slot).Render(runGlyphs[slot%MaxOverlay]) + th.Text.Render(string(rune('1'+slot%MaxOverlay)))
	}
	gap := "–"
	if g, rel, ok := r.Gap(r.Loss); ok {
		if rel {
			gap = compactPercent(g)
		} else {
			gap = signed(g)
		}
	}
	conv := "never"
	if e, exact, ok := r.Converged(ConvergedWithin); ok {
		conv = groupDigits(e)
		if !exact {
			conv = "≈" + conv
		}
	} else if !isFinite(r.Optimum) {
		conv = "–"
	}
	changes := "(first)"
	if i > 0 {
		if d := ConfigDiff(runs[i-1].Config, r.Config); len(d) > 0 {
			changes = strings.Join(d, ", ")
		} else {
			changes = "(same config)"
		}
	}
	best := ""
	if w >= wideList {
		best = th.Text.Render(theme.PadLeft(num(r.Best()), runNumCells)) + " "
	}
	s := th.Text.Render(mark) + shown + " " +
		th.Text.Render(theme.PadRight(ansi.Truncate(r.Name, runNameCells, "…"), runNameCells)) + " " +
		th.Bold.Render(theme.PadLeft(num(r.Loss), runNumCells)) + " " + best +
		th.Text.Render(theme.PadLeft(gap, runGapCells)) + " " +
		th.Text.Render(theme.PadLeft(conv, runGapCells)) + "  " +
		stopStyle(th, r.Stop).Render(theme.PadRight(stopWord(r.Stop), runStopCells)) + " " +
		th.Accent.Render(changes)
	return ansi.Truncate(s, w, "…")
}

// stopStyle colours a stop reason (the word says it without colour).
func stopStyle(th *theme.Theme, r train.StopReason) lipgloss.Style {
	switch r {
	case train.StopCompleted, train.StopEarlyStopped:
		return th.Good
	case train.StopDiverged:
		return th.Bad
	}
	return th.Warn
}

// runLegend names the overlaid runs by their line glyphs and slots, with,
// in the convergence view, the 1 % line and what the marks under the plot
// mean; it is packed into lines of w.
func runLegend(th *theme.Theme, runs []Run, gap, log bool, w int) []string {
	var parts []string
	for i := range runs {
		parts = append(parts, runStyle(th, i).Render(runGlyphs[i%MaxOverlay])+th.Text.Render(string(rune('1'+i%MaxOverlay)))+
			th.Muted.Render(" "+runs[i].Name))
	}
	switch {
	case gap:
		parts = append(parts, th.Good.Render("╌")+th.Muted.Render(" 1% of optimum"),
			th.Text.Render("gap to optimum, log"), th.Muted.Render("1-4 under the plot: first epoch within 1%"))
	default:
		if _, ok := sharedOptimum(runs); ok {
			parts = append(parts, th.Good.Render("╌")+th.Muted.Render(" optimum"))
		}
		mode := "loss, linear"
		if log {
			mode = "loss, log"
		}
		parts = append(parts, th.Text.Render(mode))
	}
	return packSep(w, "  ", parts...)
}

// CompareOptions says how [Compare] draws.
type CompareOptions struct {
	Width  int          // cells per line
	Height int          // lines of each plot
	Theme  *theme.Theme // theme.Ascii() for plain text
}

// Compare renders runs as `agentdash train --plot --compare` prints them:
// the run list, their training losses overlaid on a log axis, and the
// convergence view: each run's gap to its optimum on a log axis, with the
// first epoch within 1 % of it marked. At most MaxOverlay runs are drawn.
func Compare(runs []Run, o CompareOptions) string {
	th := o.Theme
	runs = runs[:min(len(runs), MaxOverlay)]
	lines := []string{runListHeader(th, math.MaxInt/2)}
	for i := range runs {
		// Rows are not cut: a terminal or a file shows the changes whole.
		lines = append(lines, runRow(th, runs, i, i, false, math.MaxInt/2))
	}
	lines = append(lines, "")
	lines = append(lines, runLegend(th, runs, false, true, o.Width)...)
	lines = append(lines, plotRuns(th, runs, false, true, o.Width, o.Height), "")
	lines = append(lines, runLegend(th, runs, true, true, o.Width)...)
	lines = append(lines, plotRuns(th, runs, true, true, o.Width, o.Height))
	for i, l := range lines {
		lines[i] = strings.TrimRight(l, " ")
	}
	return strings.Join(lines, "\n")
}
