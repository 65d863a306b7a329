package agent

import (
	"errors"
	"fmt"
	"reflect"

	"github.com/agentdash/agentdash/internal/schema"
)

// Apply replaces the registered abilities with abs in one step, as a
// reload of a configuration does. Every ability is checked first, as
// Register checks it; if any is invalid, or two share a name, nothing
// changes and the error lists every problem. Otherwise calls that start
// after Apply returns see exactly abs:
//
//   - an ability not registered before is added;
//   - an ability not in abs is removed: new calls fail as for an unknown
//     name, while calls already past the lookup finish as they began;
//   - an ability of a registered name takes abs's function, description,
//     schema, timeout, TTL, isolation, hints and source, and its
//     concurrency limit, which also binds the calls already running (a
//     lower limit lets new calls in once fewer run); it keeps its metrics
//     (counters, latencies, last errors) and its injected fault; it keeps
//     its breaker, with its state, when the breaker rule is the same, and
//     gets a new, closed breaker when the rule changed; it keeps its
//     cached results when Definition, the schema and CacheTTL are the
//     same, and starts with an empty cache otherwise.
//
// Calls running during Apply finish under the definition they started
// with. After Close it fails with ErrClosed.
func (a *Agent) Apply(abs []Ability) error {
	type prepared struct {
		ab       Ability
		compiled *schema.Compiled
	}
	var errs []error
	ready := make([]prepared, 0, len(abs))
	seen := make(map[string]bool, len(abs))
	for _, ab := range abs {
		if seen[ab.Name] {
			errs = append(errs, fmt.Errorf("ability %q: given more than once", ab.Name))
			continue
		}
		seen[ab.Name] = true
		p, compiled, err := a.prepare(ab)
		if err != nil {
			errs = append(errs, fmt.Errorf("ability %q: %w", ab.Name, err))
			continue
		}
		ready = append(ready, prepared{p, compiled})
	}
	if len(errs) > 0 {
		return fmt.Errorf("apply: %w", errors.Join(errs...))
	}

	a.regMu.Lock()
	defer a.regMu.Unlock()
	if a.closed.Load() {
		return fmt.Errorf("apply: %w", ErrClosed)
	}
	old := a.registry.Load()
	byName := make(map[string]*entry, len(ready))
	for _, p := range ready {
		e, err := a.newEntry(p.ab, p.compiled, old.byName[p.ab.Name])
		if err != nil { // not expected: prepare has checked what newEntry can refuse
			for _, n := range byName {
				if prev := old.byName[n.info.Name]; n.cache != nil && (prev == nil || prev.cache != n.cache) {
					n.cache.StopAllGoroutines()
				}
			}
			return fmt.Errorf("apply: ability %q: %w", p.ab.Name, err)
		}
		byName[p.ab.Name] = e
	}
	a.registry.Store(newRegistry(byName))

	// The caches no entry uses any more stop their clean-up goroutines.
	// A call still running on a replaced entry may store into one: otter
	// takes it, and nobody reads it again.
	for name, prev := range old.byName {
		if prev.cache == nil {
			continue
		}
		if e := byName[name]; e == nil || e.cache != prev.cache {
			prev.cache.StopAllGoroutines()
		}
	}
	return nil
}

// keepsCache reports whether the entry replacing e for ab, prepared, can
// keep e's cached results: the same definition, schema and TTL.
func (e *entry) keepsCache(ab Ability) bool {
	return e.cache != nil && e.cacheTTL == ab.CacheTTL && e.info.Definition == ab.Definition &&
		(e.info.Schema == ab.Schema || reflect.DeepEqual(e.info.Schema, ab.Schema))
}
