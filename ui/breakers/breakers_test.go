package breakers

import (
	"context"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/ansi"
	"go.uber.org/goleak"

	"github.com/agentdash/agentdash/internal/agent"
	"github.com/agentdash/agentdash/internal/breaker"
	"github.com/agentdash/agentdash/ui/pane"
	"github.com/agentdash/agentdash/ui/pane/panetest"
	"github.com/agentdash/agentdash/ui/theme"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

type fixture struct {
	m     *Model
	a     *agent.Agent
	clock *panetest.Clock
	t     *testing.T
}

func newTest(t *testing.T) *fixture {
	t.Helper()
	clock := panetest.NewClock(panetest.Epoch)
	a := panetest.NewAgent(t, clock, 0)
	m := New(pane.Common{Ctx: t.Context(), Theme: theme.Ascii()}, a, nil)
	m.SetSize(100, 20)
	m.Focus()
	f := &fixture{m: m, a: a, clock: clock, t: t}
	f.refresh()
	return f
}

// refresh delivers a fresh agent snapshot, as the root does every frame.
func (f *fixture) refresh() { f.m.Update(pane.SnapshotMsg{Snap: f.a.Snapshot()}) }

func (f *fixture) send(msgs ...tea.Msg) []tea.Msg {
	f.t.Helper()
	out := panetest.Send(f.t, f.m.Update, msgs...)
	f.refresh()
	return out
}

func (f *fixture) state(name string) breaker.State {
	for _, s := range f.a.Snapshot().Abilities {
		if s.Name == name {
			return s.Breaker.State
		}
	}
	f.t.Fatalf("no ability %q", name)
	return 0
}

func statusOf(msgs []tea.Msg) string {
	for _, m := range msgs {
		if s, ok := m.(pane.StatusMsg); ok {
			return s.Text
		}
	}
	return ""
}

func TestTripAsksThenYesTrips(t *testing.T) {
	f := newTest(t)
	f.send(panetest.Key("t"))
	if !f.m.Capturing() {
		t.Fatal("t did not open a confirmation prompt")
	}
	if v := f.m.View(); !strings.Contains(v, `Trip breaker "echo"?`) || !strings.Contains(v, "y yes") {
		t.Errorf("prompt not shown:\n%s", v)
	}
	if got := f.state("echo"); got != breaker.Closed {
		t.Fatalf("tripped before confirmation: %v", got)
	}
	msgs := f.send(panetest.Key("y"))
	if got := f.state("echo"); got != breaker.ForcedOpen {
		t.Errorf("after y: state %v, want forced-open", got)
	}
	if s := statusOf(msgs); !strings.Contains(s, "echo tripped") {
		t.Errorf("status = %q", s)
	}
	if v := f.m.View(); !strings.Contains(v, "▸ echo        ■ FORCED-OPEN") || !strings.Contains(v, "manual-trip") {
		t.Errorf("table does not show the trip:\n%s", v)
	}
}

func TestTripCanceledByOtherKeys(t *testing.T) {
	for _, k := range []string{"n", "esc", "q", "t"} {
		f := newTest(t)
		f.send(panetest.Key("t"), panetest.Key(k))
		if got := f.state("echo"); got != breaker.Closed {
			t.Errorf("answer %q tripped the breaker", k)
		}
		if f.m.Capturing() {
			t.Errorf("prompt still open after %q", k)
		}
	}
}

func TestResetAndResetAll(t *testing.T) {
	f := newTest(t)
	for _, n := range []string{"echo", "sum"} {
		if err := f.a.Trip(n); err != nil {
			t.Fatal(err)
		}
	}
	f.refresh()
	// r resets the selected breaker at once.
	msgs := f.send(panetest.Key("r"))
	if got := f.state("echo"); got != breaker.Closed {
		t.Errorf("r: echo %v, want closed", got)
	}
	if s := statusOf(msgs); !strings.Contains(s, "echo reset") {
		t.Errorf("status = %q", s)
	}
	if got := f.state("sum"); got != breaker.ForcedOpen {
		t.Errorf("r reset sum too: %v", got)
	}
	// R asks first.
	f.send(panetest.Key("R"))
	if v := f.m.View(); !strings.Contains(v, "Reset all 3 breakers") {
		t.Errorf("R prompt not shown:\n%s", v)
	}
	if got := f.state("sum"); got != breaker.ForcedOpen {
		t.Fatalf("R reset before confirmation")
	}
	f.send(panetest.Key("y"))
	if got := f.state("sum"); got != breaker.Closed {
		t.Errorf("R y: sum %v, want closed", got)
	}
}

// r on a closed breaker changes nothing and says so.
func TestResetClosedSaysSo(t *testing.T) {
	f := newTest(t)
	msgs := f.send(panetest.Key("r"))
	if s := statusOf(msgs); s != "echo: breaker already closed" {
		t.Errorf("status = %q, want %q", s, "echo: breaker already closed")
	}
	if got := f.state("echo"); got != breaker.Closed {
		t.Errorf("state %v", got)
	}
}

func TestKeysEnabledByState(t *testing.T) {
	f := newTest(t)
	enabled := func() string {
		var s []string
		for _, b := range f.m.ShortHelp() {
			if b.Enabled() {
				s = append(s, b.Help().Key)
			}
		}
		return strings.Join(s, " ")
	}
	if got := enabled(); strings.Contains(got, "r ") || !strings.Contains(got, "t") {
		t.Errorf("closed breaker keys = %q (no reset, trip allowed)", got)
	}
	_ = f.a.Trip("echo")
	f.refresh()
	if got := enabled(); !strings.Contains(got, "r") || strings.Contains(got, "t ") {
		t.Errorf("forced-open keys = %q (reset, no trip)", got)
	}
}

func TestCooldownCountsDown(t *testing.T) {
	f := newTest(t)
	f.send(panetest.Key("down")) // fail
	for range 5 {                // default: open after 5 consecutive failures
		_, _ = f.a.Call(context.Background(), "fail", nil)
	}
	f.refresh()
	v := f.m.View()
	if !strings.Contains(v, "○ OPEN") || !strings.Contains(v, "5.0s") {
		t.Fatalf("open breaker with full cooldown not shown:\n%s", v)
	}
	// The calls an open breaker refuses are short_circuited (as the metrics
	// and the Cache pane call them), not rejected, which is a full limit.
	if !strings.Contains(v, "short-circuiting calls; half-open in 5.0s") || strings.Contains(v, "rejecting") {
		t.Errorf("open breaker's detail does not say it short-circuits calls:\n%s", v)
	}
	f.clock.Advance(1500 * time.Millisecond)
	f.refresh()
	if v := f.m.View(); !strings.Contains(v, "3.5s") || !strings.Contains(v, "half-open in 3.5s") {
		t.Errorf("cooldown did not count down:\n%s", v)
	}
	f.clock.Advance(4 * time.Second)
	f.refresh()
	if v := f.m.View(); !strings.Contains(v, "◐ half-open") || !strings.Contains(v, "0 of 1 probes in flight, 0/2 successes to close") {
		t.Errorf("breaker not half-open after cooldown:\n%s", v)
	}
	// The trip rule shows whole, to its cooldown, at 80×24.
	f.m.SetSize(78, 19)
	if v := f.m.View(); !strings.Contains(v, "rule opens at ≥50% of the last 20 (10+ calls) or 5 in a row · cooldown 5s") {
		t.Errorf("trip rule not explained in full at 78 columns:\n%s", v)
	}
}

func TestFaultForm(t *testing.T) {
	f := newTest(t)
	f.send(panetest.Key("f"))
	if !f.m.Capturing() {
		t.Fatal("f did not open the fault form")
	}
	// Replace both fields.
	f.send(panetest.Key("ctrl+u"))
	f.send(panetest.Type("150")...)
	f.send(panetest.Key("enter"))
	if v := f.m.View(); !strings.Contains(v, "failure %: 150% is outside 0% to 100%") || !f.m.Capturing() {
		t.Fatalf("bad percentage not reported inline:\n%s", v)
	}
	f.send(panetest.Key("ctrl+u"))
	f.send(panetest.Type("25")...)
	f.send(panetest.Key("tab"), panetest.Key("ctrl+u"))
	f.send(panetest.Type("50ms")...)
	msgs := f.send(panetest.Key("enter"))
	if f.m.Capturing() {
		t.Error("form still open after a valid enter")
	}
	got, err := f.a.Fault("echo")
	if err != nil {
		t.Fatal(err)
	}
	if want := (agent.Fault{FailureRate: 0.25, Latency: 50 * time.Millisecond}); got != want {
		t.Errorf("fault = %+v, want %+v", got, want)
	}
	if s := statusOf(msgs); !strings.Contains(s, "25% failures +50ms") {
		t.Errorf("status = %q", s)
	}
	if v := f.m.View(); !strings.Contains(v, "25% +50ms") {
		t.Errorf("fault not in the table:\n%s", v)
	}
	// x clears it.
	f.send(panetest.Key("x"))
	if got, _ := f.a.Fault("echo"); got != (agent.Fault{}) {
		t.Errorf("x left fault %+v", got)
	}
}

func TestParseFault(t *testing.T) {
	tests := []struct {
		rate, lat string
		want      agent.Fault
		err       string
	}{
		{"0", "0ms", agent.Fault{}, ""},
		{"", "", agent.Fault{}, ""},
		{"12.5%", "1.5s", agent.Fault{FailureRate: 0.125, Latency: 1500 * time.Millisecond}, ""},
		{"100", "250", agent.Fault{FailureRate: 1, Latency: 250 * time.Millisecond}, ""},
		{"5 %", "", agent.Fault{FailureRate: 0.05}, ""}, // was rejected: got "5 "
		{" 5% ", "", agent.Fault{FailureRate: 0.05}, ""},
		{"%", "", agent.Fault{}, ""},
		{"5 %%", "", agent.Fault{}, `"5 %%" is not a number`},
		{"-1", "", agent.Fault{}, "failure %"},
		{"abc", "", agent.Fault{}, "failure %"},
		{"10", "soon", agent.Fault{}, "latency: \"soon\" is not a duration"},
		{"10", "-5ms", agent.Fault{}, "latency: \"-5ms\" is negative"},
		{"NaN", "", agent.Fault{}, "failure %"},
		{"10", "Inf", agent.Fault{}, "latency: \"Inf\" is not a duration"},
		{"10", "2h", agent.Fault{}, "latency: \"2h\" is over the 1h0m0s limit"},
		{"10", "1e12", agent.Fault{}, "latency: \"1e12\" is over the 1h0m0s limit"},
		{"0_5", "", agent.Fault{}, `"0_5" is not a number`}, // ParseFloat alone reads 5,
	}
	for _, tt := range tests {
		got, err := parseFault(tt.rate, tt.lat)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("parseFault(%q, %q) error %v, want %q", tt.rate, tt.lat, err, tt.err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("parseFault(%q, %q) = %+v, %v; want %+v", tt.rate, tt.lat, got, err, tt.want)
		}
	}
}

func TestStatesReadWithoutColour(t *testing.T) {
	f := newTest(t)
	f.m.Update(pane.SnapshotMsg{Snap: panetest.Snapshot(0)})
	v := f.m.View()
	for _, want := range []string{"● closed", "○ OPEN", "■ FORCED-OPEN", "3.2s", "failure-rate 1s ago", "25% +50ms",
		"window 1/20 failed (5%)"} {
		if !strings.Contains(v, want) {
			t.Errorf("view lacks %q:\n%s", want, v)
		}
	}
	if strings.Contains(v, "\x1b[") {
		t.Error("ASCII theme produced escape sequences")
	}
}

func TestFilterNarrowsTable(t *testing.T) {
	f := newTest(t)
	f.send(panetest.Key("/"))
	if !f.m.Capturing() {
		t.Fatal("/ does not capture keys")
	}
	f.send(panetest.Type("su")...) // "t" and "r" would be actions if not captured
	f.send(panetest.Key("enter"))
	v := f.m.View()
	if !strings.Contains(v, "/su") || !strings.Contains(v, "▸ sum") || strings.Contains(v, "  echo ") {
		t.Errorf("filtered table:\n%s", v)
	}
	if f.m.Selected() != "sum" {
		t.Errorf("selected %q, want sum", f.m.Selected())
	}
	// Actions apply to the filtered selection.
	f.send(panetest.Key("t"), panetest.Key("y"))
	if got := f.state("sum"); got != breaker.ForcedOpen {
		t.Errorf("t y on filtered sum: %v", got)
	}
	// A filter matching nothing: no selection, row actions do nothing.
	f.send(panetest.Key("/"))
	f.send(panetest.Type("zz")...)
	f.send(panetest.Key("enter"), panetest.Key("t"))
	if f.m.Capturing() || !strings.Contains(f.m.View(), "no ability matches the filter") {
		t.Errorf("empty filter result:\n%s", f.m.View())
	}
	f.send(panetest.Key("esc"))
	if v := f.m.View(); !strings.Contains(v, "echo") || strings.Contains(v, "/zz") {
		t.Errorf("esc did not clear the filter:\n%s", v)
	}
}

// FuzzParseFault checks that any text typed into the fault form either
// yields a valid fault (failure rate in [0,1], latency >= 0) or an error
// naming the field.
func FuzzParseFault(f *testing.F) {
	for _, s := range [][2]string{{"25", "50ms"}, {"12.5%", "1.5s"}, {"", ""}, {"abc", "-1"}, {"1e2", "1e3"}, {"NaN", "Inf"}} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, rate, lat string) {
		got, err := parseFault(rate, lat)
		if err != nil {
			if msg := err.Error(); !strings.HasPrefix(msg, "failure %") && !strings.HasPrefix(msg, "latency") {
				t.Errorf("error does not name the field: %q", msg)
			}
			return
		}
		if !(got.FailureRate >= 0 && got.FailureRate <= 1) || got.Latency < 0 {
			t.Errorf("parseFault(%q, %q) = %+v: out of range", rate, lat, got)
		}
	})
}

// Every table line fits the pane, from the dashboard's minimum width (64
// columns, a 62-cell pane) up, so the frame cuts no row.
func TestTableFitsEveryWidth(t *testing.T) {
	f := newTest(t)
	if err := f.a.Trip("echo"); err != nil { // a transition in the last column
		t.Fatal(err)
	}
	f.refresh()
	for w := 62; w <= 140; w++ {
		f.m.SetSize(w, 20)
		for i, l := range strings.Split(f.m.table.View(), "\n") {
			if lw := ansi.StringWidth(l); lw > w {
				t.Fatalf("width %d: table line %d is %d cells: %q", w, i, lw, l)
			}
		}
		for _, l := range strings.Split(f.m.View(), "\n") {
			if lw := ansi.StringWidth(l); lw > w {
				t.Fatalf("width %d: line is %d cells: %q", w, lw, l)
			}
			if strings.HasSuffix(strings.TrimRight(l, " "), "–…") || strings.Contains(l, "TRANSITI…") {
				t.Fatalf("width %d: line cut by the pane: %q", w, l)
			}
		}
	}
}

// A 0.5 % fault reads "0.5%" in the FAULT column and the detail, not "0%".
func TestSmallFaultRateIsNotZero(t *testing.T) {
	f := newTest(t)
	if err := f.a.SetFault("echo", agent.Fault{FailureRate: 0.005}); err != nil {
		t.Fatal(err)
	}
	f.refresh()
	v := f.m.View()
	if !strings.Contains(v, "fault 0.5% failures") {
		t.Errorf("detail does not show the 0.5%% fault:\n%s", v)
	}
	if row := strings.Split(v, "\n")[1]; !strings.Contains(row, " 0.5% ") {
		t.Errorf("echo's row does not show the 0.5%% fault: %q", row)
	}
	for r, want := range map[float64]string{0.005: "0.5%", 0.0004: "0.04%", 0.0125: "1%", 0.25: "25%", 1: "100%"} {
		if got := faultRate(r); got != want {
			t.Errorf("faultRate(%v) = %q, want %q", r, got, want)
		}
	}
}

// The FAULT column takes the width its cells need ("100% +250ms") before
// LAST TRANSITION takes the rest, in the 160×48 and 140×40 grids.
func TestFaultColumnFitsItsText(t *testing.T) {
	f := newTest(t)
	if err := f.a.SetFault("echo", agent.Fault{FailureRate: 1, Latency: 250 * time.Millisecond}); err != nil {
		t.Fatal(err)
	}
	f.refresh()
	for _, w := range []int{118, 78, 68} {
		f.m.SetSize(w, 20)
		if v := f.m.View(); !strings.Contains(strings.Split(v, "\n")[1], " 100% +250ms ") {
			t.Errorf("width %d: fault not shown in full:\n%s", w, v)
		}
	}
}

// The slow-call rule shows with the others where the rule is explained.
func TestTripRuleSlowCalls(t *testing.T) {
	for _, tc := range []struct {
		set  breaker.Settings
		want string
	}{
		{breaker.Settings{SlowCallThreshold: time.Second, SlowCallRate: 0.8},
			"opens at ≥50% of the last 20 (10+ calls), ≥80% slower than 1s or 5 in a row · cooldown 5s"},
		{breaker.Settings{FailureRate: breaker.Disabled, ConsecutiveFailures: breaker.Disabled, SlowCallThreshold: 250 * time.Millisecond},
			"opens at ≥100% slower than 250ms of the last 20 (10+ calls) · cooldown 5s"},
	} {
		if got := tripRule(tc.set.WithDefaults()); got != tc.want {
			t.Errorf("tripRule(%+v) = %q, want %q", tc.set, got, tc.want)
		}
	}
}
