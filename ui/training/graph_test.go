package training

import (
	"math"
	"slices"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/charmbracelet/x/ansi"

	"github.com/agentdash/agentdash/internal/series"
	"github.com/agentdash/agentdash/internal/train"
	"github.com/agentdash/agentdash/ui/theme"
)

// histCap is the bucket capacity of the histories the tests build: the
// trainer's.
const histCap = train.HistoryBuckets

// history builds a graphData from explicit train and validation values.
func history(train, val []float64, optimum float64) graphData {
	tb, vb := series.NewBounded(histCap), series.NewBounded(histCap)
	for _, x := range train {
		tb.Add(x)
	}
	for _, x := range val {
		vb.Add(x)
	}
	return graphData{train: tb.Buckets(), val: vb.Buckets(), n: tb.Len(), optimum: optimum}
}

// decaying returns n losses falling from about 10 towards 0.5.
func decaying(n int) []float64 {
	xs := make([]float64, n)
	for i := range xs {
		xs[i] = 0.5 + 9.5*math.Exp(-float64(i)/float64(max(n/8, 1)))
	}
	return xs
}

func repeat(x float64, n int) []float64 { return slices.Repeat([]float64{x}, n) }

func TestGraphNeverPanics(t *testing.T) {
	nan, inf := math.NaN(), math.Inf(1)
	histories := []struct {
		name string
		data graphData
	}{
		{"empty", history(nil, nil, nan)},
		{"one point", history([]float64{3}, nil, nan)},
		{"one point with val and optimum", history([]float64{3}, []float64{4}, 2)},
		{"all NaN", history(repeat(nan, 50), repeat(nan, 50), nan)},
		{"all Inf", history(repeat(inf, 50), nil, inf)},
		{"NaN then values", history(append(repeat(nan, 5), decaying(20)...), nil, 0.5)},
		{"constant", history(repeat(2, 100), repeat(2, 100), 2)},
		{"zero", history(repeat(0, 100), nil, 0)},
		{"huge", history([]float64{1e300, 1e308, math.MaxFloat64, 1}, nil, 0)},
		{"tiny", history([]float64{1e-300, 5e-324, 1e-310}, nil, 0)},
		{"negative and positive", history([]float64{-1e308, 1e308, -5, 5}, nil, nan)},
		{"val only NaN", history(decaying(30), repeat(nan, 30), 0.5)},
		{"optimum only finite", history(repeat(nan, 10), nil, 1)},
		{"long", history(decaying(200_000), decaying(200_000), 0.5)},
	}
	views := []graphView{{}, {log: true}, {ema: true}, {log: true, ema: true}, {tail: 100}, {tail: 1, log: true, ema: true}}
	sizes := [][2]int{{0, 0}, {1, 1}, {5, 2}, {20, 4}, {24, 8}, {60, 12}, {200, 60}}
	th := theme.Ascii()
	for _, h := range histories {
		t.Run(h.name, func(t *testing.T) {
			g := newGraph(th)
			g.setData(h.data)
			for _, v := range views {
				for _, sz := range sizes {
					out := g.render(v, sz[0], sz[1])
					checkBlock(t, out, sz[0], sz[1])
					if strings.Contains(out, "\x1b[") {
						t.Fatalf("ASCII theme: escape sequence in graph %+v %v:\n%s", v, sz, out)
					}
				}
			}
		})
	}
}

// checkBlock fails unless out is exactly w×h cells (or empty when either is 0).
func checkBlock(t *testing.T, out string, w, h int) {
	t.Helper()
	if w <= 0 || h <= 0 {
		if out != "" {
			t.Fatalf("%dx%d: want empty output, got %q", w, h, out)
		}
		return
	}
	lines := strings.Split(out, "\n")
	if len(lines) != h {
		t.Fatalf("%dx%d: got %d lines:\n%s", w, h, len(lines), out)
	}
	for i, l := range lines {
		if lw := ansi.StringWidth(l); lw != w {
			t.Fatalf("%dx%d: line %d is %d cells wide: %q", w, h, i, lw, l)
		}
	}
}

func TestGraphDrawsSeries(t *testing.T) {
	g := newGraph(theme.Ascii())
	val := decaying(40)
	for i := range val {
		val[i] += 1
	}
	g.setData(history(decaying(40), val, 0.5))
	base := g.render(graphView{}, 80, 20)
	for _, want := range []string{"┤", "═", "╌", "└"} { // axis, val, optimum, x axis
		if !strings.Contains(base, want) {
			t.Errorf("graph lacks %q:\n%s", want, base)
		}
	}
	if strings.Contains(base, "━") {
		t.Errorf("EMA line drawn while EMA is off:\n%s", base)
	}
	ema := g.render(graphView{ema: true}, 80, 20)
	if !strings.Contains(ema, "━") && !strings.Contains(ema, "┃") {
		t.Errorf("EMA on but no heavy line:\n%s", ema)
	}
	if lg := g.render(graphView{log: true}, 80, 20); lg == base {
		t.Error("log scale did not change the graph")
	}
	if tail := g.render(graphView{tail: 10}, 80, 20); tail == base || !strings.Contains(tail, "31") {
		t.Errorf("tail view of the last 10 epochs should start its axis at epoch 31:\n%s", tail)
	}
}

func TestGraphKeepsExtremes(t *testing.T) {
	// One spike in 100,000 flat epochs must survive bucketing to ~60 columns.
	xs := repeat(1, 100_000)
	xs[54_321] = 1000
	g := newGraph(theme.Ascii())
	g.setData(history(xs, nil, math.NaN()))
	out := g.render(graphView{}, 80, 20)
	if !strings.Contains(out, "1e+03") && !strings.Contains(out, "1000") {
		t.Fatalf("spike of 1000 lost (top label missing):\n%s", out)
	}
	if note, banded := g.resolution(graphView{}, 80); note == "" || !banded {
		t.Errorf("bucketed graph: note %q, banded %v; want a note and the min/max envelope", note, banded)
	}
}

// The tail of a long run holds a few wide buckets, stretched over the
// plot's columns: the note counts epochs per column, as the x axis does,
// not per bucket.
func TestGraphResolutionCountsColumns(t *testing.T) {
	long := history(decaying(3_000_000), nil, math.NaN())
	short := history(decaying(40), nil, math.NaN())
	const w = 89 + labelWidth + plotMargin + rightMargin // an 89-column plot
	tests := []struct {
		name       string
		data       graphData
		view       graphView
		want       string
		wantBanded bool
	}{
		{"full run", long, graphView{}, "≈33k epochs/col", true},
		// 2,899,969..3,000,000 in 25 buckets of 4,096 epochs over 89 columns.
		{"last 100,000", long, graphView{tail: 100_000}, "≈1.1k epochs/col", true},
		{"fewer epochs than columns", short, graphView{}, "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := newGraph(theme.Ascii())
			g.setData(tt.data)
			if plotWidth(w) != 89 {
				t.Fatalf("plot width %d", plotWidth(w))
			}
			note, banded := g.resolution(tt.view, w)
			if note != tt.want || banded != tt.wantBanded {
				t.Errorf("resolution = %q, %v; want %q, %v", note, banded, tt.want, tt.wantBanded)
			}
		})
	}
}

func TestGraphCache(t *testing.T) {
	g := newGraph(theme.Ascii())
	g.setData(history(decaying(50), nil, 0.5))
	a := g.render(graphView{}, 60, 15)
	v := g.builtVersion
	b := g.render(graphView{}, 60, 15)
	if a != b || g.builtVersion != v {
		t.Fatal("render rebuilt although nothing changed")
	}
	g.setData(history(decaying(60), nil, 0.5))
	if c := g.render(graphView{}, 60, 15); c == a {
		t.Fatal("new data did not change the graph")
	}
}

func TestProject(t *testing.T) {
	nan := math.NaN()
	mk := func(vals ...float64) []series.Bucket {
		ks := make([]series.Bucket, len(vals))
		for i, v := range vals {
			ks[i] = series.Bucket{Start: i, Count: 1, Min: v, Max: v, Sum: v, Last: v}
		}
		return ks
	}
	tests := []struct {
		name string
		cols []series.Bucket
		w    int
		want []float64
	}{
		{"empty", nil, 3, []float64{nan, nan, nan}},
		{"single fills", mk(2), 3, []float64{2, 2, 2}},
		{"exact", mk(1, 2, 3), 3, []float64{1, 2, 3}},
		{"stretched keeps points", mk(0, 4), 5, []float64{0, 1, 2, 3, 4}},
		{"spike lands on a column", mk(0, 9, 0), 4, []float64{0, 4.5, 9, 0}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := make([]float64, tt.w)
			project(got, tt.cols, func(k series.Bucket) float64 { return k.Mean() })
			for i := range got {
				if !sameFloat(got[i], tt.want[i]) {
					t.Fatalf("project = %v, want %v", got, tt.want)
				}
			}
		})
	}
}

func sameFloat(a, b float64) bool { return a == b || math.IsNaN(a) && math.IsNaN(b) }

func TestSmooth(t *testing.T) {
	xs := []float64{1, 1, 1, math.NaN(), 1}
	smooth(xs, 0.9)
	for i, x := range xs {
		if math.Abs(x-1) > 1e-12 {
			t.Fatalf("debiased EMA of a constant drifted at %d: %v", i, xs)
		}
	}
	ys := []float64{0, 10, 0, 10, 0, 10}
	smooth(ys, 0.5)
	if ys[5] <= 0 || ys[5] >= 10 || ys[0] != 0 {
		t.Fatalf("EMA did not smooth: %v", ys)
	}
}

func TestFitNumber(t *testing.T) {
	for _, v := range []float64{0, 1, -1, 0.0123456, 1e-300, -1.5e308, math.MaxFloat64, math.NaN(), math.Inf(-1)} {
		if s := fitNumber(v, labelWidth, minYPrecision); len(s) != labelWidth {
			t.Errorf("fitNumber(%v) = %q, want %d cells", v, s, labelWidth)
		}
	}
}

// The tail view of a long run labels its epoch axis in the compact form,
// as the full run does, with enough decimals to tell the ticks apart.
func TestXLabel(t *testing.T) {
	tests := []struct {
		name        string
		first, last float64
		ticks       int
		values      []float64
		want        []string
	}{
		{"short run is exact", 1, 5000, 6, []float64{1, 1000.6, 5000}, []string{"1", "1001", "5000"}},
		{"full run", 1, 1_128_000, 6, []float64{1, 225_600, 451_200, 1_128_000}, []string{"1", "226k", "451k", "1.1M"}},
		{"tail of a long run", 2_600_961, 2_704_407, 6, []float64{2_600_961, 2_621_650, 2_704_407}, []string{"2.60M", "2.62M", "2.70M"}},
		{"narrow tail", 98_001, 99_000, 6, []float64{98_001, 98_200.8, 99_000}, []string{"98.0k", "98.2k", "99.0k"}},
		{"not a number", 1, 1e6, 6, []float64{math.NaN(), -1, math.Inf(1)}, []string{"", "", ""}},
	}
	for _, tt := range tests {
		f := xLabel(tt.first, tt.last, tt.ticks)
		for i, v := range tt.values {
			if got := f(v); got != tt.want[i] {
				t.Errorf("%s: label of %v = %q, want %q", tt.name, v, got, tt.want[i])
			}
		}
	}
}

func TestGraphTailAxisIsCompact(t *testing.T) {
	g := newGraph(theme.Ascii())
	g.setData(history(decaying(3_000_000), nil, math.NaN()))
	out := g.render(graphView{tail: 100_000}, 104, 20)
	axis := strings.Fields(out[strings.LastIndex(out, "\n")+1:])
	if len(axis) < 2 {
		t.Fatalf("no epoch labels:\n%s", out)
	}
	for i, l := range axis {
		if !strings.HasSuffix(l, "M") {
			t.Errorf("tail label %q is not compact:\n%s", l, out)
		}
		if i > 0 && l == axis[i-1] {
			t.Errorf("repeated tail label %q:\n%s", l, out)
		}
	}
}

// On a tall plot of a narrow loss range every row's label differs from
// the next, at every height.
func TestGraphYLabelsDiffer(t *testing.T) {
	histories := map[string]graphData{
		"tail of a long run": history(decaying(3_000_000), nil, 0.49),
		"narrow range":       history(append(repeat(0.0111, 500), repeat(0.0103, 500)...), nil, math.NaN()),
	}
	for name, data := range histories {
		g := newGraph(theme.Ascii())
		g.setData(data)
		for _, v := range []graphView{{tail: 100_000}, {}, {log: true}} {
			for h := 4; h <= 80; h++ {
				out := g.render(v, 104, h)
				prev := ""
				for _, line := range strings.Split(out, "\n") {
					i := strings.IndexAny(line, "┤┼")
					if i < 0 {
						continue
					}
					label := strings.TrimSpace(line[:i])
					if label == prev {
						t.Fatalf("%s %+v h=%d: label %q repeated:\n%s", name, v, h, label, out)
					}
					prev = label
				}
			}
		}
	}
}

func TestYPrecision(t *testing.T) {
	tests := []struct {
		lo, hi float64
		height int
		log    bool
		want   int
	}{
		{0, 10, 10, false, minYPrecision},         // 10, 9, … 0
		{0.49, 0.55, 70, false, 4},                // 0.5491, 0.5483, …
		{0.0103, 0.0111, 40, false, 4},            // 0.01108, 0.01106, …
		{1, 1 + 1e-12, 10, false, minYPrecision},  // no precision within the width tells these apart
		{math.NaN(), 1, 10, false, minYPrecision}, // not a range
		{-2, -1.99, 30, true, 5},                  // 10^-2 … 10^-1.99
	}
	for _, tt := range tests {
		if got := yPrecision(tt.lo, tt.hi, tt.height, tt.log); got != tt.want {
			t.Errorf("yPrecision(%v, %v, %d, %v) = %d, want %d", tt.lo, tt.hi, tt.height, tt.log, got, tt.want)
		}
	}
}

// At 80×24 a finished run leaves the graph 7 lines: enough for the epoch
// axis under a plot of 5 rows.
func TestGraphAxisAt80x24(t *testing.T) {
	g := newGraph(theme.Ascii())
	g.setData(history(decaying(300_000), nil, 0.5))
	for h := 7; h <= 9; h++ {
		out := g.render(graphView{tail: 10_000}, 78, h)
		checkBlock(t, out, 78, h)
		lines := strings.Split(out, "\n")
		if !strings.Contains(lines[h-2], "└") || !strings.Contains(lines[h-1], "k") {
			t.Errorf("h=%d: no epoch axis at the bottom:\n%s", h, out)
		}
		if rows := strings.Count(out, "┤") + strings.Count(out, "┼"); rows < 5 {
			t.Errorf("h=%d: only %d plot rows:\n%s", h, rows, out)
		}
	}
}

// The pane at 80×24 (78×19 inside the frame) after a run whose statistics
// take five lines still draws the epoch axis.
func TestPaneAxisAt80x24(t *testing.T) {
	m := newPane(t, train.Config{}, 78, 19)
	loadHistory(m, 300_000)
	m.result.Loss, m.result.BestLoss, m.result.BestEpoch = 0.01047, 0.009012, 222_552
	m.result.ValLoss, m.result.OptimalLoss = 0.009254, 0.01038
	m.dirty = true
	v := m.View()
	if !strings.Contains(v, "└") {
		t.Errorf("no epoch axis at 80×24:\n%s", v)
	}
}

// plotRows returns, for each plot row of out (top first), its y label and
// its plot cells (the runes right of the axis).
func plotRows(t *testing.T, out string) (labels []float64, cells [][]rune) {
	t.Helper()
	for _, line := range strings.Split(out, "\n") {
		i := strings.IndexAny(line, "┤┼")
		if i < 0 {
			continue
		}
		l, err := strconv.ParseFloat(strings.TrimSpace(line[:i]), 64)
		if err != nil {
			t.Fatalf("row label %q: %v\n%s", line[:i], err, out)
		}
		labels = append(labels, l)
		_, size := utf8.DecodeRuneInString(line[i:])
		cells = append(cells, []rune(line[i+size:]))
	}
	return labels, cells
}

// Each flat stretch of the loss is drawn on the row whose label is
// nearest its value, a value on a gridline on that gridline's row
// (asciigraph alone can put it a row too high: see offsetLines).
func TestGraphDrawsValuesOnTheirRows(t *testing.T) {
	const w, h = 80, 20 // 17 rows apart: the plot is 65 columns, 18 rows
	lo, hi := 1.03, 2.03
	step := (hi - lo) / 17
	levels := []float64{0, 1.3, 3, 4.7, 7.2, 10, 12.35, 15.6, 17} // in steps above lo
	const stretch = 7                                             // epochs per level
	var xs []float64
	for _, k := range levels {
		xs = append(xs, repeat(lo+k*step, stretch)...)
	}
	g := newGraph(theme.Ascii())
	g.setData(history(xs, nil, math.NaN()))
	out := g.render(graphView{}, w, h)
	labels, cells := plotRows(t, out)
	if len(labels) != 18 {
		t.Fatalf("%d plot rows, want 18:\n%s", len(labels), out)
	}
	cols := plotWidth(w)
	for i, k := range levels {
		v := lo + k*step
		// The middle of the stretch: epochs map to columns linearly.
		col := int(math.Round((float64(i*stretch) + stretch/2) * float64(cols-1) / float64(len(xs)-1)))
		row := -1
		for r := range cells {
			if col < len(cells[r]) && cells[r][col] == '─' {
				row = r
			}
		}
		if row < 0 {
			t.Fatalf("level %v: nothing drawn in column %d:\n%s", v, col, out)
		}
		if d := math.Abs(labels[row] - v); d > step/2 {
			t.Errorf("%.4f drawn on the row labelled %v (%.2f rows off):\n%s", v, labels[row], d/step, out)
		}
	}
}

func TestEpochTicks(t *testing.T) {
	tests := []struct {
		first, last float64
		plotW, want int
	}{
		{1, 10, 84, 4},                // 1 4 7 10, not 1 2.8 4.6 …
		{1, 11, 84, 6},                // 1 3 5 7 9 11
		{1, 8, 84, 8},                 // 7 is prime: one tick per epoch
		{1, 8, 63, 8},                 // the demo's run at 160×48
		{1, 14, 84, 14},               // 13 is prime
		{1, 14, 40, 2},                // … and the labels do not fit
		{1, 4, 84, 4},                 // one tick per epoch
		{1, 1, 84, 2},                 // a single epoch
		{1, 300, 84, 6},               // 59.8 apart: rounding moves a label 1/120 of a step
		{1, 100, 84, 4},               // 1 34 67 100, not 1 21 41 60 80 100
		{1, 63, 84, 3},                // 1 32 63
		{1, 10, 14, 2},                // a narrow plot still has its ends
		{2_600_961, 2_704_407, 84, 6}, // compact labels are rounded anyway
	}
	for _, tt := range tests {
		if got := epochTicks(tt.first, tt.last, tt.plotW); got != tt.want {
			t.Errorf("epochTicks(%v, %v, %d) = %d, want %d", tt.first, tt.last, tt.plotW, got, tt.want)
		}
	}
}

// The epoch labels of a short run step by the same whole number of
// epochs ("1 4 7 10", not "1 3 5 6 8 10").
func TestGraphEpochLabelsStepEvenly(t *testing.T) {
	for _, n := range []int{5, 8, 10, 12, 13, 25, 63, 100} {
		for _, w := range []int{80, 120, 160} {
			g := newGraph(theme.Ascii())
			g.setData(history(decaying(n), nil, math.NaN()))
			out := g.render(graphView{}, w-2, 20)
			var epochs []int
			for _, f := range strings.Fields(out[strings.LastIndex(out, "\n")+1:]) {
				e, err := strconv.Atoi(f)
				if err != nil {
					t.Fatalf("n=%d w=%d: epoch label %q: %v\n%s", n, w, f, err, out)
				}
				epochs = append(epochs, e)
			}
			if len(epochs) < 2 || epochs[0] != 1 || epochs[len(epochs)-1] != n {
				t.Fatalf("n=%d w=%d: epoch labels %v, want 1 … %d\n%s", n, w, epochs, n, out)
			}
			for i := 2; i < len(epochs); i++ {
				if epochs[i]-epochs[i-1] != epochs[1]-epochs[0] {
					t.Errorf("n=%d w=%d: epoch labels %v step unevenly\n%s", n, w, epochs, out)
					break
				}
			}
		}
	}
}

// On the linear scale the labels of neighbouring rows differ by the row
// step, give or take a tenth of it, zoomed in too.
func TestGraphYLabelsStepEvenly(t *testing.T) {
	histories := map[string]graphData{
		"zoomed":     history([]float64{333, 332, 331, 330.5, 329, 328, 327.2, 327}, nil, math.NaN()),
		"decaying":   history(decaying(300), decaying(300), 0.5),
		"narrow":     history(append(repeat(0.0111, 50), repeat(0.0103, 50)...), nil, math.NaN()),
		"large":      history([]float64{123_456, 98_765, 54_321}, nil, math.NaN()),
		"below zero": history([]float64{0.3, -0.2, 0.1, -0.05}, nil, math.NaN()),
	}
	for name, data := range histories {
		g := newGraph(theme.Ascii())
		g.setData(data)
		for h := 5; h <= 40; h++ {
			out := g.render(graphView{}, 100, h)
			labels, _ := plotRows(t, out)
			step := (labels[0] - labels[len(labels)-1]) / float64(len(labels)-1)
			for i := 1; i < len(labels); i++ {
				if d := labels[i-1] - labels[i]; math.Abs(d-step) > step/10+1e-12 {
					t.Fatalf("%s h=%d: labels %v and %v are %v apart, the step is %v:\n%s", name, h, labels[i-1], labels[i], d, step, out)
				}
			}
		}
	}
}
