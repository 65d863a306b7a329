package command

import (
	"context"
	"os/exec"
	"testing"

	"github.com/agentdash/agentdash/internal/benchpair"
)

// The pair compares an ability running true(1) with os/exec running it
// bare, capturing stdout as the ability does (exec.Cmd.Output); README's
// Performance section has the figures.

func truePath(b *testing.B) string {
	path, err := exec.LookPath("true")
	if err != nil {
		b.Skip("no true(1) here")
	}
	return path
}

func BenchmarkCommand(b *testing.B) {
	f, err := New(Spec{Argv: []string{truePath(b)}})
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	args := map[string]any{"text": "hello"}
	for b.Loop() {
		if _, err := f(ctx, args); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkBareExec(b *testing.B) {
	path := truePath(b)
	ctx := context.Background()
	for b.Loop() {
		if _, err := exec.CommandContext(ctx, path).Output(); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCommandPaired alternates an ability run and a bare run and
// reports the median duration of each and their ratio, so that both sides
// see the same load on a shared machine.
func BenchmarkCommandPaired(b *testing.B) {
	path := truePath(b)
	f, err := New(Spec{Argv: []string{path}})
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	args := map[string]any{"text": "hello"}
	o, t := benchpair.Medians(b,
		func() error { _, err := f(ctx, args); return err },
		func() error { _, err := exec.CommandContext(ctx, path).Output(); return err })
	b.ReportMetric(float64(o), "ability-p50-ns")
	b.ReportMetric(float64(t), "bare-p50-ns")
	b.ReportMetric(float64(o)/float64(t), "ratio")
}
