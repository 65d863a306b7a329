package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/agentdash/agentdash/internal/train"
)

// TestTrainExitCodes pins the exit status of every kind of error train
// can end with: bad flags, data, checkpoints to resume and checkpoint
// paths are input errors (2); a run that diverges is a failed job (1).
func TestTrainExitCodes(t *testing.T) {
	dir := chdir(t)
	file := func(name, content string) string {
		t.Helper()
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		return path
	}
	line := file("line.csv", "x,y\n1,3\n2,5\n3,7\n4,9\n5,11\n6,13\n")
	other := file("other.csv", "x,y\n1,2\n2,4\n3,6\n4,8\n5,10\n6,12\n")
	done := filepath.Join(dir, "done.json") // a finished 8-epoch run on line.csv
	if r := runCmd(t, "", "train", "--quiet", "--dataset", line, "--checkpoint", done); r.code != 0 {
		t.Fatalf("train: exit %d: %s", r.code, r.stderr)
	}
	ck, err := os.ReadFile(done)
	if err != nil {
		t.Fatal(err)
	}
	truncated := file("truncated.json", string(ck[:len(ck)/2]))
	newer := file("newer.json", strings.Replace(string(ck), `"version": 1,`, `"version": 99,`, 1))
	if !strings.Contains(string(ck), `"version": 1,`) {
		t.Fatalf("no version field in %s", ck)
	}
	foreign := file("foreign.json", `{"format": "something else"}`)
	ckpt := filepath.Join(dir, "m.json")

	tests := []struct {
		name string
		args []string
		code int
		want []string // on the one stderr line
	}{
		{"flag value", []string{"--epochs", "ten"}, 2, []string{"--epochs"}},
		{"unknown flag", []string{"--loud"}, 2, []string{"unknown flag: --loud"}},
		{"argument", []string{"extra"}, 2, []string{`takes no arguments, got "extra"`}},
		{"synthetic flag with a dataset", []string{"--dataset", line, "--noise", "1"}, 2, []string{"--noise applies to synthetic data only"}},
		{"adam flag with sgd", []string{"--beta1", "0.8"}, 2, []string{"--beta1 applies to --optimizer adam only, not sgd"}},
		{"momentum flag with adam", []string{"--optimizer", "adam", "--momentum", "0.5"}, 2, []string{"--momentum applies to --optimizer momentum only, not adam"}},
		{"adam flag with momentum", []string{"--optimizer", "momentum", "--eps", "1e-6"}, 2, []string{"--eps applies to --optimizer adam only"}},
		{"unknown optimizer", []string{"--optimizer", "rmsprop", "--momentum", "0.5"}, 2, []string{`optimizer "rmsprop" is not one of [sgd momentum adam]`}},
		{"unknown precondition", []string{"--precondition", "pca"}, 2, []string{`precondition "pca" is not one of [auto off whiten]`}},
		{"whiten without standardization", []string{"--precondition", "whiten"}, 2, []string{"precondition whiten needs standardized features"}},
		{"optimizer parameter", []string{"--optimizer", "adam", "--beta2", "1"}, 2, []string{"beta2 must be in [0, 1), got 1"}},
		{"resume with another optimizer", []string{"--resume", done, "--dataset", line, "--epochs", "16", "--optimizer", "adam"}, 2,
			[]string{"cannot resume from", "optimizer differs from the checkpoint's (adam here, sgd there)"}},
		{"config", []string{"--epochs", "0"}, 2, []string{"epochs must be at least 1"}},
		{"target without a dataset", []string{"--target", "y"}, 2, []string{"target"}},
		{"no row left to train on", []string{"--dataset", file("one.csv", "x,y\n1,2\n"), "--val-fraction", "0.1"}, 2, []string{"none for training"}},
		{"missing dataset", []string{"--dataset", filepath.Join(dir, "missing.csv")}, 2, []string{"missing.csv"}},
		{"dataset is a directory", []string{"--dataset", dir}, 2, []string{"not a CSV file"}},
		{"empty dataset", []string{"--dataset", file("empty.csv", "")}, 2, []string{"empty.csv", "no data rows"}},
		{"header only", []string{"--dataset", file("header.csv", "x,y\n")}, 2, []string{"header.csv", "no data rows"}},
		{"bad header", []string{"--dataset", file("dup.csv", "x,x,y\n1,2,3\n")}, 2, []string{"dup.csv", "bad header"}},
		{"one column", []string{"--dataset", file("one-col.csv", "y\n1\n2\n")}, 2, []string{"one-col.csv", "too few columns"}},
		{"no such target", []string{"--dataset", line, "--target", "price"}, 2, []string{"line.csv", `no column is named "price"`}},
		{"no such feature", []string{"--dataset", line, "--features", "rooms"}, 2, []string{"line.csv", `no column is named "rooms"`}},
		{"bad quoting", []string{"--dataset", file("quote.csv", "x,note,y\n1,\"a\"b,3\n"), "--features", "x"}, 2, []string{"quote.csv", "bad quoting"}},
		{"ragged", []string{"--dataset", file("ragged.csv", "x,y\n1,2\n3\n")}, 2, []string{"ragged.csv:3"}},
		{"not a number", []string{"--dataset", file("text.csv", "x,y\n1,2\n3,oops\n")}, 2, []string{"text.csv:3", "oops"}},
		{"out of range", []string{"--dataset", file("huge.csv", "x,y\n1,1e200\n2,3e200\n3,5e200\n4,1\n")}, 2, []string{"huge.csv", "out of range"}},
		{"checkpoint path is a directory", []string{"--checkpoint", dir}, 2, []string{"cannot write a checkpoint to " + dir}},
		{"checkpoint below a file", []string{"--checkpoint", filepath.Join(line, "m.json")}, 2, []string{line + " is not a directory"}},
		{"missing checkpoint to resume", []string{"--resume", filepath.Join(dir, "gone.json")}, 2, []string{"gone.json"}},
		{"resume a directory", []string{"--resume", dir}, 2, []string{"not an agentdash checkpoint"}},
		{"resume another format", []string{"--resume", foreign}, 2, []string{"foreign.json", "not an agentdash checkpoint"}},
		{"resume a truncated file", []string{"--resume", truncated}, 2, []string{"truncated.json", "corrupt checkpoint"}},
		{"resume a newer version", []string{"--resume", newer}, 2, []string{"newer.json", "unsupported checkpoint version"}},
		{"resume with other settings", []string{"--resume", done, "--dataset", line, "--epochs", "16", "--lr", "0.1"}, 2,
			[]string{"cannot resume from", "lr differs"}},
		{"resume past its end", []string{"--resume", done, "--dataset", line, "--epochs", "8"}, 2, []string{"cannot resume from", "epoch 8 already"}},
		{"resume on other data", []string{"--resume", done, "--dataset", other, "--epochs", "16"}, 2,
			[]string{"cannot resume from", "the data differs"}},
		{"diverged", []string{"--lr", "5", "--epochs", "50"}, 1, []string{"diverged"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := runCmd(t, "", append([]string{"train", "--checkpoint", ckpt}, tt.args...)...)
			if r.code != tt.code {
				t.Fatalf("train %v: exit %d, want %d (%s)", tt.args, r.code, tt.code, r.stderr)
			}
			r.wantOneLine(t, tt.want...)
		})
	}
}

// brokenWriter fails every write, as a closed pipe does.
type brokenWriter struct{}

func (brokenWriter) Write([]byte) (int, error) { return 0, errors.New("broken pipe") }

// TestTrainOutputFails: a run whose output cannot be written is a failed
// job (exit 1), in text and in JSON.
func TestTrainOutputFails(t *testing.T) {
	chdir(t)
	for _, args := range [][]string{
		{"train", "--epochs", "2"},
		{"train", "--epochs", "2", "--json"},
		{"train", "--epochs", "2", "--json", "--quiet"},
	} {
		var errOut bytes.Buffer
		code := run(context.Background(), args, strings.NewReader(""), brokenWriter{}, &errOut, func(string) string { return "" })
		if code != 1 || !strings.Contains(errOut.String(), "broken pipe") {
			t.Errorf("%v: exit %d, stderr %q; want 1, broken pipe", args, code, errOut.String())
		}
	}
}

// The summary says which model was saved and how far each coefficient is
// from the closed form's, and warns of collinear features naming the most
// correlated pair; --json carries the same.
func TestTrainSummaryModelAndConditioning(t *testing.T) {
	testdata, err := filepath.Abs(filepath.Join("..", "..", "internal", "train", "testdata"))
	if err != nil {
		t.Fatal(err)
	}
	chdir(t)
	r := runCmd(t, "", "train", "--quiet", "--checkpoint", "", "--dataset", filepath.Join(testdata, "cars.csv"), "--epochs", "3000")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	for _, re := range []string{
		`\nmodel:       (best: epoch \d+'s, of the lowest training loss, saved rather than the last epoch's|last: epoch 3000's)\n`,
		`\noptimum:     speed=3\.93241 \(0\.0\d+% off\)  bias=-17\.5791 \(0\.0\d+% off\)\n`,
	} {
		if !regexp.MustCompile(re).MatchString(r.stdout) {
			t.Errorf("summary lacks %s:\n%s", re, r.stdout)
		}
	}
	if strings.Contains(r.stdout, "collinear") || strings.Contains(r.stdout, "condition:") {
		t.Errorf("a single feature has no conditioning line:\n%s", r.stdout)
	}
	if strings.Contains(r.stdout, "whitening:") {
		t.Errorf("a run neither asked nor needing whitening says so:\n%s", r.stdout)
	}
	longley := filepath.Join(testdata, "longley.csv")
	r = runCmd(t, "", "train", "--quiet", "--checkpoint", "", "--dataset", longley, "--epochs", "5")
	for _, want := range []string{
		"\ncollinear:   condition number 111 of the standardized features, over 30: gnp and year correlate most (r 0.9953); the data determine such coefficients poorly",
		"\nwhitening:   on (--precondition auto): trained on decorrelated features, condition number 111 -> 1; weights mapped back to original units\n",
	} {
		if r.code != 0 || !strings.Contains(r.stdout, want) {
			t.Errorf("exit %d, summary lacks %q:\n%s", r.code, want, r.stdout)
		}
	}
	r = runCmd(t, "", "train", "--quiet", "--checkpoint", "", "--dataset", longley, "--epochs", "5", "--precondition", "off")
	if want := "over 30: gnp and year correlate most (r 0.9953); gradient descent crawls along such directions"; r.code != 0 || !strings.Contains(r.stdout, want) || strings.Contains(r.stdout, "whitening:") {
		t.Errorf("exit %d, --precondition off: summary lacks %q or has a whitening line:\n%s", r.code, want, r.stdout)
	}
	r = runCmd(t, "", "train", "--quiet", "--checkpoint", "", "--dataset", longley, "--epochs", "5", "--json")
	var sum struct {
		Model          string    `json:"model"`
		OptimalWeights []float64 `json:"optimal_weights"`
		Gaps           []float64 `json:"gaps"`
		Condition      float64   `json:"condition_number"`
		Collinear      bool      `json:"collinear"`
		MostCorrelated []string  `json:"most_correlated"`
		Precondition   string    `json:"precondition"`
		Whitened       bool      `json:"whitened"`
		ConditionAfter float64   `json:"condition_number_trained"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &sum); err != nil || sum.Model != "last" || len(sum.OptimalWeights) != 6 || len(sum.Gaps) != 7 ||
		math.Round(sum.Condition) != 111 || !sum.Collinear || !slices.Equal(sum.MostCorrelated, []string{"gnp", "year"}) ||
		sum.Precondition != "auto" || !sum.Whitened || math.Abs(sum.ConditionAfter-1) > 1e-6 {
		t.Errorf("--json summary %+v, %v:\n%s", sum, err, r.stdout)
	}
}

// TestTrainOptimizerFlags: the optimizer and its parameters reach the
// checkpoint's config, and the run resumes with them.
func TestTrainOptimizerFlags(t *testing.T) {
	dir := chdir(t)
	path := filepath.Join(dir, "adam.json")
	args := []string{"train", "--quiet", "--epochs", "4", "--optimizer", "adam", "--lr", "0.1", "--beta2", "0.99", "--checkpoint", path}
	if r := runCmd(t, "", args...); r.code != 0 {
		t.Fatalf("train: exit %d: %s", r.code, r.stderr)
	}
	ck, err := train.LoadCheckpoint(path)
	if err != nil {
		t.Fatal(err)
	}
	if c := ck.Config; c.Optimizer != train.OptimizerAdam || c.Beta2 != 0.99 || c.Beta1 != train.DefaultBeta1 || c.LR != 0.1 {
		t.Fatalf("checkpoint config: optimizer %q beta1 %g beta2 %g lr %g, want adam 0.9 0.99 0.1", c.Optimizer, c.Beta1, c.Beta2, c.LR)
	}
	resume := []string{"train", "--quiet", "--epochs", "6", "--optimizer", "adam", "--lr", "0.1", "--beta2", "0.99", "--resume", path}
	if r := runCmd(t, "", resume...); r.code != 0 {
		t.Fatalf("resume: exit %d: %s", r.code, r.stderr)
	}
}

// TestTrainPreconditionFlag: --precondition reaches the checkpoint's
// config, and a resume at the default auto keeps the checkpoint's mode.
func TestTrainPreconditionFlag(t *testing.T) {
	longley, err := filepath.Abs(filepath.Join("..", "..", "internal", "train", "testdata", "longley.csv"))
	if err != nil {
		t.Fatal(err)
	}
	dir := chdir(t)
	path := filepath.Join(dir, "off.json")
	if r := runCmd(t, "", "train", "--quiet", "--epochs", "4", "--dataset", longley, "--precondition", "off", "--checkpoint", path); r.code != 0 {
		t.Fatalf("train: exit %d: %s", r.code, r.stderr)
	}
	ck, err := train.LoadCheckpoint(path)
	if err != nil {
		t.Fatal(err)
	}
	if ck.Config.Precondition != train.PreconditionOff {
		t.Fatalf("checkpoint precondition %q, want off", ck.Config.Precondition)
	}
	r := runCmd(t, "", "train", "--quiet", "--epochs", "6", "--dataset", longley, "--resume", path)
	if r.code != 0 || strings.Contains(r.stdout, "whitening:") {
		t.Fatalf("resume: exit %d, %s\n%s", r.code, r.stderr, r.stdout)
	}
	r = runCmd(t, "", "train", "--quiet", "--epochs", "8", "--dataset", longley, "--resume", path, "--precondition", "whiten")
	if r.code != 2 || !strings.Contains(r.stderr, "precondition differs from the checkpoint's (whiten here, off there)") {
		t.Fatalf("resume with whiten: exit %d, %s", r.code, r.stderr)
	}
}
