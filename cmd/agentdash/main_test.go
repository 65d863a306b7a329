package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/spf13/pflag"

	"github.com/agentdash/agentdash/internal/agent"
	"github.com/agentdash/agentdash/internal/train"
)

// result is what one run of the command printed and returned.
type result struct {
	code           int
	stdout, stderr string
}

// runCmd runs agentdash with args in dir (the working directory matters for
// the default checkpoint path), with stdin as standard input.
func runCmd(t *testing.T, stdin string, args ...string) result {
	t.Helper()
	var out, errOut bytes.Buffer
	getenv := func(k string) string {
		if k == "NO_COLOR" {
			return "1"
		}
		return ""
	}
	code := run(context.Background(), args, strings.NewReader(stdin), &out, &errOut, getenv)
	return result{code, out.String(), errOut.String()}
}

// wantOneLine checks that stderr is exactly one line mentioning each of want.
func (r result) wantOneLine(t *testing.T, want ...string) {
	t.Helper()
	if strings.Count(r.stderr, "\n") != 1 || !strings.HasPrefix(r.stderr, "agentdash: ") {
		t.Errorf("stderr is not one 'agentdash: ...' line: %q", r.stderr)
	}
	for _, w := range want {
		if !strings.Contains(r.stderr, w) {
			t.Errorf("stderr %q does not mention %q", r.stderr, w)
		}
	}
}

func TestExitCodes(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("hello\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	ckpt := filepath.Join(dir, "none.json")
	tests := []struct {
		name   string
		stdin  string
		args   []string
		code   int
		stdout string   // exact stdout, when not empty
		stderr []string // one stderr line mentioning all of these, when not nil
	}{
		{name: "uppercase", args: []string{"call", "uppercase", `{"text": "orfeas"}`}, code: 0, stdout: "\"ORFEAS\"\n"},
		{name: "sum", args: []string{"call", "sum", `{"a": 2, "b": 3}`}, code: 0, stdout: "5\n"},
		{name: "args from stdin", stdin: `{"a": 1.5, "b": 1}`, args: []string{"call", "sum", "-"}, code: 0, stdout: "2.5\n"},
		{name: "read_file", args: []string{"call", "--root", dir, "read_file", `{"path": "notes.txt"}`}, code: 0,
			stdout: `{"path":"notes.txt","size":6,"content":"hello\n"}` + "\n"},
		{name: "unknown ability", args: []string{"call", "nope"}, code: 2,
			stderr: []string{`"nope"`, "uppercase", "sum", "predict"}},
		{name: "malformed json", args: []string{"call", "sum", `{"a": 2,`}, code: 2, stderr: []string{"sum", "arguments"}},
		{name: "not an object", args: []string{"call", "sum", `[1, 2]`}, code: 2, stderr: []string{"object"}},
		{name: "wrong type", args: []string{"call", "sum", `{"a": "two", "b": 3}`}, code: 2, stderr: []string{`"a"`, "number"}},
		{name: "missing field", args: []string{"call", "sum", `{"a": 2}`}, code: 2, stderr: []string{`"b"`}},
		{name: "unexpected field", args: []string{"call", "uppercase", `{"text": "x", "loud": true}`}, code: 2, stderr: []string{`"loud"`}},
		{name: "too many args", args: []string{"call", "sum", "{}", "{}"}, code: 2, stderr: []string{"accepts between 1 and 2 arg(s)"}},
		{name: "path traversal", args: []string{"call", "--root", dir, "read_file", `{"path": "../secret"}`}, code: 2,
			stderr: []string{"read_file", "bad arguments", "../secret"}},
		{name: "no model yet", args: []string{"call", "--checkpoint", ckpt, "predict", `{"x": 4}`}, code: 1,
			stderr: []string{"no model has been trained yet", ckpt}},
		{name: "caller timeout", args: []string{"call", "--timeout", "20ms", "sleep", `{"ms": 2000}`}, code: 1,
			stderr: []string{"call sleep: no result within --timeout 20ms"}},
		{name: "caller timeout, cached ability", args: []string{"call", "--timeout", "50ms", "--fault", "uppercase=0/3s", "uppercase", `{"text": "x"}`},
			code: 1, stderr: []string{"call uppercase: no result within --timeout 50ms"}},
		{name: "negative timeout", args: []string{"call", "--timeout", "-1s", "sum", `{"a": 1, "b": 2}`}, code: 2,
			stderr: []string{"--timeout -1s: must not be negative"}},
		{name: "HTML characters as they are", args: []string{"call", "uppercase", `{"text": "<a&b>"}`}, code: 0, stdout: "\"<A&B>\"\n"},
		{name: "sum overflow", args: []string{"call", "sum", `{"a": 1e308, "b": 1e308}`}, code: 2, stderr: []string{"overflows float64"}},
		{name: "stdin over the limit", stdin: strings.Repeat(" ", maxStdinArgs+1), args: []string{"call", "sum", "-"}, code: 2,
			stderr: []string{"agentdash: call sum: arguments on standard input exceed the 16 MiB limit"}},
		{name: "unknown command", args: []string{"fly"}, code: 2, stderr: []string{`unknown command "fly"`, "agentdash --help"}},
		{name: "help for an unknown command", args: []string{"fly", "--help"}, code: 2, stderr: []string{`unknown command "fly"`}},
		{name: "version with an unknown command", args: []string{"fly", "--version"}, code: 2, stderr: []string{`unknown command "fly"`}},
		{name: "json on a bad flag value", args: []string{"call", "--timeout", "1x", "sum", "--json"}, code: 2,
			stdout: `{"ability":"","outcome":"bad_args","cached":false,"latency_seconds":0,"error":"call: invalid argument \"1x\" for \"--timeout\" flag: time: unknown unit \"x\" in duration \"1x\" (see 'agentdash call --help')"}` + "\n"},
		{name: "json after --", args: []string{"call", "--timeout", "1x", "--", "--json"}, code: 2, stderr: []string{`invalid argument "1x"`}},
		{name: "call without a name", args: []string{"call"}, code: 2,
			stderr: []string{"agentdash: call: accepts between 1 and 2 arg(s), received 0", "usage: agentdash call NAME"}},
		{name: "extra argument", args: []string{"abilities", "all"}, code: 2,
			stderr: []string{"agentdash: abilities: ", `"all"`, "usage: agentdash abilities"}},
		{name: "unknown flag", args: []string{"demo", "--loud"}, code: 2,
			stderr: []string{"agentdash: demo: unknown flag: --loud", "agentdash demo --help"}},
		{name: "unknown root flag", args: []string{"--loud"}, code: 2,
			stderr: []string{"agentdash: unknown flag: --loud", "agentdash --help"}},
		{name: "bad root", args: []string{"demo", "--root", filepath.Join(dir, "missing")}, code: 2, stderr: []string{"--root"}},
		{name: "bad concurrency", args: []string{"abilities", "--max-concurrent", "0"}, code: 2, stderr: []string{"--max-concurrent 0"}},
		{name: "bad max-wait", args: []string{"demo", "--max-wait", "0s"}, code: 2, stderr: []string{"--max-wait 0s"}},
		{name: "bad cache-size", args: []string{"demo", "--cache-size", "0"}, code: 2, stderr: []string{"--cache-size 0"}},
		{name: "load NaN", args: []string{"serve", "--load", "NaN"}, code: 2, stderr: []string{"--load NaN: must be a number"}},
		{name: "load over the limit", args: []string{"serve", "--load", "150000", "--load-ability", "sum"}, code: 2,
			stderr: []string{"--load 150000: at most 100000 calls/s per ability, 100000 in all for sum"}},
		{name: "load without abilities", args: []string{"serve", "--load", "5", "--load-ability", ""}, code: 2,
			stderr: []string{"--load-ability names no ability"}},
		{name: "control characters escaped", args: []string{"call", "--root", dir, "read_file", `{"path": "x\u001b[31mRED\u0000"}`}, code: 2,
			stderr: []string{`read x\x1b[31mRED\x00: `}},
		{name: "help on an unknown command", args: []string{"help", "nope"}, code: 2, stderr: []string{`help: unknown command "nope"`}},
		{name: "help on a command", args: []string{"help", "call"}, code: 0},
		{name: "argument to a command without any", args: []string{"demo", "extra"}, code: 2,
			stderr: []string{`demo: takes no arguments, got "extra"`}},
		{name: "empty root", args: []string{"demo", "--root", ""}, code: 2, stderr: []string{"--root is empty"}},
		{name: "empty metrics address", args: []string{"serve", "--metrics-addr", ""}, code: 2, stderr: []string{"--metrics-addr is empty"}},
		{name: "metrics address with a bad IPv4 host", args: []string{"serve", "--metrics-addr", "256.0.0.1:9"}, code: 2,
			stderr: []string{`agentdash: --metrics-addr: metrics address "256.0.0.1:9": host "256.0.0.1" is not a valid IPv4 address`}},
		{name: "metrics address with a bad host name", args: []string{"serve", "--metrics-addr", "no_such host:9"}, code: 2,
			stderr: []string{`host "no_such host" is not an IP address or a host name`}},
		{name: "fault on an unknown ability", args: []string{"demo", "--fault", "nope=0.5"}, code: 2,
			stderr: []string{`--fault "nope=0.5": unknown ability "nope"`}},
		{name: "hex count", args: []string{"train", "--samples", "0x10"}, code: 2,
			stderr: []string{`invalid argument "0x10" for "--samples" flag: "0x10" is not a whole number`}},
		{name: "val fraction neither a number nor auto", args: []string{"train", "--val-fraction", "some"}, code: 2,
			stderr: []string{`invalid argument "some" for "--val-fraction" flag: "some" is not a number or auto`}},
		{name: "help", args: []string{"call", "--help"}, code: 0},
		{name: "root help", args: []string{"--help"}, code: 0},
		{name: "dashboard needs a terminal", args: nil, code: 2, stderr: []string{"terminal"}},
		{name: "bad fps", args: []string{"--fps", "0"}, code: 2, stderr: []string{"--fps 0"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := runCmd(t, tt.stdin, tt.args...)
			if r.code != tt.code {
				t.Fatalf("exit %d, want %d\nstdout: %s\nstderr: %s", r.code, tt.code, r.stdout, r.stderr)
			}
			if tt.stdout != "" && r.stdout != tt.stdout {
				t.Errorf("stdout = %q, want %q", r.stdout, tt.stdout)
			}
			if tt.stderr != nil {
				r.wantOneLine(t, tt.stderr...)
			}
			if tt.code == 0 && r.stderr != "" {
				t.Errorf("unexpected stderr: %q", r.stderr)
			}
		})
	}
}

// TestDashboardChecksTrainingFiles checks that the dashboard refuses at
// its start, as train does, a --dataset or --checkpoint that training would
// refuse later (exit 2, train's message); stdout is no terminal here, which
// the dashboard reports only for flags that pass.
func TestDashboardChecksTrainingFiles(t *testing.T) {
	dir := t.TempDir()
	csv := filepath.Join(dir, "data.csv")
	if err := os.WriteFile(csv, []byte("x,y\n1,2\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(dir, "file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	missing := filepath.Join(dir, "missing.csv")
	gz := filepath.Join(dir, "data.csv.gz")
	if err := os.WriteFile(gz, []byte("\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03x,y\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		args   []string
		stderr []string
	}{
		{"missing dataset", []string{"--dataset", missing}, []string{"load csv: open " + missing}},
		{"compressed dataset", []string{"--dataset", gz}, []string{gz + ": not CSV text: the file looks gzip-compressed"}},
		{"directory as dataset", []string{"--dataset", dir}, []string{"load csv: " + dir + " is a directory"}},
		{"directory as checkpoint", []string{"--checkpoint", dir}, []string{"cannot write a checkpoint to " + dir, "it is a directory"}},
		{"checkpoint below a file", []string{"--checkpoint", filepath.Join(file, "model.json")},
			[]string{"cannot write a checkpoint to " + filepath.Join(file, "model.json"), "not a directory"}},
		{"both fine", []string{"--dataset", csv, "--checkpoint", filepath.Join(dir, "new", "model.json")}, []string{"needs a terminal"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := runCmd(t, "", tt.args...)
			if r.code != exitUsage {
				t.Fatalf("exit %d, want %d\nstderr: %s", r.code, exitUsage, r.stderr)
			}
			r.wantOneLine(t, tt.stderr...)
		})
	}
}

func TestCallJSON(t *testing.T) {
	r := runCmd(t, "", "call", "--json", "uppercase", `{"text": "orfeas"}`)
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	var out callOutput
	if err := json.Unmarshal([]byte(r.stdout), &out); err != nil {
		t.Fatalf("stdout is not JSON: %v\n%s", err, r.stdout)
	}
	if out.Ability != "uppercase" || out.Outcome != "success" || out.Result != "ORFEAS" || out.Cached {
		t.Errorf("call --json = %+v", out)
	}

	r = runCmd(t, "", "call", "--json", "--timeout", "20ms", "sleep", `{"ms": 2000}`)
	if r.code != 1 {
		t.Fatalf("exit %d, want 1: %s", r.code, r.stderr)
	}
	if err := json.Unmarshal([]byte(r.stdout), &out); err != nil {
		t.Fatalf("stdout is not JSON: %v\n%s", err, r.stdout)
	}
	if out.Outcome != "timeout" || !strings.Contains(out.Error, "no result within --timeout 20ms") {
		t.Errorf("timed-out call --json = %+v, want outcome timeout with an error", out)
	}

	// Input errors print their object too, with the exit status 2.
	for _, args := range [][]string{{"sum", `{"a": "x", "b": 1}`}, {"nope"}, {"sum", `{"a": 2,`}} {
		r = runCmd(t, "", append([]string{"call", "--json"}, args...)...)
		out = callOutput{}
		if err := json.Unmarshal([]byte(r.stdout), &out); err != nil || r.code != 2 {
			t.Fatalf("call --json %v: exit %d, stdout %q (%v)", args, r.code, r.stdout, err)
		}
		if out.Ability != args[0] || out.Outcome != "bad_args" || out.Error == "" || r.stderr != "" {
			t.Errorf("call --json %v = %+v, stderr %q; want one bad_args object and nothing on stderr", args, out, r.stderr)
		}
	}
}

// Ctrl-C while call waits for its arguments on standard input ends it.
func TestCallStdinInterrupted(t *testing.T) {
	pr, pw := io.Pipe()
	defer pw.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	var out, errOut bytes.Buffer
	code := run(ctx, []string{"call", "sum", "-"}, pr, &out, &errOut, func(string) string { return "" })
	if code != 1 || !strings.Contains(errOut.String(), "call sum: interrupted while reading the arguments") {
		t.Fatalf("exit %d, stderr %q; want 1, interrupted", code, errOut.String())
	}
}

func TestDemo(t *testing.T) {
	r := runCmd(t, "", "demo")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	for _, want := range []string{`"ORFEAS"`, "-> 5", "cached", "ABILITY", "uppercase", "sum", "1/1", "closed"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("demo output lacks %q:\n%s", want, r.stdout)
		}
	}

	r = runCmd(t, "", "demo", "--json")
	var out struct {
		Calls   []demoResult
		Metrics []abilityMetrics
	}
	if err := json.Unmarshal([]byte(r.stdout), &out); err != nil {
		t.Fatalf("demo --json: %v\n%s", err, r.stdout)
	}
	if len(out.Calls) != 4 || out.Calls[0].Result != "ORFEAS" || out.Calls[1].Result != 5.0 ||
		out.Calls[0].Cached || !out.Calls[2].Cached || !out.Calls[3].Cached {
		t.Errorf("demo --json calls = %+v", out.Calls)
	}
	if len(out.Metrics) != 2 || out.Metrics[0].CacheHits != 1 || out.Metrics[0].CacheMisses != 1 {
		t.Errorf("demo --json metrics = %+v", out.Metrics)
	}

	// A failing call is shown with its error and the demo goes on: the
	// metrics show it, and the exit status is 1 (one stderr line, or the
	// object alone with --json).
	r = runCmd(t, "", "demo", "--fault", "uppercase=1")
	if r.code != 1 || !strings.Contains(r.stdout, "-> failure") || !strings.Contains(r.stdout, "ABILITY") {
		t.Errorf("failing demo: exit %d\n%s", r.code, r.stdout)
	}
	r.wantOneLine(t, "demo: call uppercase: injected fault")
	r = runCmd(t, "", "demo", "--json", "--fault", "uppercase=1")
	out.Calls = nil
	if err := json.Unmarshal([]byte(r.stdout), &out); err != nil || r.code != 1 || r.stderr != "" {
		t.Fatalf("failing demo --json: exit %d, %v, stderr %q\n%s", r.code, err, r.stderr, r.stdout)
	}
	if len(out.Calls) != 4 || out.Calls[0].Outcome != "failure" || out.Calls[0].Error == "" || out.Calls[1].Outcome != "success" {
		t.Errorf("failing demo --json calls = %+v", out.Calls)
	}
}

func TestAbilities(t *testing.T) {
	r := runCmd(t, "", "abilities", "--json")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	var out []abilityJSON
	if err := json.Unmarshal([]byte(r.stdout), &out); err != nil {
		t.Fatalf("abilities --json: %v\n%s", err, r.stdout)
	}
	var names []string
	for _, a := range out {
		names = append(names, a.Name)
		if a.Breaker.CooldownSeconds <= 0 || a.Breaker.WindowSize <= 0 {
			t.Errorf("%s: breaker settings = %+v, want the defaults filled in", a.Name, a.Breaker)
		}
		if a.Isolate != (a.Name == "read_file") {
			t.Errorf("%s: isolate = %v", a.Name, a.Isolate)
		}
		if a.InputSchema == nil || a.InputSchema.Type != "object" {
			t.Errorf("%s: inputSchema = %+v, want an object schema", a.Name, a.InputSchema)
		}
	}
	if got, want := strings.Join(names, ","), "flaky,predict,read_file,sleep,sum,uppercase"; got != want {
		t.Errorf("abilities = %s, want %s (sorted)", got, want)
	}

	r = runCmd(t, "", "abilities")
	for _, want := range []string{"NAME", "uppercase", "text:string", "a:number b:number", "ms:integer=100"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("abilities output lacks %q:\n%s", want, r.stdout)
		}
	}
}

func TestServe(t *testing.T) {
	r := runCmd(t, "", "serve", "--metrics-addr", "127.0.0.1:0", "--load", "100", "--duration", "200ms")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	if !strings.Contains(r.stderr, "serving metrics on http://127.0.0.1:") {
		t.Errorf("serve did not say where it serves: %q", r.stderr)
	}
	if !regexp.MustCompile(`agentdash: served for \S+: [1-9]\d* calls \(\d+ success`).MatchString(r.stderr) {
		t.Errorf("serve did not end with the calls it made: %q", r.stderr)
	}

	r = runCmd(t, "", "serve", "--metrics-addr", "127.0.0.1:0", "--load", "200", "--load-ability", "flaky",
		"--fault", "flaky=1", "--duration", "700ms")
	if r.code != 0 || !strings.Contains(r.stderr, "breaker flaky: closed -> open (consecutive-failures") {
		t.Errorf("serve with a failing ability: exit %d, want 0 and the breaker transition logged:\n%s", r.code, r.stderr)
	}

	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	r = runCmd(t, "", "serve", "--metrics-addr", busy.Addr().String(), "--duration", "1s")
	if r.code != 1 {
		t.Fatalf("serve on a busy port: exit %d, want 1", r.code)
	}
	r.wantOneLine(t, "port already in use", busy.Addr().String())

	// A malformed address is the user's input, not a failure to listen.
	r = runCmd(t, "", "serve", "--metrics-addr", ":notaport", "--duration", "1s")
	if r.code != 2 {
		t.Fatalf("serve on a malformed address: exit %d, want 2 (%s)", r.code, r.stderr)
	}
	r.wantOneLine(t, `--metrics-addr: metrics address ":notaport": port "notaport" is not a number from 0 to 65535`)

	for _, args := range [][]string{
		{"serve", "--load", "-1"},
		{"serve", "--load-mode", "burst"},
		{"serve", "--load", "5", "--load-ability", "nope"},
	} {
		if r := runCmd(t, "", args...); r.code != 2 {
			t.Errorf("%v: exit %d, want 2 (%s)", args, r.code, r.stderr)
		}
	}
}

// chdir runs the rest of the test in a fresh working directory, where the
// trainer's default checkpoint path lands.
func chdir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	t.Chdir(dir)
	return dir
}

// TestTrainResumeSummary: a resumed run's summary counts all its epochs
// but gives the time and rate of those it ran itself.
func TestTrainResumeSummary(t *testing.T) {
	chdir(t)
	if r := runCmd(t, "", "train", "--epochs", "3", "--checkpoint", "m.json", "--quiet"); r.code != 0 {
		t.Fatalf("train: exit %d: %s", r.code, r.stderr)
	}
	r := runCmd(t, "", "train", "--epochs", "4", "--resume", "m.json", "--checkpoint", "m.json")
	if r.code != 0 {
		t.Fatalf("resume: exit %d: %s", r.code, r.stderr)
	}
	if !regexp.MustCompile(`stopped: +completed after 4 epochs \(1 in this run, [^,]+, [0-9.]+[kMG]? samples/s\)`).MatchString(r.stdout) {
		t.Errorf("resumed summary:\n%s", r.stdout)
	}
	r = runCmd(t, "", "train", "--epochs", "5", "--resume", "m.json", "--checkpoint", "m.json", "--json")
	var sum struct {
		Epochs  int `json:"epochs"`
		Resumed int `json:"resumed_epochs"`
	}
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &sum); err != nil || sum.Epochs != 5 || sum.Resumed != 4 {
		t.Errorf("resumed --json summary %+v, %v:\n%s", sum, err, r.stdout)
	}
}

func TestTrainThenPredict(t *testing.T) {
	chdir(t)
	r := runCmd(t, "", "train")
	if r.code != 0 {
		t.Fatalf("train: exit %d: %s", r.code, r.stderr)
	}
	for _, want := range []string{"epoch 1/8", "epoch 8/8", "stopped:     completed after 8 epochs",
		"closed form:", "weights:     x=", "checkpoint:  " + filepath.Join("checkpoints", "model.json")} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("train output lacks %q:\n%s", want, r.stdout)
		}
	}
	r = runCmd(t, "", "call", "predict", `{"x": 4}`)
	if r.code != 0 {
		t.Fatalf("predict after train: exit %d: %s", r.code, r.stderr)
	}
	var y float64
	if err := json.Unmarshal([]byte(r.stdout), &y); err != nil {
		t.Fatalf("predict output %q: %v", r.stdout, err)
	}
	// The default synthetic data is y = 2x + 1 with little noise.
	if y < 8.8 || y > 9.2 {
		t.Errorf("predict x=4 = %v, want about 9", y)
	}
	r = runCmd(t, "", "call", "predict", `{"x": [1, 2]}`)
	if r.code != 2 {
		t.Errorf("predict with two features for a one-feature model: exit %d, want 2", r.code)
	}
	r.wantOneLine(t, "feature")
}

func TestTrainJSON(t *testing.T) {
	chdir(t)
	r := runCmd(t, "", "train", "--json", "--epochs", "5", "--checkpoint", "m.json")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	if len(lines) != 6 {
		t.Fatalf("train --json printed %d lines, want 5 epochs + 1 summary:\n%s", len(lines), r.stdout)
	}
	var ep epochJSON
	if err := json.Unmarshal([]byte(lines[4]), &ep); err != nil || ep.Epoch != 5 || len(ep.Weights) != 1 {
		t.Errorf("epoch line %q: %+v, %v", lines[4], ep, err)
	}
	var sum struct {
		Weights    []float64 `json:"weights"`
		Bias       float64   `json:"bias"`
		Loss       float64   `json:"loss"`
		Checkpoint string    `json:"checkpoint"`
		StopReason string    `json:"stop_reason"`
	}
	if err := json.Unmarshal([]byte(lines[5]), &sum); err != nil {
		t.Fatal(err)
	}
	if sum.Checkpoint != "m.json" || sum.StopReason != "completed" || len(sum.Weights) != 1 || sum.Loss <= 0 {
		t.Errorf("summary = %+v", sum)
	}
	if _, err := os.Stat("m.json"); err != nil {
		t.Errorf("checkpoint not written: %v", err)
	}
}

func TestTrainPlotAndCSV(t *testing.T) {
	dir := chdir(t)
	csv := filepath.Join(dir, "d.csv")
	if err := os.WriteFile(csv, []byte("x,y\n1,3\n2,5\n3,7\n4,9\n5,11\n6,13\n7,15\n8,17\n9,19\n10,21\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	r := runCmd(t, "", "train", "--dataset", csv, "--epochs", "40", "--val-fraction", "0", "--plot")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	if !strings.Contains(r.stdout, "loss per epoch, epochs 1-40") || !strings.Contains(r.stdout, "┤") {
		t.Errorf("--plot drew no loss curve:\n%s", r.stdout)
	}
}

func TestTrainInputErrors(t *testing.T) {
	dir := chdir(t)
	bad := filepath.Join(dir, "bad.csv")
	if err := os.WriteFile(bad, []byte("x,y\n1,2\n3,oops\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	ragged := filepath.Join(dir, "ragged.csv")
	if err := os.WriteFile(ragged, []byte("1,2\n3\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	done := filepath.Join(dir, "done.json") // a finished 8-epoch run to resume
	if r := runCmd(t, "", "train", "--quiet", "--checkpoint", done); r.code != 0 {
		t.Fatalf("train: exit %d: %s", r.code, r.stderr)
	}
	huge := filepath.Join(dir, "huge.csv")
	if err := os.WriteFile(huge, []byte("x,price\n1,1e200\n2,3e200\n3,5e200\n4,1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	hugeVal := filepath.Join(dir, "ht.csv") // with the default seed, 1e200 is in the validation row
	if err := os.WriteFile(hugeVal, []byte("x,y\n1,1e200\n2,4\n3,6\n4,8\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		args []string
		code int
		want []string
	}{
		{[]string{"--epochs", "0"}, 2, []string{"epochs must be at least 1"}},
		{[]string{"--dataset", hugeVal}, 2, []string{"ht.csv", `target "y"`, "out of range"}},
		{[]string{"--dataset", hugeVal, "--samples", "1000"}, 2, []string{"--samples applies to synthetic data only", "--dataset"}},
		{[]string{"--dataset", hugeVal, "--weight", "2", "--noise=0.1"}, 2, []string{"--weight, --noise apply to synthetic data only", "--dataset"}},
		{[]string{"--dataset", hugeVal, "--bias", "1"}, 2, []string{"--bias applies to synthetic data only"}},
		{[]string{"--lr", "-1"}, 2, []string{"lr"}},
		{[]string{"--lr", "NaN"}, 2, []string{"lr"}},
		{[]string{"--batch-size", "x"}, 2, []string{"--batch-size"}},
		{[]string{"--schedule", "cosine"}, 2, []string{"schedule", "cosine"}},
		{[]string{"--dataset", filepath.Join(dir, "missing.csv")}, 2, []string{"missing.csv"}},
		{[]string{"--dataset", bad}, 2, []string{"bad.csv:3", "oops"}},
		{[]string{"--dataset", ragged}, 2, []string{"ragged.csv:2"}},
		{[]string{"--resume", bad}, 2, []string{"bad.csv"}},
		{[]string{"--dataset", huge}, 2, []string{"huge.csv", `target "price"`, "out of range", "rescale the column"}},
		{[]string{"--weight", "1e200"}, 2, []string{"synthetic", "out of range", "lower the synthetic weight"}},
		{[]string{"--lr", "5", "--epochs", "50"}, 1, []string{"diverged", "lower the learning rate"}},
		{[]string{"--resume", done, "--epochs", "8"}, 2, []string{"cannot resume from", "at epoch 8 already"}},
		{[]string{"--resume", done, "--epochs", "16", "--lr", "0.1"}, 2, []string{"cannot resume from", "lr differs"}},
		{[]string{"--checkpoint", dir}, 2, []string{"cannot write a checkpoint to " + dir, "it is a directory"}},
		{[]string{"--dataset", ragged, "--features", "x,rooms"}, 2, []string{"ragged.csv:1", `no column is named "rooms"`}},
		{[]string{"--dataset", ragged, "--features", ""}, 2, []string{"features names no column"}},
		{[]string{"--checkpoint", filepath.Join(bad, "m.json")}, 2, []string{bad + " is not a directory"}},
		{[]string{"--dataset", dir}, 2, []string{dir + " is a directory", "not a CSV file"}},
		{[]string{"--resume", dir}, 2, []string{dir, "it is a directory", "not an agentdash checkpoint"}},
	}
	for _, tt := range tests {
		r := runCmd(t, "", append([]string{"train", "--checkpoint", filepath.Join(dir, "m.json")}, tt.args...)...)
		if r.code != tt.code {
			t.Errorf("train %v: exit %d, want %d (%s)", tt.args, r.code, tt.code, r.stderr)
			continue
		}
		r.wantOneLine(t, tt.want...)
		if tt.args[1] == dir && strings.Count(r.stderr, dir) > 1 {
			t.Errorf("train %v: the path is repeated: %s", tt.args, r.stderr)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "m.json")); err == nil {
		t.Error("a failed run wrote a checkpoint")
	}
}

func TestTrainInterrupted(t *testing.T) {
	chdir(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel() // as if Ctrl-C came before the first epoch ended
	var out, errOut bytes.Buffer
	code := run(ctx, []string{"train", "--epochs", "100000"}, strings.NewReader(""), &out, &errOut,
		func(string) string { return "" })
	if code != 1 {
		t.Fatalf("interrupted train: exit %d, want 1\n%s", code, errOut.String())
	}
	if !strings.Contains(errOut.String(), "training interrupted before the first epoch; nothing saved") {
		t.Errorf("stderr = %q", errOut.String())
	}
}

func TestRoundElapsed(t *testing.T) {
	tests := []struct {
		in   time.Duration
		want string
	}{
		{27_512 * time.Nanosecond, "28µs"},
		{12_345_678 * time.Nanosecond, "12.346ms"},
		{3_753_485_123 * time.Nanosecond, "3.753s"},
		{94_123_456_789 * time.Nanosecond, "1m34.123s"},
	}
	for _, tt := range tests {
		if got := roundElapsed(tt.in).String(); got != tt.want {
			t.Errorf("roundElapsed(%v) = %s, want %s", tt.in, got, tt.want)
		}
	}
}

func TestCallTotals(t *testing.T) {
	var s agent.Snapshot
	if got := callTotals(s); got != "no calls" {
		t.Errorf("no abilities: %q", got)
	}
	a := agent.AbilityStats{Calls: 5}
	a.Outcomes[agent.OutcomeSuccess], a.Outcomes[agent.OutcomeFailure] = 3, 2
	b := agent.AbilityStats{Calls: 4}
	b.Outcomes[agent.OutcomeSuccess], b.Outcomes[agent.OutcomeShortCircuited] = 1, 3
	s.Abilities = []agent.AbilityStats{a, b}
	if got, want := callTotals(s), "9 calls (4 success, 2 failure, 3 short_circuited)"; got != want {
		t.Errorf("callTotals = %q, want %q", got, want)
	}
}

func TestVersion(t *testing.T) {
	for _, flag := range []string{"--version", "-v"} {
		r := runCmd(t, "", flag)
		if r.code != 0 || !strings.HasPrefix(r.stdout, "agentdash ") || !strings.HasSuffix(r.stdout, runtime.Version()+"\n") {
			t.Errorf("%s: exit %d, stdout %q, stderr %q; want \"agentdash VERSION GOVERSION\"", flag, r.code, r.stdout, r.stderr)
		}
	}
}

// A run that fails after training (here: divergence) still prints its
// summary, which says that no checkpoint was written.
func TestTrainSummaryAfterFailure(t *testing.T) {
	dir := chdir(t)
	r := runCmd(t, "", "train", "--quiet", "--lr", "5", "--epochs", "50", "--checkpoint", filepath.Join(dir, "m.json"))
	if r.code != 1 {
		t.Fatalf("exit %d, want 1: %s", r.code, r.stderr)
	}
	for _, want := range []string{"stopped:     diverged", "checkpoint:  none written"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("stdout lacks %q:\n%s", want, r.stdout)
		}
	}
}

// Without a closed-form optimum (data too wide for it) the epoch lines
// have no gap and the summary says it was not computed, instead of "NaN".
func TestTrainOutputWithoutOptimum(t *testing.T) {
	e := train.Event{Epoch: 1, Epochs: 2, TrainLoss: 0.5, ValLoss: math.NaN(), OptimalLoss: math.NaN(), LR: 0.05, SamplesPerSec: 1e6}
	if line := epochLine(e); strings.Contains(line, "gap") || strings.Contains(line, "NaN") {
		t.Errorf("epoch line %q", line)
	}
	e.OptimalLoss = 0.25
	if line := epochLine(e); !strings.Contains(line, "gap 0.25") {
		t.Errorf("epoch line %q lacks the gap", line)
	}
	var b strings.Builder
	writeTrainSummary(&b, &train.Result{Epochs: 2, Loss: 0.5, ValLoss: math.NaN(), OptimalLoss: math.NaN(), Weights: []float64{1, 2},
		OptimalSkipped: "2 features on 9 rows would take about 1e+11 multiply-adds"})
	if s := b.String(); !strings.Contains(s, "closed form: not computed: 2 features on 9 rows would take about 1e+11 multiply-adds\n") || strings.Contains(s, "NaN") {
		t.Errorf("summary:\n%s", s)
	}
}

// --features trains on the columns named and skips the others, which may
// hold text.
func TestTrainFeatures(t *testing.T) {
	dir := chdir(t)
	csv := filepath.Join(dir, "rows.csv")
	if err := os.WriteFile(csv, []byte("id,a,note,b,y\nr1,1,\"big, old\",2,5\nr2,2,new,1,4\nr3,3,,3,9\nr4,4,x,0,4\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	r := runCmd(t, "", "train", "--quiet", "--dataset", csv, "--features", "b,a", "--val-fraction", "0", "--epochs", "5")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	if !regexp.MustCompile(`weights:\s+b=\S+\s+a=\S+\n`).MatchString(r.stdout) {
		t.Errorf("weights are not b then a:\n%s", r.stdout)
	}
	// Blanks around names, as written after commas, are not part of them.
	r = runCmd(t, "", "train", "--quiet", "--checkpoint", "", "--dataset", csv, "--features", "b, a ", "--target", " y",
		"--val-fraction", "0", "--epochs", "5")
	if r.code != 0 {
		t.Fatalf("--features \"b, a \" --target \" y\": exit %d: %s", r.code, r.stderr)
	}
	if !regexp.MustCompile(`weights:\s+b=\S+\s+a=\S+\n`).MatchString(r.stdout) {
		t.Errorf("weights are not b then a:\n%s", r.stdout)
	}
}

// --quiet prints the summary alone (no blank line before it), and a run
// that diverges in its first epoch says no epoch completed instead of
// "best … +Inf at epoch 0".
func TestTrainSummaryEdges(t *testing.T) {
	dir := chdir(t)
	r := runCmd(t, "", "train", "--quiet", "--epochs", "1", "--checkpoint", filepath.Join(dir, "m.json"))
	if r.code != 0 || !strings.HasPrefix(r.stdout, "stopped:") {
		t.Errorf("--quiet: exit %d, stdout %q", r.code, r.stdout)
	}
	// Counts are decimal: 010 is ten epochs, not eight (octal).
	r = runCmd(t, "", "train", "--quiet", "--epochs", "010", "--checkpoint", filepath.Join(dir, "m.json"))
	if r.code != 0 || !strings.Contains(r.stdout, "after 10 epochs") {
		t.Errorf("--epochs 010: exit %d, stdout %q", r.code, r.stdout)
	}
	r = runCmd(t, "", "train", "--quiet", "--lr", "1e308", "--checkpoint", filepath.Join(dir, "m.json"))
	if r.code != 1 || !strings.Contains(r.stdout, "no epoch completed") || strings.Contains(r.stdout, "Inf") {
		t.Errorf("diverged at once: exit %d, stdout:\n%s", r.code, r.stdout)
	}
}

// --json with --quiet prints the summary object alone; call --json prints
// an object for a bad flag too, and a canceled wait for stdin is canceled,
// not bad arguments.
func TestJSONEdges(t *testing.T) {
	dir := chdir(t)
	r := runCmd(t, "", "train", "--json", "--quiet", "--epochs", "3", "--checkpoint", filepath.Join(dir, "m.json"))
	if r.code != 0 || strings.Count(r.stdout, "\n") != 1 || !strings.Contains(r.stdout, `"stop_reason"`) {
		t.Errorf("train --json --quiet: exit %d, stdout:\n%s", r.code, r.stdout)
	}
	r = runCmd(t, "", "call", "--json", "--timeout", "-1s", "sum", `{"a": 1, "b": 2}`)
	var out callOutput
	if err := json.Unmarshal([]byte(r.stdout), &out); err != nil || r.code != 2 || out.Outcome != "bad_args" {
		t.Errorf("call --json --timeout -1s: exit %d, stdout %q", r.code, r.stdout)
	}
	pr, pw := io.Pipe()
	defer pw.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	var stdout, stderr bytes.Buffer
	code := run(ctx, []string{"call", "--json", "sum", "-"}, pr, &stdout, &stderr, func(string) string { return "" })
	out = callOutput{}
	if err := json.Unmarshal(stdout.Bytes(), &out); err != nil || code != 1 || out.Outcome != "canceled" {
		t.Errorf("call --json on an interrupted stdin: exit %d, stdout %q", code, stdout.String())
	}
}

// TestAwaitForce checks which signal ends the process at once: the first
// one after the first, but never a hangup, which a closing terminal sends
// twice.
func TestAwaitForce(t *testing.T) {
	tests := []struct {
		name    string
		signals []os.Signal
		want    os.Signal // nil: none of them
	}{
		{"interrupt twice", []os.Signal{os.Interrupt, os.Interrupt}, os.Interrupt},
		{"terminate, then interrupt", []os.Signal{syscall.SIGTERM, os.Interrupt}, os.Interrupt},
		{"hangup, then terminate", []os.Signal{syscall.SIGHUP, syscall.SIGTERM}, syscall.SIGTERM},
		{"hangup twice", []os.Signal{syscall.SIGHUP, syscall.SIGHUP}, nil},
		{"interrupt, then hangups", []os.Signal{os.Interrupt, syscall.SIGHUP, syscall.SIGHUP}, nil},
		{"interrupt, hangup, interrupt", []os.Signal{os.Interrupt, syscall.SIGHUP, os.Interrupt}, os.Interrupt},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// A SIGTERM after the signals: awaitForce returns it if none of
			// them forced the exit.
			signals := make(chan os.Signal, len(tt.signals)+1)
			for _, s := range append(tt.signals, syscall.SIGTERM) {
				signals <- s
			}
			if tt.want == nil {
				tt.want = syscall.SIGTERM
			}
			stopped := false
			got := awaitForce(signals, func() { stopped = true }, nil)
			if !stopped {
				t.Error("the first signal did not ask to stop")
			}
			if got != tt.want {
				t.Errorf("forced by %v, want %v", got, tt.want)
			}
		})
	}
}

func TestAbortHooks(t *testing.T) {
	var h abortHooks
	var ran []string
	h.add(func() { ran = append(ran, "a") })
	remove := h.add(func() { ran = append(ran, "b") })
	remove()
	h.run()
	if !slices.Equal(ran, []string{"a"}) {
		t.Fatalf("ran %q, want only the hook still registered", ran)
	}
}

// TestTrainUnreadableInputs: a dataset or a checkpoint to resume that
// exists but cannot be read is an input error (exit 2), as a missing one is.
func TestTrainUnreadableInputs(t *testing.T) {
	dir := chdir(t)
	unreadable := filepath.Join(dir, "locked.csv")
	if err := os.WriteFile(unreadable, []byte("x,y\n1,2\n2,4\n"), 0o000); err != nil {
		t.Fatal(err)
	}
	if f, err := os.Open(unreadable); err == nil {
		// Root reads any file; /proc/self/mem opens but fails to read.
		f.Close()
		unreadable = "/proc/self/mem"
		if _, err := os.Stat(unreadable); err != nil {
			t.Skip("no file is unreadable here")
		}
	}
	for _, flag := range []string{"--dataset", "--resume"} {
		r := runCmd(t, "", "train", "--checkpoint", "", flag, unreadable)
		if r.code != 2 {
			t.Errorf("train %s %s: exit %d, want 2 (%s)", flag, unreadable, r.code, r.stderr)
			continue
		}
		r.wantOneLine(t, unreadable)
	}
}

// TestTrainResumeWritesItsCheckpoint: --resume without --checkpoint saves
// to the checkpoint it resumes, not to the default one; --checkpoint given
// explicitly still says where.
func TestTrainResumeWritesItsCheckpoint(t *testing.T) {
	chdir(t)
	if r := runCmd(t, "", "train", "--quiet", "--checkpoint", "mine.json"); r.code != 0 {
		t.Fatalf("train: exit %d: %s", r.code, r.stderr)
	}
	r := runCmd(t, "", "train", "--quiet", "--resume", "mine.json", "--epochs", "12")
	if r.code != 0 {
		t.Fatalf("resume: exit %d: %s", r.code, r.stderr)
	}
	if !strings.Contains(r.stdout, "checkpoint:  mine.json\n") {
		t.Errorf("summary does not name mine.json:\n%s", r.stdout)
	}
	if ck, err := train.LoadCheckpoint("mine.json"); err != nil || ck.Epoch != 12 {
		t.Errorf("mine.json after resuming to 12 epochs: %+v, %v", ck, err)
	}
	if _, err := os.Stat(filepath.Join("checkpoints", "model.json")); err == nil {
		t.Error("resuming wrote the default checkpoint")
	}
	r = runCmd(t, "", "train", "--quiet", "--resume", "mine.json", "--epochs", "16", "--checkpoint", "other.json")
	if r.code != 0 {
		t.Fatalf("resume to other.json: exit %d: %s", r.code, r.stderr)
	}
	if ck, err := train.LoadCheckpoint("other.json"); err != nil || ck.Epoch != 16 {
		t.Errorf("other.json: %+v, %v", ck, err)
	}
	if ck, err := train.LoadCheckpoint("mine.json"); err != nil || ck.Epoch != 12 {
		t.Errorf("mine.json after resuming into other.json: %+v, %v", ck, err)
	}
}

// wideCSV writes a CSV file of rows rows of features features in dir.
func wideCSV(t *testing.T, dir string, rows, features int) string {
	t.Helper()
	var b strings.Builder
	for j := range features {
		fmt.Fprintf(&b, "f%d,", j)
	}
	b.WriteString("y\n")
	for i := range rows {
		for j := range features {
			fmt.Fprintf(&b, "%d,", (i*31+j*17)%13-6)
		}
		fmt.Fprintf(&b, "%d\n", 2*((i*31)%13-6)) // y = 2·f0
	}
	path := filepath.Join(dir, "wide.csv")
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestTrainWideData: on data too wide for the closed-form reference the
// summary and --json say why it was skipped, and an interrupt before the
// first epoch ends the run.
func TestTrainWideData(t *testing.T) {
	dir := chdir(t)
	csv := wideCSV(t, dir, 40, 1200)
	r := runCmd(t, "", "train", "--dataset", csv, "--epochs", "1", "--lr", "1e-5", "--checkpoint", "", "--quiet")
	if r.code != 0 || !strings.Contains(r.stdout, "closed form: not computed: 1200 features on 40 rows would take about") {
		t.Errorf("exit %d, stderr %q, summary:\n%.500s", r.code, r.stderr, r.stdout)
	}
	r = runCmd(t, "", "train", "--dataset", csv, "--epochs", "1", "--lr", "1e-5", "--checkpoint", "", "--quiet", "--json")
	var sum struct {
		Optimal *float64 `json:"optimal_loss"`
		Skipped string   `json:"optimal_skipped"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &sum); err != nil || sum.Optimal != nil || !strings.Contains(sum.Skipped, "1200 features") {
		t.Errorf("--json summary %+v, %v:\n%.500s", sum, err, r.stdout)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var out, errOut bytes.Buffer
	code := run(ctx, []string{"train", "--dataset", csv, "--checkpoint", ""}, strings.NewReader(""), &out, &errOut,
		func(string) string { return "" })
	if code != 1 || !strings.Contains(errOut.String(), "interrupted before the first epoch") {
		t.Errorf("interrupted: exit %d, stderr %q", code, errOut.String())
	}
}

// fakeClock is a clock that moves step forward on every reading.
type fakeClock struct {
	mu   sync.Mutex
	t    time.Time
	step time.Duration
}

func (c *fakeClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(c.step)
	return c.t
}

// TestTrainAliveLines: without a terminal, a run whose epoch lines are
// thinned out prints an epoch's line at least every aliveEvery of its
// clock, here 3 s a epoch: a line every 4 epochs, not every 20.
func TestTrainAliveLines(t *testing.T) {
	chdir(t)
	var out, errOut bytes.Buffer
	env := newEnvironment(nil, strings.NewReader(""), &out, &errOut, func(string) string { return "" })
	var f trainFlags
	f.register(pflag.NewFlagSet("train", pflag.ContinueOnError))
	clock := &fakeClock{t: time.Unix(0, 0), step: 3 * time.Second}
	f.now = clock.now
	f.cfg.Epochs, f.cfg.Synthetic.Samples, f.cfg.Checkpoint = 2000, 20, ""
	if err := runTrain(context.Background(), env, &f); err != nil {
		t.Fatal(err)
	}
	var epochs []int
	for _, m := range regexp.MustCompile(`(?m)^epoch +(\d+)/2000  loss \S+.* samples/s$`).FindAllStringSubmatch(out.String(), -1) {
		n, _ := strconv.Atoi(m[1])
		epochs = append(epochs, n)
	}
	if len(epochs) < 2000/4 {
		t.Fatalf("%d epoch lines, want one at least every 4 epochs:\n%s", len(epochs), out.String())
	}
	for i, e := range epochs {
		prev := 0
		if i > 0 {
			prev = epochs[i-1]
		}
		if e-prev > 4 {
			t.Fatalf("epoch %d printed after epoch %d: %d epochs (%v) without a line", e, prev, e-prev, time.Duration(e-prev)*clock.step)
		}
	}
	if epochs[len(epochs)-1] != 2000 {
		t.Errorf("last line for epoch %d, want 2000", epochs[len(epochs)-1])
	}
}

// TestPhaseStatus: a phase that runs statusAfter is named once on stderr;
// a shorter one and the epochs are not.
func TestPhaseStatus(t *testing.T) {
	var b bytes.Buffer
	clock := &fakeClock{t: time.Unix(0, 0)}
	s := &phaseStatus{w: &b, now: clock.now}
	s.tick() // no phase yet
	s.set(train.PhaseLoading)
	clock.step = statusAfter / 2
	s.tick()
	s.set(train.PhaseReference)
	s.tick()
	clock.step = statusAfter
	s.tick()
	s.tick()
	s.set(train.PhaseTraining)
	s.tick()
	s.set(train.PhaseSaving)
	s.tick()
	if want := "agentdash: computing the closed-form reference…\nagentdash: saving the checkpoint…\n"; b.String() != want {
		t.Errorf("status lines %q, want %q", b.String(), want)
	}
	stop := s.watch() // the goroutine ends when stopped
	stop()
}
