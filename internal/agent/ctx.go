package agent

import (
	"context"
	"slices"
	"sync"
	"time"
)

// abilityCtx is the context an ability runs with: the caller's values, a
// deadline at the ability's timeout, and cancellation when the timeout
// expires, the caller gives up or the agent closes.
//
// It is written by hand rather than made with context.WithTimeout because
// the call path can do the same job for a fraction of the cost:
// WithTimeout allocates a context and arms a fresh runtime timer on every
// call (about 0.6 µs on the 2-core machines we measure on), while the
// pipeline drives the deadline from a reused timer, embeds this context in
// the execution's own struct, and creates the Done channel only if the
// ability asks for it. It implements the AfterFunc method that the context
// package looks for, so contexts derived from it by the ability are
// propagated without a goroutine each, and it hides the caller's
// cancellation from context.Cause, which therefore reports Err.
type abilityCtx struct {
	values context.Context // context.WithoutCancel(caller): values only
	parent context.Context // the caller's context, for its deadline (nil: ignore it)
	epoch  time.Time       // the agent's epoch; the deadline is epoch+until
	until  time.Duration

	mu     sync.Mutex
	done   chan struct{} // created by the first Done, closed by cancel
	err    error
	why    interruption
	afters []*afterFunc
}

// interruption records why an ability's context was canceled.
type interruption int8

const (
	notInterrupted interruption = iota
	byTimeout
	byCaller
	byClose
	byReturn // the function returned: the context is released
)

type afterFunc struct{ f func() }

// Deadline returns the ability's deadline, or the caller's if earlier.
func (c *abilityCtx) Deadline() (time.Time, bool) {
	deadline := c.epoch.Add(c.until)
	if c.parent != nil {
		if d, ok := c.parent.Deadline(); ok && d.Before(deadline) {
			return d, true
		}
	}
	return deadline, true
}

// Done returns a channel closed when the context is canceled.
func (c *abilityCtx) Done() <-chan struct{} {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.done == nil {
		c.done = make(chan struct{})
		if c.err != nil {
			close(c.done)
		}
	}
	return c.done
}

// Err returns context.DeadlineExceeded after the timeout,
// context.Canceled after any other cancellation, and nil before.
func (c *abilityCtx) Err() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.err
}

// Value returns the caller's value for key.
func (c *abilityCtx) Value(key any) any { return c.values.Value(key) }

// AfterFunc arranges for f to run in its own goroutine once the context is
// canceled, as context.AfterFunc does; the context package uses it to
// propagate cancellation to derived contexts.
func (c *abilityCtx) AfterFunc(f func()) (stop func() bool) {
	c.mu.Lock()
	if c.err != nil {
		c.mu.Unlock()
		go f()
		return func() bool { return false }
	}
	af := &afterFunc{f: f}
	c.afters = append(c.afters, af)
	c.mu.Unlock()
	return func() bool {
		c.mu.Lock()
		defer c.mu.Unlock()
		i := slices.Index(c.afters, af)
		if i < 0 {
			return false // already started (or stopped)
		}
		c.afters = slices.Delete(c.afters, i, i+1)
		return true
	}
}

// cancel cancels the context for the given reason unless it is already
// canceled; it reports whether this call canceled it.
func (c *abilityCtx) cancel(why interruption) bool {
	c.mu.Lock()
	if c.err != nil {
		c.mu.Unlock()
		return false
	}
	c.err = context.Canceled
	if why == byTimeout {
		c.err = context.DeadlineExceeded
	}
	c.why = why
	if c.done != nil {
		close(c.done)
	}
	afters := c.afters
	c.afters = nil
	c.mu.Unlock()
	for _, af := range afters {
		go af.f()
	}
	return true
}

// reason returns why the context was canceled.
func (c *abilityCtx) reason() interruption {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.why
}
