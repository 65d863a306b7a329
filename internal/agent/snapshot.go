package agent

import (
	"time"

	"github.com/agentdash/agentdash/internal/breaker"
	"github.com/agentdash/agentdash/internal/latency"
)

// Snapshot is a point-in-time view of the agent for the dashboard and the
// exporter. Each counter is read atomically; the snapshot as a whole is not
// taken under a lock, so counters of a call in progress may be seen in
// different states.
type Snapshot struct {
	Name   string        // Options.Name
	Taken  time.Time     // when the snapshot was taken
	Uptime time.Duration // since New
	// Limit is MaxConcurrent; InUse the slots taken (running abilities,
	// including ones whose caller gave up, and injected latency); Waiting
	// the calls waiting for a global slot (those waiting for their
	// ability's own slot are counted by AbilityStats.Waiting).
	Limit, InUse, Waiting int
	// Rate is the calls per second of all abilities over the last 10 s.
	Rate      float64
	Abilities []AbilityStats // sorted by name
}

// AbilityStats are the metrics of one ability.
type AbilityStats struct {
	Name string
	// Calls counts every call that found the ability; Outcomes splits it,
	// indexed by Outcome (a cache hit is a success).
	Calls    uint64
	Outcomes [NumOutcomes]uint64
	// Cache counters (zero when the ability is not Cached). Evictions
	// counts entries removed for size or expiry; CacheEntries is the
	// number of results held now, counting an expired one until otter's
	// expiry removes it, shortly after its TTL (it is never served), and
	// briefly more than Options.CacheSize under a storm of new keys (see
	// there); Cached says whether the ability has a cache (CacheTTL > 0).
	CacheHits, CacheMisses, CacheEvictions uint64
	CacheEntries                           int
	Cached                                 bool
	// InFlight is the number of executions of the ability running now,
	// including ones whose caller gave up.
	InFlight int64
	// Limit is the ability's own concurrency limit (Ability.MaxConcurrent),
	// 0 for none; Waiting the calls waiting for one of its slots.
	Limit   int
	Waiting int64
	// Latency (all time) and Recent (last minute) summarize the latency of
	// calls that passed validation and the breaker.
	Latency, Recent latency.Summary
	// Rate is calls per second over the last 10 s; RateSeries the calls in
	// each of the last 60 seconds, oldest first.
	Rate       float64
	RateSeries []float64
	// LastError is the message of the latest failure the breaker counted
	// (OutcomeFailure or OutcomeTimeout) and LastErrorAt its time; empty
	// when there was none. Once the breaker opens, it still says what
	// opened it.
	LastError   string
	LastErrorAt time.Time
	// LastRejection is the message of the latest call refused for its
	// arguments, by the breaker or by the concurrency limit
	// (OutcomeBadArgs, OutcomeShortCircuited, OutcomeRejected) and
	// LastRejectionAt its time; empty when there was none. Canceled calls
	// are recorded in neither.
	LastRejection   string
	LastRejectionAt time.Time
	Breaker         breaker.Stats // the breaker's state, window and last transition
	Fault           Fault         // the fault injected now; zero for none
	// LatencyBuckets are the all-time cumulative buckets for Prometheus.
	LatencyBuckets []latency.Bucket
}

// Snapshot returns the current metrics of the agent and of every ability.
// It allocates a fresh snapshot and is cheap enough to call many times a
// second.
func (a *Agent) Snapshot() Snapshot {
	now := a.now()
	reg := a.registry.Load()
	s := Snapshot{
		Name:      a.opts.Name,
		Taken:     now,
		Uptime:    now.Sub(a.started),
		Limit:     a.opts.MaxConcurrent,
		InUse:     int(a.inUse.Load()),
		Waiting:   int(a.waiting.Load()),
		Abilities: make([]AbilityStats, len(reg.sorted)),
	}
	for i, e := range reg.sorted {
		st := e.stats()
		s.Rate += st.Rate
		s.Abilities[i] = st
	}
	return s
}

func (e *entry) stats() AbilityStats {
	st := AbilityStats{
		Name:       e.info.Name,
		Cached:     e.cache != nil,
		InFlight:   e.inFlight.Load(),
		Recent:     e.hist.Recent(),
		Rate:       e.rate.PerSecond(),
		RateSeries: e.rate.Series(make([]float64, 0, 60)),
		Breaker:    e.breaker.Stats(),
	}
	if e.limit != nil {
		st.Limit, st.Waiting = e.info.MaxConcurrent, e.limit.waiting.Load()
	}
	st.Latency, st.LatencyBuckets = e.hist.SummaryAndBuckets(nil)
	for o := range st.Outcomes {
		st.Outcomes[o] = e.outcomes[o].Load()
		st.Calls += st.Outcomes[o]
	}
	if e.cache != nil {
		st.CacheHits, st.CacheMisses = e.cacheHits.Load(), e.cacheMisses.Load()
		st.Outcomes[OutcomeSuccess] += st.CacheHits // counted once, by the hit path
		st.Calls += st.CacheHits
		st.CacheEvictions = e.cacheEvictions.Load()
		st.CacheEntries = e.cache.EstimatedSize()
	}
	if le := e.lastErr.Load(); le != nil {
		st.LastError, st.LastErrorAt = le.msg, le.at
	}
	if lr := e.lastRejection.Load(); lr != nil {
		st.LastRejection, st.LastRejectionAt = lr.msg, lr.at
	}
	if f := e.fault.Load(); f != nil {
		st.Fault = *f
	}
	return st
}
