package breaker_test

import (
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/agentdash/agentdash/internal/breaker"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

var epoch = time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)

// clock is a manual clock safe for concurrent use.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: epoch} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// harness drives a breaker with a tiny script language (see run).
type harness struct {
	t       *testing.T
	b       *breaker.Breaker
	clk     *clock
	pending []breaker.Permit
	trans   []breaker.Transition
}

func newHarness(t *testing.T, s breaker.Settings) *harness {
	t.Helper()
	h := &harness{t: t, clk: newClock()}
	b, err := breaker.New("test", s, breaker.WithClock(h.clk.Now),
		breaker.WithOnTransition(func(tr breaker.Transition) { h.trans = append(h.trans, tr) }))
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	h.b = b
	return h
}

// run executes space-separated ops:
//
//	S, F   Allow (must pass) then Done(Success / Failure)
//	A      Allow (must pass), keep the permit pending
//	X      Allow must be rejected with ErrOpen
//	s f i  Done(Success / Failure / Ignored) for the oldest pending permit
//	+5s    advance the clock (any time.ParseDuration text after '+')
//	T R    Trip, Reset
func (h *harness) run(script string) {
	h.t.Helper()
	for _, op := range strings.Fields(script) {
		switch op {
		case "S", "F", "A":
			p, err := h.b.Allow()
			if err != nil {
				h.t.Fatalf("op %s: Allow: %v", op, err)
			}
			switch op {
			case "S":
				h.b.Done(p, breaker.Success)
			case "F":
				h.b.Done(p, breaker.Failure)
			default:
				h.pending = append(h.pending, p)
			}
		case "X":
			if _, err := h.b.Allow(); !errors.Is(err, breaker.ErrOpen) {
				h.t.Fatalf("op X: Allow err = %v, want ErrOpen (state %v)", err, h.b.State())
			}
		case "s", "f", "i":
			if len(h.pending) == 0 {
				h.t.Fatalf("op %s: no pending permit", op)
			}
			p := h.pending[0]
			h.pending = h.pending[1:]
			h.b.Done(p, map[string]breaker.Outcome{"s": breaker.Success, "f": breaker.Failure, "i": breaker.Ignored}[op])
		case "T":
			h.b.Trip()
		case "R":
			h.b.Reset()
		default:
			d, err := time.ParseDuration(strings.TrimPrefix(op, "+"))
			if !strings.HasPrefix(op, "+") || err != nil {
				h.t.Fatalf("bad op %q", op)
			}
			h.clk.Advance(d)
		}
	}
}

func (h *harness) reasons() []breaker.Reason {
	var rs []breaker.Reason
	for _, tr := range h.trans {
		rs = append(rs, tr.Reason)
	}
	return rs
}

func TestTransitions(t *testing.T) {
	rate := breaker.Settings{WindowSize: 4, MinCalls: 4, FailureRate: 0.5,
		ConsecutiveFailures: breaker.Disabled, Cooldown: 5 * time.Second, HalfOpenProbes: 1, SuccessThreshold: 2}
	consec := breaker.Settings{FailureRate: breaker.Disabled, ConsecutiveFailures: 3,
		Cooldown: time.Second, HalfOpenProbes: 2, SuccessThreshold: 2}
	tests := []struct {
		name    string
		set     breaker.Settings
		script  string
		want    breaker.State
		reasons []breaker.Reason
		stats   func(*testing.T, breaker.Stats)
	}{
		{name: "failure rate trips at threshold", set: rate, script: "S F S F X",
			want: breaker.Open, reasons: []breaker.Reason{breaker.ReasonFailureRate}},
		{name: "below min calls never trips", set: rate, script: "F F F",
			want: breaker.Closed},
		{name: "rate below threshold stays closed", set: rate, script: "S S S F S S S F",
			want: breaker.Closed},
		{name: "sliding window forgets old failures", set: rate, script: "F S S S S S F S",
			want: breaker.Closed, stats: func(t *testing.T, s breaker.Stats) {
				if s.WindowCalls != 4 || s.WindowFailures != 1 {
					t.Errorf("window = %d/%d, want 1/4", s.WindowFailures, s.WindowCalls)
				}
			}},
		{name: "success can complete a failing window", set: rate, script: "F F F S",
			want: breaker.Open, reasons: []breaker.Reason{breaker.ReasonFailureRate}},
		{name: "consecutive failures trip", set: consec, script: "F F F X",
			want: breaker.Open, reasons: []breaker.Reason{breaker.ReasonConsecutive}},
		{name: "success breaks the run", set: consec, script: "F F S F F",
			want: breaker.Closed, stats: func(t *testing.T, s breaker.Stats) {
				if s.ConsecutiveFailures != 2 {
					t.Errorf("ConsecutiveFailures = %d, want 2", s.ConsecutiveFailures)
				}
			}},
		{name: "ignored outcomes are not counted", set: consec, script: "A A A i i i F F",
			want: breaker.Closed},
		{name: "cooldown not elapsed stays open", set: rate, script: "F F F F +4999ms X",
			want: breaker.Open, reasons: []breaker.Reason{breaker.ReasonFailureRate},
			stats: func(t *testing.T, s breaker.Stats) {
				if s.CooldownRemaining != time.Millisecond {
					t.Errorf("CooldownRemaining = %v, want 1ms", s.CooldownRemaining)
				}
				if !s.OpenedAt.Equal(epoch) {
					t.Errorf("OpenedAt = %v, want %v", s.OpenedAt, epoch)
				}
			}},
		{name: "cooldown elapsed goes half-open lazily", set: rate, script: "F F F F +5s",
			want:    breaker.HalfOpen,
			reasons: []breaker.Reason{breaker.ReasonFailureRate, breaker.ReasonCooldown}},
		{name: "half-open probe limit", set: rate, script: "F F F F +5s A X X",
			want:    breaker.HalfOpen,
			reasons: []breaker.Reason{breaker.ReasonFailureRate, breaker.ReasonCooldown},
			stats: func(t *testing.T, s breaker.Stats) {
				if s.HalfOpenInFlight != 1 {
					t.Errorf("HalfOpenInFlight = %d, want 1", s.HalfOpenInFlight)
				}
			}},
		{name: "ignored releases the probe slot", set: rate, script: "F F F F +5s A X i A",
			want: breaker.HalfOpen, reasons: []breaker.Reason{breaker.ReasonFailureRate, breaker.ReasonCooldown}, stats: func(t *testing.T, s breaker.Stats) {
				if s.HalfOpenInFlight != 1 || s.HalfOpenSuccesses != 0 {
					t.Errorf("in flight %d successes %d, want 1, 0", s.HalfOpenInFlight, s.HalfOpenSuccesses)
				}
			}},
		{name: "success threshold closes", set: rate, script: "F F F F +5s S S",
			want: breaker.Closed,
			reasons: []breaker.Reason{breaker.ReasonFailureRate, breaker.ReasonCooldown,
				breaker.ReasonProbeSuccess},
			stats: func(t *testing.T, s breaker.Stats) {
				if s.WindowCalls != 0 || !s.OpenedAt.IsZero() {
					t.Errorf("after close: window %d, OpenedAt %v; want empty, zero", s.WindowCalls, s.OpenedAt)
				}
			}},
		{name: "one success is not enough", set: rate, script: "F F F F +5s S",
			want: breaker.HalfOpen, reasons: []breaker.Reason{breaker.ReasonFailureRate, breaker.ReasonCooldown}, stats: func(t *testing.T, s breaker.Stats) {
				if s.HalfOpenSuccesses != 1 {
					t.Errorf("HalfOpenSuccesses = %d, want 1", s.HalfOpenSuccesses)
				}
			}},
		{name: "failed probe reopens with fresh cooldown", set: rate, script: "F F F F +5s +2s F +4s X",
			want: breaker.Open,
			reasons: []breaker.Reason{breaker.ReasonFailureRate, breaker.ReasonCooldown,
				breaker.ReasonProbeFailure},
			stats: func(t *testing.T, s breaker.Stats) {
				if s.CooldownRemaining != time.Second {
					t.Errorf("CooldownRemaining = %v, want 1s", s.CooldownRemaining)
				}
			}},
		{name: "concurrent probes up to the limit", set: consec, script: "F F F +1s A A X s s",
			want: breaker.Closed,
			reasons: []breaker.Reason{breaker.ReasonConsecutive, breaker.ReasonCooldown,
				breaker.ReasonProbeSuccess}},
		{name: "outcome from previous generation ignored", set: consec, script: "A A F F F s f",
			want: breaker.Open, reasons: []breaker.Reason{breaker.ReasonConsecutive}, stats: func(t *testing.T, s breaker.Stats) {
				if s.WindowCalls != 3 || s.Transitions != 1 {
					t.Errorf("window %d transitions %d, want 3, 1", s.WindowCalls, s.Transitions)
				}
			}},
		{name: "stale probe cannot close a reopened breaker", set: consec,
			script: "F F F +1s A A f +1s A S s",
			want:   breaker.HalfOpen,
			reasons: []breaker.Reason{breaker.ReasonConsecutive, breaker.ReasonCooldown,
				breaker.ReasonProbeFailure, breaker.ReasonCooldown},
			stats: func(t *testing.T, s breaker.Stats) {
				if s.HalfOpenSuccesses != 1 || s.HalfOpenInFlight != 1 {
					t.Errorf("successes %d in flight %d, want 1, 1", s.HalfOpenSuccesses, s.HalfOpenInFlight)
				}
			}},
		{name: "trip from closed is sticky", set: rate, script: "T X +1h X",
			want: breaker.ForcedOpen, reasons: []breaker.Reason{breaker.ReasonManualTrip}},
		{name: "trip twice is one transition", set: rate, script: "T T",
			want: breaker.ForcedOpen, reasons: []breaker.Reason{breaker.ReasonManualTrip}},
		{name: "trip from half-open drops probes", set: rate, script: "F F F F +5s A T s R",
			want: breaker.Closed,
			reasons: []breaker.Reason{breaker.ReasonFailureRate, breaker.ReasonCooldown,
				breaker.ReasonManualTrip, breaker.ReasonManualReset},
			stats: func(t *testing.T, s breaker.Stats) {
				if s.WindowCalls != 0 {
					t.Errorf("WindowCalls = %d, want 0", s.WindowCalls)
				}
			}},
		{name: "reset from open closes and clears", set: rate, script: "F F F F R S",
			want:    breaker.Closed,
			reasons: []breaker.Reason{breaker.ReasonFailureRate, breaker.ReasonManualReset},
			stats: func(t *testing.T, s breaker.Stats) {
				if s.WindowCalls != 1 || s.WindowFailures != 0 {
					t.Errorf("window = %d/%d, want 0/1", s.WindowFailures, s.WindowCalls)
				}
			}},
		{name: "reset while closed clears without transition", set: consec, script: "A F F R f F F",
			want: breaker.Closed, stats: func(t *testing.T, s breaker.Stats) {
				if s.ConsecutiveFailures != 2 || s.Transitions != 0 || s.HasTransition {
					t.Errorf("consec %d transitions %d, want 2, 0", s.ConsecutiveFailures, s.Transitions)
				}
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, tt.set)
			h.run(tt.script)
			if got := h.b.State(); got != tt.want {
				t.Errorf("State() = %v, want %v", got, tt.want)
			}
			if got := h.reasons(); !slicesEqual(got, tt.reasons) {
				t.Errorf("transition reasons = %v, want %v", got, tt.reasons)
			}
			st := h.b.Stats()
			if st.State != tt.want {
				t.Errorf("Stats().State = %v, want %v", st.State, tt.want)
			}
			if int(st.Transitions) != len(h.trans) {
				t.Errorf("Stats().Transitions = %d, observed %d", st.Transitions, len(h.trans))
			}
			if len(h.trans) > 0 && st.LastTransition != h.trans[len(h.trans)-1] {
				t.Errorf("LastTransition = %+v, want %+v", st.LastTransition, h.trans[len(h.trans)-1])
			}
			for i := 1; i < len(h.trans); i++ {
				if h.trans[i].From != h.trans[i-1].To {
					t.Errorf("transition %d from %v, previous went to %v", i, h.trans[i].From, h.trans[i-1].To)
				}
			}
			if tt.stats != nil {
				tt.stats(t, st)
			}
		})
	}
}

func slicesEqual[T comparable](a, b []T) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestTransitionDetails(t *testing.T) {
	h := newHarness(t, breaker.Settings{WindowSize: 10, MinCalls: 10, FailureRate: 0.5,
		ConsecutiveFailures: breaker.Disabled, Cooldown: 5 * time.Second, SuccessThreshold: 1})
	h.run("S S S S F F F F S +1s F +5s S T +3s R")
	want := []breaker.Transition{
		{Name: "test", At: epoch.Add(time.Second), From: breaker.Closed, To: breaker.Open,
			Reason: breaker.ReasonFailureRate, Detail: "5/10 failed (50% >= 50%)"},
		{Name: "test", At: epoch.Add(6 * time.Second), From: breaker.Open, To: breaker.HalfOpen,
			Reason: breaker.ReasonCooldown, Detail: "cooldown 5s elapsed"},
		{Name: "test", At: epoch.Add(6 * time.Second), From: breaker.HalfOpen, To: breaker.Closed,
			Reason: breaker.ReasonProbeSuccess, Detail: "1/1 probes succeeded"},
		{Name: "test", At: epoch.Add(6 * time.Second), From: breaker.Closed, To: breaker.ForcedOpen,
			Reason: breaker.ReasonManualTrip, Detail: "tripped manually"},
		{Name: "test", At: epoch.Add(9 * time.Second), From: breaker.ForcedOpen, To: breaker.Closed,
			Reason: breaker.ReasonManualReset, Detail: "reset manually"},
	}
	if !slicesEqual(h.trans, want) {
		t.Fatalf("transitions:\n got %v\nwant %v", h.trans, want)
	}
	if got, want := h.trans[0].String(), "test: closed -> open (failure-rate: 5/10 failed (50% >= 50%))"; got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
}

// TestSlowCalls checks resilience4j's slow-call rule: calls that succeed
// but take longer than the threshold open the breaker once their share of
// the window reaches the rate; a call exactly at the threshold is not
// slow; a slow probe re-opens it.
func TestSlowCalls(t *testing.T) {
	h := newHarness(t, breaker.Settings{WindowSize: 10, MinCalls: 5, FailureRate: breaker.Disabled,
		ConsecutiveFailures: breaker.Disabled, SlowCallThreshold: time.Second, SlowCallRate: 0.6,
		Cooldown: 5 * time.Second, SuccessThreshold: 1})
	done := func(took ...time.Duration) {
		t.Helper()
		for _, d := range took {
			p, err := h.b.Allow()
			if err != nil {
				t.Fatalf("Allow: %v", err)
			}
			h.b.DoneAfter(p, breaker.Success, d)
		}
	}
	done(2*time.Second, time.Second, 2*time.Second, 0)
	if s := h.b.Stats(); s.State != breaker.Closed || s.WindowSlow != 2 || s.SlowRate != 0.5 || s.WindowFailures != 0 {
		t.Fatalf("after 2 slow of 4: %+v", s)
	}
	done(3 * time.Second) // 3/5 slow: 60% >= 60%
	want := breaker.Transition{Name: "test", At: epoch, From: breaker.Closed, To: breaker.Open,
		Reason: breaker.ReasonSlowCallRate, Detail: "3/5 slow calls, over 1s (60% >= 60%)"}
	if len(h.trans) != 1 || h.trans[0] != want {
		t.Fatalf("transitions %v, want %v", h.trans, want)
	}
	h.run("X +5s")
	done(1500 * time.Millisecond) // a slow probe re-opens
	if got := h.trans[len(h.trans)-1]; got.To != breaker.Open || got.Reason != breaker.ReasonProbeFailure ||
		got.Detail != "probe slow (1.5s > 1s); cooling down 5s" {
		t.Fatalf("after a slow probe: %v", got)
	}
	h.run("X +5s")
	done(time.Second) // at the threshold: not slow, closes
	if st := h.b.State(); st != breaker.Closed {
		t.Fatalf("after a probe at the threshold: %v", st)
	}
	// Without a slow-call rule a long call is just a success.
	plain := newHarness(t, breaker.Settings{WindowSize: 2, MinCalls: 1})
	p, _ := plain.b.Allow()
	plain.b.DoneAfter(p, breaker.Success, time.Hour)
	if s := plain.b.Stats(); s.WindowSlow != 0 || s.State != breaker.Closed {
		t.Fatalf("no rule: %+v", s)
	}
}

// TestSlowFailures checks that a slow failure counts in both rates, as in
// resilience4j, and that the failure rate is checked first.
func TestSlowFailures(t *testing.T) {
	h := newHarness(t, breaker.Settings{WindowSize: 4, MinCalls: 2, FailureRate: 0.5,
		ConsecutiveFailures: breaker.Disabled, SlowCallThreshold: time.Second, SlowCallRate: 0.5})
	for _, o := range []breaker.Outcome{breaker.Success, breaker.Failure} {
		p, _ := h.b.Allow()
		h.b.DoneAfter(p, o, 2*time.Second)
	}
	if len(h.trans) != 1 || h.trans[0].Reason != breaker.ReasonFailureRate {
		t.Fatalf("transitions %v, want one for the failure rate", h.trans)
	}
	if s := h.b.Stats(); s.WindowSlow != 2 || s.WindowFailures != 1 {
		t.Fatalf("window %+v, want 2 slow and 1 failed", s)
	}
}

func TestOpenError(t *testing.T) {
	h := newHarness(t, breaker.Settings{FailureRate: breaker.Disabled, ConsecutiveFailures: 1,
		Cooldown: 5 * time.Second, HalfOpenProbes: 1})
	h.run("F +1800ms")
	_, err := h.b.Allow()
	var oe *breaker.OpenError
	if !errors.As(err, &oe) || !errors.Is(err, breaker.ErrOpen) {
		t.Fatalf("Allow err = %v, want *OpenError wrapping ErrOpen", err)
	}
	if oe.State != breaker.Open || oe.Remaining != 3200*time.Millisecond || oe.Name != "test" {
		t.Errorf("OpenError = %+v", oe)
	}
	if got, want := err.Error(), `breaker "test": circuit breaker is open (cooldown 3.2s remaining)`; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	h.run("+4s A")
	_, err = h.b.Allow()
	if got, want := err.Error(), `breaker "test": circuit breaker is open (half-open, 1 probe(s) already in flight)`; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	h.run("T")
	_, err = h.b.Allow()
	if got, want := err.Error(), `breaker "test": circuit breaker is open (forced open until reset)`; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
}

func TestZeroPermitIgnored(t *testing.T) {
	h := newHarness(t, breaker.Settings{FailureRate: breaker.Disabled, ConsecutiveFailures: 1,
		Cooldown: time.Second, SuccessThreshold: 1})
	h.b.Done(breaker.Permit{}, breaker.Failure)
	if st := h.b.State(); st != breaker.Closed {
		t.Fatalf("zero Permit counted: state %v", st)
	}
	h.run("F +1s")
	p, err := h.b.Allow()
	if err != nil || !p.Probe() {
		t.Fatalf("Allow = %v, %v; want probe permit", p, err)
	}
	h.b.Done(breaker.Permit{}, breaker.Success)
	h.b.Done(p, breaker.Outcome(42)) // unknown outcome: treated as Ignored
	if s := h.b.Stats(); s.State != breaker.HalfOpen || s.HalfOpenInFlight != 0 || s.HalfOpenSuccesses != 0 {
		t.Errorf("Stats = %+v, want half-open with no probes and no successes", s)
	}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name string
		set  breaker.Settings
		want string // substring of the error; "" = valid
	}{
		{name: "zero is defaults", set: breaker.Settings{}},
		{name: "rate only", set: breaker.Settings{ConsecutiveFailures: breaker.Disabled}},
		{name: "consecutive only", set: breaker.Settings{FailureRate: breaker.Disabled, MinCalls: 500}},
		{name: "small window lowers default MinCalls", set: breaker.Settings{WindowSize: 4}},
		{name: "rate too high", set: breaker.Settings{FailureRate: 1.5}, want: "breaker settings: FailureRate 1.5 not in (0,1]"},
		{name: "rate NaN", set: breaker.Settings{FailureRate: nan()}, want: "FailureRate NaN not in (0,1]"},
		{name: "negative window", set: breaker.Settings{WindowSize: -1}, want: "WindowSize -1 not in [1,10000]"},
		{name: "huge window", set: breaker.Settings{WindowSize: 1 << 20}, want: "WindowSize 1048576 not in [1,10000]"},
		{name: "min calls above window", set: breaker.Settings{WindowSize: 5, MinCalls: 6}, want: "MinCalls 6 exceeds WindowSize 5"},
		{name: "negative min calls", set: breaker.Settings{MinCalls: -2}, want: "MinCalls -2 is negative"},
		{name: "negative cooldown", set: breaker.Settings{Cooldown: -time.Second}, want: "Cooldown -1s is negative"},
		{name: "negative probes", set: breaker.Settings{HalfOpenProbes: -1}, want: "HalfOpenProbes -1 is negative"},
		{name: "negative threshold", set: breaker.Settings{SuccessThreshold: -3}, want: "SuccessThreshold -3 is negative"},
		{name: "nothing can trip", set: breaker.Settings{FailureRate: -1, ConsecutiveFailures: -1}, want: "both disabled"},
		{name: "slow calls only", set: breaker.Settings{FailureRate: -1, ConsecutiveFailures: -1, SlowCallThreshold: time.Second}},
		{name: "slow rate too high", set: breaker.Settings{SlowCallThreshold: time.Second, SlowCallRate: 1.5}, want: "SlowCallRate 1.5 not in (0,1]"},
		{name: "slow rate alone", set: breaker.Settings{SlowCallRate: 0.5}, want: "SlowCallRate 0.5 is set without SlowCallThreshold"},
		{name: "negative slow threshold", set: breaker.Settings{SlowCallThreshold: -time.Second}, want: "SlowCallThreshold -1s is negative"},
		{name: "slow min calls above window", set: breaker.Settings{FailureRate: -1, SlowCallThreshold: time.Second, WindowSize: 5, MinCalls: 6},
			want: "MinCalls 6 exceeds WindowSize 5"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.set.Validate()
			if tt.want == "" {
				if err != nil {
					t.Fatalf("Validate() = %v, want nil", err)
				}
				if _, err := breaker.New("x", tt.set); err != nil {
					t.Fatalf("New: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Validate() = %v, want error containing %q", err, tt.want)
			}
			if _, err := breaker.New("x", tt.set); err == nil || !strings.Contains(err.Error(), `new breaker "x": `) {
				t.Fatalf("New err = %v, want wrapped validation error", err)
			}
		})
	}
	err := breaker.Settings{FailureRate: 2, Cooldown: -1}.Validate()
	if err == nil || !strings.Contains(err.Error(), "FailureRate") || !strings.Contains(err.Error(), "Cooldown") {
		t.Errorf("Validate() = %v, want both problems reported", err)
	}
	if _, err := breaker.New("", breaker.Settings{}); err == nil {
		t.Error("New with empty name succeeded")
	}
}

func nan() float64 { var z float64; return z / z }

func TestWithDefaults(t *testing.T) {
	got := breaker.Settings{}.WithDefaults()
	want := breaker.Settings{WindowSize: 20, MinCalls: 10, FailureRate: 0.5, ConsecutiveFailures: 5,
		Cooldown: 5 * time.Second, HalfOpenProbes: 1, SuccessThreshold: 2}
	if got != want {
		t.Errorf("WithDefaults() = %+v, want %+v", got, want)
	}
	if got := (breaker.Settings{SlowCallThreshold: time.Second}).WithDefaults(); got.SlowCallRate != 1 {
		t.Errorf("WithDefaults() with a slow-call threshold: SlowCallRate %v, want 1 (resilience4j's 100%%)", got.SlowCallRate)
	}
	b, err := breaker.New("x", breaker.Settings{WindowSize: 4, Cooldown: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	if s := b.Settings(); s.MinCalls != 4 || s.Cooldown != time.Minute || s.SuccessThreshold != 2 || b.Name() != "x" {
		t.Errorf("Settings() = %+v, Name() = %q", s, b.Name())
	}
}

func TestStrings(t *testing.T) {
	for _, tt := range []struct{ got, want string }{
		{breaker.Closed.String(), "closed"}, {breaker.Open.String(), "open"},
		{breaker.HalfOpen.String(), "half-open"}, {breaker.ForcedOpen.String(), "forced-open"},
		{breaker.State(9).String(), "State(9)"},
		{breaker.Success.String(), "success"}, {breaker.Failure.String(), "failure"},
		{breaker.Ignored.String(), "ignored"}, {breaker.Outcome(-1).String(), "Outcome(-1)"},
	} {
		if tt.got != tt.want {
			t.Errorf("got %q, want %q", tt.got, tt.want)
		}
	}
}

func TestAllowClosedAllocs(t *testing.T) {
	b, err := breaker.New("x", breaker.Settings{})
	if err != nil {
		t.Fatal(err)
	}
	if n := testing.AllocsPerRun(100, func() {
		p, _ := b.Allow()
		b.Done(p, breaker.Success)
	}); n != 0 {
		t.Errorf("Allow+Done(Success) in closed state: %v allocs, want 0", n)
	}
}

func TestStateText(t *testing.T) {
	for s := breaker.Closed; s <= breaker.ForcedOpen; s++ {
		b, err := s.MarshalText()
		if err != nil || string(b) != s.String() {
			t.Fatalf("%v.MarshalText() = %q, %v", s, b, err)
		}
		var got breaker.State
		if err := got.UnmarshalText(b); err != nil || got != s {
			t.Fatalf("UnmarshalText(%q) = %v, %v", b, got, err)
		}
	}
	var s breaker.State
	if err := s.UnmarshalText([]byte("ajar")); err == nil {
		t.Fatal("UnmarshalText(ajar) succeeded")
	}
	if _, err := breaker.State(9).MarshalText(); err == nil {
		t.Fatal("State(9).MarshalText() succeeded")
	}
}
