package command

import (
	"context"
	"os/exec"
	"slices"
	"testing"
	"time"
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
	var ours, theirs []time.Duration
	for b.Loop() {
		start := time.Now()
		if _, err := f(ctx, args); err != nil {
			b.Fatal(err)
		}
		mid := time.Now()
		if _, err := exec.CommandContext(ctx, path).Output(); err != nil {
			b.Fatal(err)
		}
		ours, theirs = append(ours, mid.Sub(start)), append(theirs, time.Since(mid))
	}
	slices.Sort(ours)
	slices.Sort(theirs)
	o, t := ours[len(ours)/2], theirs[len(theirs)/2]
	b.ReportMetric(float64(o), "ability-p50-ns")
	b.ReportMetric(float64(t), "bare-p50-ns")
	b.ReportMetric(float64(o)/float64(t), "ratio")
}
