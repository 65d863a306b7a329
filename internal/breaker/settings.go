package breaker

import (
	"errors"
	"fmt"
	"math"
	"time"
)

// Defaults applied by [Settings.WithDefaults] to zero fields.
const (
	DefaultWindowSize          = 20
	DefaultMinCalls            = 10
	DefaultFailureRate         = 0.5
	DefaultConsecutiveFailures = 5
	DefaultCooldown            = 5 * time.Second
	DefaultHalfOpenProbes      = 1
	DefaultSuccessThreshold    = 2
	DefaultSlowCallRate        = 1.0 // once SlowCallThreshold is set
)

// MaxWindowSize bounds [Settings.WindowSize] so that a typo cannot make a
// breaker allocate an enormous window.
const MaxWindowSize = 10_000

// Disabled, assigned to [Settings.FailureRate] or
// [Settings.ConsecutiveFailures], switches that trip condition off. Any
// negative value has the same effect. (Zero cannot mean "off" because zero
// fields take their defaults.)
const Disabled = -1

// Settings configures a [Breaker]. Zero fields take the defaults listed on
// each field; see [Settings.WithDefaults].
type Settings struct {
	// WindowSize is the number of most recent closed-state outcomes the
	// failure rate is computed over (a count-based sliding window).
	// Default 20, at most MaxWindowSize.
	WindowSize int
	// MinCalls is the number of outcomes the window must hold before the
	// failure rate is evaluated. Default 10, or WindowSize if that is
	// smaller. Must not exceed WindowSize.
	MinCalls int
	// FailureRate in (0,1]: the breaker trips when the window's failure
	// rate is >= FailureRate. Default 0.5; negative (Disabled) turns
	// rate-based tripping off.
	FailureRate float64
	// ConsecutiveFailures trips the breaker after this many failures in a
	// row. Default 5; negative (Disabled) turns it off.
	ConsecutiveFailures int
	// Cooldown is how long the breaker stays open before it lets probes
	// through (half-open). Default 5s.
	Cooldown time.Duration
	// HalfOpenProbes is the maximum number of concurrent probe calls in
	// the half-open state. Default 1.
	HalfOpenProbes int
	// SuccessThreshold is the number of successful probes needed to close
	// the breaker again. Default 2.
	SuccessThreshold int
	// SlowCallThreshold is the duration past which a call counts as slow,
	// as resilience4j's slowCallDurationThreshold: a call that took longer
	// (succeeded or failed) is recorded as slow in the window, and a slow
	// half-open probe fails. Default 0: the slow-call rule is off.
	SlowCallThreshold time.Duration
	// SlowCallRate in (0,1]: the breaker trips when the window's rate of
	// slow calls is >= SlowCallRate (once it holds MinCalls outcomes), as
	// resilience4j's slowCallRateThreshold. Default 1 (100 %, as
	// resilience4j's) when SlowCallThreshold is set; it must not be set
	// without SlowCallThreshold.
	SlowCallRate float64
}

// WithDefaults returns s with every zero field replaced by its default.
func (s Settings) WithDefaults() Settings {
	if s.WindowSize == 0 {
		s.WindowSize = DefaultWindowSize
	}
	if s.MinCalls == 0 {
		s.MinCalls = min(DefaultMinCalls, max(s.WindowSize, 1))
	}
	if s.FailureRate == 0 {
		s.FailureRate = DefaultFailureRate
	}
	if s.ConsecutiveFailures == 0 {
		s.ConsecutiveFailures = DefaultConsecutiveFailures
	}
	if s.Cooldown == 0 {
		s.Cooldown = DefaultCooldown
	}
	if s.HalfOpenProbes == 0 {
		s.HalfOpenProbes = DefaultHalfOpenProbes
	}
	if s.SuccessThreshold == 0 {
		s.SuccessThreshold = DefaultSuccessThreshold
	}
	if s.SlowCallThreshold > 0 && s.SlowCallRate == 0 {
		s.SlowCallRate = DefaultSlowCallRate
	}
	return s
}

// rateEnabled reports whether rate-based tripping is on (s has defaults).
func (s Settings) rateEnabled() bool { return s.FailureRate > 0 }

// slowEnabled reports whether slow-call tripping is on.
func (s Settings) slowEnabled() bool { return s.SlowCallThreshold > 0 }

// consecutiveEnabled reports whether consecutive-failure tripping is on.
func (s Settings) consecutiveEnabled() bool { return s.ConsecutiveFailures > 0 }

// Validate reports every problem with s, each naming the field, for example
// "breaker settings: FailureRate 1.5 not in (0,1]". Zero fields are valid:
// they take their defaults.
func (s Settings) Validate() error {
	var errs []error
	bad := func(format string, args ...any) {
		errs = append(errs, fmt.Errorf("breaker settings: "+format, args...))
	}
	d := s.WithDefaults()
	if s.WindowSize < 0 || s.WindowSize > MaxWindowSize {
		bad("WindowSize %d not in [1,%d]", s.WindowSize, MaxWindowSize)
	}
	if s.MinCalls < 0 {
		bad("MinCalls %d is negative", s.MinCalls)
	} else if (d.rateEnabled() || d.slowEnabled()) && s.WindowSize >= 0 && d.MinCalls > d.WindowSize {
		bad("MinCalls %d exceeds WindowSize %d, so the failure rate would never be evaluated", d.MinCalls, d.WindowSize)
	}
	if math.IsNaN(s.FailureRate) || s.FailureRate > 1 {
		bad("FailureRate %v not in (0,1]", s.FailureRate)
	}
	if s.Cooldown < 0 {
		bad("Cooldown %v is negative", s.Cooldown)
	}
	if s.HalfOpenProbes < 0 {
		bad("HalfOpenProbes %d is negative", s.HalfOpenProbes)
	}
	if s.SuccessThreshold < 0 {
		bad("SuccessThreshold %d is negative", s.SuccessThreshold)
	}
	if s.SlowCallThreshold < 0 {
		bad("SlowCallThreshold %v is negative", s.SlowCallThreshold)
	}
	if math.IsNaN(s.SlowCallRate) || s.SlowCallRate < 0 || s.SlowCallRate > 1 {
		bad("SlowCallRate %v not in (0,1]", s.SlowCallRate)
	} else if s.SlowCallRate > 0 && s.SlowCallThreshold == 0 {
		bad("SlowCallRate %v is set without SlowCallThreshold, so no call would count as slow", s.SlowCallRate)
	}
	if !d.rateEnabled() && !d.consecutiveEnabled() && !d.slowEnabled() {
		bad("FailureRate and ConsecutiveFailures are both disabled and there is no slow-call rule, so the breaker could never trip")
	}
	return errors.Join(errs...)
}
