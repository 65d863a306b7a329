package cache

import (
	"math"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"go.uber.org/goleak"

	"github.com/agentdash/agentdash/internal/agent"
	"github.com/agentdash/agentdash/internal/latency"
	"github.com/agentdash/agentdash/internal/load"
	"github.com/agentdash/agentdash/ui/pane"
	"github.com/agentdash/agentdash/ui/pane/panetest"
	"github.com/agentdash/agentdash/ui/theme"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func newTest(t *testing.T) (*Model, *agent.Agent) {
	t.Helper()
	a := panetest.NewAgent(t, panetest.NewClock(panetest.Epoch), 0)
	m := New(pane.Common{Ctx: t.Context(), Theme: theme.Ascii()}, AgentLoader(a))
	t.Cleanup(m.Close)
	m.SetSize(120, 24)
	m.Focus()
	m.Update(pane.SnapshotMsg{Snap: a.Snapshot()})
	return m, a
}

func send(t *testing.T, m *Model, msgs ...tea.Msg) []tea.Msg {
	t.Helper()
	return panetest.Send(t, m.Update, msgs...)
}

func TestTableShowsCacheAndLatency(t *testing.T) {
	m, _ := newTest(t)
	m.Update(pane.SnapshotMsg{Snap: panetest.Snapshot(0)})
	v := m.View()
	lines := strings.Split(v, "\n")
	var echo, sum string
	for _, l := range lines {
		switch {
		case strings.Contains(l, "▸ echo"):
			echo = l
		case strings.Contains(l, "  sum "):
			sum = l
		}
	}
	// echo: 25 calls/s, 1 in flight, 1.2k hits, 300 misses, 80%, 280 entries, 20 evictions, recent p50/p95/p99.
	for _, want := range []string{"25.0", "1.2k", "300", "80%", "280", "20", "300µs", "900µs", "1.5ms"} {
		if !strings.Contains(echo, want) {
			t.Errorf("echo row lacks %q: %q", want, echo)
		}
	}
	// sum is not cached: its cache columns are dashes.
	if fields := strings.Fields(sum); len(fields) < 4 || fields[3] != "–" {
		t.Errorf("uncached sum row: %q", sum)
	}
	for _, want := range []string{"concurrency [", "3/8 in use", "1 waiting", "42.5 calls/s total", "load ■ off",
		"echo · calls/s over the last minute", "p99 2ms"} {
		if !strings.Contains(v, want) {
			t.Errorf("view lacks %q:\n%s", want, v)
		}
	}
}

func TestLoadGenerator(t *testing.T) {
	m, _ := newTest(t)
	if m.Generator() != nil {
		t.Fatal("generator running before l")
	}
	send(t, m, panetest.Key("l"))
	g := m.Generator()
	if g == nil {
		t.Fatalf("l did not start load: %s", m.loadErr)
	}
	if sp := g.Spec(); sp.Ability != "echo" || sp.Rate != 10 || sp.Mode != load.Repeat {
		t.Errorf("spec = %+v, want echo 10/s repeat", sp)
	}
	if v := m.View(); !strings.Contains(v, "load ▶ 10/s repeat → echo") {
		t.Errorf("running load not shown:\n%s", v)
	}
	send(t, m, panetest.Key("+"), panetest.Key("m"))
	if sp := m.Generator().Spec(); sp.Rate != 20 || sp.Mode != load.Vary {
		t.Errorf("after + and m: %+v, want 20/s vary", sp)
	}
	send(t, m, panetest.Key("-"), panetest.Key("-"))
	if sp := m.Generator().Spec(); sp.Rate != 5 {
		t.Errorf("after - -: rate %v, want 5", sp.Rate)
	}
	send(t, m, panetest.Key("m"))
	if sp := m.Generator().Spec(); sp.Mode != load.Mixed {
		t.Errorf("second m: mode %v, want mixed", sp.Mode)
	}
	send(t, m, panetest.Key("m"))
	if sp := m.Generator().Spec(); sp.Mode != load.Repeat {
		t.Errorf("third m: mode %v, want repeat", sp.Mode)
	}
	// l on another ability retargets, l on the same one stops.
	send(t, m, panetest.Key("down"), panetest.Key("l"))
	if sp := m.Generator().Spec(); sp.Ability != "fail" {
		t.Errorf("retarget: %q, want fail", sp.Ability)
	}
	send(t, m, panetest.Key("l"))
	if m.Generator() != nil {
		t.Error("l on the loaded ability did not stop the load")
	}
	// Close stops a running generator (goleak checks its goroutines).
	send(t, m, panetest.Key("l"))
	m.Close()
	if m.Generator() != nil {
		t.Error("Close left the generator running")
	}
}

func TestLoadReachesAgent(t *testing.T) {
	m, a := newTest(t)
	for range 4 {
		send(t, m, panetest.Key("+")) // 100/s
	}
	send(t, m, panetest.Key("l"))
	deadline := time.Now().Add(5 * time.Second)
	for m.Generator().Sent() < 5 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	m.Close()
	var calls uint64
	for _, s := range a.Snapshot().Abilities {
		if s.Name == "echo" {
			calls = s.Calls
		}
	}
	if calls == 0 {
		t.Error("load generator calls did not reach the agent")
	}
}

func TestRateStepsClamp(t *testing.T) {
	m, _ := newTest(t)
	for range 20 {
		send(t, m, panetest.Key("-"))
	}
	if m.rateStep != 0 || m.keys.Slower.Enabled() {
		t.Errorf("rate step %d, slower enabled %v", m.rateStep, m.keys.Slower.Enabled())
	}
	for range 20 {
		send(t, m, panetest.Key("+"))
	}
	if m.rateStep != len(rateSteps)-1 || m.keys.Faster.Enabled() {
		t.Errorf("rate step %d, faster enabled %v", m.rateStep, m.keys.Faster.Enabled())
	}
}

func TestSparkToggle(t *testing.T) {
	m, _ := newTest(t)
	send(t, m, panetest.Key("v"))
	if !strings.Contains(m.View(), "mean latency over the last minute") {
		t.Errorf("v did not switch to latency:\n%s", m.View())
	}
	send(t, m, panetest.Key("v"))
	if !strings.Contains(m.View(), "calls/s over the last minute") {
		t.Error("v did not switch back")
	}
}

func TestLatSeriesMeanPerSecond(t *testing.T) {
	var l latSeries
	t0 := panetest.Epoch
	sum := func(count uint64, total time.Duration) latency.Summary {
		return latency.Summary{Count: count, Sum: total}
	}
	l.observe(t0, sum(10, 10*time.Millisecond))                           // baseline
	l.observe(t0.Add(500*time.Millisecond), sum(12, 12*time.Millisecond)) // same second: ignored
	l.observe(t0.Add(time.Second), sum(20, 30*time.Millisecond))          // 10 calls, 20ms -> 2ms
	l.observe(t0.Add(2*time.Second), sum(20, 30*time.Millisecond))        // no calls -> NaN
	l.observe(t0.Add(3*time.Second), sum(24, 34*time.Millisecond))        // 4 calls, 4ms -> 1ms
	got := l.appendTo(nil)
	if len(got) != 3 || got[0] != 2 || !math.IsNaN(got[1]) || got[2] != 1 {
		t.Errorf("series = %v, want [2 NaN 1]", got)
	}
	for range 100 {
		t0 = t0.Add(time.Second)
		l.observe(t0.Add(3*time.Second), sum(24, 34*time.Millisecond))
	}
	if n := len(l.appendTo(nil)); n != seriesLen {
		t.Errorf("series length %d, want %d", n, seriesLen)
	}
}

func TestFilterNarrowsTable(t *testing.T) {
	m, _ := newTest(t)
	send(t, m, panetest.Key("/"))
	send(t, m, panetest.Type("fa")...)
	if !m.Capturing() || m.Selected() != "fail" {
		t.Errorf("while typing: capturing %v selected %q", m.Capturing(), m.Selected())
	}
	send(t, m, panetest.Key("enter"), panetest.Key("l"))
	if g := m.Generator(); g == nil || g.Spec().Ability != "fail" {
		t.Errorf("l after filtering did not load fail")
	}
	if v := m.View(); strings.Contains(v, "  echo ") || !strings.Contains(v, "/fa") {
		t.Errorf("filtered view:\n%s", v)
	}
}

// TestAllTimeCountsEveryCall: the detail's all-time count is every call,
// as in the other panes, including those refused before they ran (which
// have no latency and are listed by outcome: short_circuited here).
func TestAllTimeCountsEveryCall(t *testing.T) {
	m, a := newTest(t)
	args := map[string]any{"text": "hi"}
	for range 2 { // a miss, then a hit
		if _, err := a.Call(t.Context(), "echo", args); err != nil {
			t.Fatal(err)
		}
	}
	if err := a.Trip("echo"); err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if _, err := a.Call(t.Context(), "echo", args); err == nil {
			t.Fatal("a call through a tripped breaker succeeded")
		}
	}
	m.Update(pane.SnapshotMsg{Snap: a.Snapshot()})
	v := m.View()
	for _, want := range []string{"all-time 5 calls", "3 short_circuited"} {
		if !strings.Contains(v, want) {
			t.Errorf("detail lacks %q:\n%s", want, v)
		}
	}
}

// The latency sparkline's caption gives its peak as a duration ("40µs"),
// not in milliseconds rounded to "0.0ms".
func TestLatencyPeakUsesDurations(t *testing.T) {
	m, _ := newTest(t)
	s := panetest.Snapshot(0)
	m.Update(pane.SnapshotMsg{Snap: s})
	// One second later echo has run 100 more calls of 40µs each.
	s.Taken = s.Taken.Add(time.Second)
	s.Abilities[0].Latency.Count += 100
	s.Abilities[0].Latency.Sum += 100 * 40 * time.Microsecond
	m.Update(pane.SnapshotMsg{Snap: s})
	send(t, m, panetest.Key("v"))
	if v := m.View(); !strings.Contains(v, "mean latency over the last minute · peak 40µs") {
		t.Errorf("latency peak not shown as 40µs:\n%s", v)
	}
}

// The detail names each outcome as the metrics' outcome label does:
// rejected (no concurrency slot) and short_circuited (open breaker) apart.
func TestDetailNamesOutcomes(t *testing.T) {
	m, _ := newTest(t)
	s := panetest.Snapshot(0)
	f := &s.Abilities[1] // fail: 30 failure, 10 short_circuited
	f.Outcomes[agent.OutcomeRejected] = 4
	f.Outcomes[agent.OutcomeTimeout] = 2
	m.Update(pane.SnapshotMsg{Snap: s})
	send(t, m, panetest.Key("down"))
	v := m.View()
	for _, want := range []string{"30 failure", "2 timeout", "4 rejected", "10 short_circuited"} {
		if !strings.Contains(v, want) {
			t.Errorf("detail lacks %q:\n%s", want, v)
		}
	}
}

// The load line's counts are the load session's: +, - and m change the
// rate and mode of the running generator without starting them over.
func TestLoadCountsSurviveRetune(t *testing.T) {
	m, _ := newTest(t)
	for range 4 {
		send(t, m, panetest.Key("+")) // 200/s
	}
	send(t, m, panetest.Key("l"))
	g := m.Generator()
	deadline := time.Now().Add(10 * time.Second)
	for g.Sent() < 3 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	before := g.Sent()
	if before < 3 {
		t.Fatalf("only %d calls sent", before)
	}
	send(t, m, panetest.Key("+"), panetest.Key("m"), panetest.Key("-"))
	if m.Generator() != g {
		t.Fatal("changing the rate or mode started a new load session")
	}
	if sp := g.Spec(); sp.Rate != 200 || sp.Mode != load.Vary {
		t.Errorf("after + m -: %v/s %v, want 200/s vary", sp.Rate, sp.Mode)
	}
	if g.Sent() < before {
		t.Errorf("sent went from %d to %d", before, g.Sent())
	}
	m.dirty = true
	v := m.View()
	if !strings.Contains(v, "load ▶ 200/s vary → echo · sent ") || strings.Contains(v, "sent 0 ") {
		t.Errorf("load line does not carry the session's count:\n%s", v)
	}
}

// The load line counts the calls that did not succeed as "not ok": the
// outcome names (failure, short_circuited, …) are the detail's, and "failed"
// there would read as the failure outcome alone.
func TestLoadLineNotOK(t *testing.T) {
	m, _ := newTest(t)
	for range 4 {
		send(t, m, panetest.Key("+")) // 200/s
	}
	send(t, m, panetest.Key("down"), panetest.Key("l"))
	g := m.Generator()
	if g == nil || g.Spec().Ability != "fail" {
		t.Fatalf("no load on fail: %s", m.loadErr)
	}
	deadline := time.Now().Add(10 * time.Second)
	for g.Failed() < 3 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if g.Failed() < 3 {
		t.Fatalf("only %d calls not ok", g.Failed())
	}
	m.dirty = true
	var line string
	for l := range strings.SplitSeq(m.View(), "\n") {
		if strings.Contains(l, "load ▶") {
			line = l
		}
	}
	if !strings.Contains(line, " · not ok ") || strings.Contains(line, "failed") {
		t.Errorf("load line: %q", line)
	}
}
