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
	var ourTimes, theirTimes []time.Duration
	for b.Loop() {
		start := time.Now()
		if err := ours(); err != nil {
			b.Fatal(err)
		}
		mid := time.Now()
		if err := theirs(); err != nil {
			b.Fatal(err)
		}
		ourTimes, theirTimes = append(ourTimes, mid.Sub(start)), append(theirTimes, time.Since(mid))
	}
	return median(ourTimes), median(theirTimes)
}

func median(d []time.Duration) time.Duration {
	slices.Sort(d)
	return d[len(d)/2]
}
