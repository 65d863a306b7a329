package command

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/agentdash/agentdash/internal/agent"
)

func mustNew(t *testing.T, s Spec) agent.Func {
	t.Helper()
	f, err := New(s)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return f
}

func call(t *testing.T, f agent.Func, args map[string]any) (any, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	return f(ctx, args)
}

func TestRunResult(t *testing.T) {
	city := "São Paulo; rm -rf / $(x) 'q' \"d\""
	tests := []struct {
		name string
		argv []string
		args map[string]any
		want any
	}{
		{"placeholders fill one element each, never split or interpreted",
			[]string{"args", "--city={{city}}", "{{city}}", "-n", "{{n}}", "{{ok}}{{obj}}"},
			map[string]any{"city": city, "n": 3.0, "ok": true, "obj": map[string]any{"b": 1.0, "a": "x"}},
			[]any{"--city=" + city, city, "-n", "3", `true{"a":"x","b":1}`}},
		{"stdout that is not JSON is text without its trailing newline",
			[]string{"print", "hello", "world"}, nil, "hello\nworld"},
		{"a number on stdout is a number", []string{"print", "  42"}, nil, 42.0},
		{"empty stdout is the empty string", []string{"print"}, nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := call(t, mustNew(t, helperSpec(tt.argv...)), tt.args)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %#v, want %#v", got, tt.want)
			}
		})
	}
}

func TestStdin(t *testing.T) {
	args := map[string]any{"text": "one two\nthree", "n": 2.0}
	spec := helperSpec("cat")
	got, err := call(t, mustNew(t, spec), args)
	if err != nil {
		t.Fatal(err)
	}
	if want := map[string]any{"text": "one two\nthree", "n": 2.0}; !reflect.DeepEqual(got, want) {
		t.Errorf("without a stdin template, stdin = %#v, want the arguments as JSON", got)
	}
	if got, err := call(t, mustNew(t, spec), nil); err != nil || !reflect.DeepEqual(got, map[string]any{}) {
		t.Errorf("no arguments: stdin = %#v, %v; want {}", got, err)
	}
	tpl := "text: {{text}}"
	spec.Stdin = &tpl
	got, err = call(t, mustNew(t, spec), args)
	if want := "text: one two\nthree"; err != nil || got != want {
		t.Errorf("stdin template: got %#v, %v; want %q", got, err, want)
	}
}

func TestEnvIsOnlyTheBaseAndDeclared(t *testing.T) {
	t.Setenv("AGENTDASH_TEST_SECRET", "s3cret")
	spec := helperSpec("env")
	spec.Env["GREETING"] = "hi there"
	got, err := call(t, mustNew(t, spec), nil)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, kv := range got.([]any) {
		k, v, _ := strings.Cut(kv.(string), "=")
		names = append(names, k)
		if k == "GREETING" && v != "hi there" {
			t.Errorf("GREETING=%q", v)
		}
	}
	for _, k := range names {
		if !slices.Contains(append(slices.Clone(baseEnv), "GREETING", "GO_WANT_HELPER_PROCESS", "GORACE"), k) {
			t.Errorf("the program got %s, which is neither in the base nor declared (env: %q)", k, names)
		}
	}
	if !slices.Contains(names, "PATH") || !slices.Contains(names, "GREETING") {
		t.Errorf("env %q lacks PATH or GREETING", names)
	}
}

func TestDir(t *testing.T) {
	dir := t.TempDir()
	spec := helperSpec("pwd")
	spec.Dir = dir
	got, err := call(t, mustNew(t, spec), nil)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := filepath.EvalSymlinks(dir)
	if g, _ := filepath.EvalSymlinks(got.(string)); g != want {
		t.Errorf("ran in %q, want %q", got, dir)
	}
}

func TestExitStatusIsAFailureWithStderr(t *testing.T) {
	lines := []string{"line 1", "line 2", "line 3", "", "line 4", "line 5", "line 6", "last: bad filter"}
	_, err := call(t, mustNew(t, helperSpec(append([]string{"fail", "5"}, lines...)...)), nil)
	if err == nil {
		t.Fatal("no error for exit status 5")
	}
	msg := err.Error()
	if errors.Is(err, agent.ErrBadArgs) {
		t.Errorf("a non-zero exit is a failure, not bad args: %v", err)
	}
	for _, want := range []string{"exited with status 5", "line 3 | line 4 | line 5 | line 6 | last: bad filter"} {
		if !strings.Contains(msg, want) {
			t.Errorf("error %q lacks %q", msg, want)
		}
	}
	if strings.Contains(msg, "line 2") || strings.Contains(msg, "\n") {
		t.Errorf("error %q should hold only the last 5 lines of stderr, on one line", msg)
	}
}

func TestLongStderrIsBounded(t *testing.T) {
	long := strings.Repeat("é", 3000)
	_, err := call(t, mustNew(t, helperSpec("fail", "1", long, "tail end")), nil)
	if err == nil || len(err.Error()) > stderrShown+200 || !strings.HasSuffix(err.Error(), "tail end") {
		t.Errorf("error of %d bytes: %.200q…", len(err.Error()), err)
	}
}

func TestOutputPastTheLimitIsAFailure(t *testing.T) {
	spec := helperSpec("flood")
	spec.MaxOutput = 64 << 10
	_, err := call(t, mustNew(t, spec), nil)
	if err == nil || !strings.Contains(err.Error(), "output passed the limit of 65536 bytes") {
		t.Errorf("err = %v, want the output limit", err)
	}
	spec = helperSpec("print", strings.Repeat("y", 99))
	spec.MaxOutput = 100 // 99 bytes and a newline: just fits
	if got, err := call(t, mustNew(t, spec), nil); err != nil || len(got.(string)) != 99 {
		t.Errorf("output at the limit: %v", err)
	}
}

func TestTimeout(t *testing.T) {
	f := mustNew(t, helperSpec("sleep", "10m"))
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	_, err := f(ctx, nil)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("err = %v, want DeadlineExceeded", err)
	}
}

func TestMissingArgumentIsBadArgs(t *testing.T) {
	tpl := "{{text}}"
	for _, spec := range []Spec{helperSpec("args", "{{filter}}"), {Argv: helperSpec("cat").Argv, Stdin: &tpl}} {
		_, err := call(t, mustNew(t, spec), map[string]any{"other": 1.0})
		if !errors.Is(err, agent.ErrBadArgs) {
			t.Errorf("%q: err = %v, want ErrBadArgs", spec.Argv, err)
		}
	}
}

func TestPlaceholders(t *testing.T) {
	in := "{{text}} {{ lang }}"
	got, err := Spec{Argv: []string{"jq", "-r", "{{filter}}", "--arg={{lang}}"}, Stdin: &in}.Placeholders()
	if want := []string{"filter", "lang", "text"}; err != nil || !slices.Equal(got, want) {
		t.Errorf("Placeholders() = %q, %v; want %q", got, err, want)
	}
}

func TestNewErrors(t *testing.T) {
	notDir := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(notDir, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	exe := testExe()
	tests := []struct {
		spec Spec
		want string
	}{
		{Spec{}, "the program is missing"},
		{Spec{Argv: []string{"agentdash-no-such-program-x1"}}, `command "agentdash-no-such-program-x1" not found in PATH`},
		{Spec{Argv: []string{"./no-such-dir/prog"}}, `command "./no-such-dir/prog"`},
		{Spec{Argv: []string{"{{prog}}"}}, "must be fixed, without placeholders"},
		{Spec{Argv: []string{exe, "--x={{x"}}, `argv[1] "--x={{x": offset 4`},
		{Spec{Argv: []string{exe}, Dir: notDir}, "is not a directory"},
		{Spec{Argv: []string{exe}, Dir: notDir + "x"}, "dir: "},
		{Spec{Argv: []string{exe}, Env: map[string]string{"A=B": "c"}}, `env "A=B"`},
		{Spec{Argv: []string{exe}, MaxOutput: -1}, "max output must not be negative"},
	}
	for _, tt := range tests {
		_, err := New(tt.spec)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("New(%+v) = %v, want an error containing %q", tt.spec, err, tt.want)
		}
	}
}
