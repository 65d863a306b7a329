package breaker

import (
	"errors"
	"fmt"
	"strconv"
	"time"
)

// State is the state of a [Breaker].
type State int32

// The breaker states.
const (
	// Closed lets every call through and records outcomes.
	Closed State = iota
	// Open rejects calls until the cooldown has elapsed.
	Open
	// HalfOpen lets a limited number of probe calls through.
	HalfOpen
	// ForcedOpen rejects every call until Reset (manual trip).
	ForcedOpen
)

var stateNames = [...]string{"closed", "open", "half-open", "forced-open"}

// String returns "closed", "open", "half-open" or "forced-open".
func (s State) String() string {
	if s >= 0 && int(s) < len(stateNames) {
		return stateNames[s]
	}
	return "State(" + strconv.Itoa(int(s)) + ")"
}

// MarshalText encodes the state as its name, so that JSON says
// "forced-open" rather than 3.
func (s State) MarshalText() ([]byte, error) {
	if s < 0 || int(s) >= len(stateNames) {
		return nil, fmt.Errorf("breaker: invalid state %d", int32(s))
	}
	return []byte(stateNames[s]), nil
}

// UnmarshalText decodes a state's name.
func (s *State) UnmarshalText(b []byte) error {
	for i, n := range stateNames {
		if n == string(b) {
			*s = State(i)
			return nil
		}
	}
	return fmt.Errorf("breaker: unknown state %q (want closed, open, half-open or forced-open)", b)
}

// Reason says why a transition happened.
type Reason string

// The transition reasons.
const (
	ReasonFailureRate  Reason = "failure-rate"         // closed -> open
	ReasonSlowCallRate Reason = "slow-call-rate"       // closed -> open
	ReasonConsecutive  Reason = "consecutive-failures" // closed -> open
	ReasonCooldown     Reason = "cooldown-elapsed"     // open -> half-open
	ReasonProbeSuccess Reason = "probe-succeeded"      // half-open -> closed
	ReasonProbeFailure Reason = "probe-failed"         // half-open -> open
	ReasonManualTrip   Reason = "manual-trip"          // any -> forced-open
	ReasonManualReset  Reason = "manual-reset"         // any -> closed
)

// Transition describes one state change of a breaker.
type Transition struct {
	Name     string    // breaker name
	At       time.Time // when the change was applied (by the breaker's clock)
	From, To State     // the states left and entered
	Reason   Reason    // why: threshold, cooldown, probe result or manual
	Detail   string    // human-readable, e.g. "6/10 failed (60% >= 50%)"
}

// String formats t as "name: from -> to (reason: detail)".
func (t Transition) String() string {
	return fmt.Sprintf("%s: %s -> %s (%s: %s)", t.Name, t.From, t.To, t.Reason, t.Detail)
}

// Outcome is the result of a call made under a [Permit].
type Outcome int8

// The outcomes reported to [Breaker.Done].
const (
	// Success counts as a success.
	Success Outcome = iota
	// Failure counts as a failure.
	Failure
	// Ignored releases the permit without counting: the caller canceled,
	// the result came from a cache, or the arguments were bad.
	Ignored
)

var outcomeNames = [...]string{"success", "failure", "ignored"}

// String returns "success", "failure" or "ignored".
func (o Outcome) String() string {
	if o >= 0 && int(o) < len(outcomeNames) {
		return outcomeNames[o]
	}
	return "Outcome(" + strconv.Itoa(int(o)) + ")"
}

// Permit is handed out by [Breaker.Allow] and returned with the call's
// outcome to [Breaker.Done]. It is a small value; the zero Permit is never
// valid, and Done ignores it.
type Permit struct {
	gen   uint64 // breaker generation the permit was issued in
	probe bool   // issued in half-open state; holds a probe slot
}

// Probe reports whether p is a half-open probe permit.
func (p Permit) Probe() bool { return p.probe }

// ErrOpen is returned (wrapped in an [*OpenError]) by [Breaker.Allow] when
// the breaker rejects a call. Test for it with errors.Is.
var ErrOpen = errors.New("circuit breaker is open")

// OpenError is the error returned by [Breaker.Allow] when a call is
// rejected. It unwraps to [ErrOpen]. Forced-open and half-open rejections
// share one preallocated value per breaker: treat it as read-only.
type OpenError struct {
	Name      string        // breaker name
	State     State         // Open, HalfOpen (probe limit reached) or ForcedOpen
	Remaining time.Duration // Open: cooldown remaining
	Probes    int           // HalfOpen: probes in flight (the limit)
}

// Error describes the rejection, e.g.
// `breaker "flaky": circuit breaker is open (cooldown 3.2s remaining)`.
func (e *OpenError) Error() string {
	var why string
	switch e.State {
	case ForcedOpen:
		why = "forced open until reset"
	case HalfOpen:
		why = fmt.Sprintf("half-open, %d probe(s) already in flight", e.Probes)
	default:
		r := e.Remaining
		if r > time.Millisecond {
			r = r.Round(time.Millisecond)
		}
		why = "cooldown " + r.String() + " remaining"
	}
	return fmt.Sprintf("breaker %q: %v (%s)", e.Name, ErrOpen, why)
}

// Unwrap returns [ErrOpen].
func (e *OpenError) Unwrap() error { return ErrOpen }

// Stats is a consistent snapshot of a breaker, taken under its lock.
type Stats struct {
	State State // the state now
	// WindowCalls and WindowFailures count the outcomes in the sliding
	// window. The window is cleared whenever the breaker closes and is
	// left as it was (showing what tripped it) while not closed.
	WindowCalls, WindowFailures int
	// FailureRate is WindowFailures/WindowCalls, 0 when the window is empty.
	FailureRate float64
	// WindowSlow counts the slow calls in the window (successes and
	// failures alike); SlowRate is WindowSlow/WindowCalls, 0 when the
	// window is empty. Both stay 0 without a slow-call rule.
	WindowSlow int
	SlowRate   float64
	// ConsecutiveFailures is the current run of closed-state failures.
	ConsecutiveFailures int
	// HalfOpenInFlight is the number of probe permits outstanding;
	// HalfOpenSuccesses the successful probes in this half-open episode.
	HalfOpenInFlight, HalfOpenSuccesses int
	// CooldownRemaining is the time until an Open breaker goes half-open;
	// zero in every other state.
	CooldownRemaining time.Duration
	// OpenedAt is when the breaker last entered Open or ForcedOpen; zero
	// while Closed.
	OpenedAt time.Time
	// Transitions counts every transition since New.
	Transitions uint64
	// LastTransition is valid when HasTransition is true.
	LastTransition Transition
	HasTransition  bool
}
