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
	"unicode/utf8"

	"golang.org/x/sync/errgroup"

	"github.com/agentdash/agentdash/internal/agent"
	"github.com/agentdash/agentdash/internal/schema"
)

// Mode says how the arguments of successive calls relate to each other.
type Mode int

const (
	// Repeat sends the same arguments every call, so a cached ability is
	// served from its cache after the first call.
	Repeat Mode = iota
	// Vary changes every call's arguments, so calls miss the cache. Only
	// what the ability's schema says stays valid is changed (see vary):
	// an argument with enum values or several examples cycles through
	// them (read_file's examples are files that exist below its root), so
	// its arguments repeat after that many calls; otherwise the first
	// free-form string gets a unique suffix, or the first number an
	// offset within its bounds. An uncached ability runs on every call
	// anyway, so its arguments are left as they are.
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

// Handle controls a load session wherever its generator runs: a
// *Generator in this process, or one in another agentdash process driven
// through its control endpoint. Its methods are safe for concurrent use and
// cheap enough for a View (a remote handle's counters are the last ones
// received).
type Handle interface {
	// Spec returns the traffic description, with the rate and mode as
	// last set.
	Spec() Spec
	// Retune changes the rate and mode; the counters carry on.
	Retune(rate float64, mode Mode) error
	// Sent, Skipped and Failed count the session's calls.
	Sent() uint64
	Skipped() uint64
	Failed() uint64
	// Stop ends the session and waits for its calls; it is idempotent.
	Stop()
}

// Generator sends calls at a steady rate until stopped. Its counters cover
// its whole life, whatever Retune changed on the way. Its methods are safe
// for concurrent use.
type Generator struct {
	mu     sync.Mutex
	spec   Spec          // Rate and Mode change under mu (Retune)
	tuned  chan struct{} // signals run that Rate or Mode changed
	schema *schema.Schema
	vary   bool // the ability is cached: Vary and Mixed change arguments
	cancel context.CancelFunc
	done   chan struct{}

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
	if err := checkTuning(s.Rate, s.Mode); err != nil {
		return nil, err
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
	g := &Generator{spec: s, schema: info.Schema, vary: info.CacheTTL > 0, cancel: cancel,
		done: make(chan struct{}), tuned: make(chan struct{}, 1)}
	go g.run(ctx, a)
	return g, nil
}

func checkTuning(rate float64, mode Mode) error {
	if math.IsNaN(rate) || rate <= 0 || rate > MaxRate {
		return fmt.Errorf("load: rate %v calls/s not in (0, %d]", rate, MaxRate)
	}
	if mode != Repeat && mode != Vary && mode != Mixed {
		return fmt.Errorf("load: unknown mode %d", mode)
	}
	return nil
}

// Retune changes the rate and mode of a running generator. Its counters
// carry on: they count the whole load session, not the current setting.
func (g *Generator) Retune(rate float64, mode Mode) error {
	if err := checkTuning(rate, mode); err != nil {
		return err
	}
	g.mu.Lock()
	g.spec.Rate, g.spec.Mode = rate, mode
	g.mu.Unlock()
	select {
	case g.tuned <- struct{}{}:
	default: // a signal is pending; run reads the latest spec
	}
	return nil
}

// Spec returns the generator's traffic description, with the rate and
// mode as last set.
func (g *Generator) Spec() Spec {
	g.mu.Lock()
	s := g.spec
	g.mu.Unlock()
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
	sp := g.Spec()
	name := sp.Ability // never retuned; the calls' closures must not read sp
	var calls errgroup.Group
	calls.SetLimit(sp.MaxInFlight)
	defer func() { _ = calls.Wait() }()

	interval, perTick := pacing(sp.Rate)
	ticker := time.NewTicker(interval)
	defer ticker.Stop()

	var owed float64     // fractional calls carried between ticks
	var n, varied uint64 // calls, and calls with varied arguments
	for {
		select {
		case <-ctx.Done():
			return
		case <-g.tuned:
			sp = g.Spec()
			interval, perTick = pacing(sp.Rate)
			ticker.Reset(interval)
			owed = min(owed, 1) // no burst of what the old rate owed
			continue
		case <-ticker.C:
		}
		owed += perTick
		for ; owed >= 1; owed-- {
			args := sp.Args
			n++
			if g.vary && (sp.Mode == Vary || sp.Mode == Mixed && n%2 == 0) {
				// Counted apart from n, so that Mixed cycles through all of
				// an argument's examples, not the even ones only.
				varied++
				args = vary(g.schema, args, varied)
			}
			ok := calls.TryGo(func() error {
				if _, err := a.Call(ctx, name, args); err != nil && ctx.Err() == nil {
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

// pacing returns the ticker interval for rate and the calls due per tick.
func pacing(rate float64) (time.Duration, float64) {
	interval := max(time.Duration(float64(time.Second)/rate), tickEvery)
	return interval, rate * interval.Seconds()
}

// vary returns a copy of args changed by n in the first argument (by name)
// that can be changed without leaving what the schema s allows:
//   - an argument with enum values, or several examples, takes the next of
//     them: the ability vouches for those, while any other value could be
//     refused (a path must name a file that exists);
//   - a string with at most one example gets a "#n" suffix, if its
//     maxLength leaves room;
//   - a number gets n added, wrapped into its minimum and maximum.
//
// Arguments with none of these are returned unchanged.
func vary(s *schema.Schema, args map[string]any, n uint64) map[string]any {
	keys := make([]string, 0, len(args))
	for k := range args {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var props map[string]*schema.Property
	if s != nil {
		props = s.Properties
	}
	out := maps.Clone(args)
	for _, k := range keys {
		if v, ok := varyValue(props[k], args[k], n); ok {
			out[k] = v
			return out
		}
	}
	return out
}

// varyValue returns v changed by n as p allows, or false if it cannot be.
// p is nil for an argument the schema does not describe.
func varyValue(p *schema.Property, v any, n uint64) (any, bool) {
	var bounds schema.Property
	if p != nil {
		switch {
		case len(p.Enum) > 1:
			return p.Enum[n%uint64(len(p.Enum))], true
		case len(p.Enum) == 1:
			return nil, false
		case len(p.Examples) > 1:
			return p.Examples[n%uint64(len(p.Examples))], true
		}
		bounds = *p
	}
	switch v := v.(type) {
	case string:
		s := v + "#" + strconv.FormatUint(n, 10)
		if bounds.MaxLength != nil && utf8.RuneCountInString(s) > *bounds.MaxLength {
			return nil, false
		}
		return s, true
	case float64:
		return varyNumber(v, n, bounds.Minimum, bounds.Maximum, bounds.Type == schema.TypeInteger)
	}
	return nil, false
}

// varyNumber adds n to v, wrapping the sum into [lo, hi] where those are
// set (a span of whole numbers when integer).
func varyNumber(v float64, n uint64, lo, hi *float64, integer bool) (any, bool) {
	switch {
	case lo == nil && hi == nil:
		return v + float64(n), true
	case hi == nil:
		return v + float64(n), true // adding keeps it above lo
	case lo == nil:
		return v - float64(n), true // subtracting keeps it below hi
	}
	span := *hi - *lo
	if integer {
		span = math.Floor(*hi) - math.Ceil(*lo) + 1
	}
	if !(span > 0) || math.IsInf(span, 0) {
		return nil, false
	}
	base := *lo
	if integer {
		base = math.Ceil(*lo)
	}
	off := math.Mod(v-base+float64(n%(1<<53)), span)
	if off < 0 {
		off += span
	}
	return base + off, true
}
