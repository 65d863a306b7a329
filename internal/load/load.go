// Package load generates synthetic call traffic against an agent, so that
// caches, breakers and latency can be watched under load (the dashboard's
// load generator and `agentdash serve --load`).
package load

import (
	"context"
	"fmt"
	"maps"
	"math"
	"sort"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/agentdash/agentdash/internal/agent"
)

// Mode says how the arguments of successive calls relate to each other.
type Mode int

const (
	// Repeat sends the same arguments every call, so a cached ability is
	// served from its cache after the first call.
	Repeat Mode = iota
	// Vary makes every call's arguments unique, so every call misses the
	// cache. An uncached ability runs on every call anyway, so its
	// arguments are left as they are (varying a number could take it out
	// of the schema's range: sleep's ms).
	Vary
	// Mixed alternates: every other call repeats the base arguments, so a
	// cached ability sees a hit ratio of about one half.
	Mixed
)

// String returns "repeat", "vary" or "mixed".
func (m Mode) String() string {
	switch m {
	case Repeat:
		return "repeat"
	case Vary:
		return "vary"
	case Mixed:
		return "mixed"
	}
	return "mode(" + strconv.Itoa(int(m)) + ")"
}

// ParseMode parses "repeat", "vary" or "mixed".
func ParseMode(s string) (Mode, error) {
	switch s {
	case "repeat":
		return Repeat, nil
	case "vary":
		return Vary, nil
	case "mixed":
		return Mixed, nil
	}
	return 0, fmt.Errorf("load mode %q: want repeat, vary or mixed", s)
}

// MaxRate is the highest rate a generator accepts, in calls per second.
const MaxRate = 100_000

// DefaultMaxInFlight bounds the calls a generator has outstanding at once.
// When the ability is slower than the rate allows, further ticks are skipped
// (and counted) rather than piling up goroutines without limit.
const DefaultMaxInFlight = 256

// Spec describes the traffic to send.
type Spec struct {
	// Ability is the name of the ability to call.
	Ability string
	// Rate is the number of calls per second, in (0, MaxRate].
	Rate float64
	// Mode chooses repeated or varied arguments.
	Mode Mode
	// Args are the base arguments. Nil means the ability schema's example.
	Args map[string]any
	// MaxInFlight bounds outstanding calls; 0 means DefaultMaxInFlight.
	MaxInFlight int
}

// Generator sends calls at a steady rate until stopped. Its methods are safe
// for concurrent use.
type Generator struct {
	spec    Spec
	vary    bool // the ability is cached: Vary and Mixed change arguments
	cancel  context.CancelFunc
	done    chan struct{}
	sent    atomic.Uint64
	skipped atomic.Uint64
	failed  atomic.Uint64
	stop    sync.Once
}

// Start validates s against the agent and starts sending calls. The
// generator owns its goroutines; Stop ends them. Canceling ctx stops the
// generator too, but Stop must still be called to wait for it.
func Start(ctx context.Context, a *agent.Agent, s Spec) (*Generator, error) {
	info, ok := a.Lookup(s.Ability)
	if !ok {
		return nil, fmt.Errorf("load: unknown ability %q", s.Ability)
	}
	if math.IsNaN(s.Rate) || s.Rate <= 0 || s.Rate > MaxRate {
		return nil, fmt.Errorf("load: rate %v calls/s not in (0, %d]", s.Rate, MaxRate)
	}
	if s.Mode != Repeat && s.Mode != Vary && s.Mode != Mixed {
		return nil, fmt.Errorf("load: unknown mode %d", s.Mode)
	}
	if s.MaxInFlight < 0 {
		return nil, fmt.Errorf("load: max in-flight %d is negative", s.MaxInFlight)
	}
	if s.MaxInFlight == 0 {
		s.MaxInFlight = DefaultMaxInFlight
	}
	if s.Args == nil {
		s.Args = info.ExampleArgs()
	}
	s.Args = maps.Clone(s.Args)

	ctx, cancel := context.WithCancel(ctx)
	g := &Generator{spec: s, vary: info.CacheTTL > 0, cancel: cancel, done: make(chan struct{})}
	go g.run(ctx, a)
	return g, nil
}

// Spec returns the generator's traffic description.
func (g *Generator) Spec() Spec {
	s := g.spec
	s.Args = maps.Clone(s.Args)
	return s
}

// Sent reports how many calls have been started.
func (g *Generator) Sent() uint64 { return g.sent.Load() }

// Skipped reports how many calls were not sent because MaxInFlight calls
// were already outstanding.
func (g *Generator) Skipped() uint64 { return g.skipped.Load() }

// Failed reports how many calls returned an error.
func (g *Generator) Failed() uint64 { return g.failed.Load() }

// Stop stops sending, cancels outstanding calls and waits for them. It is
// idempotent.
func (g *Generator) Stop() {
	g.stop.Do(g.cancel)
	<-g.done
}

// tickEvery is the pacing interval: fine enough for smooth traffic, coarse
// enough that high rates are sent in small batches instead of one timer
// wake-up per call.
const tickEvery = 10 * time.Millisecond

func (g *Generator) run(ctx context.Context, a *agent.Agent) {
	defer close(g.done)
	var calls errgroup.Group
	calls.SetLimit(g.spec.MaxInFlight)
	defer func() { _ = calls.Wait() }()

	interval := time.Duration(float64(time.Second) / g.spec.Rate)
	if interval < tickEvery {
		interval = tickEvery
	}
	perTick := g.spec.Rate * interval.Seconds()
	ticker := time.NewTicker(interval)
	defer ticker.Stop()

	var owed float64 // fractional calls carried between ticks
	var n uint64
	for {
		select {
		case <-ctx.Done():
			return
		case <-ticker.C:
		}
		owed += perTick
		for ; owed >= 1; owed-- {
			args := g.spec.Args
			n++
			if g.vary && (g.spec.Mode == Vary || g.spec.Mode == Mixed && n%2 == 0) {
				args = vary(args, n)
			}
			ok := calls.TryGo(func() error {
				if _, err := a.Call(ctx, g.spec.Ability, args); err != nil && ctx.Err() == nil {
					g.failed.Add(1)
				}
				return nil
			})
			if ok {
				g.sent.Add(1)
			} else {
				g.skipped.Add(1)
			}
		}
	}
}

// vary returns a copy of args made unique by n: the first string argument
// (by name) gets a "#n" suffix, otherwise the first number gets n added.
// Arguments without either are returned unchanged.
func vary(args map[string]any, n uint64) map[string]any {
	keys := make([]string, 0, len(args))
	for k := range args {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := maps.Clone(args)
	for _, k := range keys {
		if s, ok := args[k].(string); ok {
			out[k] = s + "#" + strconv.FormatUint(n, 10)
			return out
		}
	}
	for _, k := range keys {
		if f, ok := args[k].(float64); ok {
			out[k] = f + float64(n)
			return out
		}
	}
	return out
}
