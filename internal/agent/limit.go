package agent

import (
	"sync"
	"sync/atomic"

	"golang.org/x/sync/semaphore"
)

// limiter is an ability's own concurrency limit (Ability.MaxConcurrent),
// taken before the global one. It is a golang.org/x/sync/semaphore, as
// the global limit is, sized to the global limit, with the slots above
// the ability's limit held in reserve: resize moves slots between the
// reserve and the callers, so that a reload changes the limit of an
// ability whose calls are running. A lowered limit takes what is free at
// once and the rest from the next releases (owed): running calls finish,
// and new ones wait until fewer than the new limit run. The semaphore
// package has no resize of its own; this reserve is the only code added
// to it.
type limiter struct {
	sem     *semaphore.Weighted
	size    int64        // the semaphore's capacity: the global limit
	limit   atomic.Int64 // the ability's limit now
	waiting atomic.Int64 // calls waiting for a slot of the ability

	// mu serializes resize and release, so that a release cannot give a
	// slot back after a lowering found none free and counted it owed:
	// that slot would be free beyond the new limit until the next release.
	mu   sync.Mutex
	owed int64 // slots the next releases keep in reserve; under mu
}

// newLimiter returns a limiter of limit slots, at most size.
func newLimiter(size, limit int64) *limiter {
	l := &limiter{sem: semaphore.NewWeighted(size), size: size}
	l.limit.Store(size)
	l.resize(limit)
	return l
}

// resize sets the limit to n (at most the size).
func (l *limiter) resize(n int64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	n = min(n, l.size)
	d := l.limit.Load() - n
	l.limit.Store(n)
	switch {
	case d > 0: // lower: reserve d slots, the free ones now, the rest as they are released
		l.owed += d
		for l.owed > 0 && l.sem.TryAcquire(1) {
			l.owed--
		}
	case d < 0: // higher: forgive what is owed, then hand out reserved slots
		d = -d
		k := min(l.owed, d)
		l.owed -= k
		if d > k {
			l.sem.Release(d - k)
		}
	}
}

// release gives a slot back, or keeps it in reserve while a lowered limit
// is owed slots.
func (l *limiter) release() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.owed > 0 {
		l.owed--
		return
	}
	l.sem.Release(1)
}
