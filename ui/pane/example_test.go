package pane_test

import (
	"fmt"
	"time"

	"github.com/agentdash/agentdash/ui/pane"
)

func ExampleSparkline() {
	callsPerSecond := []float64{0, 1, 2, 4, 8, 4, 2, 1}
	fmt.Printf("[%s]\n", pane.Sparkline(callsPerSecond, 8))
	fmt.Printf("[%s]\n", pane.Sparkline(callsPerSecond, 4)) // two seconds per cell
	fmt.Printf("[%s]\n", pane.Sparkline(callsPerSecond[:3], 6))
	// Output:
	// [ ▁▂▄█▄▂▁]
	// [▁▄█▂]
	// [    ▄█]
}

func ExampleDuration() {
	for _, d := range []time.Duration{420 * time.Nanosecond, 850 * time.Microsecond, 12300 * time.Microsecond,
		1256 * time.Millisecond, 2*time.Minute + 3*time.Second} {
		fmt.Println(pane.Duration(d))
	}
	// Output:
	// 420ns
	// 850µs
	// 12.3ms
	// 1.26s
	// 2m03s
}
