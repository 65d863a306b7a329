package breaker_test

import (
	"errors"
	"math/rand/v2"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/agentdash/agentdash/internal/breaker"
)

// TestConcurrentInvariants hammers Allow/Done from many goroutines while a
// controller trips and resets, and checks under -race that
//   - HalfOpenInFlight never exceeds the probe limit (and is 0 outside
//     half-open),
//   - transitions are reported in order (each From is the previous To),
//   - forced-open is left only by Reset, and holds while tripped.
func TestConcurrentInvariants(t *testing.T) {
	const (
		workers = 8
		calls   = 3000
		probes  = 2
	)
	// Each call advances a shared fake clock by 1ms so that cooldowns
	// (20ms) elapse many times during the run.
	var nanos atomic.Int64
	now := func() time.Time { return epoch.Add(time.Duration(nanos.Load())) }

	var (
		resetting atomic.Bool // set by the controller around Reset
		errs      = make(chan error, 100)
		lastTo    = breaker.Closed // guarded by the breaker's lock (callback runs under it)
		count     atomic.Int64
		byReason  sync.Map // Reason -> *atomic.Int64
	)
	report := func(err error) {
		select {
		case errs <- err:
		default:
		}
	}
	wanted := []breaker.Reason{breaker.ReasonManualTrip, breaker.ReasonManualReset,
		breaker.ReasonCooldown, breaker.ReasonProbeFailure, breaker.ReasonProbeSuccess}
	seenAll := func() bool {
		for _, r := range wanted {
			if _, ok := byReason.Load(r); !ok {
				return false
			}
		}
		return true
	}
	b, err := breaker.New("hammer", breaker.Settings{
		WindowSize: 10, MinCalls: 5, FailureRate: 0.5, ConsecutiveFailures: 3,
		Cooldown: 20 * time.Millisecond, HalfOpenProbes: probes, SuccessThreshold: 2,
	}, breaker.WithClock(now), breaker.WithOnTransition(func(tr breaker.Transition) {
		count.Add(1)
		n, _ := byReason.LoadOrStore(tr.Reason, new(atomic.Int64))
		n.(*atomic.Int64).Add(1)
		if tr.From != lastTo {
			report(errors.New("transition " + tr.String() + " does not start where the previous ended: " + lastTo.String()))
		}
		lastTo = tr.To
		if tr.From == breaker.ForcedOpen && (tr.Reason != breaker.ReasonManualReset || !resetting.Load()) {
			report(errors.New("left forced-open without Reset: " + tr.String()))
		}
		if tr.To == breaker.ForcedOpen && tr.Reason != breaker.ReasonManualTrip {
			report(errors.New("entered forced-open without Trip: " + tr.String()))
		}
	}))
	if err != nil {
		t.Fatal(err)
	}

	var wg sync.WaitGroup
	stop := make(chan struct{})
	for w := range workers {
		wg.Go(func() {
			r := rand.New(rand.NewPCG(uint64(w), 1))
			// Past the quota, go on (up to a bound) until every kind of
			// transition the test checks for has happened: on a loaded
			// machine the controller can be descheduled between Trip and
			// Reset while the workers are refused their whole quota.
			for i := 0; i < calls || !seenAll() && i < 100*calls; i++ {
				nanos.Add(int64(time.Millisecond))
				p, err := b.Allow()
				if err != nil {
					if !errors.Is(err, breaker.ErrOpen) {
						report(err)
					}
					continue
				}
				var o breaker.Outcome
				switch x := r.IntN(10); {
				case x < 4:
					o = breaker.Failure
				case x < 5:
					o = breaker.Ignored
				default:
					o = breaker.Success
				}
				if r.IntN(4) == 0 {
					runtime.Gosched() // let other calls overlap this one
				}
				b.Done(p, o)
			}
		})
	}
	// Sampler: stats invariants.
	var sampler sync.WaitGroup
	sampler.Go(func() {
		for {
			select {
			case <-stop:
				return
			default:
			}
			s := b.Stats()
			if s.HalfOpenInFlight > probes || s.HalfOpenInFlight < 0 {
				report(errors.New("half-open in flight out of range: " + s.State.String()))
			}
			if s.State != breaker.HalfOpen && (s.HalfOpenInFlight != 0 || s.HalfOpenSuccesses != 0) {
				report(errors.New("probe accounting outside half-open in state " + s.State.String()))
			}
			if s.State != breaker.Open && s.CooldownRemaining != 0 {
				report(errors.New("cooldown remaining in state " + s.State.String()))
			}
		}
	})
	// Controller: trip, verify the trip holds under load, reset.
	sampler.Go(func() {
		for {
			select {
			case <-stop:
				return
			default:
			}
			b.Trip()
			for range 50 {
				if st := b.State(); st != breaker.ForcedOpen {
					report(errors.New("tripped breaker is " + st.String()))
				}
				if _, err := b.Allow(); err == nil {
					report(errors.New("tripped breaker allowed a call"))
				}
			}
			resetting.Store(true)
			b.Reset()
			resetting.Store(false)
			time.Sleep(time.Millisecond)
		}
	})
	wg.Wait()
	close(stop)
	sampler.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if count.Load() == 0 {
		t.Fatal("no transitions happened")
	}
	byReason.Range(func(r, n any) bool {
		t.Logf("%s: %d", r, n.(*atomic.Int64).Load())
		return true
	})
	for _, r := range wanted {
		if _, ok := byReason.Load(r); !ok {
			t.Errorf("no %s transition during the run", r)
		}
	}
}
