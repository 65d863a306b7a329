package dashboard

import (
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/teatest"
	"github.com/muesli/termenv"
	"go.uber.org/goleak"
	"pgregory.net/rapid"

	"github.com/agentdash/agentdash/internal/agent"
	"github.com/agentdash/agentdash/internal/control"
	"github.com/agentdash/agentdash/internal/train"
	"github.com/agentdash/agentdash/ui/pane"
	"github.com/agentdash/agentdash/ui/pane/panetest"
	"github.com/agentdash/agentdash/ui/theme"
)

func TestMain(m *testing.M) {
	// teatest keeps one goroutine per test model waiting for SIGINT.
	goleak.VerifyTestMain(m, goleak.IgnoreAnyFunction("github.com/charmbracelet/x/exp/teatest.NewTestModel.func2"))
}

// newTest returns a dashboard on a test agent with a fixed clock, sized
// w×h, showing the fixed snapshot.
func newTest(t testing.TB, w, h, extra int) (*Model, *panetest.Clock, *agent.Agent) {
	t.Helper()
	return newTestConfig(t, w, h, extra, train.Config{})
}

func newTestConfig(t testing.TB, w, h, extra int, tc train.Config) (*Model, *panetest.Clock, *agent.Agent) {
	t.Helper()
	clock := panetest.NewClock(panetest.Epoch)
	a := panetest.NewAgent(t, clock, extra)
	m := New(Config{Agent: control.NewLocal(a, "local dashboard"), NoColor: true, MetricsAddr: "127.0.0.1:9464", Train: tc})
	t.Cleanup(m.Close)
	m.Update(tea.WindowSizeMsg{Width: w, Height: h})
	m.Update(pane.SnapshotMsg{Snap: panetest.Snapshot(extra)})
	return m, clock, a
}

func send(t testing.TB, m *Model, msgs ...tea.Msg) []tea.Msg {
	t.Helper()
	return panetest.Send(t, func(msg tea.Msg) tea.Cmd { _, cmd := m.Update(msg); return cmd }, msgs...)
}

// checkScreen fails unless view is exactly w×h cells and has no escape
// sequences (the test theme is ASCII).
func checkScreen(t *testing.T, view string, w, h int) {
	t.Helper()
	lines := strings.Split(view, "\n")
	if len(lines) != h {
		t.Errorf("view has %d lines, want %d", len(lines), h)
	}
	for i, l := range lines {
		if lw := ansi.StringWidth(l); lw != w {
			t.Errorf("line %d is %d cells wide, want %d: %q", i, lw, w, l)
		}
	}
	if strings.Contains(view, "\x1b[") {
		t.Error("view contains ANSI escape sequences with NoColor")
	}
}

func TestGoldenScreens(t *testing.T) {
	tests := []struct {
		name  string
		w, h  int
		focus string // key pressed before the capture
	}{
		{"abilities_80x24", 80, 24, ""},
		{"breakers_80x24", 80, 24, "2"},
		{"latency_80x24", 80, 24, "3"},
		{"training_80x24", 80, 24, "4"},
		{"abilities_120x40", 120, 40, ""},
		{"breakers_120x40", 120, 40, "2"},
		{"latency_120x40", 120, 40, "3"},
		{"training_120x40", 120, 40, "4"},
		{"grid_160x48", 160, 48, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, _, _ := newTest(t, tt.w, tt.h, 0)
			if tt.focus != "" {
				send(t, m, panetest.Key(tt.focus))
			}
			v := m.View()
			checkScreen(t, v, tt.w, tt.h)
			panetest.Golden(t, tt.name, v)
		})
	}
}

func TestHeader(t *testing.T) {
	m, _, _ := newTest(t, 120, 40, 0)
	head := strings.SplitN(m.View(), "\n", 2)[0]
	for _, want := range []string{"testagent", "up 3m04s", "42.5 calls/s", "concurrency 3/8 (1 waiting)", "metrics 127.0.0.1:9464"} {
		if !strings.Contains(head, want) {
			t.Errorf("header %q lacks %q", head, want)
		}
	}
}

func TestTooSmallAndResize(t *testing.T) {
	m, _, _ := newTest(t, 80, 24, 0)
	sizes := []struct {
		w, h  int
		small bool
	}{
		{80, 24, false}, {50, 12, true}, {30, 8, true}, {63, 24, true}, {64, 17, true}, {64, 18, false},
		{120, 40, false}, {139, 40, false}, {140, 40, false}, {200, 60, false}, {80, 24, false},
	}
	for _, s := range sizes {
		m.Update(tea.WindowSizeMsg{Width: s.w, Height: s.h})
		v := m.View()
		checkScreen(t, v, s.w, s.h)
		if s.small && strings.Contains(v, "…") {
			t.Errorf("%dx%d: the message is cut short instead of wrapped:\n%s", s.w, s.h, v)
		}
		if got := strings.Contains(v, "terminal too small"); got != s.small {
			t.Errorf("%dx%d: too-small message shown = %v, want %v", s.w, s.h, got, s.small)
		}
		if s.small && !strings.Contains(v, "need at least 64×18") {
			t.Errorf("%dx%d: message does not say the minimum:\n%s", s.w, s.h, v)
		}
		grid := s.w >= gridW && s.h >= gridH
		if !s.small && !(strings.Contains(v, "1 Abilities") && strings.Contains(v, "4 Training")) {
			t.Errorf("%dx%d: pane titles missing:\n%s", s.w, s.h, v)
		}
		if !s.small && grid != (m.layout.kind == layoutGrid) {
			t.Errorf("%dx%d: grid = %v", s.w, s.h, m.layout.kind == layoutGrid)
		}
	}
}

func TestFocusKeys(t *testing.T) {
	m, _, _ := newTest(t, 80, 24, 0)
	steps := []struct {
		key   string
		focus int
	}{
		{"tab", 1}, {"tab", 2}, {"tab", 3}, {"tab", 0}, {"shift+tab", 3}, {"2", 1}, {"1", 0}, {"4", 3}, {"3", 2},
	}
	for _, s := range steps {
		send(t, m, panetest.Key(s.key))
		if m.focus != s.focus {
			t.Fatalf("after %q focus = %d, want %d", s.key, m.focus, s.focus)
		}
		title := strings.SplitN(m.View(), "\n", 4)[2] // header, tab bar, frame top
		want := "[" + string(rune('1'+s.focus)) + " " + m.panes[s.focus].Title() + "]"
		if !strings.Contains(title, want) {
			t.Errorf("after %q frame title %q lacks %q", s.key, title, want)
		}
	}
}

func TestMouseClickFocuses(t *testing.T) {
	m, _, _ := newTest(t, 160, 48, 0)
	click := func(x, y int) {
		m.Update(tea.MouseMsg{X: x, Y: y, Action: tea.MouseActionPress, Button: tea.MouseButtonLeft})
	}
	click(120, 30) // bottom right: Training
	if m.focus != 3 {
		t.Errorf("click bottom right: focus %d, want 3", m.focus)
	}
	click(10, 5)
	if m.focus != 0 {
		t.Errorf("click top left: focus %d, want 0", m.focus)
	}
	// Tabs layout: click a tab.
	m.Update(tea.WindowSizeMsg{Width: 80, Height: 24})
	_ = m.View()
	tab := m.layout.tabs[2]
	click(tab.x+1, tab.y)
	if m.focus != 2 {
		t.Errorf("click on tab 3: focus %d, want 2", m.focus)
	}
}

func TestHelpOverlay(t *testing.T) {
	m, _, _ := newTest(t, 120, 40, 0)
	send(t, m, panetest.Key("2"), panetest.Key("?"))
	v := m.View()
	checkScreen(t, v, 120, 40)
	for _, want := range []string{"Keys — Breakers", "trip", "reset all", "next pane", "zoom", "pause", "quit"} {
		if !strings.Contains(v, want) {
			t.Errorf("help overlay lacks %q:\n%s", want, v)
		}
	}
	send(t, m, panetest.Key("t")) // ignored while help is open
	if m.panes[1].Capturing() {
		t.Error("key reached the pane under the help overlay")
	}
	send(t, m, panetest.Key("esc"))
	if strings.Contains(m.View(), "Keys — Breakers") {
		t.Error("esc did not close the help overlay")
	}
}

// Regression: at 80×24 the overlay cut the columns that did not fit, so
// the global keys were missing, and it listed only the keys enabled at
// that moment. Every pane's reference now shows all its groups and the
// global keys at 80×24, and scrolls where the screen is shorter than it.
func TestHelpOverlayShowsEveryGroup(t *testing.T) {
	headings := map[string][]string{
		"1": {"list", "filter", "selected ability", "editing arguments", "result viewer", "ctrl+j newline", "o      open result"},
		"2": {"table", "filter", "selected breaker", "fault form", "r reset", "x clear fault"},
		"3": {"table", "filter", "load and sparkline", "m args mode"},
		"4": {"form", "editing a field", "training run", "loss curve", "s     stop"},
	}
	for focus, want := range headings {
		m, _, _ := newTest(t, 80, 24, 0)
		send(t, m, panetest.Key(focus), panetest.Key("?"))
		v := m.View()
		checkScreen(t, v, 80, 24)
		for _, w := range append(want, "everywhere", "shift+tab previous pane", "q         quit") {
			if !strings.Contains(v, w) {
				t.Errorf("pane %s: help overlay at 80×24 lacks %q:\n%s", focus, w, v)
			}
		}
		if strings.Contains(v, "more, ↑/↓ scroll") {
			t.Errorf("pane %s: help overlay does not fit 80×24:\n%s", focus, v)
		}
	}

	// At the smallest size the overlay scrolls; the footer says how.
	m, _, _ := newTest(t, minW, minH, 0)
	send(t, m, panetest.Key("?"))
	if v := m.View(); !strings.Contains(v, "↓ more, ↑/↓ scroll") || !strings.Contains(footerOf(m), "↑/↓ scroll") || strings.Contains(v, "q         quit") {
		t.Fatalf("tall overlay at %d×%d not scrollable:\n%s", minW, minH, v)
	}
	for range 30 {
		send(t, m, panetest.Key("j"))
	}
	v := m.View()
	checkScreen(t, v, minW, minH)
	if !strings.Contains(v, "q         quit") || !strings.Contains(v, "↑ more") || strings.Contains(v, "↓ more") {
		t.Errorf("scrolled to the end, the overlay does not show the last keys:\n%s", v)
	}
	send(t, m, panetest.Key("pgup"), panetest.Key("pgup"), panetest.Key("pgup"))
	if v := m.View(); !strings.Contains(v, "Keys — Abilities  ↓ more") {
		t.Errorf("pgup did not scroll back to the top:\n%s", v)
	}
}

func TestFooterOffersWayBackFromZoomAndPause(t *testing.T) {
	m, _, _ := newTest(t, 120, 40, 0)
	if f := footerOf(m); strings.Contains(f, "unzoom") || strings.Contains(f, "resume") {
		t.Errorf("footer offers unzoom/resume while neither is on: %q", f)
	}
	send(t, m, panetest.Key("z"), panetest.Key("p"))
	if f := footerOf(m); !strings.Contains(f, "z unzoom") || !strings.Contains(f, "p resume") || !strings.Contains(f, "q quit") {
		t.Errorf("zoomed and paused, the footer is %q", f)
	}
	send(t, m, panetest.Key("z"), panetest.Key("p"))
	if f := footerOf(m); strings.Contains(f, "unzoom") || strings.Contains(f, "resume") {
		t.Errorf("footer still offers unzoom/resume: %q", f)
	}
}

func TestZoom(t *testing.T) {
	m, _, _ := newTest(t, 160, 48, 0)
	send(t, m, panetest.Key("3"), panetest.Key("z"))
	v := m.View()
	checkScreen(t, v, 160, 48)
	if !strings.Contains(v, "ZOOM") || !strings.Contains(v, "[3 Cache & latency]") || strings.Contains(v, "1 Abilities") {
		t.Errorf("zoomed view wrong:\n%s", v)
	}
	if w, h := m.sizes[2][0], m.sizes[2][1]; w != 158 || h != 44 {
		t.Errorf("zoomed pane size %dx%d, want 158x44", w, h)
	}
	send(t, m, panetest.Key("z"))
	if v := m.View(); strings.Contains(v, "ZOOM") || !strings.Contains(v, "1 Abilities") {
		t.Error("z did not unzoom")
	}
}

func TestPauseFreezesLiveData(t *testing.T) {
	m, clock, _ := newTest(t, 120, 40, 0)
	// The tick's command re-arms the timer; only its state change matters.
	tick := func() { m.Update(tickMsg{id: m.tickID}) }
	header := func() string { return strings.SplitN(m.View(), "\n", 2)[0] }

	clock.Advance(10 * time.Second)
	tick()
	if !strings.Contains(header(), "up 10s") {
		t.Fatalf("tick did not refresh the header: %q", header())
	}
	send(t, m, panetest.Key("p"))
	if !strings.Contains(header(), "PAUSED") {
		t.Errorf("header lacks PAUSED: %q", header())
	}
	clock.Advance(10 * time.Second)
	tick()
	if !strings.Contains(header(), "up 10s") {
		t.Errorf("paused header changed: %q", header())
	}
	m.Update(panetest.Key("p"))
	if h := header(); strings.Contains(h, "PAUSED") || !strings.Contains(h, "up 20s") {
		t.Errorf("unpause did not refresh at once: %q", h)
	}
}

func TestStaleTickIgnored(t *testing.T) {
	m, _, _ := newTest(t, 80, 24, 0)
	_, cmd := m.Update(tickMsg{id: m.tickID + 1})
	if cmd != nil {
		t.Error("a stale tick re-armed the loop")
	}
}

// TestQuitKeys checks that q and ctrl+c, and the quit Run sends when its
// context is canceled, quit, stop what the dashboard started and leave a
// blank last frame.
func TestQuitKeys(t *testing.T) {
	for _, k := range []string{"q", "ctrl+c", "quitMsg"} {
		t.Run(k, func(t *testing.T) {
			m, _, _ := newTest(t, 80, 24, 0)
			var msg tea.Msg = quitMsg{}
			if k != "quitMsg" {
				msg = panetest.Key(k)
			}
			msgs := send(t, m, msg)
			if len(msgs) == 0 {
				t.Fatalf("%s produced no message", k)
			}
			if _, ok := msgs[len(msgs)-1].(tea.QuitMsg); !ok {
				t.Errorf("%s: last message %T, want tea.QuitMsg", k, msgs[len(msgs)-1])
			}
			if m.ctx.Err() == nil {
				t.Error("quit did not cancel the dashboard context")
			}
			// The last frame is blank: tmux would carry the dashboard's
			// lines over to the main screen if the window grew meanwhile.
			if v := m.View(); v != "" {
				t.Errorf("the frame after %s is not blank:\n%s", k, v)
			}
		})
	}
}

func TestCapturingPaneGetsGlobalKeys(t *testing.T) {
	m, _, _ := newTest(t, 80, 24, 0)
	// Edit the arguments of the first ability, then type keys that are
	// global elsewhere.
	msgs := send(t, m, append([]tea.Msg{panetest.Key("e"), panetest.Key("ctrl+u")}, panetest.Type("q1?z")...)...)
	for _, msg := range msgs {
		if _, ok := msg.(tea.QuitMsg); ok {
			t.Fatal("q quit while the editor had focus")
		}
	}
	if m.focus != 0 || m.showHelp || m.zoom {
		t.Errorf("global keys acted while capturing: focus=%d help=%v zoom=%v", m.focus, m.showHelp, m.zoom)
	}
	v := m.View()
	if !strings.Contains(v, "q1?z") {
		t.Errorf("typed text not in the editor:\n%s", v)
	}
	m.Update(tea.WindowSizeMsg{Width: 140, Height: 30})
	v = m.View()
	footer := v[strings.LastIndexByte(v, '\n')+1:]
	if !strings.Contains(footer, "ctrl+c quit") || strings.Contains(footer, "next pane") {
		t.Errorf("footer while capturing offers keys that do not work: %q", footer)
	}
	// esc leaves the editor; q now quits.
	send(t, m, panetest.Key("esc"))
	msgs = send(t, m, panetest.Key("q"))
	if len(msgs) == 0 {
		t.Fatal("q after esc did not quit")
	}
	if _, ok := msgs[len(msgs)-1].(tea.QuitMsg); !ok {
		t.Error("q after esc did not quit")
	}
}

// footerOf returns the last line of the screen.
func footerOf(m *Model) string {
	v := m.View()
	return v[strings.LastIndexByte(v, '\n')+1:]
}

// Regression: while a filter was typed, Abilities offered only "esc
// cancel" and Breakers "enter apply filter • esc clear filter"; every
// filterable pane now shares pane.Filter and says the same.
func TestFilterFooterSameInEveryPane(t *testing.T) {
	for _, focus := range []string{"1", "2", "3"} {
		m, _, _ := newTest(t, 120, 40, 0)
		send(t, m, panetest.Key(focus), panetest.Key("/"))
		name := m.panes[m.focus].Title()
		if got := footerOf(m); !strings.HasPrefix(got, " enter apply filter • esc cancel filter ") {
			t.Errorf("%s: footer while typing a filter = %q", name, got)
		}
		send(t, m, panetest.Key("s"), panetest.Key("enter"))
		if got := footerOf(m); !strings.Contains(got, "/ filter • esc clear filter") {
			t.Errorf("%s: footer with a filter applied = %q", name, got)
		}
	}
}

// Regression: a status message replaced the key hints for 4 s, even on the
// pane switched to (r in Breakers, then 4: Training's footer still said
// "breaker sum reset (closed)"). The status now sits beside the keys and
// is cleared when the focus moves.
func TestFooterShowsStatusBesideKeys(t *testing.T) {
	m, _, _ := newTest(t, 120, 40, 0)
	if got := footerOf(m); !strings.Contains(got, "enter call") {
		t.Errorf("footer lacks the focused pane's keys: %q", got)
	}
	m.Update(pane.StatusMsg{Text: "breaker sum reset (closed)"})
	got := footerOf(m)
	for _, want := range []string{"enter call", "breaker sum reset (closed) │", "q quit"} {
		if !strings.Contains(got, want) {
			t.Errorf("footer with a status lacks %q: %q", want, got)
		}
	}
	for range m.statusTicks {
		m.Update(tickMsg{id: m.tickID})
	}
	if got := footerOf(m); strings.Contains(got, "breaker sum reset") {
		t.Errorf("status message never expires: %q", got)
	}

	m.Update(pane.StatusMsg{Text: "breaker sum reset (closed)"})
	send(t, m, panetest.Key("4"))
	if got := footerOf(m); strings.Contains(got, "breaker sum reset") || !strings.Contains(got, "enter train") {
		t.Errorf("after moving to Training the footer is %q, want its keys and no stale status", got)
	}
}

// A configuration file that failed to reload stays said in the footer,
// through other messages, their expiry and pane switches, until a reload
// succeeds: the running configuration is not the file's until then.
func TestFooterKeepsReloadError(t *testing.T) {
	m, _, _ := newTest(t, 120, 40, 0)
	const bad = "config not reloaded: agentdash.yaml:12:14: timeout: bad duration"
	const where = "✗ config not reloaded: agentdash.yaml:12:14:" // what is left of it at 120 columns
	m.Update(reloadMsg{text: bad, isErr: true})
	if got := footerOf(m); !strings.Contains(got, where) {
		t.Fatalf("footer after a failed reload: %q", got)
	}
	m.Update(pane.StatusMsg{Text: "breaker sum reset (closed)"})
	if got := footerOf(m); !strings.Contains(got, "breaker sum reset") || strings.Contains(got, "agentdash.yaml") {
		t.Errorf("a newer message shows instead of the reload error: %q", got)
	}
	for range m.statusTicks {
		m.Update(tickMsg{id: m.tickID})
	}
	send(t, m, panetest.Key("4"))
	if got := footerOf(m); !strings.Contains(got, where) || !strings.Contains(got, "enter train") {
		t.Errorf("footer after the newer message expired and a pane switch: %q, want the reload error beside the keys", got)
	}
	send(t, m, panetest.Key("?"))
	if got := ansi.Strip(m.View()); !strings.Contains(got, "✗ "+bad) {
		t.Errorf("the help overlay lacks the whole reload error:\n%s", got)
	}
	send(t, m, panetest.Key("?"))
	m.Update(reloadMsg{text: "config reloaded (file)"})
	for range m.statusTicks {
		m.Update(tickMsg{id: m.tickID})
	}
	if got := footerOf(m); strings.Contains(got, "agentdash.yaml") || strings.Contains(got, "reloaded") {
		t.Errorf("footer after a successful reload and its message's expiry: %q", got)
	}
}

// A long status is cut to leave the keys visible, at every width.
func TestFooterLongStatusKeepsKeys(t *testing.T) {
	for _, w := range []int{64, 80, 120, 200} {
		m, _, _ := newTest(t, w, 30, 0)
		m.Update(pane.StatusMsg{Text: "training failed: " + strings.Repeat("a very long reason ", 12), Err: true})
		got := footerOf(m)
		if sw := ansi.StringWidth(got); sw != w {
			t.Errorf("%d wide: footer is %d cells: %q", w, sw, got)
		}
		for _, want := range []string{"/ filter", "✗ training failed", "… │ ", "? help • q quit "} {
			if !strings.Contains(got, want) {
				t.Errorf("%d wide: footer lacks %q: %q", w, want, got)
			}
		}
	}
}

func TestRunRequiresAgent(t *testing.T) {
	if err := Run(t.Context(), Config{}); err != ErrNoAgent {
		t.Errorf("Run without agent: %v, want ErrNoAgent", err)
	}
}

// benchDashboard is the dashboard at 200×60 (2×2 grid) with 53 abilities
// and a finished 1,000,000-epoch training run in the Training pane, trained
// for real through the pane's keys (about a second).
func benchDashboard(b *testing.B) *Model {
	b.Helper()
	tc := train.DefaultConfig()
	tc.Epochs = 1_000_000
	tc.Synthetic.Samples = 10
	tc.BatchSize = 16
	tc.Checkpoint = filepath.Join(b.TempDir(), "model.json")
	m, _, _ := newTestConfig(b, 200, 60, 50, tc)
	send(b, m, panetest.Key("4"), panetest.Key("enter"))
	deadline := time.Now().Add(2 * time.Minute)
	for !strings.Contains(m.View(), "✓ completed") {
		if time.Now().After(deadline) {
			b.Fatalf("training did not complete:\n%s", m.View())
		}
		time.Sleep(20 * time.Millisecond)
		m.Update(tickMsg{id: m.tickID}) // a frame: snapshot + TickMsg to every pane
	}
	if !strings.Contains(m.View(), "1,000,000 epochs") {
		b.Fatalf("run does not show 1,000,000 epochs:\n%s", m.View())
	}
	send(b, m, panetest.Key("1"))
	return m
}

// BenchmarkViewFull renders the whole 200×60 screen as the renderer does
// after every message. Nothing changed since the last frame, so every pane
// returns its cached view and the root only re-frames and joins.
func BenchmarkViewFull(b *testing.B) {
	m := benchDashboard(b)
	_ = m.View()
	b.ReportAllocs()
	for b.Loop() {
		_ = m.View()
	}
}

// BenchmarkFrame is one live frame on the same screen: a new agent
// snapshot reaches every pane (tables rebuilt), then the screen is
// rendered.
func BenchmarkFrame(b *testing.B) {
	m := benchDashboard(b)
	snap := panetest.Snapshot(50)
	b.ReportAllocs()
	for b.Loop() {
		snap.Taken = snap.Taken.Add(time.Millisecond)
		m.Update(pane.SnapshotMsg{Snap: snap})
		m.Update(pane.TickMsg{Now: snap.Taken})
		_ = m.View()
	}
}

func TestFastTypedKeysAreSplit(t *testing.T) {
	m, _, a := newTest(t, 120, 40, 0)
	// "2jt" arriving in one read: focus Breakers, move to fail, ask to trip.
	send(t, m, tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("2jt")})
	if m.focus != 1 || !m.panes[1].Capturing() {
		t.Fatalf("focus %d capturing %v after \"2jt\"", m.focus, m.panes[1].Capturing())
	}
	send(t, m, panetest.Key("y"))
	if st := a.Snapshot().Abilities[1]; st.Name != "fail" || st.Breaker.State.String() != "forced-open" {
		t.Errorf("fail breaker %v after 2jt y", st.Breaker.State)
	}
	// "/su" in one read: "/" opens the filter, "su" is its text.
	send(t, m, panetest.Key("1"), tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("/su")}, panetest.Key("enter"))
	if v := m.View(); !strings.Contains(v, "/su · 1 of 3") {
		t.Errorf("fast \"/su\" did not filter:\n%s", v)
	}
}

// TestProgram runs the dashboard in a real tea.Program (teatest): the
// frame loop, snapshot broadcast and key routing work end to end, and q
// stops the program with nothing left running (goleak in TestMain).
func TestProgram(t *testing.T) {
	m, _, a := newTest(t, 120, 40, 0)
	tm := teatest.NewTestModel(t, m, teatest.WithInitialTermSize(120, 40))
	waitFor := func(what string) {
		t.Helper()
		teatest.WaitFor(t, tm.Output(), func(b []byte) bool { return strings.Contains(string(b), what) },
			teatest.WithDuration(10*time.Second), teatest.WithCheckInterval(10*time.Millisecond))
	}
	waitFor("1 Abilities")
	tm.Send(panetest.Key("enter")) // call echo
	waitFor("#1")
	tm.Send(panetest.Key("2"))
	tm.Send(panetest.Key("t"))
	waitFor("Trip breaker")
	tm.Send(panetest.Key("y"))
	waitFor("FORCED-OPEN") // shown by the next frame's snapshot
	if st := a.Snapshot().Abilities[0]; st.Calls != 1 || st.Breaker.State.String() != "forced-open" {
		t.Errorf("echo: %d calls, breaker %v", st.Calls, st.Breaker.State)
	}
	tm.Send(panetest.Key("q"))
	tm.WaitFinished(t, teatest.WithFinalTimeout(10*time.Second))
	if m.ctx.Err() == nil {
		t.Error("quit did not cancel the dashboard context")
	}
}

// TestRandomSessions drives the dashboard with random key presses and
// terminal sizes and checks the invariants after every step: the screen is
// exactly the terminal's size, focus stays on a pane, and the header says
// PAUSED/ZOOM exactly when the state says so.
func TestRandomSessions(t *testing.T) {
	keys := []string{"tab", "shift+tab", "1", "2", "3", "4", "?", "esc", "z", "p", "j", "k", "up", "down",
		"/", "s", "u", "enter", "e", "x", "t", "y", "n", "r", "R", "f", "+", "-", "m", "v", "g", "G", "o", "ctrl+j"}
	tc := train.DefaultConfig()
	tc.Checkpoint = filepath.Join(t.TempDir(), "model.json") // enter may train
	rapid.Check(t, func(rt *rapid.T) {
		m, _, _ := newTestConfig(t, 120, 40, 0, tc)
		defer m.Close()
		w, h := 120, 40
		for range rapid.IntRange(1, 40).Draw(rt, "steps") {
			if rapid.IntRange(0, 9).Draw(rt, "resize?") == 0 {
				w, h = rapid.IntRange(1, 230).Draw(rt, "w"), rapid.IntRange(1, 70).Draw(rt, "h")
				m.Update(tea.WindowSizeMsg{Width: w, Height: h})
			} else {
				k := rapid.SampledFrom(keys).Draw(rt, "key")
				send(t, m, panetest.Key(k))
			}
			if m.closed {
				rt.Fatalf("dashboard closed without q or ctrl+c")
			}
			if m.focus < 0 || m.focus >= numPanes {
				rt.Fatalf("focus %d", m.focus)
			}
			v := m.View()
			lines := strings.Split(v, "\n")
			if len(lines) != h {
				rt.Fatalf("%dx%d: %d lines", w, h, len(lines))
			}
			for i, l := range lines {
				if lw := ansi.StringWidth(l); lw != w {
					rt.Fatalf("%dx%d: line %d is %d wide: %q", w, h, i, lw, l)
				}
			}
			if m.layout.kind != layoutTooSmall {
				head := lines[0]
				if strings.Contains(head, "PAUSED") != m.paused || strings.Contains(head, "ZOOM") != m.zoom {
					rt.Fatalf("header %q, paused %v zoom %v", head, m.paused, m.zoom)
				}
			}
		}
	})
}

// While live updates are paused, the user's own actions still show: a
// tripped breaker must not keep looking closed until the pause ends.
func TestPausedViewShowsOwnActions(t *testing.T) {
	m, _, _ := newTest(t, 120, 40, 0)
	send(t, m, panetest.Key("p"), panetest.Key("2"))
	if v := m.View(); !regexp.MustCompile(`▸ echo\s+● closed`).MatchString(v) {
		t.Fatalf("echo not shown closed before the trip:\n%s", v)
	}
	send(t, m, panetest.Key("t"), panetest.Key("y"))
	v := m.View()
	if !regexp.MustCompile(`▸ echo\s+■ FORCED-OPEN`).MatchString(v) || !strings.Contains(v, "PAUSED") {
		t.Errorf("paused, the tripped breaker is not shown forced open:\n%s", v)
	}
}

// On the too-small screen only the size message shows: keys must not act on
// the hidden panes (a prompt confirmed unseen, text typed into a hidden
// form), and q quits as the message says, even over a capturing pane.
func TestTooSmallScreenIgnoresPaneKeys(t *testing.T) {
	m, _, a := newTest(t, 120, 40, 0)
	send(t, m, panetest.Key("2"), panetest.Key("t")) // trip prompt for echo
	m.Update(tea.WindowSizeMsg{Width: 40, Height: 10})
	send(t, m, panetest.Key("y"), panetest.Key("tab"), panetest.Key("1"))
	m.Update(tea.WindowSizeMsg{Width: 120, Height: 40})
	if st := a.Snapshot().Abilities[0].Breaker.State; st.String() != "closed" {
		t.Errorf("a y typed on the too-small screen tripped a breaker: %v", st)
	}
	if m.focus != 1 {
		t.Errorf("focus moved to pane %d on the too-small screen", m.focus+1)
	}

	send(t, m, panetest.Key("esc"), panetest.Key("1"), panetest.Key("/")) // a capturing filter
	if !m.panes[m.focus].Capturing() {
		t.Fatal("the filter does not capture keys")
	}
	m.Update(tea.WindowSizeMsg{Width: 40, Height: 10})
	msgs := send(t, m, panetest.Key("q"))
	if len(msgs) == 0 {
		t.Fatal("q on the too-small screen did nothing")
	}
	if _, ok := msgs[len(msgs)-1].(tea.QuitMsg); !ok {
		t.Errorf("q on the too-small screen: last message %T, want tea.QuitMsg", msgs[len(msgs)-1])
	}
}

// With NoColor on a terminal that has colours (Run's case), the screen has
// no colour but keeps text attributes: the reverse-video text cursor of an
// input and bold keys.
func TestNoColorKeepsAttributes(t *testing.T) {
	prev := lipgloss.ColorProfile()
	lipgloss.SetColorProfile(termenv.TrueColor) // bubbles components draw with the default renderer
	t.Cleanup(func() { lipgloss.SetColorProfile(prev) })
	r := lipgloss.NewRenderer(nil)
	r.SetColorProfile(termenv.TrueColor)
	a := panetest.NewAgent(t, panetest.NewClock(panetest.Epoch), 0)
	m := newModel(t.Context(), Config{Agent: control.NewLocal(a, "local dashboard"), NoColor: true}, theme.NoColor(r))
	t.Cleanup(m.Close)
	m.Update(tea.WindowSizeMsg{Width: 120, Height: 40})
	m.Update(pane.SnapshotMsg{Snap: panetest.Snapshot(0)})
	send(t, m, panetest.Key("e")) // the arguments editor
	v := m.View()
	if !strings.Contains(v, "\x1b[7m") {
		t.Errorf("no reverse-video cursor in the arguments editor:\n%q", v)
	}
	if !regexp.MustCompile(`\x1b\[[0-9;]*\b1m`).MatchString(v) {
		t.Error("no bold text on the screen")
	}
	for _, m := range regexp.MustCompile(`\x1b\[([0-9:;]*)m`).FindAllStringSubmatch(v, -1) {
		for _, p := range strings.Split(m[1], ";") {
			if n, err := strconv.Atoi(p); err == nil && (n >= 30 && n <= 49 || n == 58 || n == 59 || n >= 90 && n <= 107) {
				t.Fatalf("colour parameter %d in %q", n, m[0])
			}
		}
	}
	if got, want := ansi.Strip(v), ansi.Strip(theme.WithoutColor(v)); got != want {
		t.Error("filtering changed the text")
	}
}

// At the smallest size (64×18) the Cache & latency table says how many
// abilities are out of view, and the Abilities pane shows the result of a
// call before its history.
func TestSmallestSizeShowsWhatMatters(t *testing.T) {
	m, _, _ := newTest(t, 64, 18, 3)
	send(t, m, panetest.Key("3"))
	v := m.View()
	checkScreen(t, v, 64, 18)
	if !strings.Contains(v, "↓ 2 more rows") {
		t.Errorf("the cache table does not say rows are out of view:\n%s", v)
	}

	m, _, _ = newTest(t, 64, 18, 3)
	send(t, m, panetest.Key("enter"), panetest.Key("enter"))
	v = m.View()
	checkScreen(t, v, 64, 18)
	lines := strings.Split(v, "\n")
	i := slices.IndexFunc(lines, func(l string) bool { return strings.Contains(l, "Result  #2") })
	if i < 0 || i+1 == len(lines) || !strings.HasSuffix(strings.TrimRight(lines[i+1], " ┃"), "│ {") {
		t.Errorf("the result of the call is not shown under its title:\n%s", v)
	}
}
