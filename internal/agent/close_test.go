package agent

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestCloseRefusesQueuedCalls fills every slot with abilities that run
// until Close cancels them, queues more calls behind them, and closes the
// agent: the slots the canceled abilities free must not let a queued call
// run. Each round is a fresh agent; the race is narrow, so it is tried
// many times, for each way an execution takes a slot.
func TestCloseRefusesQueuedCalls(t *testing.T) {
	const (
		limit  = 4
		queued = 40
	)
	rounds := 25
	if testing.Short() {
		rounds = 5
	}
	kinds := []struct {
		name            string
		cached, isolate bool
	}{
		{"inline", false, false},
		{"isolated", false, true},
		{"cached inline", true, false},
		{"cached isolated", true, true},
	}
	for _, k := range kinds {
		t.Run(k.name, func(t *testing.T) {
			for round := range rounds {
				if late, wrong := closeWithQueue(t, k.cached, k.isolate, limit, queued); late > 0 || wrong != "" {
					t.Fatalf("round %d: %d of %d queued calls started their ability after Close began; %s",
						round, late, queued, wrong)
				}
			}
		})
	}
}

// closeWithQueue runs one round of TestCloseRefusesQueuedCalls: it returns
// how many abilities started after Close began and a description of the
// first queued call that did not end with ErrClosed ("" if none).
func closeWithQueue(t *testing.T, cached, isolate bool, limit, queued int) (late int, wrong string) {
	t.Helper()
	a, err := New(Options{MaxConcurrent: limit, MaxWait: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	var (
		closing atomic.Bool
		lateN   atomic.Int64
		running sync.WaitGroup
	)
	running.Add(limit)
	ab := Ability{Name: "block", Schema: textSchema(), Isolate: isolate, Func: func(ctx context.Context, _ map[string]any) (any, error) {
		if closing.Load() {
			lateN.Add(1)
			return "ran", nil
		}
		running.Done()
		<-ctx.Done()
		return nil, ctx.Err()
	}}
	if cached {
		ab.CacheTTL = time.Minute
	}
	mustRegister(t, a, ab)
	call := func(i int) (Result, error) {
		return a.Call(context.Background(), "block", map[string]any{"text": fmt.Sprint(i)})
	}

	var holders sync.WaitGroup
	for i := range limit {
		holders.Add(1)
		go func() {
			defer holders.Done()
			_, _ = call(i)
		}()
	}
	running.Wait()
	type outcome struct {
		res Result
		err error
	}
	results := make(chan outcome, queued)
	for i := range queued {
		go func() {
			res, err := call(limit + i)
			results <- outcome{res, err}
		}()
	}
	waitFor(t, "the queued calls to wait for a slot", func() bool { return a.Snapshot().Waiting == queued })

	closing.Store(true)
	a.Close()
	holders.Wait()
	for range queued {
		o := <-results
		if wrong == "" && !errors.Is(o.err, ErrClosed) {
			wrong = fmt.Sprintf("a queued call returned %v (outcome %v), want ErrClosed", o.err, o.res.Outcome)
		}
	}
	return int(lateN.Load()), wrong
}
