package train

import (
	"context"
	"math"
	"path/filepath"
	"reflect"
	"slices"
	"sync/atomic"
	"testing"
	"time"
)

// longConfig is a run long enough to be controlled while it runs: tiny data,
// a million epochs.
func longConfig() Config {
	cfg := testConfig()
	cfg.Synthetic.Samples, cfg.BatchSize, cfg.Epochs = 20, 4, 1_000_000
	return cfg
}

// waitEpoch waits for an update reporting at least epoch e.
func waitEpoch(t *testing.T, r *Run, e int) Event {
	t.Helper()
	for {
		select {
		case <-r.Updates():
			if ev, ok := r.Latest(); ok && ev.Epoch >= e {
				return ev
			}
		case <-r.Done():
			t.Fatal("run ended while waiting for an epoch")
		case <-time.After(10 * time.Second):
			t.Fatalf("no epoch %d within 10 s", e)
		}
	}
}

func TestStartPauseResumeStop(t *testing.T) {
	path := filepath.Join(t.TempDir(), "model.json")
	cfg := longConfig()
	cfg.Checkpoint = path
	r, err := Start(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	ev := waitEpoch(t, r, 10)
	if ev.Epochs != cfg.Epochs || len(ev.Weights) != 1 || math.IsNaN(ev.TrainLoss) || ev.OptimalLoss > ev.TrainLoss ||
		ev.SamplesPerSec <= 0 || ev.LR <= 0 || ev.LR > cfg.LR {
		t.Fatalf("event %+v", ev)
	}
	ev.Weights[0] = math.NaN() // Latest hands out copies
	if again, _ := r.Latest(); math.IsNaN(again.Weights[0]) {
		t.Fatal("Latest shares its weights with the caller")
	}

	r.Pause()
	if !r.Paused() {
		t.Fatal("Paused() = false after Pause")
	}
	// At most the epoch in progress completes after Pause.
	paused, _ := r.Latest()
	time.Sleep(30 * time.Millisecond)
	if now, _ := r.Latest(); now.Epoch > paused.Epoch+1 {
		t.Fatalf("epochs advanced from %d to %d while paused", paused.Epoch, now.Epoch)
	}
	held, _ := r.Latest()
	time.Sleep(30 * time.Millisecond)
	if now, _ := r.Latest(); now.Epoch != held.Epoch {
		t.Fatalf("epochs advanced from %d to %d while paused", held.Epoch, now.Epoch)
	}

	r.Resume()
	if r.Paused() {
		t.Fatal("Paused() = true after Resume")
	}
	waitEpoch(t, r, held.Epoch+5)

	r.Stop()
	<-r.Done()
	res, err := r.Result()
	if err != nil || res.StopReason != StopCanceled || res.Epochs < held.Epoch+5 || res.Checkpoint != path {
		t.Fatalf("Result() = %+v, %v; want canceled with a checkpoint", res, err)
	}
	if last, _ := r.Latest(); last.Epoch != res.Epochs {
		t.Fatalf("last event at epoch %d, result at %d", last.Epoch, res.Epochs)
	}
	if h := r.History(nil, false); h[len(h)-1].End() != res.Epochs {
		t.Fatalf("history ends at %d, want %d", h[len(h)-1].End(), res.Epochs)
	}
	if h := r.History(nil, true); h[len(h)-1].End() != res.Epochs {
		t.Fatalf("validation history ends at %d, want %d", h[len(h)-1].End(), res.Epochs)
	}
}

// TestStopWhilePaused: a paused run still stops promptly.
func TestStopWhilePaused(t *testing.T) {
	r, err := Start(t.Context(), longConfig())
	if err != nil {
		t.Fatal(err)
	}
	r.Pause()
	r.Stop()
	res, err := r.Result()
	if err != nil || res.StopReason != StopCanceled {
		t.Fatalf("Result() = %+v, %v", res, err)
	}
}

// TestParentContextCancels: canceling Start's context ends the run.
func TestParentContextCancels(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	r, err := Start(ctx, longConfig())
	if err != nil {
		t.Fatal(err)
	}
	waitEpoch(t, r, 1)
	cancel()
	if res, err := r.Result(); err != nil || res.StopReason != StopCanceled {
		t.Fatalf("Result() = %+v, %v", res, err)
	}
}

// TestSlowConsumer never reads Updates: the run is not held back, and the
// reader finds the final state when it looks.
func TestSlowConsumer(t *testing.T) {
	cfg := longConfig()
	cfg.Epochs = 20_000
	r, err := Start(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	res, err := r.Result()
	if err != nil || res.StopReason != StopCompleted || res.Epochs != cfg.Epochs {
		t.Fatalf("Result() = %+v, %v", res, err)
	}
	ev, ok := r.Latest()
	if !ok || ev.Epoch != cfg.Epochs || res.Loss > ev.TrainLoss {
		t.Fatalf("Latest() = %+v, %v; want the final epoch", ev, ok)
	}
	// The signal was coalesced into the 1-buffered channel.
	if n := len(r.Updates()); n != 1 {
		t.Fatalf("%d pending updates, want 1", n)
	}
}

// TestStartMatchesTrain: the background run computes what Train does.
func TestStartMatchesTrain(t *testing.T) {
	cfg := testConfig()
	cfg.Epochs = 15
	want := mustTrain(t, cfg, nil)
	r, err := Start(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	got, err := r.Result()
	if err != nil {
		t.Fatal(err)
	}
	sameRun(t, got, want)
	if !reflect.DeepEqual(r.Config(), cfg) {
		t.Fatal("Config() differs from the config given to Start")
	}
}

func TestStartInvalid(t *testing.T) {
	cfg := testConfig()
	cfg.Epochs = 0
	if r, err := Start(t.Context(), cfg); err == nil || r != nil {
		t.Fatalf("Start accepted an invalid config")
	}
}

// TestStartDiverges: divergence surfaces through Result.
func TestStartDiverges(t *testing.T) {
	cfg := testConfig()
	cfg.LR = 3
	r, err := Start(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if res, err := r.Result(); err == nil || res.StopReason != StopDiverged {
		t.Fatalf("Result() = %+v, %v; want divergence", res, err)
	}
}

// A run names its features and target as soon as Start returns, in the
// order of its events' weights.
func TestRunFeatures(t *testing.T) {
	cfg := testConfig()
	cfg.Dataset, cfg.Features, cfg.Epochs = housing, []string{"age_years", "sqft"}, 2
	r, err := Start(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if got := r.Features(); !slices.Equal(got, []string{"age_years", "sqft"}) || r.Target() != "price_k" {
		t.Errorf("Features() = %q, Target() = %q", got, r.Target())
	}
	<-r.Done()
	res, _ := r.Result()
	if !slices.Equal(r.Features(), res.Features) {
		t.Errorf("Features() %q, Result.Features %q", r.Features(), res.Features)
	}
}

// waitUntil fails t unless cond holds within 10 s.
func waitUntil(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not reached within 10 s")
		}
		time.Sleep(time.Millisecond)
	}
}

// A pause requested during an epoch is pending (paused, not waiting) until
// the epoch ends; then the loop waits, says so once through onWait, and
// runs no epoch until resumed.
func TestPauseRequestedThenWaiting(t *testing.T) {
	tr, err := newTrainer(t.Context(), longConfig())
	if err != nil {
		t.Fatal(err)
	}
	waited := make(chan struct{}, 10)
	p := &pauser{onWait: func() { waited <- struct{}{} }}
	var last atomic.Int64
	onEpoch := func(ev Event) {
		last.Store(int64(ev.Epoch))
		if ev.Epoch == 3 {
			// Still inside epoch 3 (its event is being published): the
			// pause is requested but cannot have taken effect.
			p.set(true)
			if !p.paused() || p.isWaiting() {
				t.Errorf("during epoch 3 after a pause: paused %v, waiting %v; want true, false", p.paused(), p.isWaiting())
			}
		}
	}
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	type outcome struct {
		res *Result
		err error
	}
	out := make(chan outcome, 1)
	go func() {
		res, err := tr.run(ctx, onEpoch, p)
		out <- outcome{res, err}
	}()

	select {
	case <-waited:
	case <-time.After(10 * time.Second):
		t.Fatal("the pause did not take effect within 10 s")
	}
	if !p.isWaiting() || !p.paused() {
		t.Fatalf("after onWait: waiting %v, paused %v; want both", p.isWaiting(), p.paused())
	}
	if e := last.Load(); e != 3 {
		t.Fatalf("waiting after epoch %d, want 3", e)
	}
	p.set(false)
	if p.isWaiting() || p.paused() {
		t.Fatalf("after resume: waiting %v, paused %v; want neither", p.isWaiting(), p.paused())
	}
	waitUntil(t, func() bool { return last.Load() > 3 })
	cancel()
	o := <-out
	if o.err != nil || o.res.StopReason != StopCanceled || o.res.Epochs <= 3 {
		t.Fatalf("run = %+v, %v; want canceled after epoch 3", o.res, o.err)
	}
	if len(waited) != 0 {
		t.Errorf("onWait called %d more times", len(waited))
	}
}

// Resume before the loop reaches the pause cancels it: the loop never
// waits.
func TestResumeCancelsPendingPause(t *testing.T) {
	called := false
	p := &pauser{onWait: func() { called = true }}
	p.set(true)
	if !p.paused() || p.isWaiting() {
		t.Fatalf("requested: paused %v, waiting %v; want true, false", p.paused(), p.isWaiting())
	}
	p.set(false)
	p.wait(t.Context()) // returns at once
	if called || p.isWaiting() || p.paused() {
		t.Fatalf("onWait called %v, waiting %v, paused %v; want none", called, p.isWaiting(), p.paused())
	}
}

// Canceling the context releases a waiting loop, which then no longer
// reports waiting.
func TestWaitEndsOnCancel(t *testing.T) {
	waited := make(chan struct{}, 1)
	p := &pauser{onWait: func() { waited <- struct{}{} }}
	p.set(true)
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() {
		defer close(done)
		p.wait(ctx)
	}()
	<-waited
	if !p.isWaiting() {
		t.Fatal("not waiting after onWait")
	}
	cancel()
	<-done
	if p.isWaiting() || !p.paused() {
		t.Fatalf("after cancel: waiting %v, paused %v; want false, true", p.isWaiting(), p.paused())
	}
}

// Through Run: Pause is reported at once, Waiting once the loop holds, and
// an update is sent then; Resume clears both.
func TestRunReportsWaiting(t *testing.T) {
	r, err := Start(t.Context(), longConfig())
	if err != nil {
		t.Fatal(err)
	}
	defer func() { r.Stop(); <-r.Done() }()
	waitEpoch(t, r, 1)
	r.Pause()
	if !r.Paused() {
		t.Fatal("Paused() = false after Pause")
	}
	// The pause taking effect is signalled: checking only on updates,
	// Waiting is seen to turn true.
	deadline := time.After(10 * time.Second)
	for waiting := false; !waiting; {
		select {
		case <-r.Updates():
			waiting = r.Waiting()
		case <-r.Done():
			t.Fatal("run ended while pausing")
		case <-deadline:
			t.Fatal("no update reported the pause taking effect within 10 s")
		}
	}
	held, _ := r.Latest()
	if !r.Paused() || !r.Waiting() {
		t.Fatalf("paused %v, waiting %v; want both", r.Paused(), r.Waiting())
	}
	if now, _ := r.Latest(); now.Epoch != held.Epoch {
		t.Fatalf("epoch advanced from %d to %d while waiting", held.Epoch, now.Epoch)
	}
	r.Resume()
	if r.Paused() || r.Waiting() {
		t.Fatalf("after Resume: paused %v, waiting %v; want neither", r.Paused(), r.Waiting())
	}
	waitEpoch(t, r, held.Epoch+1)
}
