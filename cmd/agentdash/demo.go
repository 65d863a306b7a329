package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/agentdash/agentdash/internal/agent"
	"github.com/agentdash/agentdash/internal/latency"
	"github.com/agentdash/agentdash/internal/schema"
	"github.com/agentdash/agentdash/ui/pane"
)

// demoCalls are the calls of the original demo script.
var demoCalls = []struct {
	ability string
	args    string
}{
	{"uppercase", `{"text": "orfeas"}`},
	{"sum", `{"a": 2, "b": 3}`},
}

// demoResult is one call of `demo --json`.
type demoResult struct {
	Ability        string         `json:"ability"`
	Args           map[string]any `json:"args"`
	Result         any            `json:"result"`
	Cached         bool           `json:"cached"`
	LatencySeconds float64        `json:"latency_seconds"`
	Outcome        string         `json:"outcome"`
	Error          string         `json:"error,omitempty"`
}

// abilityMetrics is one ability's row of `demo --json`.
type abilityMetrics struct {
	Ability      string            `json:"ability"`
	Calls        uint64            `json:"calls"`
	Outcomes     map[string]uint64 `json:"outcomes"`
	CacheHits    uint64            `json:"cache_hits"`
	CacheMisses  uint64            `json:"cache_misses"`
	P50Seconds   float64           `json:"p50_seconds"`
	P95Seconds   float64           `json:"p95_seconds"`
	P99Seconds   float64           `json:"p99_seconds"`
	BreakerState string            `json:"breaker_state"`
}

func newDemoCmd(env *environment) *cobra.Command {
	var (
		af     agentFlags
		asJSON bool
	)
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Call uppercase and sum twice each and print the results and metrics",
		Long: `Run the original demo: call uppercase {"text": "orfeas"} and sum {"a": 2, "b": 3}
twice each (the second call of each is served from the cache) and print the
results and a metrics table.`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if cfg := env.config; cfg != nil && cfg.Demo != nil && !*cfg.Demo {
				return usage(fmt.Errorf("demo: the built-in abilities it calls are off (demo: false in %s)", cfg.File))
			}
			a, err := af.newAgent(env)
			if err != nil {
				return err
			}
			defer af.closeAgent(a)
			return runDemo(cmd.Context(), env, a, asJSON)
		},
	}
	af.register(cmd.Flags())
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the calls and metrics as one JSON object")
	return cmd
}

// runDemo makes the demo's calls and prints them with the metrics. A call
// that fails (a --fault, say) is shown with its error and the demo goes
// on, so that the metrics show it too; the exit status is then 1.
func runDemo(ctx context.Context, env *environment, a *agent.Agent, asJSON bool) error {
	var (
		results  []demoResult
		firstErr error
	)
	for round := 0; round < 2; round++ {
		for _, c := range demoCalls {
			args, err := schema.ParseArgs([]byte(c.args))
			if err != nil {
				return fmt.Errorf("demo %s: %w", c.ability, err)
			}
			res, err := a.Call(ctx, c.ability, args)
			r := demoResult{Ability: c.ability, Args: args, Result: res.Value,
				Cached: res.Cached, LatencySeconds: res.Latency.Seconds(), Outcome: res.Outcome.String()}
			if err != nil {
				r.Error = err.Error()
				if firstErr == nil {
					firstErr = err
				}
			}
			results = append(results, r)
		}
	}
	if firstErr != nil {
		firstErr = fmt.Errorf("demo: %w", firstErr)
	}
	snap := a.Snapshot()
	if asJSON {
		out := struct {
			Calls   []demoResult     `json:"calls"`
			Metrics []abilityMetrics `json:"metrics"`
		}{Calls: results}
		for _, ab := range snap.Abilities {
			if ab.Calls == 0 {
				continue
			}
			m := abilityMetrics{Ability: ab.Name, Calls: ab.Calls, Outcomes: map[string]uint64{},
				CacheHits: ab.CacheHits, CacheMisses: ab.CacheMisses,
				P50Seconds: ab.Latency.P50.Seconds(), P95Seconds: ab.Latency.P95.Seconds(),
				P99Seconds: ab.Latency.P99.Seconds(), BreakerState: ab.Breaker.State.String()}
			for o := agent.Outcome(0); o < agent.NumOutcomes; o++ {
				m.Outcomes[o.String()] = ab.Outcomes[o]
			}
			out.Metrics = append(out.Metrics, m)
		}
		if err := writeJSON(env.stdout, out, isTerminal(env.stdout)); err != nil {
			return err
		}
		if firstErr != nil {
			return fmt.Errorf("%w: %w", errSilentFailure, firstErr) // reported in the object
		}
		return nil
	}
	for _, r := range results {
		args, _ := json.Marshal(r.Args)
		val, _ := json.Marshal(r.Result)
		if r.Error != "" {
			val = []byte(r.Outcome)
		}
		cached := ""
		if r.Cached {
			cached = ", cached"
		}
		fmt.Fprintf(env.stdout, "%-9s %-20s -> %-10s (%s%s)\n", r.Ability, args, val,
			pane.Duration(time.Duration(r.LatencySeconds*float64(time.Second))), cached)
	}
	fmt.Fprintln(env.stdout)
	if err := writeMetricsTable(env.stdout, snap, true); err != nil {
		return err
	}
	return firstErr
}

// writeMetricsTable prints one row per ability; activeOnly skips abilities
// that were never called.
func writeMetricsTable(w io.Writer, snap agent.Snapshot, activeOnly bool) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ABILITY\tCALLS\tOK\tFAILED\tCACHE HIT/MISS\tP50\tP95\tP99\tBREAKER")
	for _, ab := range snap.Abilities {
		if activeOnly && ab.Calls == 0 {
			continue
		}
		cache := "-"
		if ab.Cached {
			cache = fmt.Sprintf("%d/%d", ab.CacheHits, ab.CacheMisses)
		}
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%s\t%s\t%s\t%s\t%s\n", ab.Name, ab.Calls,
			ab.Outcomes[agent.OutcomeSuccess], ab.Calls-ab.Outcomes[agent.OutcomeSuccess], cache,
			formatQuantile(ab.Latency, ab.Latency.P50), formatQuantile(ab.Latency, ab.Latency.P95),
			formatQuantile(ab.Latency, ab.Latency.P99), ab.Breaker.State)
	}
	if err := tw.Flush(); err != nil {
		return fmt.Errorf("write metrics: %w", err)
	}
	return nil
}

func formatQuantile(s latency.Summary, d time.Duration) string {
	if s.Count == 0 {
		return "-"
	}
	return pane.Duration(d)
}
