package train

import (
	"context"
	"slices"
	"sync"

	"github.com/agentdash/agentdash/internal/series"
)

// Run is a training run in the background, started by [Start]. Its methods
// are safe for concurrent use.
//
// The loop never waits for a consumer: after each epoch it stores the
// event under a short lock and does a non-blocking send on the 1-buffered
// Updates channel. A slow consumer therefore sees coalesced events: on
// each signal it reads Latest, the newest state, and the epochs in between
// are in History.
type Run struct {
	t       *trainer
	cancel  context.CancelFunc
	updates chan struct{}
	done    chan struct{}
	pause   pauser

	mu     sync.Mutex
	latest Event // Weights owned by Run, overwritten in place
	has    bool

	res *Result // set before done is closed
	err error
}

// Start validates cfg, loads the data and starts training in a new
// goroutine, which stops when training ends, ctx is canceled or Stop is
// called. Configuration and data errors are returned here; the outcome of
// training is given by Result. See [Train] for the stop semantics and the
// checkpoint's lock, held until the run is done.
func Start(ctx context.Context, cfg Config, opts ...Option) (*Run, error) {
	unlock, err := lockRun(cfg)
	if err != nil {
		return nil, err
	}
	t, err := newTrainer(ctx, cfg, opts...)
	if err != nil {
		unlock()
		return nil, err
	}
	ctx, cancel := context.WithCancel(ctx)
	r := &Run{
		t:       t,
		cancel:  cancel,
		updates: make(chan struct{}, 1),
		done:    make(chan struct{}),
	}
	r.pause.onWait = r.signal
	go func() {
		defer close(r.done)
		defer unlock() // before done: the run's lock is free when it is done
		defer cancel()
		r.res, r.err = t.run(ctx, r.publish, &r.pause)
		r.signal()
	}()
	return r, nil
}

// publish stores ev as the latest event and signals Updates without
// blocking.
func (r *Run) publish(ev Event) {
	r.mu.Lock()
	w := append(r.latest.Weights[:0], ev.Weights...)
	r.latest = ev
	r.latest.Weights = w
	r.has = true
	r.mu.Unlock()
	r.signal()
}

func (r *Run) signal() {
	select {
	case r.updates <- struct{}{}:
	default:
	}
}

// Updates returns a channel that receives a value when something changed
// (an epoch finished, a pause was requested or took effect, the run
// resumed or ended) since the last receive. It is never closed; select on
// Done as well.
func (r *Run) Updates() <-chan struct{} { return r.updates }

// Latest returns the event of the most recent epoch, or false before the
// first epoch completes. The event is the caller's to keep.
func (r *Run) Latest() (Event, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	ev := r.latest
	ev.Weights = slices.Clone(ev.Weights)
	return ev, r.has
}

// History appends the buckets of the training loss history (or the
// validation loss history if val) to dst and returns it.
func (r *Run) History(dst []series.Bucket, val bool) []series.Bucket {
	r.t.mu.Lock()
	defer r.t.mu.Unlock()
	if val {
		return r.t.vhist.AppendBuckets(dst)
	}
	return r.t.hist.AppendBuckets(dst)
}

// Features returns the names of the run's features, in the order of the
// weights of its events (the data is loaded by the time Start returns).
func (r *Run) Features() []string { return slices.Clone(r.t.features) }

// Target returns the name of the run's target column.
func (r *Run) Target() string { return r.t.target }

// Config returns the run's configuration.
func (r *Run) Config() Config { return r.t.cfg }

// Pause makes the run wait before its next epoch until Resume or Stop.
// The epoch in progress finishes first: Paused reports the request at once,
// Waiting once the pause has taken effect, which Updates signals.
func (r *Run) Pause() {
	if r.pause.set(true) {
		r.signal()
	}
}

// Resume continues a paused run. Called before the pause took effect, it
// cancels the pause: the run goes on without stopping between epochs.
func (r *Run) Resume() {
	if r.pause.set(false) {
		r.signal()
	}
}

// Paused reports whether a pause is requested: Pause was called and Resume
// was not since. The epoch in progress may still be running; see Waiting.
func (r *Run) Paused() bool { return r.pause.paused() }

// Waiting reports whether the pause has taken effect: the run is paused and
// holding between epochs, training nothing until Resume or Stop. It turns
// true some time after Pause, when the epoch in progress has finished (a
// value is sent on Updates then), and false as Resume returns (or once Stop
// has released the loop). Waiting implies Paused; a run that ends, or
// finishes its last epoch, while a pause is pending never waits.
func (r *Run) Waiting() bool { return r.pause.isWaiting() }

// Stop cancels the run; it ends as if its context were canceled (see
// [Train]). Stop does not wait: use Done or Result.
func (r *Run) Stop() { r.cancel() }

// Done returns a channel closed when the run has ended and its checkpoint,
// if any, is written.
func (r *Run) Done() <-chan struct{} { return r.done }

// Result waits for the run to end and returns what [Train] would have.
func (r *Run) Result() (*Result, error) {
	<-r.done
	return r.res, r.err
}

// pauser blocks the training loop between epochs while paused.
type pauser struct {
	// onWait, if set, is called (without the lock) each time the loop
	// starts waiting. It is set before the loop starts.
	onWait func()

	mu      sync.Mutex
	ch      chan struct{} // non-nil while paused; closed on resume
	waiting bool          // the loop is blocked in wait on ch
}

// set pauses or resumes and reports whether that changed anything.
func (p *pauser) set(pause bool) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	switch {
	case pause && p.ch == nil:
		p.ch = make(chan struct{})
	case !pause && p.ch != nil:
		close(p.ch)
		p.ch = nil
		p.waiting = false // the loop is released, whenever it wakes up
	default:
		return false
	}
	return true
}

func (p *pauser) paused() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.ch != nil
}

// isWaiting reports whether the loop is blocked in wait.
func (p *pauser) isWaiting() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.waiting
}

// wait returns when not paused or ctx is done. A pause requested again
// between a resume and the loop waking up holds the loop at once.
func (p *pauser) wait(ctx context.Context) {
	for ctx.Err() == nil {
		p.mu.Lock()
		ch := p.ch
		p.waiting = ch != nil
		p.mu.Unlock()
		if ch == nil {
			return
		}
		if p.onWait != nil {
			p.onWait()
		}
		select {
		case <-ch:
		case <-ctx.Done():
		}
		p.mu.Lock()
		p.waiting = false
		p.mu.Unlock()
	}
}
