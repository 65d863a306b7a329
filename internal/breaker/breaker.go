// Package breaker implements the per-ability circuit breaker of agentdash.
//
// A Breaker has four states. Closed lets every call through and records
// its outcome, and whether it was slow, in a count-based sliding window; it
// trips to Open when the window's failure rate reaches Settings.FailureRate
// or its rate of slow calls (longer than Settings.SlowCallThreshold)
// reaches Settings.SlowCallRate, once the window holds at least
// Settings.MinCalls outcomes, or after Settings.ConsecutiveFailures
// failures in a row. The slow-call rule is resilience4j's: a call that
// succeeds but is slow still warns that the dependency is struggling. Open rejects calls with [ErrOpen] until
// Settings.Cooldown has elapsed; the switch to HalfOpen is applied lazily,
// the first time the breaker is observed (Allow, State or Stats) after the
// cooldown. HalfOpen lets at most Settings.HalfOpenProbes probe calls run
// at once; Settings.SuccessThreshold successful probes close the breaker,
// and one failed (or slow) probe re-opens it with a fresh cooldown. ForcedOpen is
// entered only by [Breaker.Trip] and left only by [Breaker.Reset] (like
// Polly's Isolate or resilience4j's FORCED_OPEN).
//
// Every call is bracketed by Allow, which returns a [Permit], and Done (or
// DoneAfter, with the call's duration), which reports the [Outcome]. Ignored releases the permit (including a
// half-open probe slot) without counting. Each transition starts a new
// generation, and outcomes of permits issued in an earlier generation are
// dropped, so a slow call started before the breaker opened cannot close
// or re-open it later.
//
// This package is written by hand on purpose: no Go circuit-breaker
// library offers a sticky manual trip together with this introspection.
// sony/gobreaker has no forced-open state and does not expose half-open
// probe accounting, window contents or cooldown remaining; failsafe-go and
// others likewise lack a sticky trip that survives the cooldown. The
// dashboard needs all of these, and the call path needs a closed-state
// Allow that is a single atomic load with no allocation.
package breaker

import (
	"fmt"
	"sync"
	"sync/atomic"
	"time"
)

// The breaker word packs the generation and the state so that Allow reads
// both with one atomic load.
const (
	stateBits = 2
	stateMask = 1<<stateBits - 1
)

// Breaker is a circuit breaker. It is safe for concurrent use.
type Breaker struct {
	// word is gen<<stateBits | state. It is written only with mu held and
	// read lock-free by Allow and State.
	word atomic.Uint64

	name         string
	set          Settings
	now          func() time.Time
	onTransition func(Transition)
	// Preallocated rejections whose fields never change, so that
	// short-circuiting a forced-open or saturated half-open breaker does
	// not allocate. Callers must not modify a returned *OpenError.
	errForced, errProbes *OpenError

	mu          sync.Mutex
	window      []mark // ring of closed-state outcomes
	head        int    // next write position in window
	calls       int    // outcomes held in window
	fails       int    // failures held in window
	slows       int    // slow calls held in window
	consec      int    // current run of consecutive failures
	openedAt    time.Time
	probes      int // half-open probe permits outstanding
	probeOK     int // successful probes in this half-open episode
	transitions uint64
	last        Transition
}

type options struct {
	now          func() time.Time
	onTransition func(Transition)
}

// Option configures a Breaker.
type Option func(*options)

// WithClock sets the clock used for cooldowns and transition times
// (default time.Now). A nil now is ignored.
func WithClock(now func() time.Time) Option {
	return func(o *options) {
		if now != nil {
			o.now = now
		}
	}
}

// WithOnTransition registers fn to be called on every transition. fn is
// called synchronously with the breaker's lock held, in transition order;
// it must not block and must not call back into the breaker.
func WithOnTransition(fn func(Transition)) Option {
	return func(o *options) { o.onTransition = fn }
}

// New returns a closed breaker named name (used in errors and
// transitions). Zero fields of s take their defaults; invalid settings are
// reported by [Settings.Validate].
func New(name string, s Settings, opts ...Option) (*Breaker, error) {
	if name == "" {
		return nil, fmt.Errorf("new breaker: empty name")
	}
	if err := s.Validate(); err != nil {
		return nil, fmt.Errorf("new breaker %q: %w", name, err)
	}
	o := options{now: time.Now}
	for _, opt := range opts {
		opt(&o)
	}
	s = s.WithDefaults()
	b := &Breaker{
		name:         name,
		set:          s,
		now:          o.now,
		onTransition: o.onTransition,
		window:       make([]mark, s.WindowSize),
		errForced:    &OpenError{Name: name, State: ForcedOpen},
		errProbes:    &OpenError{Name: name, State: HalfOpen, Probes: s.HalfOpenProbes},
	}
	b.word.Store(1<<stateBits | uint64(Closed)) // generation 1: the zero Permit is never valid
	return b, nil
}

// Name returns the breaker's name.
func (b *Breaker) Name() string { return b.name }

// Settings returns the effective settings (defaults applied).
func (b *Breaker) Settings() Settings { return b.set }

func (b *Breaker) load() (State, uint64) {
	w := b.word.Load()
	return State(w & stateMask), w >> stateBits
}

// Allow asks to make a call. On success the caller must make the call and
// report its outcome with Done exactly once. When the breaker is open,
// forced open, or half-open with all probe slots taken, Allow returns an
// [*OpenError] wrapping [ErrOpen]; the error must not be modified.
//
// In the closed state Allow is a single atomic load: no lock, no
// allocation.
func (b *Breaker) Allow() (Permit, error) {
	w := b.word.Load()
	if State(w&stateMask) == Closed {
		return Permit{gen: w >> stateBits}, nil
	}
	return b.allowSlow()
}

func (b *Breaker) allowSlow() (Permit, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	now := b.now()
	st, gen := b.advance(now)
	switch st {
	case Closed:
		return Permit{gen: gen}, nil
	case HalfOpen:
		if b.probes < b.set.HalfOpenProbes {
			b.probes++
			return Permit{gen: gen, probe: true}, nil
		}
		return Permit{}, b.errProbes
	case Open:
		return Permit{}, &OpenError{Name: b.name, State: Open, Remaining: b.remaining(now)}
	default:
		return Permit{}, b.errForced
	}
}

// mark is one outcome in the window: a set of flags.
type mark uint8

const (
	markFailed mark = 1 << iota
	markSlow
)

// Done reports the outcome of the call made under p, as DoneAfter does
// for a call that was not slow.
func (b *Breaker) Done(p Permit, o Outcome) { b.DoneAfter(p, o, 0) }

// DoneAfter reports the outcome of the call made under p and how long it
// took: longer than Settings.SlowCallThreshold (when set) counts as slow.
// Outcomes of permits from an earlier generation (issued before a
// transition, Trip or Reset) are ignored, as is the zero Permit. Outcome
// values other than Success and Failure are treated as Ignored.
func (b *Breaker) DoneAfter(p Permit, o Outcome, took time.Duration) {
	if o != Success && o != Failure {
		o = Ignored
	}
	if o == Ignored && !p.probe {
		return // closed-state permits hold nothing to release
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if _, gen := b.load(); p.gen != gen {
		return
	}
	if p.probe {
		// The generation matches, so the breaker is still in the
		// half-open episode that issued p.
		if b.probes == 0 {
			return // Done called twice for the same probe
		}
		b.probes--
		if o == Success && b.slow(took) {
			b.transition(b.now(), Open, ReasonProbeFailure,
				fmt.Sprintf("probe slow (%s > %s); cooling down %s", took, b.set.SlowCallThreshold, b.set.Cooldown))
			return
		}
		switch o {
		case Success:
			b.probeOK++
			if b.probeOK >= b.set.SuccessThreshold {
				b.transition(b.now(), Closed, ReasonProbeSuccess,
					fmt.Sprintf("%d/%d probes succeeded", b.probeOK, b.set.SuccessThreshold))
			}
		case Failure:
			b.transition(b.now(), Open, ReasonProbeFailure,
				"probe failed; cooling down "+b.set.Cooldown.String())
		}
		return
	}
	var m mark
	if o == Failure {
		m |= markFailed
	}
	if b.slow(took) {
		m |= markSlow
	}
	b.record(m)
	b.evaluate()
}

// slow reports whether a call that took took is slow.
func (b *Breaker) slow(took time.Duration) bool {
	return b.set.slowEnabled() && took > b.set.SlowCallThreshold
}

// record adds one closed-state outcome to the window.
func (b *Breaker) record(m mark) {
	if b.calls == len(b.window) {
		old := b.window[b.head]
		if old&markFailed != 0 {
			b.fails--
		}
		if old&markSlow != 0 {
			b.slows--
		}
	} else {
		b.calls++
	}
	b.window[b.head] = m
	if b.head++; b.head == len(b.window) {
		b.head = 0
	}
	if m&markSlow != 0 {
		b.slows++
	}
	if m&markFailed != 0 {
		b.fails++
		b.consec++
	} else {
		b.consec = 0
	}
}

// evaluate trips the breaker if a closed-state trip condition holds. The
// failure rate is checked first, then the slow-call rate.
func (b *Breaker) evaluate() {
	s := &b.set
	if s.rateEnabled() && b.calls >= s.MinCalls {
		if rate := float64(b.fails) / float64(b.calls); rate >= s.FailureRate {
			b.transition(b.now(), Open, ReasonFailureRate,
				fmt.Sprintf("%d/%d failed (%.0f%% >= %.0f%%)", b.fails, b.calls, rate*100, s.FailureRate*100))
			return
		}
	}
	if s.slowEnabled() && b.calls >= s.MinCalls {
		if rate := float64(b.slows) / float64(b.calls); rate >= s.SlowCallRate {
			b.transition(b.now(), Open, ReasonSlowCallRate,
				fmt.Sprintf("%d/%d slow calls, over %s (%.0f%% >= %.0f%%)", b.slows, b.calls, s.SlowCallThreshold, rate*100, s.SlowCallRate*100))
			return
		}
	}
	if s.consecutiveEnabled() && b.consec >= s.ConsecutiveFailures {
		b.transition(b.now(), Open, ReasonConsecutive,
			fmt.Sprintf("%d consecutive failures", b.consec))
	}
}

// advance applies the lazy open -> half-open transition and returns the
// current state and generation. b.mu must be held.
func (b *Breaker) advance(now time.Time) (State, uint64) {
	st, gen := b.load()
	if st == Open && !now.Before(b.openedAt.Add(b.set.Cooldown)) {
		b.transition(now, HalfOpen, ReasonCooldown, "cooldown "+b.set.Cooldown.String()+" elapsed")
		st, gen = b.load()
	}
	return st, gen
}

// remaining returns the cooldown left at now. b.mu must be held.
func (b *Breaker) remaining(now time.Time) time.Duration {
	return max(b.openedAt.Add(b.set.Cooldown).Sub(now), 0)
}

// transition moves to state to, starting a new generation, and notifies
// the observer. b.mu must be held.
func (b *Breaker) transition(now time.Time, to State, reason Reason, detail string) {
	from, gen := b.load()
	b.word.Store((gen+1)<<stateBits | uint64(to))
	b.probes, b.probeOK = 0, 0
	switch to {
	case Closed:
		b.clearWindow()
		b.openedAt = time.Time{}
	case Open, ForcedOpen:
		b.openedAt = now
	}
	b.transitions++
	b.last = Transition{Name: b.name, At: now, From: from, To: to, Reason: reason, Detail: detail}
	if b.onTransition != nil {
		b.onTransition(b.last)
	}
}

func (b *Breaker) clearWindow() {
	clear(b.window)
	b.head, b.calls, b.fails, b.slows, b.consec = 0, 0, 0, 0, 0
}

// Trip forces the breaker open (ForcedOpen). It stays forced open, whatever
// the cooldown, until Reset. Tripping a forced-open breaker does nothing.
func (b *Breaker) Trip() {
	b.mu.Lock()
	defer b.mu.Unlock()
	if st, _ := b.load(); st != ForcedOpen {
		b.transition(b.now(), ForcedOpen, ReasonManualTrip, "tripped manually")
	}
}

// Reset closes the breaker and clears its window. Outcomes of permits
// issued before Reset are ignored. Resetting a closed breaker clears the
// window without a transition.
func (b *Breaker) Reset() {
	b.mu.Lock()
	defer b.mu.Unlock()
	st, gen := b.load()
	if st != Closed {
		b.transition(b.now(), Closed, ReasonManualReset, "reset manually")
		return
	}
	b.clearWindow()
	b.word.Store((gen+1)<<stateBits | uint64(Closed))
}

// State returns the current state, first applying the open -> half-open
// transition if the cooldown has elapsed.
func (b *Breaker) State() State {
	if st, _ := b.load(); st != Open {
		return st
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	st, _ := b.advance(b.now())
	return st
}

// Stats returns a consistent snapshot of the breaker, first applying the
// open -> half-open transition if the cooldown has elapsed.
func (b *Breaker) Stats() Stats {
	b.mu.Lock()
	defer b.mu.Unlock()
	now := b.now()
	st, _ := b.advance(now)
	s := Stats{
		State:               st,
		WindowCalls:         b.calls,
		WindowFailures:      b.fails,
		WindowSlow:          b.slows,
		ConsecutiveFailures: b.consec,
		HalfOpenInFlight:    b.probes,
		HalfOpenSuccesses:   b.probeOK,
		OpenedAt:            b.openedAt,
		Transitions:         b.transitions,
		LastTransition:      b.last,
		HasTransition:       b.transitions > 0,
	}
	if b.calls > 0 {
		s.FailureRate = float64(b.fails) / float64(b.calls)
		s.SlowRate = float64(b.slows) / float64(b.calls)
	}
	if st == Open {
		s.CooldownRemaining = b.remaining(now)
	}
	return s
}
