package training

import (
	"math"
	"strconv"
	"strings"

	"github.com/guptarohit/asciigraph"

	"github.com/agentdash/agentdash/internal/series"
	"github.com/agentdash/agentdash/ui/pane"
	"github.com/agentdash/agentdash/ui/theme"
)

// Plot geometry. asciigraph puts each row's label (labelWidth+1 cells), a
// space and the axis "┤" in front of the plot, and the last epoch label
// sticks out half its width to the right, so the plot itself is
// width-labelWidth-plotMargin-rightMargin columns wide.
const (
	labelWidth  = 9
	plotMargin  = 3
	rightMargin = 3
	// minPlotWidth and minPlotHeight are the smallest plot worth drawing.
	minPlotWidth  = 8
	minPlotHeight = 2
	// xAxisMinHeight is the graph height from which the epoch axis (two
	// lines) is drawn: it leaves a plot of five rows, which still shows
	// the curve's shape. At 80×24 a finished run leaves the graph seven
	// lines, and without the axis a tail view would not say which epochs
	// it shows.
	xAxisMinHeight = 7
	// emaWeight is the smoothing weight of the EMA line (TensorBoard's
	// slider): each column keeps this share of the previous smoothed value.
	emaWeight = 0.8
	// logSpan bounds how far below the largest value the log scale reaches,
	// so a loss of exactly zero cannot stretch the axis to -Inf.
	logSpan = 1e12
)

// Series characters. Without colour, lines are told apart by their shape:
// the raw loss uses light box drawing, the smoothed loss heavy box drawing,
// validation double lines, the optimum a dashed line and the per-column
// min/max envelope dots.
var (
	charsTrain = asciigraph.DefaultCharSet
	charsEMA   = asciigraph.CharSet{Horizontal: "━", VerticalLine: "┃", ArcDownRight: "┏", ArcDownLeft: "┓",
		ArcUpRight: "┗", ArcUpLeft: "┛", EndCap: "╸", StartCap: "╺"}
	charsVal = asciigraph.CharSet{Horizontal: "═", VerticalLine: "║", ArcDownRight: "╔", ArcDownLeft: "╗",
		ArcUpRight: "╚", ArcUpLeft: "╝", EndCap: "═", StartCap: "═"}
	charsOpt  = asciigraph.CharSet{Horizontal: "╌", VerticalLine: "╎", EndCap: "╌", StartCap: "╌"}
	charsBand = asciigraph.CreateCharSet("·")
)

// asciigraph colours of the series; only used when the theme has colour.
// They approximate the theme's Info, Warn, Good, Accent and Subtle colours
// that the legend uses.
var (
	colorTrain = asciigraph.DodgerBlue
	colorVal   = asciigraph.Gold
	colorOpt   = asciigraph.Green
	colorEMA   = asciigraph.Violet
	colorBand  = asciigraph.DimGray
)

// graphView says how the loss curve is drawn.
type graphView struct {
	log  bool // log10 y axis
	ema  bool // add an EMA-smoothed line over the raw one
	tail int  // > 0: only the last tail epochs; 0: the whole run
	conv bool // the convergence view of the runs overlaid (runsmodel.go)
}

// graphData is one snapshot of a run's loss history.
type graphData struct {
	train, val []series.Bucket // bounded histories, oldest first
	n          int             // epochs recorded
	optimum    float64         // closed-form loss; NaN if unknown
}

// graph renders the loss curve of a graphData with asciigraph and caches
// the result until the data, the view or the size changes.
type graph struct {
	theme *theme.Theme

	data    graphData
	version uint64 // bumped by setData

	// cache key of out
	builtVersion   uint64
	builtView      graphView
	builtW, builtH int
	valid          bool
	out            string

	// scratch, reused between builds
	trainCols, valCols []series.Bucket
	lines              [6][]float64
}

func newGraph(th *theme.Theme) *graph {
	return &graph{theme: th, data: graphData{optimum: math.NaN()}}
}

// setData replaces the history snapshot. The graph keeps the slices.
func (g *graph) setData(d graphData) {
	g.data = d
	g.version++
}

// render returns the graph exactly w×h cells (lines padded), rebuilding it
// only if something changed since the last call.
func (g *graph) render(v graphView, w, h int) string {
	if g.valid && g.builtVersion == g.version && g.builtView == v && g.builtW == w && g.builtH == h {
		return g.out
	}
	g.out = g.build(v, w, h)
	g.out = theme.Block(g.out, w, h)
	g.builtVersion, g.builtView, g.builtW, g.builtH, g.valid = g.version, v, w, h, true
	return g.out
}

// rangeOf returns the epoch range [from, to) shown by v.
func (g *graph) rangeOf(v graphView) (from, to int) {
	to = g.data.n
	if v.tail > 0 {
		from = max(0, to-v.tail)
	}
	return from, to
}

// plotWidth returns the width of the plot area of a graph w cells wide.
func plotWidth(w int) int { return w - labelWidth - plotMargin - rightMargin }

// resolution describes how many epochs each plotted column of a graph w
// cells wide spans under view v ("≈1.1k epochs/col"), or "" when a column
// is about one epoch or less. banded reports whether the columns summarise
// several distinct losses, that is whether the graph draws a min/max
// envelope. Few wide buckets stretched over many columns (the tail of a
// long run) span fewer epochs per column than per bucket: the note counts
// columns, as the x axis does.
func (g *graph) resolution(v graphView, w int) (note string, banded bool) {
	from, to := g.rangeOf(v)
	plotW := max(plotWidth(w), 1)
	g.trainCols = series.AppendResample(g.trainCols[:0], g.data.train, from, to, plotW)
	return resolutionOf(g.trainCols, plotW), isBanded(g.trainCols)
}

// resolutionOf returns the note for buckets cols spread over plotW columns.
func resolutionOf(cols []series.Bucket, plotW int) string {
	if len(cols) == 0 || plotW <= 0 {
		return ""
	}
	span := cols[len(cols)-1].End() - cols[0].Start
	if per := int(math.Round(float64(span) / float64(plotW))); per > 1 {
		return "≈" + pane.Count(uint64(per)) + " epochs/col"
	}
	return ""
}

// isBanded reports whether any bucket holds distinct finite losses.
func isBanded(cols []series.Bucket) bool {
	for _, k := range cols {
		if k.Min < k.Max {
			return true
		}
	}
	return false
}

// build draws the graph.
func (g *graph) build(v graphView, w, h int) string {
	th := g.theme
	if w <= 0 || h <= 0 {
		return ""
	}
	if g.data.n == 0 || len(g.data.train) == 0 {
		return th.Muted.Render("no loss history yet")
	}
	plotW := plotWidth(w)
	axis := h >= xAxisMinHeight
	plotH := h - 1 // asciigraph draws Height+1 rows
	if axis {
		plotH -= 2
	}
	if plotW < minPlotWidth || plotH < minPlotHeight {
		return th.Muted.Render("graph: too small")
	}

	from, to := g.rangeOf(v)
	g.trainCols = series.AppendResample(g.trainCols[:0], g.data.train, from, to, plotW)
	g.valCols = series.AppendResample(g.valCols[:0], g.data.val, from, to, plotW)
	if len(g.trainCols) == 0 {
		return th.Muted.Render("no loss history yet")
	}

	lo, hi, _ := finiteRange(g.trainCols, g.valCols, g.data.optimum)
	tf := g.yScale(v, hi)
	c := g.curves(v, plotW, tf)
	if len(c.data) == 0 {
		// Every value is NaN or infinite: asciigraph would panic.
		return th.Muted.Render("no finite loss to plot")
	}

	opts := []asciigraph.Option{
		asciigraph.Height(plotH),
		asciigraph.Width(plotW),
		asciigraph.Offset(plotMargin),
		asciigraph.SeriesChars(c.chars...),
	}
	opts = append(opts, yAxisOptions(c.data, tf(lo), tf(hi), plotH, v.log)...)
	if axis {
		opts = append(opts, g.xAxisOptions(plotW)...)
	}
	if th.Color() {
		opts = append(opts, asciigraph.SeriesColors(c.colors...),
			asciigraph.AxisColor(asciigraph.Gray), asciigraph.LabelColor(asciigraph.Gray))
	}
	return asciigraph.PlotMany(c.data, opts...)
}

// yScale returns what places a loss on the y axis: the loss itself or,
// on the log scale, its log10, no lower than the floor that keeps the
// smallest losses from stretching the axis (logFloor).
func (g *graph) yScale(v graphView, hi float64) func(float64) float64 {
	if !v.log {
		return func(x float64) float64 { return x }
	}
	floor := logFloor(g.trainCols, g.valCols, g.data.optimum, hi)
	return func(x float64) float64 {
		if x != x {
			return x
		}
		return math.Log10(max(x, floor))
	}
}

// curveSet holds the lines asciigraph draws, each with its characters and
// colour, bottom-up: later ones are drawn over earlier ones.
type curveSet struct {
	data   [][]float64
	chars  []asciigraph.CharSet
	colors []asciigraph.AnsiColor
}

// add adds line unless it has no finite value.
func (c *curveSet) add(line []float64, cs asciigraph.CharSet, col asciigraph.AnsiColor) {
	if !hasFinite(line) {
		return
	}
	c.data = append(c.data, line)
	c.chars = append(c.chars, cs)
	c.colors = append(c.colors, col)
}

// curves projects the resampled losses onto plotW columns, through tf:
// the training loss's min/max envelope, the optimum, the validation loss,
// the training loss and, with v.ema, its smoothed line.
func (g *graph) curves(v graphView, plotW int, tf func(float64) float64) curveSet {
	for i := range g.lines {
		g.lines[i] = resize(g.lines[i], plotW)
	}
	var c curveSet
	minLine, maxLine, meanLine := g.lines[0], g.lines[1], g.lines[2]
	project(minLine, g.trainCols, func(k series.Bucket) float64 { return tf(k.Min) })
	project(maxLine, g.trainCols, func(k series.Bucket) float64 { return tf(k.Max) })
	project(meanLine, g.trainCols, func(k series.Bucket) float64 { return tf(k.Mean()) })
	if !sameLine(minLine, maxLine) { // one epoch per column: no envelope
		c.add(minLine, charsBand, colorBand)
		c.add(maxLine, charsBand, colorBand)
	}
	if opt := g.data.optimum; isFinite(opt) {
		optLine := g.lines[3]
		for i := range optLine {
			optLine[i] = tf(opt)
		}
		c.add(optLine, charsOpt, colorOpt)
	}
	valLine := g.lines[4]
	project(valLine, g.valCols, func(k series.Bucket) float64 { return tf(k.Mean()) })
	c.add(valLine, charsVal, colorVal)
	c.add(meanLine, charsTrain, colorTrain)
	if v.ema {
		emaLine := g.lines[5]
		project(emaLine, g.trainCols, func(k series.Bucket) float64 { return k.Mean() })
		smooth(emaLine, emaWeight)
		for i, x := range emaLine {
			emaLine[i] = tf(x)
		}
		c.add(emaLine, charsEMA, colorEMA)
	}
	return c
}

// yAxisOptions fits the y axis to the lines in data, whose values (lo to
// hi, scaled) it offsets for asciigraph's labels (offsetLines), and labels
// it (yAxis).
func yAxisOptions(data [][]float64, lo, hi float64, plotH int, log bool) []asciigraph.Option {
	if hi-lo > 1e-9*max(math.Abs(hi), math.Abs(lo)) {
		lo, hi = linesRange(data)
		base := offsetLines(data, lo, hi)
		return []asciigraph.Option{asciigraph.YAxisValueFormatter(yAxis(lo, hi, base, plotH, log))}
	}
	// A flat (or a single) value: give the axis some room so the line sits
	// mid-plot and the labels differ.
	pad := max(math.Abs(hi)*0.05, 1e-9)
	if log {
		pad = 0.5
	}
	lo, hi = lo-pad, hi+pad
	base := offsetLines(data, lo, hi)
	return []asciigraph.Option{
		asciigraph.LowerBound(lo - base), asciigraph.UpperBound(hi - base),
		asciigraph.YAxisValueFormatter(yAxis(lo, hi, base, plotH, log)),
	}
}

// xAxisOptions labels the x axis with the epochs the resampled columns
// span.
func (g *graph) xAxisOptions(plotW int) []asciigraph.Option {
	first, last := float64(g.trainCols[0].Start+1), float64(g.trainCols[len(g.trainCols)-1].End())
	ticks := epochTicks(first, last, plotW)
	return []asciigraph.Option{
		asciigraph.XAxisRange(first, last),
		asciigraph.XAxisTickCount(ticks),
		asciigraph.XAxisValueFormatter(xLabel(first, last, ticks)),
	}
}

// resize returns s with length n, reusing its storage.
func resize(s []float64, n int) []float64 {
	if cap(s) < n {
		return make([]float64, n)
	}
	return s[:n]
}

// project spreads one value per bucket over dst's columns: bucket k lands
// exactly on column round(k·(len(dst)-1)/(len(cols)-1)) and the columns
// between two buckets are linearly interpolated, so every bucket's value
// is drawn (nothing is sampled away). A single bucket fills every column.
// len(cols) must not exceed len(dst), which Resample guarantees.
func project(dst []float64, cols []series.Bucket, f func(series.Bucket) float64) {
	for i := range dst {
		dst[i] = math.NaN()
	}
	m, w := len(cols), len(dst)
	switch {
	case m == 0 || w == 0:
		return
	case m == 1:
		x := f(cols[0])
		for i := range dst {
			dst[i] = x
		}
		return
	}
	prevCol, prev := 0, f(cols[0])
	dst[0] = prev
	for k := 1; k < m; k++ {
		col := int(math.Round(float64(k) * float64(w-1) / float64(m-1)))
		x := f(cols[k])
		for c := prevCol + 1; c <= col; c++ {
			t := float64(c-prevCol) / float64(col-prevCol)
			dst[c] = prev + (x-prev)*t
		}
		dst[col] = x // exact, even when prev is NaN
		prevCol, prev = col, x
	}
}

// smooth replaces xs by its debiased exponential moving average with the
// given weight (as TensorBoard smooths), carrying over NaN gaps.
func smooth(xs []float64, weight float64) {
	acc, n := 0.0, 0
	for i, x := range xs {
		if !isFinite(x) {
			if n > 0 {
				xs[i] = acc / (1 - math.Pow(weight, float64(n)))
			}
			continue
		}
		acc = acc*weight + (1-weight)*x
		n++
		xs[i] = acc / (1 - math.Pow(weight, float64(n)))
	}
}

// finiteRange returns the smallest and largest finite value among the
// buckets' extremes and the optimum, and whether there was any.
func finiteRange(a, b []series.Bucket, optimum float64) (lo, hi float64, ok bool) {
	lo, hi = math.Inf(1), math.Inf(-1)
	see := func(x float64) {
		if isFinite(x) {
			lo, hi = min(lo, x), max(hi, x)
		}
	}
	for _, s := range [2][]series.Bucket{a, b} {
		for _, k := range s {
			see(k.Min)
			see(k.Max)
		}
	}
	see(optimum)
	return lo, hi, lo <= hi
}

// logFloor is the smallest value the log scale shows: the smallest
// positive value present, but no lower than hi/logSpan.
func logFloor(a, b []series.Bucket, optimum, hi float64) float64 {
	floor := math.Inf(1)
	see := func(x float64) {
		if x > 0 && isFinite(x) {
			floor = min(floor, x)
		}
	}
	for _, s := range [2][]series.Bucket{a, b} {
		for _, k := range s {
			see(k.Min)
		}
	}
	see(optimum)
	if math.IsInf(floor, 1) {
		return math.SmallestNonzeroFloat64
	}
	if hi > 0 && isFinite(hi) {
		floor = max(floor, hi/logSpan)
	}
	return floor
}

func isFinite(x float64) bool { return x-x == 0 }

func hasFinite(xs []float64) bool {
	for _, x := range xs {
		if isFinite(x) {
			return true
		}
	}
	return false
}

func sameLine(a, b []float64) bool {
	for i := range a {
		if a[i] != b[i] && !(a[i] != a[i] && b[i] != b[i]) {
			return false
		}
	}
	return true
}

// Precision of the y labels: at least minYPrecision significant digits,
// more (up to maxYPrecision) when neighbouring rows would otherwise read
// the same, as long as the labels fit labelWidth.
const (
	minYPrecision = 3
	maxYPrecision = 6
)

// offsetLines subtracts lo from every value of lines spanning [lo, hi]
// and returns what it subtracted: lo, or 0 when hi-lo overflows. asciigraph
// puts value v on row round(v·ratio) - round(lo·ratio) rather than
// round((v-lo)·ratio), a row too high whenever the two fractions add up
// past a half; offset by lo, the axis starts at 0 and the row is exact.
// The labels add base back (see yLabel).
func offsetLines(lines [][]float64, lo, hi float64) (base float64) {
	if !isFinite(hi - lo) {
		return 0
	}
	for _, l := range lines {
		for i := range l {
			l[i] -= lo
		}
	}
	return lo
}

// yAxis returns the y-axis formatter of a plot of height+1 rows spanning
// [lo, hi] whose values are drawn offset by base: on the linear scale a
// fixed number of decimals that step evenly (yDecimals) when there is one,
// else significant digits (yLabel).
func yAxis(lo, hi, base float64, height int, log bool) asciigraph.YAxisValueFormatterFunc {
	if d, ok := yDecimals(lo, hi, height); ok && !log {
		return func(v float64) string { return fixedLabel(v+base, d) }
	}
	return yLabel(log, base, yPrecision(lo, hi, height, log))
}

// yDecimals returns the fewest decimals with which the labels of a plot of
// height+1 rows spanning [lo, hi] look evenly stepped, each labelWidth
// cells at most: the labels are exact, or a decimal is at most a tenth of
// the row step, so that rounding cannot make the steps visibly uneven
// ("333 331 330 328" for a step of 1.5 becomes "333.0 331.5 330.0 328.5").
// ok is false when no number of decimals does, as for very large or very
// small values.
func yDecimals(lo, hi float64, height int) (decimals int, ok bool) {
	if !isFinite(lo) || !isFinite(hi) || hi <= lo || height <= 0 {
		return 0, false
	}
	step := (hi - lo) / float64(height)
	for d := 0; d <= labelWidth-2; d++ { // "0." and d digits
		exact := true
		for i := 0; i <= height; i++ {
			v := hi - float64(i)*step
			s := strconv.FormatFloat(v, 'f', d, 64)
			if len(s) > labelWidth {
				return 0, false // more decimals are only longer
			}
			if x, _ := strconv.ParseFloat(s, 64); math.Abs(x-v) > step*1e-6 {
				exact = false
			}
		}
		if exact || math.Pow10(-d) <= step/10 {
			return d, true
		}
	}
	return 0, false
}

// fixedLabel formats v with d decimals, right-aligned in labelWidth cells
// ("0.0" rather than "-0.0" for a value that rounds to zero).
func fixedLabel(v float64, d int) string {
	s := strconv.FormatFloat(v, 'f', d, 64)
	if s[0] == '-' && strings.Trim(s, "-0.") == "" {
		s = s[1:]
	}
	if len(s) > labelWidth {
		return fitNumber(v, labelWidth, maxYPrecision)
	}
	return strings.Repeat(" ", labelWidth-len(s)) + s
}

// yLabel returns the y-axis formatter for values drawn offset by base:
// labelWidth cells, right-aligned, prec significant digits (the value
// itself on the log scale, not its logarithm).
func yLabel(log bool, base float64, prec int) asciigraph.YAxisValueFormatterFunc {
	return func(v float64) string {
		v += base
		if log {
			v = math.Pow(10, v)
		}
		return fitNumber(v, labelWidth, prec)
	}
}

// linesRange returns the smallest and largest value drawn: the range
// asciigraph spreads over the rows.
func linesRange(lines [][]float64) (lo, hi float64) {
	lo, hi = math.Inf(1), math.Inf(-1)
	for _, l := range lines {
		for _, x := range l {
			if x < lo { // NaN, a gap, is neither
				lo = x
			}
			if x > hi {
				hi = x
			}
		}
	}
	return lo, hi
}

// yPrecision returns the fewest significant digits (from minYPrecision)
// that give every row of a plot of height+1 rows spanning [lo, hi] its own
// label within labelWidth cells, or minYPrecision when none does.
func yPrecision(lo, hi float64, height int, log bool) int {
	if !isFinite(lo) || !isFinite(hi) || hi <= lo || height <= 0 {
		return minYPrecision
	}
	step := (hi - lo) / float64(height)
	value := func(i int) float64 {
		v := hi - float64(i)*step
		if log {
			v = math.Pow(10, v)
		}
		return v
	}
next:
	for prec := minYPrecision; prec <= maxYPrecision; prec++ {
		prev := ""
		for i := 0; i <= height; i++ {
			s := strconv.FormatFloat(value(i), 'g', prec, 64)
			if len(s) > labelWidth || s == prev {
				continue next
			}
			prev = s
		}
		return prec
	}
	return minYPrecision
}

// fitNumber formats v with up to prec significant digits in exactly w
// cells, dropping precision rather than overflowing.
func fitNumber(v float64, w, prec int) string {
	var s string
	for ; prec >= 1; prec-- {
		s = strconv.FormatFloat(v, 'g', prec, 64)
		if len(s) <= w {
			break
		}
	}
	if len(s) > w {
		s = s[:w]
	}
	return strings.Repeat(" ", w-len(s)) + s
}

// minRoundedStep is the tick step in epochs from which an epoch axis may
// round its labels: a label then moves by at most a twentieth of the step.
const minRoundedStep = 10

// exactEpochs is the epoch below which the axis labels are exact numbers;
// from it they are compact ("226k") and so rounded anyway.
const exactEpochs = 10_000

// Tick spacing of the epoch axis: at most maxTicks ticks, at least
// tickGap columns apart, which fits compact labels ("2.60M"); exact labels
// of a short run may sit closer, exactTickGap columns beyond their width.
const (
	maxTicks     = 6
	tickGap      = 14
	exactTickGap = 3
)

// epochTicks returns how many ticks to put on an epoch axis over
// [first, last] under a plot plotW columns wide. Labels that are exact
// numbers step by a whole number of epochs, so that they are evenly spaced
// ("1 4 7 10", not "1 3 5 6 8 10"): the most ticks that do within the
// usual spacing, if at least 3; else the usual number if they are at
// least minRoundedStep epochs apart (a 300-epoch run: 299 has no small
// divisor); else the fewest more that step evenly and still fit their
// labels (an 8-epoch run: "1 2 … 8"); else just the two ends. Compact
// labels are rounded anyway and take the usual number. There are never
// more ticks than epochs.
func epochTicks(first, last float64, plotW int) int {
	span := last - first
	most := max(2, min(maxTicks, plotW/tickGap, int(span)+1))
	whole := func(n int) bool { step := span / float64(n-1); return step == math.Trunc(step) }
	rounded := span/float64(most-1) >= minRoundedStep
	if last >= exactEpochs && rounded {
		return most
	}
	for n := most; n > 2; n-- {
		if whole(n) {
			return n
		}
	}
	if rounded {
		return most
	}
	gap := len(strconv.Itoa(int(last))) + exactTickGap
	for n := most + 1; n <= min(int(span)+1, (plotW-1)/gap+1); n++ {
		if whole(n) {
			return n
		}
	}
	return 2
}

// xLabel returns the epoch-axis formatter for ticks tickCount apart-
// spaced over [first, last]: exact below 10,000, else compact ("225k",
// "1.5M") with as many decimals as it takes to tell neighbouring ticks
// apart, so a tail view of 2,600,961..2,704,407 reads "2.60M 2.62M …"
// like the full run does rather than switching to raw numbers.
func xLabel(first, last float64, tickCount int) asciigraph.XAxisValueFormatterFunc {
	step := (last - first) / float64(max(tickCount-1, 1))
	return func(v float64) string {
		if !(v >= 0) || math.IsInf(v, 0) {
			return ""
		}
		if last < exactEpochs {
			return strconv.FormatFloat(math.Round(v), 'f', 0, 64)
		}
		return compactEpoch(v, step)
	}
}

// compactEpoch formats epoch v with a k, M or G suffix and enough
// decimals to resolve step epochs.
func compactEpoch(v, step float64) string {
	unit, suffix := 1.0, ""
	switch {
	case v >= 1e9:
		unit, suffix = 1e9, "G"
	case v >= 1e6:
		unit, suffix = 1e6, "M"
	case v >= 1e3:
		unit, suffix = 1e3, "k"
	}
	decimals := 0
	if step > 0 && unit > 1 {
		decimals = min(max(0, int(math.Ceil(math.Log10(unit/step)))), int(math.Log10(unit)))
	}
	return strconv.FormatFloat(v/unit, 'f', decimals, 64) + suffix
}
