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
// training is given by Result. See [Train] for the stop semantics.
func Start(ctx context.Context, cfg Config) (*Run, error) {
	t, err := newTrainer(ctx, cfg)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(ctx)
	r := &Run{
		t:       t,
		cancel:  cancel,
		updates: make(chan struct{}, 1),
		done:    make(chan struct{}),
	}
	go func() {
		defer close(r.done)
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
// (an epoch finished, the run paused, resumed or ended) since the last
// receive. It is never closed; select on Done as well.
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
// The epoch in progress finishes first.
func (r *Run) Pause() {
	if r.pause.set(true) {
		r.signal()
	}
}

// Resume continues a paused run.
func (r *Run) Resume() {
	if r.pause.set(false) {
		r.signal()
	}
}

// Paused reports whether the run is paused.
func (r *Run) Paused() bool { return r.pause.paused() }

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
	mu sync.Mutex
	ch chan struct{} // non-nil while paused; closed on resume
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

// wait returns when not paused or ctx is done.
func (p *pauser) wait(ctx context.Context) {
	p.mu.Lock()
	ch := p.ch
	p.mu.Unlock()
	if ch != nil {
		select {
		case <-ch:
		case <-ctx.Done():
		}
	}
}
