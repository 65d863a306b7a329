package control

import (
	"context"
	"testing"

	"golang.org/x/sync/errgroup"

	"github.com/agentdash/agentdash/internal/agent"
	"github.com/agentdash/agentdash/internal/benchpair"
)

// BenchmarkCallThroughput measures the agent's calls with no viewer and
// with a dashboard attached (a Client streaming at the dashboard's 15
// frames per second): the pair shows what a viewer costs the agent. The
// sub-benchmarks alternate under -count, so both see the same machine.
func BenchmarkCallThroughput(b *testing.B) {
	args := map[string]any{"a": 1.0, "b": 2.0}
	run := func(b *testing.B, viewer bool) {
		a := newTestAgent(b)
		if viewer {
			f := start(b, a, shortDir(b), 900, ListenOptions{}, ServerOptions{})
			c, err := Dial(b.Context(), Target{Socket: f.ep.Info().Socket}, ClientOptions{FPS: 15})
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(c.Close)
		}
		ctx := context.Background()
		b.ReportAllocs()
		b.ResetTimer()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if _, err := a.Call(ctx, "sum", args); err != nil {
					b.Error(err)
					return
				}
			}
		})
	}
	b.Run("viewer=none", func(b *testing.B) { run(b, false) })
	b.Run("viewer=streaming", func(b *testing.B) { run(b, true) })
}

// BenchmarkCallPaired times batches of calls on an agent with a viewer
// streaming and on one without, alternately (benchpair), and reports the
// viewed agent's throughput as a share of the other's: the per-call cost
// of being watched, on a machine both see alike.
func BenchmarkCallPaired(b *testing.B) { benchPaired(b, false) }

// BenchmarkCallPairedCallers is BenchmarkCallPaired with the viewer an
// attach to an MCP server asks for: results=callers, so that every call
// builds its result event (none names a caller here: all are skipped).
func BenchmarkCallPairedCallers(b *testing.B) { benchPaired(b, true) }

func benchPaired(b *testing.B, callers bool) {
	args := map[string]any{"a": 1.0, "b": 2.0}
	viewed, plain := newTestAgent(b), newTestAgent(b)
	f := start(b, viewed, shortDir(b), 901, ListenOptions{}, ServerOptions{})
	c, err := Dial(b.Context(), Target{Socket: f.ep.Info().Socket}, ClientOptions{FPS: 15, Callers: callers})
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	const batch = 2000
	calls := func(a *agent.Agent) func() error {
		return func() error {
			var g errgroup.Group
			for range 2 {
				g.Go(func() error {
					for range batch / 2 {
						if _, err := a.Call(context.Background(), "sum", args); err != nil {
							return err
						}
					}
					return nil
				})
			}
			return g.Wait()
		}
	}
	t, o := benchpair.Medians(b, calls(plain), calls(viewed))
	b.ReportMetric(float64(o.Nanoseconds())/batch, "ns/call-viewed")
	b.ReportMetric(float64(t.Nanoseconds())/batch, "ns/call-unviewed")
	b.ReportMetric(100*float64(t)/float64(o), "%throughput-viewed")
}
