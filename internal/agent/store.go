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
// The delay only shifts when an entry's TTL starts, by about a millisecond,
// which is below the precision of the coarse cache clock (10 ms). With a
// custom Options.Now results are stored synchronously, so that expiry is
// exact. The pending results are bounded (maxPending): when the writer
// falls behind, a landing call stores its result itself.
//
// The writer is not a long-lived goroutine: a time.AfterFunc timer, armed
// by the first pending result, runs a flush that drains the queue until it
// is empty. Close stops the timer and waits for a running flush.
type writer struct {
	a     *Agent
	delay time.Duration
	max   int

	mu      sync.Mutex
	pending []*flight
	spare   []*flight // the previous batch's backing array
	armed   bool      // the timer is set or a flush is running
	closed  bool
	timer   *time.Timer

	flushing sync.Mutex // held by a running flush; Close takes it to wait
}

const (
	writeDelay = time.Millisecond
	maxPending = 4096
)

func newWriter(a *Agent) *writer {
	w := &writer{a: a, delay: writeDelay, max: maxPending}
	w.timer = time.AfterFunc(time.Hour, w.flush)
	w.timer.Stop()
	return w
}

// push queues a landed flight for storing. It reports false when the
// queue is full or the agent is closing; the caller then stores it.
func (w *writer) push(f *flight) bool {
	w.mu.Lock()
	if w.closed || len(w.pending) >= w.max {
		w.mu.Unlock()
		return false
	}
	w.pending = append(w.pending, f)
	if !w.armed {
		w.armed = true
		w.timer.Reset(w.delay) // under mu, so that close cannot miss it
	}
	w.mu.Unlock()
	return true
}

// flush stores the pending flights until there are none.
func (w *writer) flush() {
	w.flushing.Lock()
	defer w.flushing.Unlock()
	for {
		w.mu.Lock()
		batch := w.pending
		if len(batch) == 0 || w.closed {
			w.armed = false
			w.mu.Unlock()
			return
		}
		w.pending, w.spare = w.spare[:0], nil
		w.mu.Unlock()
		for chunk := range slices.Chunk(batch, storeChunk) {
			w.a.storeAll(chunk)
		}
		clear(batch)
		w.mu.Lock()
		w.spare = batch
		w.mu.Unlock()
	}
}

// close stops the writer, waiting for a running flush. Pending flights are
// dropped with the caches they were for.
func (w *writer) close() {
	w.mu.Lock()
	w.closed = true
	w.pending = nil
	w.timer.Stop()
	w.mu.Unlock()
	w.flushing.Lock()
	//lint:ignore SA2001 an empty critical section: waiting for a running flush is the point
	w.flushing.Unlock()
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
