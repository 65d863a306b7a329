// Package benchpair times two ways of doing the same work side by side in
// one benchmark, so that both see the same load on a shared machine.
package benchpair

import (
	"slices"
	"testing"
	"time"
)

// Medians runs ours and then theirs once per b.Loop iteration and returns
// the median duration of each; an error from either fails the benchmark.
// Medians rather than means, so that a stall on a loaded machine does not
// decide the comparison.
func Medians(b *testing.B, ours, theirs func() error) (o, t time.Duration) {
	b.Helper()
	m := MediansOf(b, ours, theirs)
	return m[0], m[1]
}

// MediansOf is Medians for any number of ways: each runs once per b.Loop
// iteration, in order, and the result holds the median duration of each.
func MediansOf(b *testing.B, ways ...func() error) []time.Duration {
	b.Helper()
	times := make([][]time.Duration, len(ways))
	for b.Loop() {
		for i, f := range ways {
			start := time.Now()
			if err := f(); err != nil {
				b.Fatal(err)
			}
			times[i] = append(times[i], time.Since(start))
		}
	}
	out := make([]time.Duration, len(ways))
	for i, d := range times {
		out[i] = median(d)
	}
	return out
}

func median(d []time.Duration) time.Duration {
	slices.Sort(d)
	return d[len(d)/2]
}
