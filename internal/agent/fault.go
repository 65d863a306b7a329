package agent

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// MaxFaultLatency bounds the latency a Fault may add: beyond it every call
// would only time out (ability timeouts are far shorter).
const MaxFaultLatency = time.Hour

// ParseFaultRate reads a failure probability as people write it: a
// fraction ("0.25") or a percentage ("25%", "25 %"); with percent, a bare
// number is a percentage too (a field labelled "failure %"). Blanks around
// it are ignored and "" is 0. It refuses what is not a plain number
// (strconv's digit separators included: "0_5" is not 5), and values
// outside 0 to 100 %.
func ParseFaultRate(s string, percent bool) (float64, error) {
	typed := strings.TrimSpace(s)
	num := typed
	if trimmed, ok := strings.CutSuffix(typed, "%"); ok {
		num, percent = strings.TrimSpace(trimmed), true
	}
	if num == "" {
		return 0, nil
	}
	r, err := strconv.ParseFloat(num, 64)
	if err != nil || strings.Contains(num, "_") || math.IsNaN(r) || math.IsInf(r, 0) {
		return 0, fmt.Errorf("%q is not a number", typed)
	}
	if percent {
		r /= 100
	}
	if r < 0 || r > 1 {
		if percent {
			return 0, fmt.Errorf("%s%% is outside 0%% to 100%%", num)
		}
		return 0, fmt.Errorf("%s is outside 0 to 1 (or write a percentage: 25%%)", num)
	}
	return r, nil
}

// ParseFaultLatency reads the latency a Fault adds: a Go duration ("250ms",
// "1.5s"), or with millis a bare number of milliseconds ("250"). Blanks
// around it are ignored and "" is 0. It refuses negative latencies and
// ones over MaxFaultLatency.
func ParseFaultLatency(s string, millis bool) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		ms, nerr := strconv.ParseFloat(s, 64)
		if !millis || nerr != nil || strings.Contains(s, "_") || math.IsNaN(ms) || math.IsInf(ms, 0) {
			return 0, fmt.Errorf("%q is not a duration such as 250ms or 1.5s", s)
		}
		if math.Abs(ms) > float64(MaxFaultLatency/time.Millisecond) {
			return 0, fmt.Errorf("%q is over the %s limit", s, MaxFaultLatency)
		}
		d = time.Duration(ms * float64(time.Millisecond))
	}
	switch {
	case d < 0:
		return 0, fmt.Errorf("%q is negative", s)
	case d > MaxFaultLatency:
		return 0, fmt.Errorf("%q is over the %s limit", s, MaxFaultLatency)
	}
	return d, nil
}
