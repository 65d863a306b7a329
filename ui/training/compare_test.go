package training

import (
	"flag"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"
	"github.com/muesli/termenv"

	"github.com/agentdash/agentdash/internal/series"
	"github.com/agentdash/agentdash/internal/train"
	"github.com/agentdash/agentdash/ui/pane"
	"github.com/agentdash/agentdash/ui/pane/panetest"
	"github.com/agentdash/agentdash/ui/theme"
)

// The -update flag panetest.Golden reads; this package does not import
// teatest, which would register it.
var _ = flag.Bool("update", false, "rewrite the golden files in testdata/")

// fakeRun is a run of n epochs whose loss falls from 1+optimum towards
// the optimum 0.01 at the given rate per epoch.
func fakeRun(name string, cfg train.Config, n int, rate float64) Run {
	const opt = 0.01
	h := series.NewBounded(histCap)
	for e := range n {
		h.Add(opt + math.Pow(rate, float64(e)))
	}
	last, _ := h.Last()
	cfg.Epochs = n
	return Run{Name: name, Config: cfg, History: h.Buckets(), Epochs: n, Loss: last, Optimum: opt, Stop: train.StopCompleted}
}

// threeRuns are runs that differ in learning rate, length and schedule.
func threeRuns() []Run {
	a := train.DefaultConfig()
	b := a
	b.LR = 0.01
	c := b
	c.Schedule = train.ScheduleInverseTime
	r3 := fakeRun("#3", c, 300, 0.995)
	r3.Stop = train.StopCanceled
	return []Run{fakeRun("#1", a, 200, 0.9), fakeRun("#2", b, 400, 0.975), r3}
}

func TestConfigDiff(t *testing.T) {
	a := train.DefaultConfig()
	tests := []struct {
		name string
		edit func(c *train.Config)
		want string
	}{
		{"same", func(*train.Config) {}, ""},
		{"lr", func(c *train.Config) { c.LR = 0.01 }, "lr 0.05 → 0.01"},
		{"checkpoint ignored", func(c *train.Config) { c.Checkpoint = "other.json" }, ""},
		{"dataset", func(c *train.Config) { c.Dataset = "h.csv" }, "dataset synthetic → h.csv"},
		{"several in order", func(c *train.Config) { c.BatchSize = 8; c.Epochs = 9 }, "epochs 8 → 9, batch-size 32 → 8"},
		{"synthetic", func(c *train.Config) { c.Synthetic.Noise = 0.5 }, "noise 0.1 → 0.5"},
		{"features", func(c *train.Config) { c.Features = []string{"a", "b"} }, "features (all) → a,b"},
		{"optimizer", func(c *train.Config) { c.Optimizer, c.LR = train.OptimizerAdam, 1 }, "lr 0.05 → 1, optimizer sgd → adam"},
		{"precondition", func(c *train.Config) { c.Precondition = train.PreconditionOff }, "precondition auto → off"},
		{"precondition of an old file", func(c *train.Config) { c.Precondition = "" }, "precondition auto → off"},
		{"optimizer parameter", func(c *train.Config) { c.Optimizer, c.Momentum = train.OptimizerMomentum, 0.5 }, "optimizer sgd → momentum, momentum 0.9 → 0.5"},
		{"shuffle version recorded", func(c *train.Config) { c.Shuffle = train.CurrentShuffle }, ""},
		{"older shuffle", func(c *train.Config) { c.Shuffle = train.ShuffleInPlace }, "shuffle 2 → 1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := a
			tt.edit(&b)
			if got := strings.Join(ConfigDiff(a, b), ", "); got != tt.want {
				t.Errorf("ConfigDiff = %q, want %q", got, tt.want)
			}
		})
	}
	// Synthetic settings do not matter between two datasets.
	x, y := a, a
	x.Dataset, y.Dataset, y.Synthetic.Noise = "d.csv", "d.csv", 3
	if d := ConfigDiff(x, y); len(d) != 0 {
		t.Errorf("ConfigDiff between datasets = %q", d)
	}
}

func TestConverged(t *testing.T) {
	r := fakeRun("r", train.DefaultConfig(), 100, 0.5)
	// 0.01 + 0.5^e <= 0.0101 first at e = 7 (0.5^7 = 0.0078 > 1e-4; 0.5^14 = 6.1e-5).
	e, exact, ok := r.Converged(ConvergedWithin)
	want := 0
	for i := 0; ; i++ {
		if math.Pow(0.5, float64(i)) <= ConvergedWithin*0.01 {
			want = i + 1
			break
		}
	}
	if !ok || !exact || e != want {
		t.Errorf("Converged = %d, %v, %v; want epoch %d, exact", e, exact, ok, want)
	}
	slow := fakeRun("s", train.DefaultConfig(), 10, 0.99)
	if _, _, ok := slow.Converged(ConvergedWithin); ok {
		t.Error("a run that never came within 1% converged")
	}
	slow.Optimum = math.NaN()
	if _, _, ok := slow.Converged(ConvergedWithin); ok {
		t.Error("a run without optimum converged")
	}
	// A long run's bucketed history gives the first epoch of the bucket.
	long := fakeRun("l", train.DefaultConfig(), 10_000, 0.999)
	if e, exact, ok := long.Converged(ConvergedWithin); !ok || exact || e < 1 || e > 10_000 {
		t.Errorf("bucketed Converged = %d, %v, %v", e, exact, ok)
	}
}

func TestCompareGolden(t *testing.T) {
	got := Compare(threeRuns(), CompareOptions{Width: 100, Height: 12, Theme: theme.Ascii()})
	panetest.Golden(t, "compare_100", got)
	for _, want := range []string{"lr 0.05 → 0.01", "schedule auto → inverse-time", "1% at", "─1 #1", "━2 #2", "═3 #3", "stopped"} {
		if !strings.Contains(got, want) {
			t.Errorf("comparison lacks %q", want)
		}
	}
	if strings.Contains(got, "\x1b[") {
		t.Error("escape sequences in the plain comparison")
	}
}

// TestCompareMarksFirstEpochWithinOnePercent: the mark of each run sits
// under the column of its first epoch within 1 % of the optimum.
func TestCompareMarksFirstEpochWithinOnePercent(t *testing.T) {
	runs := threeRuns()[:2]
	const w = 100
	marks := convergedMarks(runs, 400, plotWidth(w))
	for i := range runs {
		e, _, ok := runs[i].Converged(ConvergedWithin)
		if !ok {
			t.Fatalf("run %d never converged", i)
		}
		col := labelWidth + plotMargin + (e-1)*plotWidth(w)/400
		start := labelWidth + plotMargin
		if got := start + strings.IndexRune(marks[start:], rune('1'+i)); got != col {
			t.Errorf("run %d's mark at column %d, want %d (epoch %d): %q", i+1, got, col, e, marks)
		}
	}
}

// TestPaneComparesRuns: the pane lists the runs with their config changes,
// overlays them with a legend, toggles the convergence view and the
// overlay, and offers its keys in the help.
func TestPaneComparesRuns(t *testing.T) {
	cfg := train.DefaultConfig() // its checkpoint path is fixed: nothing is trained
	cfg.Epochs = 5
	m := newPane(t, cfg, 120, 40)
	for _, r := range threeRuns() {
		m.runs = append(m.runs, r)
		m.show(len(m.runs) - 1)
	}
	m.current, m.runCursor = 2, 2
	m.syncKeys()
	m.dirty = true
	view := m.View()
	panetest.Golden(t, "pane_runs_120x40", view)
	for _, want := range []string{"#3 vs #2: epochs 400 → 300, schedule auto → inverse-time", "─1 #1", "━2 #2", "═3 #3", "loss, linear"} {
		if !strings.Contains(view, want) {
			t.Errorf("view lacks %q", want)
		}
	}
	help := helpText(m)
	for _, want := range []string{"c convergence", "[ run up", "x hide run"} {
		if !strings.Contains(help, want) {
			t.Errorf("help %q lacks %q", help, want)
		}
	}
	m.Update(press("c"))
	view = m.View()
	panetest.Golden(t, "pane_convergence_120x40", view)
	if !strings.Contains(view, "1% at") || !strings.Contains(view, "gap to optimum, log") {
		t.Errorf("convergence view lacks the marks or the legend:\n%s", view)
	}
	m.Update(press("c"))
	m.Update(press("["))
	m.Update(press("x")) // hides #2
	if got := m.shown; len(got) != 2 || got[0] != 0 || got[1] != 2 {
		t.Errorf("after hiding #2, shown = %v", got)
	}
	view = m.View()
	if strings.Contains(view, "━2 #2") {
		t.Errorf("#2 still in the legend:\n%s", view)
	}
	m.Update(press("x")) // shows it again, in the last slot
	if got := m.shown; len(got) != 3 || got[2] != 1 {
		t.Errorf("after showing #2 again, shown = %v", got)
	}
	for _, size := range [][2]int{{80, 24}, {60, 16}, {30, 8}} {
		m.SetSize(size[0], size[1])
		for _, k := range []string{"c", "c"} {
			m.Update(press(k))
			v := m.View()
			lines := strings.Split(v, "\n")
			if len(lines) != size[1] {
				t.Errorf("%dx%d: %d lines", size[0], size[1], len(lines))
			}
			for _, l := range lines {
				if ansi.StringWidth(l) != size[0] {
					t.Errorf("%dx%d: line %q is %d cells", size[0], size[1], l, ansi.StringWidth(l))
				}
			}
		}
	}
	m.SetSize(80, 24)
	panetest.Golden(t, "pane_runs_80x24", m.View())
}

// TestPaneKeepsEveryRun trains twice in the pane with different learning
// rates: both runs are listed, the second with its change, and both are
// overlaid.
func TestPaneKeepsEveryRun(t *testing.T) {
	m := newPane(t, shortConfig(t, 20), 140, 40)
	startRun(t, m)
	finishRun(t, m)
	if len(m.runs) != 1 || m.listVisible() || m.comparing() {
		t.Fatalf("after one run: %d runs, list %v, comparing %v", len(m.runs), m.listVisible(), m.comparing())
	}
	// A run that fails to start takes no number.
	setField(t, m, "dataset", filepath.Join(t.TempDir(), "missing.csv"))
	run(m, m.Update(press("enter")))
	if m.runErr == nil {
		t.Fatal("a run on a missing dataset started")
	}
	setField(t, m, "dataset", "")
	setField(t, m, "learning rate", "0.01")
	setField(t, m, "epochs", "100000000") // stopped below once it is seen live
	startRun(t, m)
	deadline := time.Now().Add(30 * time.Second)
	for m.graph.data.n == 0 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
		m.Update(pane.TickMsg{})
	}
	if o := m.overlay(); len(o) != 2 || o[1].Name != "#2 live" {
		t.Errorf("the live run is not overlaid as #2: %d runs", len(o))
	}
	if !m.comparing() || !strings.Contains(m.View(), "━2 #2 live") {
		t.Errorf("the live run is not compared with the first:\n%s", m.View())
	}
	m.Update(press("s"))
	finishRun(t, m)
	view := m.View()
	for _, want := range []string{"#1", "#2", "epochs 20 → 100000000, lr 0.05 → 0.01", "─1 #1", "━2 #2", "stopped"} {
		if !strings.Contains(view, want) {
			t.Errorf("view after two runs lacks %q:\n%s", want, view)
		}
	}
	if len(m.shown) != 2 {
		t.Errorf("shown = %v, want both runs", m.shown)
	}
}

// TestPaneLoadsCheckpointAsRun: o loads the checkpoint field's file; a
// bad file is reported and adds nothing.
func TestPaneLoadsCheckpointAsRun(t *testing.T) {
	cfg := shortConfig(t, 10)
	m := newPane(t, cfg, 140, 40)
	startRun(t, m)
	finishRun(t, m)
	msgs := run(m, m.Update(press("o")))
	if s, ok := statusOf(msgs); !ok || s.Err || !strings.Contains(s.Text, "loaded") {
		t.Errorf("status after o = %+v", s)
	}
	if len(m.runs) != 2 || m.runs[1].Name != "model.json" || m.runs[1].Epochs != 10 || len(m.runs[1].History) == 0 {
		t.Fatalf("runs after o: %+v", m.runs)
	}
	bad := filepath.Join(t.TempDir(), "bad.json")
	if err := os.WriteFile(bad, []byte(`{"a": 1}`), 0o644); err != nil {
		t.Fatal(err)
	}
	setField(t, m, "checkpoint", bad)
	msgs = run(m, m.Update(press("o")))
	if s, ok := statusOf(msgs); !ok || !s.Err || !strings.Contains(s.Text, "not an agentdash checkpoint") {
		t.Errorf("status after o on a bad file = %+v", s)
	}
	if len(m.runs) != 2 {
		t.Errorf("a bad file added a run: %d runs", len(m.runs))
	}
}

// TestCompareBlockIsCached: the comparison is drawn once per change of the
// runs, the view or the size, not on every View.
func TestCompareBlockIsCached(t *testing.T) {
	m := newPane(t, train.DefaultConfig(), 120, 40)
	for _, r := range threeRuns() {
		m.runs = append(m.runs, r)
		m.show(len(m.runs) - 1)
	}
	first := m.compareBlock(77, 30)
	m.cmpOut = "cached"
	if got := m.compareBlock(77, 30); got != "cached" {
		t.Fatal("an unchanged comparison was drawn again")
	}
	m.runsVersion++
	if got := m.compareBlock(77, 30); got != first {
		t.Errorf("redrawn after a change:\n%s\nwant\n%s", got, first)
	}
	if got := m.compareBlock(77, 29); len(strings.Split(got, "\n")) != 29 {
		t.Errorf("resized comparison has %d lines", len(strings.Split(got, "\n")))
	}
}

// TestCompareColour: with colour each run's line has its colour; with
// NO_COLOR the same plot has none and the line shapes still differ.
func TestCompareColour(t *testing.T) {
	r := lipgloss.NewRenderer(io.Discard)
	r.SetColorProfile(termenv.TrueColor)
	runs := threeRuns()
	col := Compare(runs, CompareOptions{Width: 100, Height: 12, Theme: theme.New(r)})
	if !strings.Contains(col, "\x1b[") {
		t.Error("no colour in the coloured comparison")
	}
	plain := Compare(runs, CompareOptions{Width: 100, Height: 12, Theme: theme.NoColor(r)})
	if s := theme.WithoutColor(plain); !strings.Contains(s, "━") || !strings.Contains(s, "═") || !strings.Contains(s, "─") {
		t.Errorf("the runs' line shapes are missing without colour:\n%s", s)
	}
}
