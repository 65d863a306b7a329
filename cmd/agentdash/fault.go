package main

import (
	"fmt"
	"math"
	"strconv"
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
	rate, err := parseRate(rateText)
	if err != nil {
		return faultSpec{}, fmt.Errorf("--fault %q: failure rate: %w", s, err)
	}
	var lat time.Duration
	if hasLat {
		lat, err = time.ParseDuration(latText)
		if err != nil {
			return faultSpec{}, fmt.Errorf("--fault %q: latency %q: want a duration such as 50ms", s, latText)
		}
		if lat < 0 {
			return faultSpec{}, fmt.Errorf("--fault %q: latency %s is negative", s, lat)
		}
	}
	return faultSpec{raw: s, ability: name, fault: agent.Fault{FailureRate: rate, Latency: lat}}, nil
}

// parseRate parses a probability written as a fraction ("0.25") or a
// percentage ("25%").
func parseRate(s string) (float64, error) {
	pct := strings.HasSuffix(s, "%")
	num := strings.TrimSuffix(s, "%")
	r, err := strconv.ParseFloat(num, 64)
	// ParseFloat takes Go's digit separators ("0_5" is 5): not here.
	if err != nil || math.IsNaN(r) || math.IsInf(r, 0) || strings.Contains(num, "_") {
		return 0, fmt.Errorf("%q is not a number", s)
	}
	if pct {
		r /= 100
	}
	if r < 0 || r > 1 {
		return 0, fmt.Errorf("%s is outside 0 to 1 (0%% to 100%%)", s)
	}
	return r, nil
}
