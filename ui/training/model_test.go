package training

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"
	"github.com/muesli/termenv"
	"go.uber.org/goleak"

	"github.com/agentdash/agentdash/internal/series"
	"github.com/agentdash/agentdash/internal/train"
	"github.com/agentdash/agentdash/ui/pane"
	"github.com/agentdash/agentdash/ui/theme"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// press turns "enter", "esc", "space", "up", ... or literal text into a key.
func press(s string) tea.KeyMsg {
	switch s {
	case "enter":
		return tea.KeyMsg{Type: tea.KeyEnter}
	case "esc":
		return tea.KeyMsg{Type: tea.KeyEsc}
	case "space":
		return tea.KeyMsg{Type: tea.KeySpace, Runes: []rune{' '}}
	case "up":
		return tea.KeyMsg{Type: tea.KeyUp}
	case "down":
		return tea.KeyMsg{Type: tea.KeyDown}
	case "left":
		return tea.KeyMsg{Type: tea.KeyLeft}
	case "right":
		return tea.KeyMsg{Type: tea.KeyRight}
	case "tab":
		return tea.KeyMsg{Type: tea.KeyTab}
	case "ctrl+u":
		return tea.KeyMsg{Type: tea.KeyCtrlU}
	}
	return tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune(s)}
}

// newPane returns a focused pane at w×h with an ASCII theme.
func newPane(t testing.TB, cfg train.Config, w, h int) *Model {
	t.Helper()
	m := New(pane.Common{Theme: theme.Ascii()}, cfg)
	m.Focus()
	m.SetSize(w, h)
	t.Cleanup(m.Close)
	return m
}

// shortConfig is a quick synthetic run that saves to a temporary file.
func shortConfig(t testing.TB, epochs int) train.Config {
	t.Helper()
	cfg := train.DefaultConfig()
	cfg.Epochs = epochs
	cfg.Checkpoint = filepath.Join(t.TempDir(), "model.json")
	return cfg
}

// setField selects the field with the given label and types text into it.
func setField(t testing.TB, m *Model, label, text string) {
	t.Helper()
	i := m.fieldIndex(label)
	if m.fields[i].label != label {
		t.Fatalf("no field %q", label)
	}
	for m.cursor != i {
		m.Update(press("down"))
	}
	m.Update(press("i"))
	if !m.Capturing() {
		t.Fatal("editing a field does not capture keys")
	}
	m.Update(press("ctrl+u"))
	if text != "" {
		m.Update(press(text))
	}
	m.Update(press("enter"))
	if m.Capturing() {
		t.Fatal("still capturing after enter")
	}
}

// run executes cmd and feeds every message it produces back into m
// (following batches), returning the messages seen.
func run(m *Model, cmd tea.Cmd) []tea.Msg {
	if cmd == nil {
		return nil
	}
	msg := cmd()
	if b, ok := msg.(tea.BatchMsg); ok {
		var out []tea.Msg
		for _, c := range b {
			out = append(out, run(m, c)...)
		}
		return out
	}
	return append([]tea.Msg{msg}, run(m, m.Update(msg))...)
}

// startRun presses enter and completes the launch, failing if no run starts.
func startRun(t *testing.T, m *Model) {
	t.Helper()
	run(m, m.Update(press("enter")))
	if m.state != running || m.run == nil {
		t.Fatalf("enter did not start a run: state %v, error %v", m.state, m.runErr)
	}
}

// finishRun waits for the run to end, then lets the pane see it.
func finishRun(t *testing.T, m *Model) []tea.Msg {
	t.Helper()
	<-m.run.Done()
	msgs := run(m, m.Update(pane.TickMsg{}))
	if m.state != finished {
		t.Fatalf("state %v after the run ended and a tick", m.state)
	}
	return msgs
}

func statusOf(msgs []tea.Msg) (pane.StatusMsg, bool) {
	for _, msg := range msgs {
		if s, ok := msg.(pane.StatusMsg); ok {
			return s, true
		}
	}
	return pane.StatusMsg{}, false
}

func TestInvalidFormShowsErrorsAndDoesNotTrain(t *testing.T) {
	tests := []struct {
		field, text string
		want        string // shown inline, naming the field
	}{
		{"epochs", "abc", `epochs: "abc" is not a whole number`},
		{"learning rate", "fast", `learning rate: "fast" is not a number`},
		{"batch size", "3.5", `batch size: "3.5" is not a whole number`},
		{"seed", "-1", `seed: "-1" is not a non-negative whole number`},
		{"val fraction", "", `val fraction: "" is not a number`},
		{"schedule", "sometimes", `schedule: "sometimes" is not one of`},
		{"standardize", "maybe", `standardize: "maybe" is not one of`},
		{"optimizer", "rmsprop", `optimizer: "rmsprop" is not one of sgd, momentum, adam`},
		{"precondition", "pca", `precondition: "pca" is not one of auto, off, whiten`},
		{"momentum", "high", `momentum: "high" is not a number`},
		{"adam eps", "tiny", `adam eps: "tiny" is not a number`},
		{"synth noise", "1e", `synth noise: "1e" is not a number`},
		// Whole numbers, but too large (or small) for the field.
		{"epochs", "99999999999999999999", `epochs: "99999999999999999999" is out of range: at most 9,223,372,036,854,775,807`},
		{"patience", "-99999999999999999999", `patience: "-99999999999999999999" is out of range: at least -9,223,372,036,854,775,808`},
		{"seed", "99999999999999999999", `seed: "99999999999999999999" is out of range: at most 18,446,744,073,709,551,615`},
		// Parsed, but rejected by train.Config.Validate.
		{"epochs", "0", "epochs"},
		{"learning rate", "-1", "lr"},
		{"batch size", "0", "batch"},
	}
	for _, tt := range tests {
		t.Run(tt.field+"="+tt.text, func(t *testing.T) {
			m := newPane(t, shortConfig(t, 5), 140, 40)
			setField(t, m, tt.field, tt.text)
			view := m.View()
			if form := formText(view); !strings.Contains(form, "✗") || !strings.Contains(form, tt.want) {
				t.Fatalf("form lacks inline error %q:\n%s", tt.want, view)
			}
			msgs := run(m, m.Update(press("enter")))
			if m.state != idle || m.launch != nil || m.run != nil {
				t.Fatalf("training started with an invalid form (state %v)", m.state)
			}
			if s, ok := statusOf(msgs); !ok || !s.Err || !strings.Contains(s.Text, "cannot train") {
				t.Errorf("enter on an invalid form: status %+v, want an error", s)
			}
		})
	}
}

// formText returns the form column of a wide-layout view as one line of
// words, so that messages wrapped over several lines can be matched.
func formText(view string) string {
	var words []string
	for _, line := range strings.Split(view, "\n") {
		words = append(words, strings.Fields(ansi.Cut(line, 0, formWidth))...)
	}
	return strings.Join(words, " ")
}

// runText returns the run column of a wide-layout view as one line of words.
func runText(view string) string {
	var words []string
	for _, line := range strings.Split(view, "\n") {
		words = append(words, strings.Fields(ansi.Cut(line, formWidth+3, ansi.StringWidth(line)))...)
	}
	return strings.Join(words, " ")
}

func TestEditingCapturesAndEscRestores(t *testing.T) {
	m := newPane(t, shortConfig(t, 5), 140, 40)
	if m.Capturing() {
		t.Fatal("capturing before editing")
	}
	m.Update(press("i"))
	if !m.Capturing() {
		t.Fatal("i did not start editing")
	}
	for _, k := range []string{"q", "1", "s", "l"} { // root and pane keys are text now
		m.Update(press(k))
	}
	if got := m.inputs[0].Value(); got != "5q1sl" {
		t.Fatalf("typed into epochs: %q, want %q", got, "5q1sl")
	}
	if m.view.log {
		t.Error("l toggled the log scale while typing")
	}
	m.Update(press("esc"))
	if m.Capturing() {
		t.Fatal("esc did not leave editing")
	}
	if got := m.inputs[0].Value(); got != "5" {
		t.Fatalf("esc kept %q, want the old value 5", got)
	}
	// Blur leaves editing too, so the root can take its keys back.
	m.Update(press("i"))
	m.Blur()
	if m.Capturing() {
		t.Fatal("capturing after Blur")
	}
}

func TestChoiceFieldsCycle(t *testing.T) {
	m := newPane(t, shortConfig(t, 5), 140, 40)
	i := m.fieldIndex("schedule")
	for m.cursor != i {
		m.Update(press("down"))
	}
	before := m.inputs[i].Value()
	m.Update(press("right"))
	after := m.inputs[i].Value()
	if after == before {
		t.Fatalf("→ did not change the schedule from %q", before)
	}
	m.Update(press("left"))
	if got := m.inputs[i].Value(); got != before {
		t.Fatalf("← gave %q, want %q back", got, before)
	}
	if cfg, err := m.config(); err != nil || string(cfg.Schedule) != before {
		t.Fatalf("config schedule %q (%v), want %q", cfg.Schedule, err, before)
	}
}

func TestDefaultsComeFromTrainer(t *testing.T) {
	m := newPane(t, train.Config{}, 140, 40)
	cfg, err := m.config()
	if err != nil {
		t.Fatalf("default form invalid: %v", err)
	}
	def := train.DefaultConfig()
	if cfg.Checkpoint != def.Checkpoint || cfg.Epochs != def.Epochs || cfg.LR != def.LR {
		t.Fatalf("zero config gave %+v, want the trainer's defaults %+v", cfg, def)
	}
	// A prefilled config keeps its values; an empty checkpoint gets the
	// default path that the demo agent's predict reads.
	pre := def
	pre.Epochs, pre.Checkpoint = 77, ""
	m = newPane(t, pre, 140, 40)
	cfg, _ = m.config()
	if cfg.Epochs != 77 || cfg.Checkpoint != def.Checkpoint {
		t.Fatalf("prefilled config gave epochs %d checkpoint %q", cfg.Epochs, cfg.Checkpoint)
	}
	if !strings.Contains(m.View(), def.Checkpoint) {
		t.Errorf("view does not show the checkpoint path %q", def.Checkpoint)
	}
}

func TestTrainingCompletes(t *testing.T) {
	cfg := shortConfig(t, 30)
	m := newPane(t, cfg, 140, 40)
	startRun(t, m)
	if !strings.Contains(m.View(), "training") {
		t.Errorf("running view lacks the status:\n%s", m.View())
	}
	msgs := finishRun(t, m)
	view := m.View()
	for _, want := range []string{"completed", "30 epochs", cfg.Checkpoint, "loss", "optimum", "gap", "w ", "b "} {
		if !strings.Contains(view, want) {
			t.Errorf("finished view lacks %q:\n%s", want, view)
		}
	}
	if s, ok := statusOf(msgs); !ok || s.Err || !strings.Contains(s.Text, cfg.Checkpoint) {
		t.Errorf("status after the run = %+v, want the checkpoint path", s)
	}
	if m.result == nil || m.result.StopReason != train.StopCompleted || m.result.Epochs != 30 {
		t.Fatalf("result %+v", m.result)
	}
	if _, err := os.Stat(cfg.Checkpoint); err != nil {
		t.Errorf("checkpoint not written: %v", err)
	}
	if m.graph.data.n != 30 {
		t.Errorf("graph holds %d epochs, want 30", m.graph.data.n)
	}
	if !strings.Contains(view, "┤") {
		t.Errorf("no loss curve in the finished view:\n%s", view)
	}
	// A second run can start from the finished state.
	startRun(t, m)
	finishRun(t, m)
}

// TestStopWhileLoading: s while the data is still loading stops the run
// before its first epoch; that is a stop, not a failure to start.
func TestStopWhileLoading(t *testing.T) {
	m := newPane(t, shortConfig(t, 10), 140, 40)
	launch := m.Update(press("enter")) // the launch has not run yet: the data is "loading"
	if m.state != launching {
		t.Fatalf("state %v after enter, want launching", m.state)
	}
	m.Update(press("s"))
	msgs := run(m, launch)
	if m.state != finished || m.runErr != nil || m.run != nil {
		t.Fatalf("state %v, run %v, error %v; want finished without an error", m.state, m.run, m.runErr)
	}
	st, ok := statusOf(msgs)
	if !ok || st.Err || !strings.Contains(st.Text, "stopped before the first epoch") {
		t.Errorf("status %+v, want a stop before the first epoch", st)
	}
	if v := m.View(); !strings.Contains(v, "stopped before the first epoch") || strings.Contains(v, "failed") {
		t.Errorf("view after a stop while loading:\n%s", v)
	}
	if _, err := os.Stat(m.base.Checkpoint); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a checkpoint was written: %v", err)
	}
	// The next run starts afresh.
	startRun(t, m)
	finishRun(t, m)
	if v := m.View(); strings.Contains(v, "before the first epoch") {
		t.Errorf("the next run's view still says it stopped while loading:\n%s", v)
	}
}

func TestPauseResumeStop(t *testing.T) {
	m := newPane(t, shortConfig(t, 1_000_000), 140, 40)
	startRun(t, m)
	m.Update(press("space"))
	if !m.run.Paused() || !m.paused {
		t.Fatal("space did not pause the run")
	}
	// The trainer pauses between epochs: until the run reports the pause
	// taking effect (on Updates, seen at the next frame) the pane says so.
	if v := m.View(); !strings.Contains(v, "pausing after this epoch") || strings.Contains(v, "PAUSED") {
		t.Errorf("view right after space, before the run held:\n%s", v)
	}
	if h := helpText(m); !strings.Contains(h, "space cancel pause") {
		t.Errorf("help while pausing = %q, want cancel pause", h)
	}
	tickUntil(t, m, func() bool { return m.held })
	if !m.run.Waiting() {
		t.Fatal("the pane shows the run held, the run does not wait")
	}
	if v := m.View(); !strings.Contains(v, "PAUSED") || strings.Contains(v, "pausing") {
		t.Errorf("view once the run held lacks PAUSED:\n%s", v)
	}
	if h := helpText(m); !strings.Contains(h, "space resume") {
		t.Errorf("help while paused = %q, want resume", h)
	}
	m.Update(press("space"))
	if m.run.Paused() || m.paused || m.held {
		t.Fatal("space did not resume the run")
	}
	if v := m.View(); !strings.Contains(v, "▶ training") {
		t.Errorf("view after resume:\n%s", v)
	}
	m.Update(press("s"))
	if !m.stopping || !strings.Contains(m.View(), "stopping") {
		t.Errorf("s did not show stopping:\n%s", m.View())
	}
	msgs := finishRun(t, m)
	if m.result == nil || m.result.StopReason != train.StopCanceled {
		t.Fatalf("stopped run result %+v, error %v", m.result, m.runErr)
	}
	if v := m.View(); !strings.Contains(v, "stopped") {
		t.Errorf("view after stop lacks 'stopped':\n%s", v)
	}
	// The footer says "stopped" too (it said "training canceled"), and a
	// run stopped before its first epoch has no loss to show (it said
	// "loss NaN").
	want := "training stopped: loss "
	if m.result.Epochs == 0 {
		want = "training stopped before the first epoch: nothing saved"
	}
	if s, ok := statusOf(msgs); !ok || !strings.HasPrefix(s.Text, want) || strings.Contains(s.Text, "cancel") || strings.Contains(s.Text, "NaN") {
		t.Errorf("status after stop = %+v, want %q…", s, want)
	}
}

func TestStopWhilePausedAndClose(t *testing.T) {
	m := newPane(t, shortConfig(t, 1_000_000), 140, 40)
	startRun(t, m)
	m.Update(press("space"))
	m.Close() // must not hang on a paused run
	select {
	case <-m.run.Done():
	default:
		t.Fatal("Close returned before the run ended")
	}
}

func TestDivergenceIsShown(t *testing.T) {
	cfg := shortConfig(t, 500)
	cfg.LR = 1e6
	m := newPane(t, cfg, 140, 40)
	startRun(t, m)
	msgs := finishRun(t, m)
	if m.runErr == nil {
		t.Fatalf("no error for a diverging run; result %+v", m.result)
	}
	view := m.View()
	if !strings.Contains(view, "✗") || !strings.Contains(view, "diverged") {
		t.Errorf("divergence not shown clearly:\n%s", view)
	}
	if s, ok := statusOf(msgs); !ok || !s.Err {
		t.Errorf("status %+v, want an error", s)
	}
}

func helpText(m *Model) string {
	var sb strings.Builder
	for _, b := range m.ShortHelp() {
		if b.Enabled() {
			sb.WriteString(b.Help().Key + " " + b.Help().Desc + "  ")
		}
	}
	return sb.String()
}

func TestHelpShowsOnlyWorkingKeys(t *testing.T) {
	m := newPane(t, shortConfig(t, 1_000_000), 140, 40)
	idle := helpText(m)
	if !strings.Contains(idle, "enter train") || strings.Contains(idle, "stop") || strings.Contains(idle, "pause") {
		t.Errorf("idle help = %q", idle)
	}
	if strings.Contains(idle, "log") {
		t.Errorf("graph keys offered without data: %q", idle)
	}
	startRun(t, m)
	live := helpText(m)
	if strings.Contains(live, "enter train") || !strings.Contains(live, "s stop") || !strings.Contains(live, "space pause") {
		t.Errorf("running help = %q", live)
	}
	m.Update(press("i"))
	if e := helpText(m); !strings.Contains(e, "esc cancel") || strings.Contains(e, "stop") {
		t.Errorf("editing help = %q", e)
	}
}

// loadHistory gives m an n-epoch history without training.
func loadHistory(m *Model, n int) {
	tb, vb := series.NewBounded(histCap), series.NewBounded(histCap)
	for i, x := range decaying(n) {
		tb.Add(x)
		vb.Add(x * (1.05 + 0.1*float64(i%7)/7))
	}
	m.trainHist, m.valHist = tb.Buckets(), vb.Buckets()
	m.latest = train.Event{Epoch: n, Epochs: n, TrainLoss: 0.5, ValLoss: 0.53, BestLoss: 0.5, OptimalLoss: 0.49,
		LR: 0.05, SamplesPerSec: 1e6, Weights: []float64{2.99}, Bias: 1.01}
	m.has = true
	m.state = finished
	m.result = &train.Result{Epochs: n, Loss: 0.5, ValLoss: 0.53, BestLoss: 0.5, OptimalLoss: 0.49,
		Weights: []float64{2.99}, Bias: 1.01, StopReason: train.StopCompleted, Checkpoint: "checkpoints/model.json"}
	m.setGraphData()
	m.syncKeys()
	m.dirty = true
}

func TestGraphToggles(t *testing.T) {
	m := newPane(t, shortConfig(t, 5), 160, 45)
	loadHistory(m, 50_000)
	steps := []struct {
		key, legend string
	}{
		{"l", "log  full run"},
		{"e", "EMA"},
		{"t", "last 1,000"}, // 50,000 epochs in 1,024 buckets: 100 is too fine
		{"t", "last 10,000"},
		{"t", "last 1,000"}, // wraps around
		{"f", "full run"},
		{"l", "linear  full run"},
	}
	prev := m.View()
	for _, s := range steps {
		m.Update(press(s.key))
		v := m.View()
		if v == prev {
			t.Fatalf("%q did not change the view", s.key)
		}
		if !strings.Contains(v, s.legend) {
			t.Fatalf("after %q the legend lacks %q:\n%s", s.key, s.legend, v)
		}
		prev = v
	}
	m.Update(press("e"))
	if strings.Contains(m.View(), "EMA") {
		t.Error("second e did not turn smoothing off")
	}
}

func TestTinySizesDoNotPanic(t *testing.T) {
	sizes := [][2]int{{0, 0}, {1, 1}, {3, 2}, {23, 3}, {24, 4}, {40, 6}, {60, 12}, {78, 18}, {95, 20}, {96, 20}, {120, 40}, {200, 60}}
	setups := map[string]func(*Model){
		"idle":    func(*Model) {},
		"history": func(m *Model) { loadHistory(m, 100_000) },
		"editing": func(m *Model) { m.Update(press("i")) },
		"errors": func(m *Model) {
			setField(t, m, "epochs", "x")
			setField(t, m, "learning rate", "y")
		},
		"last field": func(m *Model) { m.Update(press("up")) },
	}
	for name, setup := range setups {
		t.Run(name, func(t *testing.T) {
			m := newPane(t, shortConfig(t, 5), 80, 24)
			setup(m)
			for _, sz := range sizes {
				m.SetSize(sz[0], sz[1])
				checkBlock(t, m.View(), sz[0], sz[1])
			}
		})
	}
}

func TestViewIsCached(t *testing.T) {
	m := newPane(t, shortConfig(t, 5), 120, 40)
	loadHistory(m, 1000)
	a := m.View()
	if m.dirty {
		t.Fatal("dirty after View")
	}
	m.Update(pane.TickMsg{}) // nothing running: nothing changes
	if m.dirty || m.View() != a {
		t.Fatal("an idle tick invalidated the view")
	}
	m.SetSize(121, 40)
	if !m.dirty {
		t.Fatal("resize did not invalidate the view")
	}
}

func TestUnfocusedIgnoresKeys(t *testing.T) {
	m := newPane(t, shortConfig(t, 5), 120, 40)
	m.Blur()
	m.Update(press("enter"))
	m.Update(press("i"))
	if m.state != idle || m.Capturing() {
		t.Fatal("unfocused pane acted on keys")
	}
}

func TestColourAndASCII(t *testing.T) {
	r := lipgloss.NewRenderer(io.Discard)
	r.SetColorProfile(termenv.TrueColor)
	for _, tc := range []struct {
		name   string
		th     *theme.Theme
		colour bool
	}{
		{"colour", theme.New(r), true},
		{"ascii", theme.Ascii(), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := New(pane.Common{Theme: tc.th}, shortConfig(t, 5))
			t.Cleanup(m.Close)
			m.Focus()
			loadHistory(m, 5000)
			m.view.ema = true
			setField(t, m, "epochs", "x")
			for _, sz := range [][2]int{{140, 40}, {80, 20}} {
				m.SetSize(sz[0], sz[1])
				v := m.View()
				checkBlock(t, v, sz[0], sz[1])
				if got := strings.Contains(v, "\x1b["); got != tc.colour {
					t.Errorf("%v: escape sequences present = %v, want %v", sz, got, tc.colour)
				}
			}
		})
	}
}

func TestStartErrorIsShown(t *testing.T) {
	m := newPane(t, shortConfig(t, 5), 140, 40)
	missing := filepath.Join(t.TempDir(), "missing.csv")
	setField(t, m, "dataset", missing)
	msgs := run(m, m.Update(press("enter")))
	if m.state != finished || m.runErr == nil || m.run != nil {
		t.Fatalf("state %v, error %v after starting on a missing file", m.state, m.runErr)
	}
	if v := m.View(); !strings.Contains(v, "✗") || !strings.Contains(v, "missing.csv") {
		t.Errorf("start error not shown:\n%s", v)
	}
	if s, ok := statusOf(msgs); !ok || !s.Err {
		t.Errorf("status %+v, want an error", s)
	}
	// The form is still usable: fix the field and train.
	setField(t, m, "dataset", "")
	startRun(t, m)
	finishRun(t, m)
	if m.runErr != nil {
		t.Fatal(m.runErr)
	}
}

// A start error describes the form as it was: once a field changes, the
// pane is idle again and no longer shows it.
func TestStartErrorClearsWhenTheFormChanges(t *testing.T) {
	m := newPane(t, shortConfig(t, 5), 140, 40)
	setField(t, m, "dataset", "nonexistent.csv")
	run(m, m.Update(press("enter")))
	if v := m.View(); !strings.Contains(v, "nonexistent.csv: ") {
		t.Fatalf("start error not shown:\n%s", v)
	}
	// Moving around does not change the form: the error stays.
	m.Update(press("down"))
	if m.runErr == nil {
		t.Fatal("moving the cursor cleared the start error")
	}
	setField(t, m, "dataset", "")
	v := m.View()
	if m.runErr != nil || m.state != idle || strings.Contains(v, "✗") || strings.Contains(v, "nonexistent") {
		t.Errorf("state %v, error %v after the field was fixed:\n%s", m.state, m.runErr, v)
	}
	if !strings.Contains(v, "○ idle") {
		t.Errorf("fixed form is not idle:\n%s", v)
	}
}

// housingPane returns a 160×40 pane set to train epochs on the shipped
// housing CSV.
func housingPane(t *testing.T, epochs int) *Model {
	t.Helper()
	cfg := shortConfig(t, epochs)
	cfg.Dataset = filepath.Join("..", "..", "assets", "housing.csv")
	if _, err := os.Stat(cfg.Dataset); err != nil {
		t.Skipf("no sample CSV: %v", err)
	}
	return newPane(t, cfg, 160, 40)
}

func TestCSVRunShowsFeatureNames(t *testing.T) {
	m := housingPane(t, 20)
	startRun(t, m)
	finishRun(t, m)
	if m.runErr != nil {
		t.Fatal(m.runErr)
	}
	v := m.View()
	for _, want := range []string{"sqft=", "bedrooms=", "age_years="} {
		if !strings.Contains(v, want) {
			t.Errorf("view lacks weight %q:\n%s", want, v)
		}
	}
}

func TestCheckpointNoteNamesWhatPredictReads(t *testing.T) {
	cfg := shortConfig(t, 3)
	m := newPane(t, cfg, 160, 40)
	startRun(t, m)
	finishRun(t, m)
	if v := m.View(); !strings.Contains(v, "predict serves this model now") {
		t.Errorf("default checkpoint: view lacks the predict note:\n%s", v)
	}
	other := filepath.Join(t.TempDir(), "other.json")
	setField(t, m, "checkpoint", other)
	startRun(t, m)
	finishRun(t, m)
	if v := m.View(); !strings.Contains(runText(v), "predict reads "+cfg.Checkpoint+", not this file") {
		t.Errorf("other checkpoint: view does not say predict reads %s:\n%s", cfg.Checkpoint, v)
	}
}

func TestBlame(t *testing.T) {
	fs := fields()
	tests := []struct {
		mutate func(*train.Config)
		field  string
	}{
		{func(c *train.Config) { c.Epochs = 0 }, "epochs"},
		{func(c *train.Config) { c.LR = 0 }, "learning rate"},
		{func(c *train.Config) { c.BatchSize = -1 }, "batch size"},
		{func(c *train.Config) { c.ValFraction = 1 }, "val fraction"},
		{func(c *train.Config) { c.Patience = -1 }, "patience"},
		{func(c *train.Config) { c.MinDelta = -1 }, "min delta"},
		{func(c *train.Config) { c.Schedule, c.DecaySteps = train.ScheduleStep, 0 }, "decay steps"},
		{func(c *train.Config) { c.Schedule, c.DecayRate = train.ScheduleStep, 2 }, "decay rate"},
		{func(c *train.Config) { c.Optimizer, c.Momentum = train.OptimizerMomentum, 1 }, "momentum"},
		{func(c *train.Config) { c.Optimizer, c.Beta1 = train.OptimizerAdam, 1 }, "adam beta1"},
		{func(c *train.Config) { c.Optimizer, c.Beta2 = train.OptimizerAdam, -1 }, "adam beta2"},
		{func(c *train.Config) { c.Optimizer, c.Eps = train.OptimizerAdam, 0 }, "adam eps"},
		{func(c *train.Config) { c.Optimizer = "rmsprop" }, "optimizer"},
		{func(c *train.Config) { c.Target = "y" }, "target"},
		{func(c *train.Config) { c.Synthetic.Samples = 0 }, "synth samples"},
		{func(c *train.Config) { c.Synthetic.Noise = -1 }, "synth noise"},
	}
	for _, tt := range tests {
		cfg := train.DefaultConfig()
		tt.mutate(&cfg)
		err := cfg.Validate()
		if err == nil {
			t.Fatalf("%s: config unexpectedly valid", tt.field)
		}
		i, msg := blame(fs, err)
		if i < 0 || fs[i].label != tt.field {
			t.Errorf("%q blamed on field %d, want %s", err, i, tt.field)
		}
		if strings.Contains(msg, train.ErrConfig.Error()) {
			t.Errorf("message keeps the prefix: %q", msg)
		}
	}
}

func TestETA(t *testing.T) {
	ev := func(epoch, epochs int, elapsed time.Duration) train.Event {
		return train.Event{Epoch: epoch, Epochs: epochs, Elapsed: elapsed}
	}
	tests := []struct {
		name      string
		ev, first train.Event
		want      time.Duration
		ok        bool
	}{
		{"fresh run", ev(10, 100, time.Second), ev(1, 100, 100*time.Millisecond), 9 * time.Second, true},
		{"only one event", ev(10, 100, time.Second), ev(10, 100, time.Second), 9 * time.Second, true},
		// Resumed at epoch 1000: 10 epochs took 1 s in this run.
		{"resumed", ev(1010, 1100, time.Second), ev(1001, 1100, 100*time.Millisecond), 9 * time.Second, true},
		{"done", ev(100, 100, time.Second), ev(1, 100, 0), 0, true},
		{"no time yet", ev(0, 100, 0), ev(0, 100, 0), 0, false},
	}
	for _, tt := range tests {
		got, ok := etaOf(tt.ev, tt.first)
		if ok != tt.ok || (ok && (got-tt.want).Abs() > time.Millisecond) {
			t.Errorf("%s: etaOf = %v, %v; want %v, %v", tt.name, got, ok, tt.want, tt.ok)
		}
	}
}

// tickUntil sends frames to m until cond holds (or fails after 10 s).
func tickUntil(t *testing.T, m *Model, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not reached within 10 s")
		}
		time.Sleep(time.Millisecond)
		run(m, m.Update(pane.TickMsg{}))
	}
}

func TestLiveUpdatesEnableGraphKeys(t *testing.T) {
	m := newPane(t, shortConfig(t, 1_000_000), 140, 40)
	startRun(t, m)
	tickUntil(t, m, func() bool { return m.graph.data.n >= 2 })
	if !m.keys.log.Enabled() || !m.keys.ema.Enabled() {
		t.Fatal("graph keys still disabled once the loss history arrived")
	}
	// t waits until the run is longer than the smallest window.
	tickUntil(t, m, func() bool { return m.keys.tail.Enabled() })
	if n := m.graph.data.n; n <= tailSizes[0] {
		t.Fatalf("t offered at %d epochs", n)
	}
	m.Update(press("l"))
	if !m.view.log {
		t.Fatal("l did not switch to the log scale during a run")
	}
	epoch := m.latest.Epoch
	tickUntil(t, m, func() bool { return m.latest.Epoch > epoch })
	v := m.View()
	for _, want := range []string{"▶ training", "epoch ", "ETA", "rows/s", "loss ", "optimum", "log"} {
		if !strings.Contains(v, want) {
			t.Errorf("live view lacks %q:\n%s", want, v)
		}
	}
	m.Update(press("s"))
	finishRun(t, m)
}

func TestNarrowFormShowsFirstError(t *testing.T) {
	m := newPane(t, shortConfig(t, 5), 80, 20)
	if v := m.View(); !strings.Contains(v, "epochs: passes over") {
		t.Errorf("narrow form lacks the selected field's help:\n%s", v)
	}
	setField(t, m, "epochs", "x")
	setField(t, m, "batch size", "y")
	v := m.View()
	if !strings.Contains(v, `✗ epochs: "x" is not a whole number (+1 more)`) {
		t.Errorf("narrow form lacks the first error and the count of others:\n%s", v)
	}
	if !strings.Contains(v, "batch size") || !strings.Contains(v, "y ✗") {
		t.Errorf("the selected invalid field is not marked:\n%s", v)
	}
}

// Every field's help shows whole, short bracketed groups ("(≥ 1)") on one
// line and no word split, at the pane sizes of an 80×24, 120×40 and 200×60
// terminal.
func TestFieldHelpWrapsOnWords(t *testing.T) {
	group := regexp.MustCompile(`[(\[][^)\]]*[)\]]`)
	sizes := []struct {
		name  string
		w, h  int
		formW int // width of the form column (the whole pane in the grid layout)
	}{
		{"80x24", 78, 19, 78},
		{"120x40", 118, 35, formWidth},
		{"200x60", 98, 27, formWidth},
	}
	for _, sz := range sizes {
		m := newPane(t, train.Config{}, sz.w, sz.h)
		for i, f := range m.fields {
			m.cursor = i
			m.dirty = true
			var form []string
			for _, l := range strings.Split(m.View(), "\n") {
				form = append(form, strings.TrimSpace(ansi.Truncate(l, sz.formW, "")))
			}
			text := f.label + ": " + f.help
			if joined := strings.Join(form, " "); !strings.Contains(joined, text) {
				t.Errorf("%s: help of %q cut or split inside a word; form column:\n%s", sz.name, f.label, strings.Join(form, "\n"))
				continue
			}
			for _, g := range group.FindAllString(text, -1) {
				if ansi.StringWidth(g) > maxGlued {
					continue
				}
				whole := false
				for _, l := range form {
					whole = whole || strings.Contains(l, g)
				}
				if !whole {
					t.Errorf("%s: %q of %q's help is split across lines:\n%s", sz.name, g, f.label, strings.Join(form, "\n"))
				}
			}
		}
	}
}

func TestWrapCutsAtWords(t *testing.T) {
	tests := []struct {
		s    string
		w, n int
		want []string
	}{
		{keepTogether("passes over the data (≥ 1)"), 23, 2, []string{"passes over the data", "(≥ 1)"}},
		{keepTogether("the training data (≥ 1)"), 20, 3, []string{"the training data", "(≥ 1)"}},
		{keepTogether("data (≥ 1)"), 8, 3, []string{"data", "(≥ 1)"}},
		{"one two three four", 10, 1, []string{"one two …"}},
		{"one two three four", 8, 1, []string{"one …"}},
		{keepTogether("exponential, inverse-time"), 20, 2, []string{"exponential,", "inverse-time"}},
		{"abcdefghijkl", 6, 1, []string{"abcd …"}},
	}
	for _, tt := range tests {
		got := wrap(tt.s, tt.w, tt.n)
		if strings.Join(got, "|") != strings.Join(tt.want, "|") {
			t.Errorf("wrap(%q, %d, %d) = %q, want %q", tt.s, tt.w, tt.n, got, tt.want)
		}
	}
	if got := keepTogether("in [0, 1) or (a long group of words)"); got != "in [0,\u00a01) or (a long group of words)" {
		t.Errorf("keepTogether = %q", got)
	}
}

// In the 80×24 grid only a few rows of fields fit; the line under them
// says how many more there are, and in which direction.
func TestNarrowFormSaysWhereMoreFieldsAre(t *testing.T) {
	m := newPane(t, train.Config{}, 78, 19)
	if v := m.View(); !strings.Contains(v, "↓ 9 more rows") || strings.Contains(v, "↑") {
		t.Errorf("top of the form: want only \"↓ 9 more rows\":\n%s", v)
	}
	for range 5 {
		m.Update(press("down"))
	}
	if v := m.View(); !strings.Contains(v, "↑ 3 more rows · ↓ 6 more rows") {
		t.Errorf("middle of the form: want more rows both ways:\n%s", v)
	}
	m.SetSize(118, 35) // one column, every field fits
	if v := m.View(); strings.Contains(v, "more row") {
		t.Errorf("all fields fit, yet the form says there are more:\n%s", v)
	}
}

// A new run starts on the full view, as the last run's window may not
// suit it, and keeps the log scale and EMA; t is only offered when a
// window exists.
func TestNewRunResetsTailKeepsPreferences(t *testing.T) {
	m := newPane(t, shortConfig(t, 8), 160, 45)
	loadHistory(m, 3_000_000)
	for _, k := range []string{"l", "e", "t"} {
		m.Update(press(k))
	}
	if m.view.tail != 100_000 || !m.view.log || !m.view.ema {
		t.Fatalf("setup: view %+v", m.view)
	}
	startRun(t, m)
	finishRun(t, m)
	if m.view.tail != 0 {
		t.Errorf("tail window %d carried over to the 8-epoch run", m.view.tail)
	}
	v := m.View()
	if strings.Contains(v, "last 100,000") || !strings.Contains(v, "full run") {
		t.Errorf("legend after the new run does not show the full run:\n%s", v)
	}
	if !strings.Contains(v, "EMA") || !strings.Contains(v, "log  full run") {
		t.Errorf("log scale and EMA were not kept:\n%s", v)
	}
	if h := helpText(m); strings.Contains(h, "t last") {
		t.Errorf("help offers a tail window for an 8-epoch run: %q", h)
	}
	before := m.view
	m.Update(press("t"))
	if m.view != before {
		t.Errorf("t changed the view of an 8-epoch run: %+v", m.view)
	}
}

// The pane numbers the epoch that blew up as the trainer's error under it
// does ("at epoch 1").
func TestDivergedEpochAgreesWithError(t *testing.T) {
	cfg := shortConfig(t, 500)
	cfg.LR = 1e308
	m := newPane(t, cfg, 160, 40)
	startRun(t, m)
	finishRun(t, m)
	if m.runErr == nil || !strings.Contains(m.runErr.Error(), "at epoch 1 ") {
		t.Fatalf("error %v, want divergence at epoch 1", m.runErr)
	}
	v := runText(m.View())
	if !strings.Contains(v, "✗ diverged at epoch 1 ") || strings.Contains(v, "epoch 0") {
		t.Errorf("outcome does not say epoch 1:\n%s", m.View())
	}
}

func TestDivergedOutcome(t *testing.T) {
	tests := []struct {
		name           string
		epochs, best   int
		target, patien int
		want           string
	}{
		{"blew up mid-run", 41, 41, 100, 0, "✗ diverged at epoch 42"},
		{"blew up at once", 0, 0, 100, 0, "✗ diverged at epoch 1"},
		{"ended worse", 100, 3, 100, 0, "✗ diverged after 100 epochs"},
		{"stopped early, worse", 20, 10, 100, 10, "✗ diverged after 20 epochs"},
		{"one epoch, worse", 1, 1, 1, 0, "✗ diverged after 1 epoch ·"},
	}
	for _, tt := range tests {
		m := newPane(t, shortConfig(t, 5), 160, 40)
		m.state, m.runErr = finished, train.ErrDiverged
		m.runCfg.Epochs, m.runCfg.Patience = tt.target, tt.patien
		m.result = &train.Result{StopReason: train.StopDiverged, Epochs: tt.epochs, BestEpoch: tt.best}
		if got := strings.Join(m.outcome(), " · "); !strings.HasPrefix(got+" ·", tt.want) {
			t.Errorf("%s: outcome %q, want %q", tt.name, got, tt.want)
		}
	}
}

// Like the ETA, the rate is hidden while paused: it would be the last
// epoch's, a single sample often disturbed by the pause.
func TestPausedHidesRate(t *testing.T) {
	th := theme.Ascii()
	ev := train.Event{Epoch: 10, Epochs: 100, Elapsed: time.Second, SamplesPerSec: 442e3}
	first := train.Event{Epoch: 1, Epochs: 100, Elapsed: 100 * time.Millisecond}
	running := strings.Join(progress(th, ev, first, false), " · ")
	if !strings.Contains(running, "442k rows/s") || !strings.Contains(running, "ETA") {
		t.Errorf("running progress %q lacks the rate or ETA", running)
	}
	paused := strings.Join(progress(th, ev, first, true), " · ")
	if strings.Contains(paused, "rows/s") || strings.Contains(paused, "ETA") {
		t.Errorf("paused progress %q shows a rate or ETA", paused)
	}
	if !strings.Contains(paused, "epoch 10/100") {
		t.Errorf("paused progress %q lacks the epoch", paused)
	}
}

// After early stopping the model kept is the best epoch's: the outcome
// says which epoch that is.
func TestEarlyStoppedOutcomeNamesModelEpoch(t *testing.T) {
	m := newPane(t, shortConfig(t, 5), 160, 40)
	m.state = finished
	m.result = &train.Result{StopReason: train.StopEarlyStopped, Epochs: 25, BestEpoch: 5}
	if got := strings.Join(m.outcome(), " · "); !strings.HasPrefix(got, "✓ early-stopped at epoch 25, model of epoch 5") {
		t.Errorf("outcome %q", got)
	}
}

// The idle status describes the form as it is, not the startup config.
func TestIdleDataFollowsTheForm(t *testing.T) {
	m := newPane(t, shortConfig(t, 3), 160, 40)
	setField(t, m, "synth samples", "2500")
	if v := runText(m.View()); !strings.Contains(v, "data synthetic, 2,500 rows") {
		t.Errorf("idle status does not follow the samples field:\n%s", v)
	}
	setField(t, m, "dataset", "houses.csv")
	if v := runText(m.View()); !strings.Contains(v, "data houses.csv") {
		t.Errorf("idle status does not follow the dataset field:\n%s", v)
	}
	// An invalid form keeps the last config that was good.
	setField(t, m, "epochs", "0")
	if v := runText(m.View()); !strings.Contains(v, "data houses.csv") {
		t.Errorf("idle status lost the dataset while the form is invalid:\n%s", v)
	}
}

// While a field is invalid the idle status says so, as enter does, instead
// of offering to train.
func TestIdleStatusNamesFormErrors(t *testing.T) {
	m := newPane(t, shortConfig(t, 3), 160, 40)
	setField(t, m, "learning rate", "1e400")
	v := runText(m.View())
	if strings.Contains(v, "trains with this config") || !strings.Contains(v, "○ idle · ✗ the form has errors") {
		t.Errorf("idle status with an invalid field:\n%s", v)
	}
	setField(t, m, "learning rate", "0.01")
	if v := runText(m.View()); !strings.Contains(v, "enter trains with this config") || strings.Contains(v, "form has errors") {
		t.Errorf("idle status once the field is fixed:\n%s", v)
	}
}

// With no tail view to offer (no data yet, or a run too short for one) the
// help overlay lists t disabled, and not as "t last 0".
func TestTailHelpWithoutTail(t *testing.T) {
	m := newPane(t, shortConfig(t, 3), 140, 40)
	check := func(when string) {
		t.Helper()
		for _, group := range m.FullHelp() {
			for _, b := range group {
				if h := b.Help(); h.Key == "t" && (strings.Contains(h.Desc, " 0") || b.Enabled()) {
					t.Errorf("%s: tail key %q %q (enabled %v)", when, h.Key, h.Desc, b.Enabled())
				}
			}
		}
	}
	check("idle")
	startRun(t, m)
	finishRun(t, m)
	check("after a 3-epoch run")
}

// A CSV run's weights are named by their features ("sqft=0.1197 …")
// while it runs as after it.
func TestCSVRunNamesWeightsWhileRunning(t *testing.T) {
	m := housingPane(t, 1_000_000)
	startRun(t, m)
	tickUntil(t, m, func() bool { return m.has })
	if m.state != running {
		t.Fatalf("state %v, want running", m.state)
	}
	v := m.View()
	for _, want := range []string{"sqft=", "bedrooms=", "age_years="} {
		if !strings.Contains(v, want) {
			t.Errorf("live view lacks weight %q:\n%s", want, v)
		}
	}
	m.Update(press("s"))
	finishRun(t, m)
	if m.result == nil || !slices.Equal(m.features, m.result.Features) {
		t.Errorf("names during the run %q, in the result %q", m.features, m.result.Features)
	}
}

// A run that diverges in its first epoch shows no loss or weights (they
// would be the untrained model's) and no promise of a loss curve.
func TestDivergedAtOnceShowsNoModel(t *testing.T) {
	m := newPane(t, shortConfig(t, 5), 160, 40)
	m.state, m.runErr = finished, train.ErrDiverged
	m.result = &train.Result{StopReason: train.StopDiverged, Epochs: 0, Loss: 98037.5, ValLoss: 102900,
		Weights: []float64{0, 0, 0}, Features: []string{"sqft", "bedrooms", "age_years"}}
	m.dirty = true
	v := m.View()
	if !strings.Contains(v, "no epoch completed") || strings.Contains(v, "9.804e+04") || strings.Contains(v, "sqft=0") ||
		strings.Contains(v, "appears here once training starts") {
		t.Errorf("view after a divergence in epoch 1:\n%s", v)
	}
}

// The trainer pauses only between epochs: until the pause takes effect
// the status says "pausing", with the ETA and rate still shown.
func TestPausingUntilTheEpochEnds(t *testing.T) {
	m := newPane(t, shortConfig(t, 8), 140, 40)
	m.state, m.has, m.paused, m.held = running, true, true, false
	m.latest = train.Event{Epoch: 1, Epochs: 8, Elapsed: 4 * time.Second, SamplesPerSec: 22.5e6, TrainLoss: 0.5}
	m.first = m.latest
	m.syncKeys()
	m.dirty = true
	v := runText(m.View())
	for _, want := range []string{"⏸ pausing after this epoch…", "space cancels", "epoch 1/8", "ETA", "rows/s"} {
		if !strings.Contains(v, want) {
			t.Errorf("pausing view lacks %q:\n%s", want, v)
		}
	}
	if strings.Contains(v, "PAUSED") {
		t.Errorf("pausing view says PAUSED:\n%s", v)
	}
	// The epoch ends and the run holds: now it is paused, without the
	// rate of the epoch that ran into the pause.
	m.latest.Epoch, m.latest.TrainLoss, m.held = 2, 0.4, true
	m.syncKeys()
	m.dirty = true
	v = runText(m.View())
	if !strings.Contains(v, "PAUSED") || !strings.Contains(v, "epoch 2/8") || strings.Contains(v, "pausing") ||
		strings.Contains(v, "ETA") || strings.Contains(v, "rows/s") {
		t.Errorf("held view:\n%s", v)
	}
}

// space again before the pause took effect cancels it: the run never
// holds and goes on training.
func TestSpaceCancelsPendingPause(t *testing.T) {
	m := newPane(t, shortConfig(t, 1_000_000), 140, 40)
	startRun(t, m)
	tickUntil(t, m, func() bool { return m.has })
	m.Update(press("space"))
	if !strings.Contains(m.View(), "pausing after this epoch") {
		t.Fatalf("view after space:\n%s", m.View())
	}
	m.Update(press("space"))
	if m.run.Paused() || m.run.Waiting() || m.paused || m.held {
		t.Fatalf("second space: run paused %v waiting %v, pane paused %v held %v; want none",
			m.run.Paused(), m.run.Waiting(), m.paused, m.held)
	}
	epoch := m.latest.Epoch
	tickUntil(t, m, func() bool { return m.latest.Epoch > epoch })
	if v := runText(m.View()); !strings.Contains(v, "▶ training") || strings.Contains(v, "paus") || strings.Contains(v, "PAUSED") {
		t.Errorf("view after canceling the pause:\n%s", v)
	}
	m.Update(press("s"))
	finishRun(t, m)
}

// s after the data loaded but before epoch 1 completed: the headline says
// what the footer says, not "stopped at epoch 0".
func TestStoppedBeforeFirstEpochHeadline(t *testing.T) {
	m := newPane(t, shortConfig(t, 8), 160, 40)
	m.state = finished
	m.result = &train.Result{StopReason: train.StopCanceled, Samples: 90_000_000, ValSamples: 10_000_000}
	got := strings.Join(m.outcome(), " · ")
	if !strings.HasPrefix(got, "■ stopped before the first epoch") || strings.Contains(got, "epoch 0") ||
		!strings.Contains(got, "90,000,000 train + 10,000,000 val rows") {
		t.Errorf("outcome %q", got)
	}
	m.result.Epochs = 3
	if got := strings.Join(m.outcome(), " · "); !strings.HasPrefix(got, "■ stopped at epoch 3") {
		t.Errorf("outcome after 3 epochs %q", got)
	}
}

// TestLaunchPhase: while train.Start prepares the run, the pane names its
// step (the closed-form reference can take a while on wide data).
func TestLaunchPhase(t *testing.T) {
	m := newPane(t, shortConfig(t, 10), 140, 40)
	launch := m.Update(press("enter"))
	if v := m.View(); !strings.Contains(v, "◌ loading data…") {
		t.Errorf("view before the launch ran:\n%s", v)
	}
	m.launch.phase.Store(train.PhaseReference)
	m.Update(pane.TickMsg{})
	if v := m.View(); !strings.Contains(v, "◌ computing the closed-form reference…") {
		t.Errorf("view while the reference is computed:\n%s", v)
	}
	l := m.launch
	l.phase.Store(train.Phase("none yet"))
	run(m, launch)
	if l.currentPhase() == "none yet" {
		t.Error("train.Start reported no step to the pane")
	}
}

// A finished run's model line says which model was saved and warns of
// collinear features, naming the most correlated pair.
func TestFinishedModelAndCollinearity(t *testing.T) {
	m := newPane(t, shortConfig(t, 5), 160, 40)
	m.state = finished
	m.result = &train.Result{StopReason: train.StopCompleted, Epochs: 3000, BestEpoch: 2107, Loss: 1, BestLoss: 1,
		ValLoss: math.NaN(), OptimalLoss: 1, Weights: []float64{1, 2}, Features: []string{"gnp", "year"}, Model: train.ModelBest,
		Collinearity: &train.Collinearity{Condition: 110.5, Pair: [2]string{"gnp", "year"}, R: 0.9953}}
	got := strings.Join(m.modelParts(160), " · ")
	for _, want := range []string{"model best @2,107", "⚠ collinear: cond 110, gnp~year r 0.995"} {
		if !strings.Contains(ansi.Strip(got), want) {
			t.Errorf("model line %q lacks %q", ansi.Strip(got), want)
		}
	}
	m.result.Model, m.result.Collinearity.Condition = train.ModelLast, 3
	if got := ansi.Strip(strings.Join(m.modelParts(160), " · ")); !strings.Contains(got, "model last") || strings.Contains(got, "collinear") {
		t.Errorf("model line %q", got)
	}
}

// Resuming from a file continues that file, as train --resume does, while
// the checkpoint field was not edited; the form shows where it saves, and
// a checkpoint typed by the user wins.
func TestResumeSavesToTheResumedFile(t *testing.T) {
	dir := t.TempDir()
	mine := filepath.Join(dir, "mine.json")
	first := shortConfig(t, 3)
	first.Checkpoint = mine
	if _, err := train.Train(context.Background(), first, nil); err != nil {
		t.Fatal(err)
	}
	cfg := shortConfig(t, 3)
	m := newPane(t, cfg, 160, 40)
	setField(t, m, "epochs", "5")
	setField(t, m, "resume from", mine)
	if got := m.inputs[m.fieldIndex("checkpoint")].Value(); got != mine {
		t.Errorf("checkpoint field %q while resuming %s", got, mine)
	}
	startRun(t, m)
	finishRun(t, m)
	ck, err := train.LoadCheckpoint(mine)
	if err != nil {
		t.Fatal(err)
	}
	if ck.Epoch != 5 {
		t.Errorf("%s at epoch %d after resuming it to 5 epochs", mine, ck.Epoch)
	}
	if _, err := os.Stat(cfg.Checkpoint); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("the startup checkpoint %s was written (%v)", cfg.Checkpoint, err)
	}

	// A fresh start saves to the startup checkpoint again.
	setField(t, m, "resume from", "")
	if got := m.inputs[m.fieldIndex("checkpoint")].Value(); got != cfg.Checkpoint {
		t.Errorf("checkpoint field %q for a fresh start, want %s", got, cfg.Checkpoint)
	}
	// Once the user sets the checkpoint, it stays.
	other := filepath.Join(dir, "other.json")
	setField(t, m, "checkpoint", other)
	setField(t, m, "resume from", mine)
	if got := m.inputs[m.fieldIndex("checkpoint")].Value(); got != other {
		t.Errorf("checkpoint field %q after the user set %s", got, other)
	}
}
