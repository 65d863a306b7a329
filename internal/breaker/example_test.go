package breaker_test

import (
	"errors"
	"fmt"
	"time"

	"github.com/agentdash/agentdash/internal/breaker"
)

func Example() {
	now := time.Date(2025, 1, 1, 12, 0, 0, 0, time.UTC)
	b, err := breaker.New("flaky", breaker.Settings{
		WindowSize: 4, MinCalls: 4, FailureRate: 0.5, ConsecutiveFailures: breaker.Disabled,
		Cooldown: 5 * time.Second, SuccessThreshold: 1,
	},
		breaker.WithClock(func() time.Time { return now }),
		breaker.WithOnTransition(func(t breaker.Transition) { fmt.Println(t) }),
	)
	if err != nil {
		fmt.Println(err)
		return
	}
	call := func(fail bool) {
		p, err := b.Allow()
		if err != nil {
			fmt.Println(err, errors.Is(err, breaker.ErrOpen))
			return
		}
		if fail {
			b.Done(p, breaker.Failure)
		} else {
			b.Done(p, breaker.Success)
		}
	}
	for _, fail := range []bool{false, true, false, true} {
		call(fail)
	}
	call(false) // rejected
	now = now.Add(2 * time.Second)
	fmt.Println("cooldown remaining:", b.Stats().CooldownRemaining)
	now = now.Add(3 * time.Second)
	call(false) // a successful probe closes the breaker

	b.Trip()
	now = now.Add(time.Hour)
	fmt.Println(b.State(), "an hour later")
	b.Reset()
	// Output:
	// flaky: closed -> open (failure-rate: 2/4 failed (50% >= 50%))
	// breaker "flaky": circuit breaker is open (cooldown 5s remaining) true
	// cooldown remaining: 3s
	// flaky: open -> half-open (cooldown-elapsed: cooldown 5s elapsed)
	// flaky: half-open -> closed (probe-succeeded: 1/1 probes succeeded)
	// flaky: closed -> forced-open (manual-trip: tripped manually)
	// forced-open an hour later
	// flaky: forced-open -> closed (manual-reset: reset manually)
}
