package control

import (
	"context"
	"testing"
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
