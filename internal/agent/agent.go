// Package agent is the resilience core of agentdash: a registry of
// abilities (tools run on behalf of an agent) and the pipeline every call
// goes through, with the metrics and events the dashboard and the
// Prometheus exporter read.
//
// A call passes these stages, in order; Agent.Call reads as this list,
// one short step each:
//
//  1. lookup of the ability by name (an unknown name is an error listing
//     the known ones);
//  2. validation of the arguments against the ability's schema, with
//     defaults applied; a bad argument is the caller's fault
//     (OutcomeBadArgs, never counted by the breaker; an ability can say the
//     same of arguments the schema cannot judge by returning an error that
//     wraps ErrBadArgs). For a cached ability the same pass builds the
//     cache key, the canonical JSON of the arguments;
//  3. a permit of the ability's circuit breaker (OutcomeShortCircuited when
//     open);
//  4. for a cached ability, the TTL cache: a hit returns at once and
//     releases the permit as Ignored;
//  5. duplicate suppression (flight.go): for a cached ability, concurrent
//     identical calls share one execution, led by the first of them. It
//     runs under the leader's values but not its cancellation, so the
//     others (followers, which each wait with their own context and can
//     leave when it ends) still get the result if the leader's context
//     ends. When that context ends with no follower waiting, the execution
//     is abandoned: its context is canceled and the next identical call
//     starts afresh. An uncached call leads an execution of its own;
//  6. the concurrency limits: the ability's own (Ability.MaxConcurrent), if
//     it has one, then the global one; free slots at once, or a wait of up
//     to Options.MaxWait for both (OutcomeRejected after that);
//  7. fault injection, if set for the ability: added latency, then a
//     failure probability;
//  8. the ability itself (run.go), under a context that ends at its
//     timeout (for an uncached ability, also when the caller's context
//     ends), with panic recovery. Inline or isolated is a detail of this
//     stage. By default it runs inline, on the caller's goroutine, and the
//     timeout is cooperative, as in net/http or gRPC: the context is
//     canceled at the deadline and a result returned after it is discarded
//     as OutcomeTimeout, but the call returns only when the function does;
//     a follower gives up after MaxWait plus the timeout (plus injected
//     latency). With Ability.Isolate the function runs in a goroutine of
//     its own, and the callers are released at the deadline, or when their
//     context ends, even if it ignores its context. Either way the
//     concurrency slot is released only when the function really returns,
//     so the number of running abilities never exceeds the limit. The
//     execution then tells the breaker its outcome with the leader's
//     permit (failures and timeouts count; a rejection or a caller's
//     cancellation does not), caches a success and releases the followers;
//  9. the call's metrics and event are recorded.
//
// The timeout covers stages 7 and 8, so injected latency can cause
// timeouts the way a slow dependency would. runtime.Goexit in an inline
// ability ends the caller's goroutine, as in any function it calls; the
// call is still accounted for as a failure and its followers get it.
//
// A cache hit allocates nothing. The costs of a call, and how they compare
// with failsafe-go and with a hand-made composition of the same libraries,
// are measured by the benchmarks in bench_test.go and peer_test.go.
//
// Everything is per Agent; the package has no global state.
package agent

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/maypok86/otter/v2"
	"golang.org/x/sync/semaphore"

	"github.com/agentdash/agentdash/internal/breaker"
	"github.com/agentdash/agentdash/internal/latency"
	"github.com/agentdash/agentdash/internal/schema"
)

// Defaults for zero Options fields.
const (
	DefaultName          = "agentdash"
	DefaultMaxConcurrent = 8
	DefaultMaxWait       = 2 * time.Second
	DefaultCacheSize     = 10_000
	DefaultTimeout       = 10 * time.Second
	DefaultEventBuffer   = 256
	maxNameLen           = 64
	maxProxiedNameLen    = 128 // MCP's limit on tool names
	keyBufferSize        = 192 // cache keys up to this size are built on the stack
)

// Options configures an Agent. Zero fields take the defaults above;
// negative values are an error.
type Options struct {
	// Name is shown in the dashboard header; default "agentdash".
	Name string
	// MaxConcurrent is the global limit of abilities running at once;
	// default 8.
	MaxConcurrent int
	// MaxWait is how long a call waits for a free slot before it is
	// rejected; default 2s.
	MaxWait time.Duration
	// CacheSize is the most entries each ability's cache keeps once
	// otter's maintenance has caught up with the writes; default 10000.
	// The bound is not exact: new entries are stored at once and evicted
	// for size by the maintenance that drains otter's write buffer (128
	// tasks per P, P being GOMAXPROCS or the CPU count if fewer, rounded
	// up to a power of two), so a storm of new keys can briefly hold up to
	// 2×128×P+2 more (the buffer applied but not yet evicted, and the
	// buffer refilled meanwhile), plus one per goroutine storing at that
	// moment: 1,514 or so at 1,000 on 2 CPUs.
	CacheSize int
	// DefaultTimeout applies to abilities registered without a Timeout;
	// default 10s.
	DefaultTimeout time.Duration
	// Now is the clock for breaker cooldowns, cache expiry, rolling
	// latency windows and event times; default time.Now. Call latencies are
	// always measured with the real monotonic clock. Cache expiry is exact
	// with either clock; with a custom clock, expired entries are removed
	// by the maintenance that later writes trigger (see cache.go).
	Now func() time.Time
}

func (o Options) withDefaults() (Options, error) {
	switch {
	case o.MaxConcurrent < 0:
		return o, fmt.Errorf("MaxConcurrent must not be negative, got %d", o.MaxConcurrent)
	case o.MaxWait < 0:
		return o, fmt.Errorf("MaxWait must not be negative, got %s", o.MaxWait)
	case o.CacheSize < 0:
		return o, fmt.Errorf("CacheSize must not be negative, got %d", o.CacheSize)
	case o.DefaultTimeout < 0:
		return o, fmt.Errorf("DefaultTimeout must not be negative, got %s", o.DefaultTimeout)
	}
	if o.Name == "" {
		o.Name = DefaultName
	}
	if o.MaxConcurrent == 0 {
		o.MaxConcurrent = DefaultMaxConcurrent
	}
	if o.MaxWait == 0 {
		o.MaxWait = DefaultMaxWait
	}
	if o.CacheSize == 0 {
		o.CacheSize = DefaultCacheSize
	}
	if o.DefaultTimeout == 0 {
		o.DefaultTimeout = DefaultTimeout
	}
	return o, nil
}

// Agent is a registry of abilities and the call pipeline around them. It is
// safe for concurrent use. Close it to stop its background work.
type Agent struct {
	opts    Options
	now     func() time.Time
	realNow bool // now is time.Now: the end time of a call doubles as the metrics time
	started time.Time

	cacheClock *otter.CoarseClock // nil with a custom Options.Now
	sem        *semaphore.Weighted
	inUse      atomic.Int64
	waiting    atomic.Int64

	// The registry is copy-on-write so that the call path reads it with one
	// atomic load and no lock.
	regMu    sync.Mutex
	registry atomic.Pointer[registry]

	subMu       sync.Mutex
	subs        atomic.Pointer[[]*Subscription] // nil or non-empty
	wantResults atomic.Int32                    // which results calls publish: resultsNone, resultsCallers or resultsAll

	epoch time.Time // monotonic base of latency measurements

	// Lifecycle: executions register with running so that Close can
	// refuse new ones and wait for the running ones.
	closed    atomic.Bool
	running   atomic.Int64  // executions registered by begin, plus closingBit once closing
	drained   chan struct{} // closed when closing and no execution is registered
	drainOnce sync.Once
	base      context.Context // canceled by Close: ends slot waits and ability contexts
	cancel    context.CancelFunc
	closeOnce sync.Once
}

type registry struct {
	byName map[string]*entry
	sorted []*entry
	infos  []Info
}

// New returns an Agent with no abilities.
func New(opts Options) (*Agent, error) {
	o, err := opts.withDefaults()
	if err != nil {
		return nil, fmt.Errorf("agent options: %w", err)
	}
	a := &Agent{opts: o, now: o.Now, sem: semaphore.NewWeighted(int64(o.MaxConcurrent))}
	if a.now == nil {
		a.now, a.realNow = time.Now, true
		a.cacheClock = otter.NewCoarseClock(cacheClockResolution)
	}
	a.started = a.now()
	a.epoch = time.Now()
	a.drained = make(chan struct{})
	a.base, a.cancel = context.WithCancel(context.Background())
	a.registry.Store(&registry{byName: map[string]*entry{}})
	return a, nil
}

// Func is the function behind an ability. It should honor ctx, which ends
// at the ability's timeout, when the agent is closed, and, for an uncached
// ability, when the caller gives up: unless the ability is isolated, the
// call waits for Func to return (see Ability.Isolate). args have been validated against the ability's schema, with
// defaults applied; they must not be modified. A result may be cached and
// handed to several callers, so it should be treated as read-only.
//
// An error wrapping ErrBadArgs says that the arguments are wrong in a way
// the schema cannot express (a path outside the allowed root, a file that
// does not exist): the call is then OutcomeBadArgs, the caller's fault,
// and does not count against the breaker. Any other error is a failure.
type Func func(ctx context.Context, args map[string]any) (any, error)

// Ability describes a tool the agent can run.
type Ability struct {
	// Name is unique, 1 to 64 characters: a lowercase letter, then
	// lowercase letters, digits and underscores; or, for a tool of an MCP
	// server, SERVER.TOOL (SERVER so, TOOL in MCP's [A-Za-z0-9_.-]; 128
	// characters in all).
	Name string
	// Description says what the ability does, in a sentence (shown by the
	// dashboard and `agentdash abilities`).
	Description string
	// Schema describes the arguments; nil means any object. It must not be
	// modified after Register.
	Schema *schema.Schema
	// Timeout bounds one execution; 0 means Options.DefaultTimeout.
	Timeout time.Duration
	// CacheTTL is how long a successful result is reused for identical
	// arguments; 0 disables the cache and duplicate suppression.
	CacheTTL time.Duration
	// Breaker configures the ability's circuit breaker; zero fields take
	// the breaker package's defaults.
	Breaker breaker.Settings
	// Isolate runs every execution in a goroutine of its own, so that the
	// caller is released at the timeout (or, uncached, when its context
	// ends) even if Func ignores its context; the concurrency slot stays
	// taken until Func really returns. It costs a goroutine and a timer per
	// execution. By default (false) Func runs on the caller's goroutine
	// and the timeout is cooperative, as in net/http or gRPC: its context
	// is canceled at the deadline, and a result returned after it is
	// discarded (OutcomeTimeout), but the call returns only when Func
	// does. Set it for a Func that may block without honoring its context.
	Isolate bool
	// MaxConcurrent limits the ability's executions running at once, inside
	// the global limit (Options.MaxConcurrent): a call waits for a slot of
	// the ability, then for a global one, both within Options.MaxWait.
	// 0 means only the global limit; more than the global limit is the
	// global limit.
	MaxConcurrent int
	// Hints describe the ability's effects to clients (exported as MCP
	// tool annotations); the agent only reports them.
	Hints Hints
	// Func runs the ability.
	Func Func
	// Example, if not nil, returns example arguments that suit the ability
	// as it is now (a model's feature count, say), or nil to fall back on
	// the schema's examples. Tools call it (the dashboard's "example
	// args", the load generator); Call never does. It must be quick and
	// safe for concurrent use.
	Example func() map[string]any
	// Source says where the ability was defined, for people: "built-in",
	// or the file:line of its declaration. The agent only reports it.
	Source string
	// Definition identifies what Func computes, for Apply: an ability
	// applied again with the same Definition, schema and CacheTTL keeps
	// its cached results. A program that builds Func from a description
	// (a command line, a URL) puts that description here.
	Definition string
}

// Hints describe an ability's effects, as MCP's tool annotations do
// (readOnlyHint, idempotentHint, destructiveHint, openWorldHint). A nil
// field is not said: a client then assumes MCP's default (not read-only,
// not idempotent, destructive, open world). They are hints, for a client
// to choose and confirm calls with; nothing enforces them.
type Hints struct {
	// ReadOnly: the ability changes nothing in its environment.
	ReadOnly *bool
	// Idempotent: calling it again with the same arguments has no further
	// effect (meaningful when not read-only).
	Idempotent *bool
	// Destructive: it may delete or overwrite, rather than only add
	// (meaningful when not read-only).
	Destructive *bool
	// OpenWorld: it reaches entities outside the agent (the web, another
	// service), rather than a closed domain.
	OpenWorld *bool
}

// clone returns h with pointers of its own, so that the caller's cannot
// change a registered ability's hints.
func (h Hints) clone() Hints {
	c := func(p *bool) *bool {
		if p == nil {
			return nil
		}
		return new(*p)
	}
	return Hints{ReadOnly: c(h.ReadOnly), Idempotent: c(h.Idempotent), Destructive: c(h.Destructive), OpenWorld: c(h.OpenWorld)}
}

// Info describes a registered ability, with defaults applied: the fields
// of its Ability but Func.
type Info struct {
	Name        string
	Description string
	// Schema is the ability's own schema, shared rather than copied: it is
	// read-only, and changing it would change how calls are validated.
	Schema   *schema.Schema
	Timeout  time.Duration    // never 0: Options.DefaultTimeout applied
	CacheTTL time.Duration    // 0: not cached
	Isolate  bool             // executions run in a goroutine of their own
	Breaker  breaker.Settings // with the breaker package's defaults applied
	// MaxConcurrent is the ability's own limit, at most the global one; 0:
	// only the global limit.
	MaxConcurrent int
	// Hints are as in Ability, with pointers of their own: read-only.
	Hints   Hints
	Example func() map[string]any
	Source  string // as in Ability
	// Definition is as in Ability.
	Definition string
}

// ExampleArgs returns example arguments for the ability: Ability.Example's
// when it gives some, else the schema's examples and defaults.
func (in Info) ExampleArgs() map[string]any {
	if in.Example != nil {
		if ex := in.Example(); ex != nil {
			return ex
		}
	}
	if in.Schema == nil {
		return map[string]any{}
	}
	return in.Schema.Example()
}

// Register adds an ability. It fails with an error naming the problem if the
// name is invalid or taken, Func is nil, the schema is malformed, a
// duration is negative, or the breaker settings are invalid.
func (a *Agent) Register(ab Ability) error {
	if err := a.register(ab); err != nil {
		return fmt.Errorf("register ability %q: %w", ab.Name, err)
	}
	return nil
}

func (a *Agent) register(ab Ability) error {
	ab, compiled, err := a.prepare(ab)
	if err != nil {
		return err
	}

	a.regMu.Lock()
	defer a.regMu.Unlock()
	if a.closed.Load() {
		return ErrClosed
	}
	old := a.registry.Load()
	if _, dup := old.byName[ab.Name]; dup {
		return fmt.Errorf("an ability with this name is already registered")
	}
	e, err := a.newEntry(ab, compiled, nil)
	if err != nil {
		return err
	}
	byName := maps.Clone(old.byName)
	byName[ab.Name] = e
	a.registry.Store(newRegistry(byName))
	return nil
}

// prepare checks ab and applies the defaults, returning its compiled schema.
func (a *Agent) prepare(ab Ability) (Ability, *schema.Compiled, error) {
	if err := checkName(ab.Name); err != nil {
		return ab, nil, err
	}
	if ab.Func == nil {
		return ab, nil, errors.New("Ability.Func is nil")
	}
	if ab.Timeout < 0 {
		return ab, nil, fmt.Errorf("Ability.Timeout must not be negative, got %s", ab.Timeout)
	}
	if ab.CacheTTL < 0 {
		return ab, nil, fmt.Errorf("Ability.CacheTTL must not be negative, got %s", ab.CacheTTL)
	}
	if ab.MaxConcurrent < 0 {
		return ab, nil, fmt.Errorf("Ability.MaxConcurrent must not be negative, got %d", ab.MaxConcurrent)
	}
	ab.MaxConcurrent = min(ab.MaxConcurrent, a.opts.MaxConcurrent)
	ab.Hints = ab.Hints.clone()
	if ab.Schema == nil {
		ab.Schema = &schema.Schema{Type: schema.TypeObject}
	}
	compiled, err := ab.Schema.Compile()
	if err != nil {
		return ab, nil, err
	}
	if ab.Timeout == 0 {
		ab.Timeout = a.opts.DefaultTimeout
	}
	if _, err := breaker.New(ab.Name, ab.Breaker); err != nil { // what newEntry would find
		return ab, nil, fmt.Errorf("breaker settings: %w", err)
	}
	return ab, compiled, nil
}

// newRegistry returns the registry of the entries in byName.
func newRegistry(byName map[string]*entry) *registry {
	r := &registry{byName: byName, sorted: slices.Collect(maps.Values(byName))}
	slices.SortFunc(r.sorted, func(x, y *entry) int { return strings.Compare(x.info.Name, y.info.Name) })
	r.infos = make([]Info, len(r.sorted))
	for i, e := range r.sorted {
		r.infos[i] = e.info
	}
	return r
}

// checkName enforces ^[a-z][a-z0-9_]{0,63}$, or, for the tool of an MCP
// server, SERVER.TOOL: SERVER by that rule, TOOL by MCP's rule for tool
// names ([A-Za-z0-9_.-]), 128 characters in all. A proxied tool keeps its
// upstream name rather than one mangled to fit the stricter rule.
func checkName(name string) error {
	if server, tool, ok := strings.Cut(name, "."); ok {
		const rule = "SERVER.TOOL, the name of an MCP server's tool, is at most 128 characters, TOOL letters, digits, '_', '-' or '.'"
		if err := checkName(server); err != nil {
			return fmt.Errorf("%w (of SERVER.TOOL)", err)
		}
		if tool == "" || len(name) > maxProxiedNameLen {
			return fmt.Errorf("invalid name: %s", rule)
		}
		for i, r := range tool {
			if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == '-' || r == '.') {
				return fmt.Errorf("invalid name: character %q at position %d: %s", r, len(server)+2+i, rule)
			}
		}
		return nil
	}
	const rule = "must be 1 to 64 characters: a lowercase letter, then lowercase letters, digits or underscores"
	if name == "" || len(name) > maxNameLen {
		return fmt.Errorf("invalid name: %s", rule)
	}
	pos := 0
	for _, r := range name {
		pos++
		ok := r >= 'a' && r <= 'z' || pos > 1 && (r >= '0' && r <= '9' || r == '_')
		if !ok {
			return fmt.Errorf("invalid name: character %q at position %d: %s", r, pos, rule)
		}
	}
	return nil
}

// newEntry returns the entry of ab, prepared. With prev, the entry of
// the same name that it replaces (see Apply), it shares prev's metrics and
// fault, its breaker if the rule is the same, and its cache if the
// definition, schema and TTL are the same.
func (a *Agent) newEntry(ab Ability, compiled *schema.Compiled, prev *entry) (*entry, error) {
	e := &entry{
		fn:      ab.Func,
		schema:  compiled,
		timeout: ab.Timeout,
		isolate: ab.Isolate,
	}
	if prev != nil {
		e.metrics = prev.metrics
	} else {
		e.metrics = &metrics{hist: latency.NewHistogram(a.now), rate: latency.NewRate(a.now)}
	}
	if prev != nil && prev.info.Breaker == ab.Breaker.WithDefaults() {
		e.breaker = prev.breaker
	} else {
		b, err := breaker.New(ab.Name, ab.Breaker,
			breaker.WithClock(a.now),
			breaker.WithOnTransition(func(t breaker.Transition) {
				a.publish(Event{Kind: EventTransition, At: t.At, Ability: t.Name, Transition: t})
			}))
		if err != nil {
			return nil, fmt.Errorf("breaker settings: %w", err)
		}
		e.breaker = b
	}
	if ab.MaxConcurrent > 0 {
		if prev != nil && prev.limit != nil { // running calls keep counting against the new limit
			e.limit = prev.limit
			e.limit.resize(int64(ab.MaxConcurrent))
		} else {
			e.limit = newLimiter(int64(a.opts.MaxConcurrent), int64(ab.MaxConcurrent))
		}
	}
	if ab.CacheTTL > 0 {
		e.cacheTTL = ab.CacheTTL
		e.flights = map[string]*flight{}
		if prev != nil && prev.keepsCache(ab) {
			e.cache = prev.cache
		} else {
			var err error
			if e.cache, err = a.newCache(e, ab.CacheTTL); err != nil {
				return nil, fmt.Errorf("cache: %w", err)
			}
		}
	}
	e.info = Info{
		Name:          ab.Name,
		Description:   ab.Description,
		Schema:        ab.Schema,
		Timeout:       ab.Timeout,
		CacheTTL:      ab.CacheTTL,
		Isolate:       ab.Isolate,
		Breaker:       e.breaker.Settings(),
		MaxConcurrent: ab.MaxConcurrent,
		Hints:         ab.Hints,
		Example:       ab.Example,
		Source:        ab.Source,
		Definition:    ab.Definition,
	}
	return e, nil
}

// Abilities lists the registered abilities sorted by name. The slice is a
// copy the caller may keep.
func (a *Agent) Abilities() []Info {
	return slices.Clone(a.registry.Load().infos)
}

// Lookup returns the description of the named ability.
func (a *Agent) Lookup(name string) (Info, bool) {
	e := a.registry.Load().byName[name]
	if e == nil {
		return Info{}, false
	}
	return e.info, true
}

// entryFor returns the named ability or an error listing the known names.
func (a *Agent) entryFor(name string) (*entry, error) {
	r := a.registry.Load()
	if e := r.byName[name]; e != nil {
		return e, nil
	}
	return nil, unknownAbility(r, name)
}

func unknownAbility(r *registry, name string) error {
	names := make([]string, len(r.sorted))
	for i, e := range r.sorted {
		names[i] = e.info.Name
	}
	known := strings.Join(names, ", ")
	if known == "" {
		known = "none registered"
	}
	return fmt.Errorf("%w %q (known: %s)", ErrUnknownAbility, name, known)
}

// Trip forces the named ability's breaker open until Reset. After Close it
// fails with ErrClosed, as Reset and SetFault do.
func (a *Agent) Trip(name string) error {
	e, err := a.entryFor(name)
	if err != nil {
		return fmt.Errorf("trip: %w", err)
	}
	if a.closed.Load() {
		return fmt.Errorf("trip %s: %w", name, ErrClosed)
	}
	e.breaker.Trip()
	return nil
}

// Reset closes the named ability's breaker and clears its window.
func (a *Agent) Reset(name string) error {
	e, err := a.entryFor(name)
	if err != nil {
		return fmt.Errorf("reset: %w", err)
	}
	if a.closed.Load() {
		return fmt.Errorf("reset %s: %w", name, ErrClosed)
	}
	e.breaker.Reset()
	return nil
}

// ResetAll resets every ability's breaker.
func (a *Agent) ResetAll() {
	for _, e := range a.registry.Load().sorted {
		e.breaker.Reset()
	}
}

// Fault describes failures injected into an ability's executions, to see
// how the breaker, the limit and the dashboard react. Injection happens
// after a concurrency slot is taken and within the timeout: first the added
// latency, then the failure draw. Cache hits are not affected.
type Fault struct {
	// FailureRate is the probability, 0 to 1, that an execution fails with
	// ErrFault instead of running the ability.
	FailureRate float64
	// Latency is added before every execution.
	Latency time.Duration
}

// SetFault sets the fault injected into the named ability; the zero Fault
// turns injection off. It may be called at any time before Close.
func (a *Agent) SetFault(name string, f Fault) error {
	e, err := a.entryFor(name)
	if err != nil {
		return fmt.Errorf("set fault: %w", err)
	}
	if a.closed.Load() {
		return fmt.Errorf("set fault on %s: %w", name, ErrClosed)
	}
	if !(f.FailureRate >= 0 && f.FailureRate <= 1) { // also rejects NaN
		return fmt.Errorf("set fault on %q: failure rate %v is outside [0, 1]", name, f.FailureRate)
	}
	if f.Latency < 0 || f.Latency > MaxFaultLatency {
		return fmt.Errorf("set fault on %q: latency %s is outside 0 to %s", name, f.Latency, MaxFaultLatency)
	}
	if f == (Fault{}) {
		e.fault.Store(nil)
	} else {
		e.fault.Store(&f)
	}
	return nil
}

// Fault returns the fault currently injected into the named ability.
func (a *Agent) Fault(name string) (Fault, error) {
	e, err := a.entryFor(name)
	if err != nil {
		return Fault{}, fmt.Errorf("fault: %w", err)
	}
	if f := e.fault.Load(); f != nil {
		return *f, nil
	}
	return Fault{}, nil
}

// Close stops the agent: new calls and registrations fail with ErrClosed,
// as do the calls waiting for a concurrency slot (no ability starts once
// Close has begun), running abilities see their context canceled, and
// Close waits until they
// have returned (an ability that ignores its context delays Close until it
// returns; Shutdown bounds the wait). It then stops the caches' clean-up
// goroutines and closes every subscription. Close is idempotent. An
// ability must not call Close, which would wait for the ability itself:
// it may call go a.Close() instead.
func (a *Agent) Close() {
	a.closeOnce.Do(func() {
		a.regMu.Lock()
		a.closed.Store(true)
		idle := a.running.Or(closingBit) == 0
		a.regMu.Unlock()
		a.cancel()
		if !idle {
			<-a.drained
		}
		for _, e := range a.registry.Load().sorted {
			if e.cache != nil {
				e.cache.StopAllGoroutines()
			}
		}
		if a.cacheClock != nil {
			a.cacheClock.Stop()
		}
		a.subMu.Lock()
		subs := a.subs.Swap(nil)
		a.wantResults.Store(resultsNone)
		a.subMu.Unlock()
		if subs != nil {
			for _, s := range *subs {
				s.closeChannel()
			}
		}
	})
}

// Shutdown is Close bounded by ctx: it returns nil once Close has
// finished, or ctx's error if ctx ends first. Close then goes on in the
// background until the abilities that ignore their context return; a
// program that is about to exit (after a timeout, say) does not have to
// wait for them.
func (a *Agent) Shutdown(ctx context.Context) error {
	done := make(chan struct{})
	go func() {
		defer close(done)
		a.Close()
	}()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// begin registers an execution unless the agent is closed; end
// unregisters it. One atomic counter, with a bit for "closing", does what
// a read-locked WaitGroup would, at a single atomic operation each way:
// once Close has set the bit, begin fails, and the end that brings the
// count to zero tells Close that the running executions have returned.
func (a *Agent) begin() bool {
	if a.running.Add(1)&closingBit != 0 {
		a.end()
		return false
	}
	return true
}

func (a *Agent) end() {
	if a.running.Add(-1) == closingBit {
		a.drainOnce.Do(func() { close(a.drained) })
	}
}

const closingBit = 1 << 62
