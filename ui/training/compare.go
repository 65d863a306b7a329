package training

import (
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/charmbracelet/lipgloss"
	"github.com/guptarohit/asciigraph"

	"github.com/agentdash/agentdash/internal/series"
	"github.com/agentdash/agentdash/ui/theme"
)

// MaxOverlay is how many runs one plot overlays: each has a line style of
// its own.
const MaxOverlay = 4

// The runs overlaid are told apart by the shape of their lines, so that
// they read without colour: light, heavy and double box drawing, and dots.
// A run's slot (1 to MaxOverlay) also marks its first epoch within 1 % of
// the optimum in the convergence view.
var (
	runChars  = [MaxOverlay]asciigraph.CharSet{charsTrain, charsEMA, charsVal, asciigraph.CreateCharSet("•")}
	runGlyphs = [MaxOverlay]string{"─", "━", "═", "•"}
	runColors = [MaxOverlay]asciigraph.AnsiColor{colorTrain, colorVal, colorEMA, asciigraph.Red}
)

// runStyle returns the theme style whose colour approximates slot's line
// colour (runColors), for the legend and the run list.
func runStyle(th *theme.Theme, slot int) lipgloss.Style {
	return [MaxOverlay]lipgloss.Style{th.Info, th.Warn, th.Accent, th.Bad}[slot%MaxOverlay]
}

// gapFloor is the smallest relative gap the convergence view shows: a
// loss at or below the optimum (rounding) would be -Inf on a log axis.
const gapFloor = 1e-7

// plotRuns draws the training losses of runs (at most MaxOverlay) over a
// common epoch axis in w×h cells, or, with gap, their gaps to their optima
// relative to them, on a log axis, with the ConvergedWithin line and each
// run's first epoch that close marked by its slot number under the plot.
// log puts the losses on a log axis. The result is not padded.
func plotRuns(th *theme.Theme, runs []Run, gap, log bool, w, h int) string {
	n := 0
	for i := range runs {
		n = max(n, runs[i].Epochs)
	}
	if n == 0 {
		return th.Muted.Render("no loss history yet")
	}
	plotW := plotWidth(w)
	axis := h >= xAxisMinHeight
	plotH := h - 1
	if axis {
		plotH -= 2
	}
	if gap {
		plotH-- // the marks
	}
	if plotW < minPlotWidth || plotH < minPlotHeight {
		return th.Muted.Render("graph: too small")
	}

	c := runCurves(runs, n, plotW, gap, log)
	if len(c.data) == 0 || (gap && len(c.data) == 1) {
		if gap {
			return th.Muted.Render("no optimum known: no gap to plot")
		}
		return th.Muted.Render("no finite loss to plot")
	}

	opts := []asciigraph.Option{
		asciigraph.Height(plotH), asciigraph.Width(plotW), asciigraph.Offset(plotMargin),
		asciigraph.SeriesChars(c.chars...),
	}
	lo, hi := linesRange(c.data)
	if gap {
		opts = append(opts, gapAxisOptions(c.data, lo, hi)...)
	} else {
		opts = append(opts, yAxisOptions(c.data, lo, hi, plotH, log)...)
	}
	if axis {
		ticks := epochTicks(1, float64(n), plotW)
		opts = append(opts, asciigraph.XAxisRange(1, float64(n)), asciigraph.XAxisTickCount(ticks),
			asciigraph.XAxisValueFormatter(xLabel(1, float64(n), ticks)))
	}
	if th.Color() {
		opts = append(opts, asciigraph.SeriesColors(c.colors...),
			asciigraph.AxisColor(asciigraph.Gray), asciigraph.LabelColor(asciigraph.Gray))
	}
	out := asciigraph.PlotMany(c.data, opts...)
	if !gap {
		return out
	}
	rows := strings.Split(out, "\n")
	at := len(rows)
	if axis {
		at -= 2
	}
	marks := th.Muted.Render(convergedMarks(runs, n, plotW))
	return strings.Join(append(rows[:at:at], append([]string{marks}, rows[at:]...)...), "\n")
}

// runCurves returns the lines plotRuns draws, in the slots' styles over
// the reference: the 1 % line of the convergence view (gap), else the
// optimum the runs share, if they do.
func runCurves(runs []Run, n, plotW int, gap, log bool) curveSet {
	var c curveSet
	lines := make([][]float64, len(runs))
	for i := range runs {
		lines[i] = runLine(&runs[i], n, plotW, gap)
	}
	if gap {
		for i := range lines {
			for j, x := range lines[i] {
				if isFinite(x) {
					lines[i][j] = math.Log10(max(x, gapFloor))
				}
			}
		}
		c.add(slices.Repeat([]float64{math.Log10(ConvergedWithin)}, plotW), charsOpt, colorOpt)
	} else {
		lo, hi := linesRange(lines)
		if opt, ok := sharedOptimum(runs); ok {
			lo, hi = min(lo, opt), max(hi, opt)
			if log {
				opt = math.Log10(max(opt, logFloorOf(lines, opt, hi)))
			}
			c.add(slices.Repeat([]float64{opt}, plotW), charsOpt, colorOpt)
		}
		if log {
			floor := logFloorOf(lines, lo, hi)
			for i := range lines {
				for j, x := range lines[i] {
					if isFinite(x) {
						lines[i][j] = math.Log10(max(x, floor))
					}
				}
			}
		}
	}
	for i, l := range lines {
		c.add(l, runChars[i%MaxOverlay], runColors[i%MaxOverlay])
	}
	return c
}

// runLine projects r's losses (or, with gap, its relative gaps to its
// optimum) onto the first columns of a plot of plotW columns spanning n
// epochs: as many as r's epochs take of them. The rest are NaN.
func runLine(r *Run, n, plotW int, gap bool) []float64 {
	line := make([]float64, plotW)
	for i := range line {
		line[i] = math.NaN()
	}
	if r.Epochs == 0 || (gap && !(r.Optimum > 0)) {
		return line
	}
	cols := min(plotW, max(1, int(math.Round(float64(r.Epochs)*float64(plotW)/float64(n)))))
	buckets := series.Resample(r.History, 0, r.Epochs, cols)
	f := func(k series.Bucket) float64 { return k.Mean() }
	if gap {
		f = func(k series.Bucket) float64 { return (k.Mean() - r.Optimum) / r.Optimum }
	}
	project(line[:cols], buckets, f)
	return line
}

// sharedOptimum returns the optimum of the runs if they all have the same
// one (the same data), which the loss plot then draws.
func sharedOptimum(runs []Run) (float64, bool) {
	if len(runs) == 0 || !isFinite(runs[0].Optimum) {
		return 0, false
	}
	for _, r := range runs[1:] {
		if r.Optimum != runs[0].Optimum {
			return 0, false
		}
	}
	return runs[0].Optimum, true
}

// logFloorOf is the smallest loss the log axis shows: the smallest
// positive value drawn, but no lower than hi/logSpan.
func logFloorOf(lines [][]float64, lo, hi float64) float64 {
	floor := math.Inf(1)
	if lo > 0 {
		floor = lo
	}
	for _, l := range lines {
		for _, x := range l {
			if x > 0 && x < floor {
				floor = x
			}
		}
	}
	if math.IsInf(floor, 1) {
		return math.SmallestNonzeroFloat64
	}
	if hi > 0 && isFinite(hi) {
		floor = max(floor, hi/logSpan)
	}
	return floor
}

// gapAxisOptions fits the log axis of the convergence view to the lines
// in data, spanning lo to hi (log10 of relative gaps), and labels it in
// percent.
func gapAxisOptions(data [][]float64, lo, hi float64) []asciigraph.Option {
	var opts []asciigraph.Option
	if hi-lo < 1 { // less than a decade: give the axis room
		mid := (lo + hi) / 2
		lo, hi = mid-0.5, mid+0.5
		base := offsetLines(data, lo, hi)
		opts = append(opts, asciigraph.LowerBound(lo-base), asciigraph.UpperBound(hi-base))
		return append(opts, asciigraph.YAxisValueFormatter(percentLabel(base)))
	}
	base := offsetLines(data, lo, hi)
	return append(opts, asciigraph.YAxisValueFormatter(percentLabel(base)))
}

// percentLabel formats the log10 of a share, offset by base, as a
// percentage in labelWidth cells ("1%", "0.01%", "250%").
func percentLabel(base float64) asciigraph.YAxisValueFormatterFunc {
	return func(v float64) string {
		p := math.Pow(10, v+base) * 100
		s := strconv.FormatFloat(p, 'g', 2, 64)
		switch {
		case p >= 1e7:
			s = strconv.FormatFloat(p, 'e', 0, 64)
		case p >= 100:
			s = strconv.FormatFloat(p, 'f', 0, 64)
		case strings.Contains(s, "e"):
			s = strconv.FormatFloat(p, 'e', 1, 64)
		}
		return theme.PadLeft(s+"%", labelWidth)
	}
}

// convergedMarks returns the line under the convergence view's plot: each
// run's slot number under the column of its first epoch within
// ConvergedWithin of the optimum (moved right if another is there).
func convergedMarks(runs []Run, n, plotW int) string {
	row := []rune(strings.Repeat(" ", labelWidth+plotMargin+plotW))
	copy(row, []rune(theme.PadLeft("1% at", labelWidth)+" "))
	for i := range runs {
		e, _, ok := runs[i].Converged(ConvergedWithin)
		if !ok {
			continue
		}
		col := labelWidth + plotMargin + min(plotW-1, (e-1)*plotW/max(n, 1))
		for col < len(row)-1 && row[col] != ' ' {
			col++
		}
		row[col] = rune('1' + i%MaxOverlay)
	}
	return strings.TrimRight(string(row), " ")
}
