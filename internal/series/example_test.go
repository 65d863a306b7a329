package series_test

import (
	"fmt"

	"github.com/agentdash/agentdash/internal/series"
)

func ExampleBounded() {
	// Keep a million samples in 8 buckets; the spike at 500,000 survives.
	b := series.NewBounded(8)
	for i := range 1_000_000 {
		x := 1.0
		if i == 500_000 {
			x = 42
		}
		b.Add(x)
	}
	fmt.Println(b.Len(), "samples in", len(b.Buckets()), "buckets")
	for _, k := range series.Resample(b.Buckets(), 0, b.Len(), 2) {
		fmt.Printf("[%d,%d) min %g max %g mean %.6f\n", k.Start, k.End(), k.Min, k.Max, k.Mean())
	}
	// Output:
	// 1000000 samples in 8 buckets
	// [0,524288) min 1 max 42 mean 1.000078
	// [524288,1000000) min 1 max 1 mean 1.000000
}
