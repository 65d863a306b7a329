package main

import (
	"fmt"
	"strings"
	"time"

	"github.com/agentdash/agentdash/internal/agent"
)

// faultSpec is one --fault flag: inject f into the named ability.
type faultSpec struct {
	raw     string // the flag's value
	ability string
	fault   agent.Fault
}

// parseFault parses NAME=RATE[/LATENCY], e.g. "flaky=0.9", "sum=50%/20ms"
// or "sleep=0/1s": a failure probability (a fraction or a percentage) and
// an optional added latency (a Go duration).
func parseFault(s string) (faultSpec, error) {
	name, spec, ok := strings.Cut(s, "=")
	if !ok || name == "" || spec == "" {
		return faultSpec{}, fmt.Errorf("--fault %q: want NAME=RATE[/LATENCY], e.g. flaky=0.9/50ms", s)
	}
	rateText, latText, hasLat := strings.Cut(spec, "/")
	rate, err := agent.ParseFaultRate(rateText, false)
	if err != nil {
		return faultSpec{}, fmt.Errorf("--fault %q: failure rate: %w", s, err)
	}
	var lat time.Duration
	if hasLat {
		if lat, err = agent.ParseFaultLatency(latText, false); err != nil {
			return faultSpec{}, fmt.Errorf("--fault %q: latency: %w", s, err)
		}
	}
	return faultSpec{raw: s, ability: name, fault: agent.Fault{FailureRate: rate, Latency: lat}}, nil
}
