package main

import (
	"context"
	"io"
	"testing"
)

// TestMoreExitCodes pins the exit status of the usage errors and failures
// that TestExitCodes leaves out.
func TestMoreExitCodes(t *testing.T) {
	tests := []struct {
		name string
		args []string
		code int
		want string // on the one stderr line
	}{
		{"negative duration", []string{"serve", "--duration", "-1s"}, 2, "--duration -1s: must not be negative"},
		{"bad load mode", []string{"serve", "--load-mode", "wild"}, 2, "--load-mode"},
		{"unknown load ability", []string{"serve", "--load", "1", "--load-ability", "nope"}, 2, `--load-ability "nope": unknown ability`},
		{"bad fault", []string{"abilities", "--fault", "flaky"}, 2, `--fault "flaky": want NAME=RATE[/LATENCY]`},
		{"bad fault rate", []string{"call", "--fault", "sum=2", "sum"}, 2, `--fault "sum=2": failure rate`},
		{"bad shorthand", []string{"train", "-Epochs", "8"}, 2, "did you mean --epochs?"},
		{"help on nothing known", []string{"help", "train", "extra"}, 2, `help: unknown command "train extra"`},
		{"failing call", []string{"call", "--fault", "sum=1", "sum", `{"a": 1, "b": 2}`}, 1, "injected fault"},
		{"failing call with a timeout flag", []string{"call", "--timeout", "5s", "--fault", "uppercase=1", "uppercase", `{"text": "x"}`}, 1, "injected fault"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := runCmd(t, "", tt.args...)
			if r.code != tt.code {
				t.Fatalf("%v: exit %d, want %d (%s)", tt.args, r.code, tt.code, r.stderr)
			}
			r.wantOneLine(t, tt.want)
		})
	}
}

// TestServeInterruptedExitsZero: serve stopped by a signal (its context)
// ends its job: exit 0.
func TestServeInterruptedExitsZero(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if code := run(ctx, []string{"serve", "--metrics-addr", "127.0.0.1:0"}, nil, io.Discard, io.Discard, func(string) string { return "" }); code != 0 {
		t.Fatalf("serve interrupted: exit %d, want 0", code)
	}
}
