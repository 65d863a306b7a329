package breaker_test

import (
	"testing"
	"time"

	"pgregory.net/rapid"

	"github.com/agentdash/agentdash/internal/breaker"
)

// model is a deliberately naive reference implementation of the breaker
// state machine: the window is a plain slice, nothing is packed or lazy
// beyond what the contract demands.
type model struct {
	s        breaker.Settings // defaults applied
	state    breaker.State
	gen      int
	window   []outcome // oldest first
	consec   int
	openedAt time.Time
	probes   int
	probeOK  int
	trans    []breaker.Transition // Detail left empty
}

type outcome struct{ failed, slow bool }

type modelPermit struct {
	gen   int
	probe bool
}

func (m *model) to(now time.Time, st breaker.State, r breaker.Reason) {
	m.trans = append(m.trans, breaker.Transition{Name: "m", At: now, From: m.state, To: st, Reason: r})
	m.state = st
	m.gen++
	m.probes, m.probeOK = 0, 0
	switch st {
	case breaker.Closed:
		m.window, m.consec, m.openedAt = nil, 0, time.Time{}
	case breaker.Open, breaker.ForcedOpen:
		m.openedAt = now
	}
}

func (m *model) observe(now time.Time) breaker.State {
	if m.state == breaker.Open && now.Sub(m.openedAt) >= m.s.Cooldown {
		m.to(now, breaker.HalfOpen, breaker.ReasonCooldown)
	}
	return m.state
}

func (m *model) allow(now time.Time) (modelPermit, bool) {
	switch m.observe(now) {
	case breaker.Closed:
		return modelPermit{gen: m.gen}, true
	case breaker.HalfOpen:
		if m.probes < m.s.HalfOpenProbes {
			m.probes++
			return modelPermit{gen: m.gen, probe: true}, true
		}
	}
	return modelPermit{}, false
}

func (m *model) failures() int {
	n := 0
	for _, o := range m.window {
		if o.failed {
			n++
		}
	}
	return n
}

func (m *model) slowCalls() int {
	n := 0
	for _, o := range m.window {
		if o.slow {
			n++
		}
	}
	return n
}

func (m *model) done(now time.Time, p modelPermit, o breaker.Outcome, took time.Duration) {
	if p.gen != m.gen {
		return
	}
	slow := m.s.SlowCallThreshold > 0 && took > m.s.SlowCallThreshold
	if p.probe {
		m.probes--
		if o == breaker.Success && slow {
			m.to(now, breaker.Open, breaker.ReasonProbeFailure)
			return
		}
		switch o {
		case breaker.Success:
			if m.probeOK++; m.probeOK >= m.s.SuccessThreshold {
				m.to(now, breaker.Closed, breaker.ReasonProbeSuccess)
			}
		case breaker.Failure:
			m.to(now, breaker.Open, breaker.ReasonProbeFailure)
		}
		return
	}
	if o == breaker.Ignored {
		return
	}
	failed := o == breaker.Failure
	m.window = append(m.window, outcome{failed: failed, slow: slow})
	if len(m.window) > m.s.WindowSize {
		m.window = m.window[1:]
	}
	if failed {
		m.consec++
	} else {
		m.consec = 0
	}
	switch {
	case m.s.FailureRate > 0 && len(m.window) >= m.s.MinCalls &&
		float64(m.failures())/float64(len(m.window)) >= m.s.FailureRate:
		m.to(now, breaker.Open, breaker.ReasonFailureRate)
	case m.s.SlowCallThreshold > 0 && len(m.window) >= m.s.MinCalls &&
		float64(m.slowCalls())/float64(len(m.window)) >= m.s.SlowCallRate:
		m.to(now, breaker.Open, breaker.ReasonSlowCallRate)
	case m.s.ConsecutiveFailures > 0 && m.consec >= m.s.ConsecutiveFailures:
		m.to(now, breaker.Open, breaker.ReasonConsecutive)
	}
}

func (m *model) trip(now time.Time) {
	if m.state != breaker.ForcedOpen {
		m.to(now, breaker.ForcedOpen, breaker.ReasonManualTrip)
	}
}

func (m *model) reset(now time.Time) {
	if m.state != breaker.Closed {
		m.to(now, breaker.Closed, breaker.ReasonManualReset)
		return
	}
	m.window, m.consec = nil, 0
	m.gen++
}

func (m *model) stats(now time.Time) breaker.Stats {
	st := m.observe(now)
	s := breaker.Stats{
		State:               st,
		WindowCalls:         len(m.window),
		WindowFailures:      m.failures(),
		WindowSlow:          m.slowCalls(),
		ConsecutiveFailures: m.consec,
		HalfOpenInFlight:    m.probes,
		HalfOpenSuccesses:   m.probeOK,
		OpenedAt:            m.openedAt,
		Transitions:         uint64(len(m.trans)),
		HasTransition:       len(m.trans) > 0,
	}
	if len(m.window) > 0 {
		s.FailureRate = float64(s.WindowFailures) / float64(s.WindowCalls)
		s.SlowRate = float64(s.WindowSlow) / float64(s.WindowCalls)
	}
	if st == breaker.Open {
		s.CooldownRemaining = m.openedAt.Add(m.s.Cooldown).Sub(now)
	}
	return s
}

func genSettings(t *rapid.T) breaker.Settings {
	s := breaker.Settings{WindowSize: rapid.IntRange(1, 8).Draw(t, "window")}
	s.MinCalls = rapid.IntRange(1, s.WindowSize).Draw(t, "minCalls")
	s.FailureRate = rapid.SampledFrom([]float64{0.25, 0.5, 0.75, 1, breaker.Disabled}).Draw(t, "rate")
	s.ConsecutiveFailures = rapid.SampledFrom([]int{breaker.Disabled, 1, 2, 3, 4}).Draw(t, "consecutive")
	if rapid.Bool().Draw(t, "slowRule") {
		s.SlowCallThreshold = time.Second
		s.SlowCallRate = rapid.SampledFrom([]float64{0, 0.25, 0.5, 1}).Draw(t, "slowRate") // 0: the default
	}
	if s.FailureRate < 0 && s.ConsecutiveFailures < 0 && s.SlowCallThreshold == 0 {
		s.ConsecutiveFailures = 2
	}
	s.Cooldown = time.Duration(rapid.IntRange(1, 4).Draw(t, "cooldownSec")) * time.Second
	s.HalfOpenProbes = rapid.IntRange(1, 3).Draw(t, "probes")
	s.SuccessThreshold = rapid.IntRange(1, 3).Draw(t, "threshold")
	return s
}

// TestModel drives the breaker and the model with the same random sequence
// of operations and compares state, stats and transitions after each step.
func TestModel(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		s := genSettings(t)
		clk := newClock()
		var got []breaker.Transition
		b, err := breaker.New("m", s, breaker.WithClock(clk.Now),
			breaker.WithOnTransition(func(tr breaker.Transition) { got = append(got, tr) }))
		if err != nil {
			t.Fatalf("New(%+v): %v", s, err)
		}
		m := &model{s: s.WithDefaults(), gen: 1}
		type pair struct {
			real  breaker.Permit
			model modelPermit
		}
		var permits []pair
		outcomes := rapid.SampledFrom([]breaker.Outcome{breaker.Success, breaker.Failure, breaker.Ignored})
		// Durations on both sides of a slow-call threshold of 1s, and on it.
		tooks := rapid.SampledFrom([]time.Duration{0, 500 * time.Millisecond, time.Second, 1500 * time.Millisecond})

		done := func(t *rapid.T, i int) {
			o, took := outcomes.Draw(t, "outcome"), tooks.Draw(t, "took")
			b.DoneAfter(permits[i].real, o, took)
			m.done(clk.Now(), permits[i].model, o, took)
			permits = append(permits[:i], permits[i+1:]...)
		}
		var actions map[string]func(*rapid.T)
		actions = map[string]func(*rapid.T){
			"allow": func(t *rapid.T) {
				now := clk.Now()
				p, err := b.Allow()
				mp, ok := m.allow(now)
				if (err == nil) != ok {
					t.Fatalf("Allow err = %v, model allows = %v", err, ok)
				}
				if ok {
					if p.Probe() != mp.probe {
						t.Fatalf("Allow probe = %v, model %v", p.Probe(), mp.probe)
					}
					permits = append(permits, pair{p, mp})
				}
			},
			"done": func(t *rapid.T) {
				if len(permits) > 0 {
					done(t, rapid.IntRange(0, len(permits)-1).Draw(t, "permit"))
				}
			},
			"call": func(t *rapid.T) { // allow, then done at once
				n := len(permits)
				actions["allow"](t)
				if len(permits) > n {
					done(t, n)
				}
			},
			"advance": func(t *rapid.T) {
				clk.Advance(rapid.SampledFrom([]time.Duration{
					time.Millisecond, 500 * time.Millisecond, time.Second, 2 * time.Second, 4 * time.Second,
				}).Draw(t, "dt"))
			},
			"trip": func(t *rapid.T) {
				b.Trip()
				m.trip(clk.Now())
			},
			"reset": func(t *rapid.T) {
				b.Reset()
				m.reset(clk.Now())
			},
			"state": func(t *rapid.T) {
				if g, w := b.State(), m.observe(clk.Now()); g != w {
					t.Fatalf("State() = %v, model %v", g, w)
				}
			},
		}
		check := func(t *rapid.T) {
			now := clk.Now()
			gs, ws := b.Stats(), m.stats(now)
			gs.LastTransition = breaker.Transition{}
			if gs != ws {
				t.Fatalf("Stats mismatch\n got %+v\nwant %+v", gs, ws)
			}
			if len(got) != len(m.trans) {
				t.Fatalf("%d transitions, model %d", len(got), len(m.trans))
			}
			for i := range got {
				g := got[i]
				g.Detail = ""
				if g != m.trans[i] {
					t.Fatalf("transition %d = %v, model %v", i, g, m.trans[i])
				}
			}
			if n := len(got); n > 0 {
				if last := b.Stats().LastTransition; last != got[n-1] {
					t.Fatalf("LastTransition = %v, observed %v", last, got[n-1])
				}
				if got[n-1].Detail == "" {
					t.Fatalf("transition %v has no detail", got[n-1])
				}
			}
		}
		// A hand-rolled loop instead of t.Repeat: sequences must be long
		// (hundreds of steps) and weighted towards calls to reach half-open
		// episodes often; rapid still shrinks the step count and actions.
		names := rapid.SampledFrom([]string{"allow", "allow", "done", "done", "call", "call", "call",
			"advance", "advance", "trip", "reset", "state"})
		check(t)
		for range rapid.IntRange(1, 400).Draw(t, "steps") {
			actions[names.Draw(t, "action")](t)
			check(t)
		}
	})
}
