package agent

import (
	"slices"
	"sync"
	"time"
)

// Storing a result in an ability's cache is the largest single cost of a
// cache miss: an otter insertion into a full cache (a node, the hash map,
// the write buffer, and the eviction it causes) is about as long as the
// rest of the pipeline together. With the real clock the agent therefore
// stores results behind the call, as ristretto buffers its writes: the
// flight that produced a result stays in the in-flight table, landed, and
// a writer goroutine moves it into the cache a moment later (at most
// writeDelay after the first pending result) and then takes it out of the
// table. A call that finds a landed flight gets its value as a cache hit,
// so an identical call that follows a miss never runs the ability again,
// and duplicate suppression is unchanged.
//
// The writer exists only when the process can run Go code on more than
// one core (GOMAXPROCS > 1): its point is to take the insertion off the
// caller's path onto an idle core, and with a single one it would only
// add a handoff (and, since the timer's goroutine then waits for the
// scheduler's next preemption, large batches that overflow the queue).
//
// The delay only shifts when an entry's TTL starts, by about a millisecond,
// which is below the precision of the coarse cache clock (10 ms). With a
// custom Options.Now results are stored synchronously, so that expiry is
// exact. The pending results are bounded (maxPending): when the writer
// falls behind, a landing call stores its result itself.
//
// The writer is one goroutine, started by the first pending result and
// stopped by Close. It wakes every writeDelay and stores what is pending,
// so that it keeps running on the core it is on: a goroutine woken by the
// caller (a channel send, or a timer armed by the caller) is queued on the
// caller's own core, where it would wait for the caller instead of taking
// the work off it. After idleRounds wake-ups with nothing to store it
// parks until the next result, so an idle agent costs nothing.
type writer struct {
	a     *Agent
	delay time.Duration
	max   int

	mu      sync.Mutex
	pending []*flight
	spare   []*flight // the previous batch's backing array
	started bool      // the goroutine runs
	parked  bool      // it waits for wake
	busy    bool      // it is storing a batch
	closed  bool

	wake chan struct{} // capacity 1
	stop chan struct{} // closed by close
	done chan struct{} // closed when the goroutine returns
}

const (
	writeDelay = time.Millisecond
	maxPending = 4096
	idleRounds = 100
)

func newWriter(a *Agent) *writer {
	return &writer{a: a, delay: writeDelay, max: maxPending,
		wake: make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{})}
}

// push queues a landed flight for storing. It reports false when the
// queue is full or the agent is closing; the caller then stores it.
func (w *writer) push(f *flight) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed || len(w.pending) >= w.max {
		return false
	}
	w.pending = append(w.pending, f)
	switch {
	case !w.started:
		w.started = true
		go w.run()
	case w.parked:
		w.parked = false
		w.signal()
	}
	return true
}

// signal wakes the goroutine if it is parked or sleeping.
func (w *writer) signal() {
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

func (w *writer) run() {
	defer close(w.done)
	t := time.NewTimer(w.delay)
	defer t.Stop()
	for idle := 0; ; {
		select {
		case <-w.stop:
			return
		case <-t.C:
		case <-w.wake:
		}
		if w.flush() {
			idle = 0
		} else if idle++; idle >= idleRounds {
			w.mu.Lock()
			w.parked = len(w.pending) == 0
			parked := w.parked
			w.mu.Unlock()
			if parked {
				select {
				case <-w.stop:
					return
				case <-w.wake:
				}
			}
			idle = 0
		}
		t.Reset(w.delay)
	}
}

// flush stores the pending flights until there are none, and reports
// whether there were any.
func (w *writer) flush() bool {
	stored := false
	for {
		w.mu.Lock()
		batch := w.pending
		if len(batch) == 0 || w.closed {
			w.busy = false
			w.mu.Unlock()
			return stored
		}
		w.pending, w.spare, w.busy = w.spare[:0], nil, true
		w.mu.Unlock()
		for chunk := range slices.Chunk(batch, storeChunk) {
			w.a.storeAll(chunk)
		}
		clear(batch)
		stored = true
		w.mu.Lock()
		w.spare = batch
		w.mu.Unlock()
	}
}

// close stops the goroutine and waits for it. Pending flights are dropped
// with the caches they were for.
func (w *writer) close() {
	w.mu.Lock()
	w.closed = true
	w.pending = nil
	started := w.started
	w.mu.Unlock()
	if started {
		close(w.stop)
		<-w.done
	}
}

// storeChunk is how many flights storeAll takes out of an in-flight table
// under one lock: fewer lock handovers with the callers than one each, and
// a short enough hold that a caller waits for it no longer than for a
// handful of cache insertions.
const storeChunk = 32

// store puts a landed flight's value in the cache and then takes the
// flight out of the in-flight table; calls that found it there meanwhile
// got the value as a hit.
func (a *Agent) store(f *flight) { a.storeAll([]*flight{f}) }

// storeAll is store for several flights, which it first stores and then
// takes out of their tables, locking each entry once per run of flights
// of that entry. A flight no follower joined is then reused.
func (a *Agent) storeAll(fs []*flight) {
	for _, f := range fs {
		f.e.cache.Set(f.key, f.x.value)
	}
	var locked *entry
	for i, f := range fs {
		e := f.e
		if e != locked {
			if locked != nil {
				locked.flightMu.Unlock()
			}
			e.flightMu.Lock()
			locked = e
		}
		e.flights.remove(f)
		if f.done != nil { // a follower may still read f.x after done
			fs[i] = nil
			continue
		}
		*f = flight{}
		if e.spare == nil {
			e.spare = f
			fs[i] = nil
		}
	}
	if locked != nil {
		locked.flightMu.Unlock()
	}
	for _, f := range fs {
		if f != nil {
			a.flights.Put(f)
		}
	}
}
