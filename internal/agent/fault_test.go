package agent

import (
	"strings"
	"testing"
	"time"
)

func TestParseFaultRate(t *testing.T) {
	tests := []struct {
		in      string
		percent bool
		want    float64
		err     string
	}{
		{"0.25", false, 0.25, ""},
		{"25%", false, 0.25, ""},
		{" 25 % ", false, 0.25, ""},
		{"25", true, 0.25, ""},
		{"", false, 0, ""},
		{"%", true, 0, ""},
		{"1", false, 1, ""},
		{"100", true, 1, ""},
		{"1.5", false, 0, "1.5 is outside 0 to 1"},
		{"150", true, 0, "150% is outside 0% to 100%"},
		{"-1%", false, 0, "-1% is outside"},
		{"0_5", false, 0, `"0_5" is not a number`},
		{"NaN", false, 0, `"NaN" is not a number`},
		{"Inf", true, 0, `"Inf" is not a number`},
		{"lots", false, 0, `"lots" is not a number`},
		{"5 %%", true, 0, `"5 %%" is not a number`},
	}
	for _, tt := range tests {
		got, err := ParseFaultRate(tt.in, tt.percent)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("ParseFaultRate(%q, %v) = %v, %v; want error %q", tt.in, tt.percent, got, err, tt.err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("ParseFaultRate(%q, %v) = %v, %v; want %v", tt.in, tt.percent, got, err, tt.want)
		}
	}
}

func TestParseFaultLatency(t *testing.T) {
	tests := []struct {
		in     string
		millis bool
		want   time.Duration
		err    string
	}{
		{"250ms", false, 250 * time.Millisecond, ""},
		{" 1.5s ", false, 1500 * time.Millisecond, ""},
		{"", false, 0, ""},
		{"250", true, 250 * time.Millisecond, ""},
		{"250", false, 0, `"250" is not a duration`},
		{"1h", false, time.Hour, ""},
		{"2h", false, 0, `"2h" is over the 1h0m0s limit`},
		{"1e12", true, 0, `"1e12" is over the 1h0m0s limit`},
		{"-5ms", false, 0, `"-5ms" is negative`},
		{"-5", true, 0, `"-5" is negative`},
		{"soon", true, 0, `"soon" is not a duration`},
		{"Inf", true, 0, `"Inf" is not a duration`},
		{"1_0", true, 0, `"1_0" is not a duration`},
	}
	for _, tt := range tests {
		got, err := ParseFaultLatency(tt.in, tt.millis)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("ParseFaultLatency(%q, %v) = %v, %v; want error %q", tt.in, tt.millis, got, err, tt.err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("ParseFaultLatency(%q, %v) = %v, %v; want %v", tt.in, tt.millis, got, err, tt.want)
		}
	}
}
