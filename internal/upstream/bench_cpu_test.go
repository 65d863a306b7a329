//go:build unix

package upstream

import (
	"syscall"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// BenchmarkGatewayCallCPU: the processor time (user and system, all
// goroutines) of one call through agentdash and of one direct call. On a
// loaded machine the latency of the in-memory hops is mostly waiting for a
// core; this is the work each call really costs.
func BenchmarkGatewayCallCPU(b *testing.B) {
	up := benchUpstream()
	for _, tc := range []struct {
		name string
		cs   func(b *testing.B) *mcp.ClientSession
		tool string
	}{
		{"direct", func(b *testing.B) *mcp.ClientSession { return connect(b, up) }, "echo"},
		{"gateway", func(b *testing.B) *mcp.ClientSession { return benchGateway(b, up, "") }, "up.echo"},
	} {
		b.Run(tc.name, func(b *testing.B) {
			f := call(tc.cs(b), tc.tool)
			start := cpuTime(b)
			n := 0
			for b.Loop() {
				if err := f(); err != nil {
					b.Fatal(err)
				}
				n++
			}
			b.ReportMetric(float64(cpuTime(b)-start)/float64(n), "cpu-ns/op")
		})
	}
}

// cpuTime is the process's processor time so far.
func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
