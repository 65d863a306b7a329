package main

import (
	"strings"
	"testing"
	"time"

	"github.com/agentdash/agentdash/internal/agent"
)

func TestParseFault(t *testing.T) {
	tests := []struct {
		in      string
		want    faultSpec
		wantErr string
	}{
		{in: "flaky=0.9", want: faultSpec{"flaky=0.9", "flaky", agent.Fault{FailureRate: 0.9}}},
		{in: "sum=50%/20ms", want: faultSpec{"sum=50%/20ms", "sum", agent.Fault{FailureRate: 0.5, Latency: 20 * time.Millisecond}}},
		{in: "sleep=0/1s", want: faultSpec{"sleep=0/1s", "sleep", agent.Fault{Latency: time.Second}}},
		{in: "flaky=1", want: faultSpec{"flaky=1", "flaky", agent.Fault{FailureRate: 1}}},
		{in: "flaky", wantErr: "want NAME=RATE[/LATENCY]"},
		{in: "=0.5", wantErr: "want NAME=RATE[/LATENCY]"},
		{in: "flaky=", wantErr: "want NAME=RATE[/LATENCY]"},
		{in: "flaky=lots", wantErr: `failure rate: "lots" is not a number`},
		{in: "flaky=1.5", wantErr: "1.5 is outside 0 to 1"},
		{in: "flaky=150%", wantErr: "150% is outside 0% to 100%"},
		{in: "flaky=-0.1", wantErr: "outside 0 to 1"},
		{in: "flaky=NaN", wantErr: "not a number"},
		{in: "flaky=0_5", wantErr: `"0_5" is not a number`}, // ParseFloat alone reads 5
		{in: "flaky=0.5/soon", wantErr: `latency: "soon" is not a duration`},
		{in: "flaky=0.5/-1s", wantErr: "negative"},
		{in: "flaky=0.5/2h", wantErr: `latency: "2h" is over the 1h0m0s limit`},
	}
	for _, tt := range tests {
		got, err := parseFault(tt.in)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !strings.Contains(err.Error(), "--fault") {
				t.Errorf("parseFault(%q) = %+v, %v; want an error mentioning --fault and %q", tt.in, got, err, tt.wantErr)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("parseFault(%q) = %+v, %v; want %+v", tt.in, got, err, tt.want)
		}
	}
}

// FuzzParseFault: any accepted flag is a valid fault (the agent takes it).
func FuzzParseFault(f *testing.F) {
	for _, s := range []string{"flaky=0.9", "sum=50%/20ms", "a=b", "x=1e-3/1h", "=", "n=0x1p-2/0"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		spec, err := parseFault(s)
		if err != nil {
			return
		}
		if spec.ability == "" || spec.fault.FailureRate < 0 || spec.fault.FailureRate > 1 || spec.fault.Latency < 0 {
			t.Fatalf("parseFault(%q) accepted an invalid fault %+v", s, spec)
		}
	})
}

func TestFaultFlag(t *testing.T) {
	r := runCmd(t, "", "call", "--fault", "sum=1", "sum", `{"a": 1, "b": 2}`)
	if r.code != 1 {
		t.Fatalf("sum with a 100%% fault: exit %d, want 1 (%s)", r.code, r.stderr)
	}
	r.wantOneLine(t, "injected fault")
	r = runCmd(t, "", "call", "--fault", "flaky=0", "flaky")
	if r.code != 0 {
		t.Errorf("flaky with its fault removed: exit %d (%s)", r.code, r.stderr)
	}
	r = runCmd(t, "", "call", "--fault", "nope=0.5", "sum", `{"a": 1, "b": 2}`)
	if r.code != 2 {
		t.Fatalf("fault on an unknown ability: exit %d, want 2", r.code)
	}
	r.wantOneLine(t, `unknown ability "nope"`)
}
