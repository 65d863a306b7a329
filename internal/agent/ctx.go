package agent

import (
	"context"
	"sync"
	"time"
)

// abilityCtx is the context an ability runs with: context.WithDeadline of
// its execution's context (flight.ctx) at the ability's timeout, canceled
// by Close and when the ability returns. The stdlib context is made only
// when the ability first waits on it or asks it for a value (Done, Value;
// context.Cause, context.AfterFunc and derived contexts go through them);
// until then Err and Deadline answer from the clock and the agent, so an
// ability that never waits costs no timer and no registration with Close.
// Making it on every execution (context.WithTimeout and context.AfterFunc)
// made a repeated miss 1.33×, a miss on new keys 1.81× and an uncached
// call 3.0× as slow (medians of 6 interleaved runs; README, Performance).
type abilityCtx struct {
	a        *Agent
	parent   context.Context
	deadline time.Duration // a reading of a.mono

	mu     sync.Mutex
	ctx    context.Context // once made
	cancel context.CancelFunc
	final  error // set by release: Err from then on
}

// start sets the context up for an execution that starts now.
// now is a reading of a.mono.
func (c *abilityCtx) start(a *Agent, parent context.Context, now, timeout time.Duration) {
	c.a, c.parent, c.deadline = a, parent, addSat(now, timeout)
}

// made returns the stdlib context, making it the first time: the same
// state as Err reports.
func (c *abilityCtx) made() context.Context {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.ctx != nil {
		return c.ctx
	}
	if c.final != nil { // released: made ended, with the error Err reports
		var cancel context.CancelFunc
		if c.final == context.DeadlineExceeded {
			c.ctx, cancel = context.WithDeadline(c.parent, c.a.epoch.Add(c.deadline))
		} else {
			c.ctx, cancel = context.WithCancel(c.parent)
		}
		cancel()
		return c.ctx
	}
	ctx, cancel := context.WithDeadline(c.parent, c.a.epoch.Add(c.deadline))
	stop := context.AfterFunc(c.a.base, cancel) // Close cancels it
	c.ctx, c.cancel = ctx, func() { stop(); cancel() }
	if c.a.closed.Load() {
		cancel()
	}
	return c.ctx
}

// release ends the context once the ability has returned, as the cancel
// function of context.WithDeadline would; ended is Err at that moment.
func (c *abilityCtx) release(ended error) {
	if ended == nil {
		ended = context.Canceled
	}
	c.mu.Lock()
	c.final = ended
	cancel := c.cancel
	c.mu.Unlock()
	if cancel != nil {
		cancel()
	}
}

// Deadline returns the ability's deadline, or the parent's if earlier.
func (c *abilityCtx) Deadline() (time.Time, bool) {
	deadline := c.a.epoch.Add(c.deadline)
	if d, ok := c.parent.Deadline(); ok && d.Before(deadline) {
		return d, true
	}
	return deadline, true
}

// Done returns a channel closed when the context ends.
func (c *abilityCtx) Done() <-chan struct{} { return c.made().Done() }

// Value returns the parent's value for key.
func (c *abilityCtx) Value(key any) any { return c.made().Value(key) }

// Err returns the error context.WithDeadline's Err would.
func (c *abilityCtx) Err() error { return c.errAt(c.a.mono()) }

// errAt is Err at now, a reading of a.mono.
func (c *abilityCtx) errAt(now time.Duration) error {
	c.mu.Lock()
	ctx, final := c.ctx, c.final
	c.mu.Unlock()
	switch {
	case final != nil:
		return final
	case ctx != nil:
		return ctx.Err()
	case c.parent.Err() != nil:
		return c.parent.Err()
	case now >= c.deadline:
		return context.DeadlineExceeded
	case c.a.closed.Load():
		return context.Canceled
	}
	return nil
}
