package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestTrainCompare: --compare draws the checkpoints given and the run
// together (a list with the changes, the losses and the convergence view),
// and implies --plot.
func TestTrainCompare(t *testing.T) {
	dir := chdir(t)
	a, b := filepath.Join(dir, "a.json"), filepath.Join(dir, "b.json")
	for _, run := range [][]string{
		{"train", "--quiet", "--epochs", "40", "--lr", "0.01", "--checkpoint", a},
		{"train", "--quiet", "--epochs", "40", "--lr", "0.02", "--checkpoint", b},
	} {
		if r := runCmd(t, "", run...); r.code != 0 {
			t.Fatalf("%v: exit %d: %s", run, r.code, r.stderr)
		}
	}
	r := runCmd(t, "", "train", "--quiet", "--epochs", "60", "--lr", "0.05", "--checkpoint", "", "--compare", a+","+b)
	if r.code != 0 {
		t.Fatalf("train --compare: exit %d: %s", r.code, r.stderr)
	}
	for _, want := range []string{
		"─1 a.json", "━2 b.json", "═3 this run", // the legend, in the order given, the run last
		"lr 0.01 → 0.02", "epochs 40 → 60, lr 0.02 → 0.05", // the changes from the run before
		"loss, log", "gap to optimum, log", "1% at",
	} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("output lacks %q:\n%s", want, r.stdout)
		}
	}
	if strings.Contains(r.stdout, "\x1b[") {
		t.Error("escape sequences in output that is not a terminal")
	}
}

// TestTrainCompareBadInput: a checkpoint to compare that is missing, not a
// checkpoint, or one too many is an input error naming it, before any
// training.
func TestTrainCompareBadInput(t *testing.T) {
	dir := chdir(t)
	good := filepath.Join(dir, "good.json")
	if r := runCmd(t, "", "train", "--quiet", "--epochs", "5", "--checkpoint", good); r.code != 0 {
		t.Fatalf("train: exit %d: %s", r.code, r.stderr)
	}
	notCk := filepath.Join(dir, "notes.json")
	if err := os.WriteFile(notCk, []byte(`{"hello": "world"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	text := filepath.Join(dir, "data.csv")
	if err := os.WriteFile(text, []byte("x,y\n1,2\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "out.json")
	tests := []struct {
		name string
		args []string
		want []string
	}{
		{"missing file", []string{"--compare", good + "," + filepath.Join(dir, "gone.json")}, []string{"--compare", "gone.json"}},
		{"not a checkpoint", []string{"--compare", notCk}, []string{"--compare", "notes.json", "not an agentdash checkpoint"}},
		{"not JSON", []string{"--compare", text}, []string{"--compare", "data.csv", "corrupt checkpoint"}},
		{"a directory", []string{"--compare", dir}, []string{"--compare", "not an agentdash checkpoint"}},
		{"too many", []string{"--compare", strings.Join([]string{good, good, good, good}, ",")}, []string{"at most 3 checkpoints"}},
		{"with --json", []string{"--json", "--compare", good}, []string{"--compare", "--json"}},
		{"empty path", []string{"--compare", good + ",,"}, []string{"--compare", "empty"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := runCmd(t, "", append([]string{"train", "--checkpoint", out}, tt.args...)...)
			if r.code != 2 {
				t.Fatalf("exit %d, want 2 (%s)", r.code, r.stderr)
			}
			r.wantOneLine(t, tt.want...)
			if _, err := os.Stat(out); err == nil {
				t.Error("a run was trained despite the bad --compare")
			}
		})
	}
}
