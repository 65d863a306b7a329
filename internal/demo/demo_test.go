package demo

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/agentdash/agentdash/internal/agent"
	loadgen "github.com/agentdash/agentdash/internal/load"
	"github.com/agentdash/agentdash/internal/train"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func newDemo(t *testing.T, cfg Config) *agent.Agent {
	t.Helper()
	a, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(a.Close)
	return a
}

func TestOriginalDemo(t *testing.T) {
	a := newDemo(t, Config{Checkpoint: filepath.Join(t.TempDir(), "m.json")})
	ctx := context.Background()
	tests := []struct {
		ability string
		args    map[string]any
		want    any
	}{
		{"uppercase", map[string]any{"text": "orfeas"}, "ORFEAS"},
		{"sum", map[string]any{"a": 2.0, "b": 3.0}, 5.0},
		{"sum", map[string]any{"a": 2, "b": 3}, 5.0}, // Go callers may pass ints
	}
	for _, tt := range tests {
		res, err := a.Call(ctx, tt.ability, tt.args)
		if err != nil {
			t.Fatalf("%s %v: %v", tt.ability, tt.args, err)
		}
		if res.Value != tt.want {
			t.Errorf("%s %v = %v, want %v", tt.ability, tt.args, res.Value, tt.want)
		}
	}
	res, err := a.Call(ctx, "uppercase", map[string]any{"text": "orfeas"})
	if err != nil || !res.Cached {
		t.Errorf("second uppercase call: cached=%v err=%v, want a cache hit", res.Cached, err)
	}
}

// A sum beyond float64 is the caller's mistake, not an infinite result
// (which cannot be written as JSON and would be cached as a success).
func TestSumOverflow(t *testing.T) {
	a := newDemo(t, Config{})
	res, err := a.Call(context.Background(), "sum", map[string]any{"a": 1e308, "b": 1e308})
	if !errors.Is(err, agent.ErrBadArgs) || res.Outcome != agent.OutcomeBadArgs || !strings.Contains(err.Error(), "overflows float64") {
		t.Fatalf("sum(1e308, 1e308) = %+v, %v; want bad arguments: overflows float64", res, err)
	}
}

func TestAbilitiesRegistered(t *testing.T) {
	a := newDemo(t, Config{})
	var names []string
	for _, in := range a.Abilities() {
		names = append(names, in.Name)
	}
	if got := strings.Join(names, " "); got != "flaky predict read_file sleep sum uppercase" {
		t.Errorf("abilities = %s", got)
	}
	for _, in := range a.Abilities() { // hints for MCP clients: none changes anything or reaches out
		if h := in.Hints; h.ReadOnly == nil || !*h.ReadOnly || h.OpenWorld == nil || *h.OpenWorld {
			t.Errorf("%s: hints %+v, want read-only and a closed world", in.Name, h)
		}
	}
	f, err := a.Fault("flaky")
	if err != nil || f != DefaultFlakyFault() {
		t.Errorf("flaky fault = %+v, %v; want %+v", f, err, DefaultFlakyFault())
	}
}

func TestReadFile(t *testing.T) {
	root := t.TempDir()
	outside := t.TempDir()
	write := func(dir, name, data string) {
		t.Helper()
		if err := os.MkdirAll(filepath.Dir(filepath.Join(dir, name)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(root, "a.txt", "hello")
	write(root, "sub/b.txt", "nested")
	write(root, "big.txt", strings.Repeat("x", 65))
	write(root, "bin.dat", "a\x00b")
	write(root, "latin1.txt", "caf\xe9")
	write(outside, "secret.txt", "top secret")
	if err := os.Symlink(filepath.Join(outside, "secret.txt"), filepath.Join(root, "link.txt")); err != nil {
		t.Fatal(err)
	}
	a := newDemo(t, Config{Root: root, MaxFileBytes: 64})

	tests := []struct {
		path    string
		want    string // content, or a substring of the error
		wantErr bool
	}{
		{"a.txt", "hello", false},
		{"sub/b.txt", "nested", false},
		{"sub/../a.txt", "hello", false},
		{"../" + filepath.Base(outside) + "/secret.txt", "", true},
		{"link.txt", "", true},
		{filepath.Join(outside, "secret.txt"), "absolute paths are not allowed", true},
		{"missing.txt", "no such file", true},
		{"sub/../../" + filepath.Base(root) + "/a.txt", "path escapes", true},
		{"big.txt", "65 bytes, over the 64-byte limit", true},
		{"bin.dat", "not a UTF-8 text file", true},
		{"latin1.txt", "not a UTF-8 text file", true},
		{"sub", "not a regular file", true},
	}
	for _, tt := range tests {
		res, err := a.Call(context.Background(), "read_file", map[string]any{"path": tt.path})
		if tt.wantErr {
			if !errors.Is(err, agent.ErrBadArgs) {
				t.Errorf("read_file %q: error %v is not a bad-arguments error", tt.path, err)
			}
			if err == nil {
				t.Errorf("read_file %q succeeded: %+v", tt.path, res.Value)
			} else if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("read_file %q: error %q does not mention %q", tt.path, err, tt.want)
			}
			if strings.Contains(err.Error(), "top secret") {
				t.Errorf("read_file %q leaked the file outside the root", tt.path)
			}
			continue
		}
		if err != nil {
			t.Errorf("read_file %q: %v", tt.path, err)
			continue
		}
		if fc := res.Value.(*FileContent); fc.Content != tt.want {
			t.Errorf("read_file %q = %q, want %q", tt.path, fc.Content, tt.want)
		}
	}
}

func TestSleepHonoursCancel(t *testing.T) {
	a := newDemo(t, Config{})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := a.Call(ctx, "sleep", map[string]any{"ms": 10_000})
	if err == nil {
		t.Fatal("canceled sleep succeeded")
	}
	res, err := a.Call(context.Background(), "sleep", map[string]any{"ms": 1})
	if err != nil {
		t.Fatal(err)
	}
	if got := res.Value.(map[string]any)["slept_ms"]; got != 1.0 {
		t.Errorf("slept_ms = %v, want 1", got)
	}
}

func TestFlakyFollowsFault(t *testing.T) {
	a := newDemo(t, Config{Flaky: &agent.Fault{FailureRate: 1}})
	_, err := a.Call(context.Background(), "flaky", nil)
	if err == nil {
		t.Fatal("flaky with a 100% fault succeeded")
	}
	if err := a.SetFault("flaky", agent.Fault{}); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Call(context.Background(), "flaky", nil); err != nil {
		t.Fatalf("flaky without a fault failed: %v", err)
	}
}

func TestPredictWithoutModel(t *testing.T) {
	path := filepath.Join(t.TempDir(), "none.json")
	a := newDemo(t, Config{Checkpoint: path})
	_, err := a.Call(context.Background(), "predict", map[string]any{"x": 4.0})
	if !errors.Is(err, ErrNoModel) || !strings.Contains(err.Error(), path) {
		t.Errorf("predict without a model: %v, want ErrNoModel naming %s", err, path)
	}
}

func TestNewErrors(t *testing.T) {
	if _, err := New(Config{MaxFileBytes: -1}); err == nil {
		t.Error("negative MaxFileBytes accepted")
	}
	if _, err := New(Config{Flaky: &agent.Fault{FailureRate: 2}}); err == nil {
		t.Error("flaky fault rate 2 accepted")
	}
}

// TestReadFileErrorsSpareTheBreaker: a caller asking for files that do not
// exist must not open read_file's breaker for everyone else.
func TestReadFileErrorsSpareTheBreaker(t *testing.T) {
	a := newDemo(t, Config{Root: t.TempDir()})
	for i := 0; i < 30; i++ {
		_, err := a.Call(context.Background(), "read_file", map[string]any{"path": "missing.txt"})
		if !errors.Is(err, agent.ErrBadArgs) {
			t.Fatalf("call %d: %v, want bad arguments", i, err)
		}
	}
	for _, ab := range a.Snapshot().Abilities {
		if ab.Name == "read_file" && ab.Breaker.State.String() != "closed" {
			t.Errorf("breaker %s after bad paths, want closed", ab.Breaker.State)
		}
	}
}

// trainModel fits y = weight·x + bias (no noise) into the checkpoint path.
func trainModel(t *testing.T, path string, weight, bias float64) {
	t.Helper()
	cfg := train.DefaultConfig()
	cfg.Checkpoint = path
	cfg.Epochs = 200
	cfg.Synthetic = train.Synthetic{Samples: 200, Weight: weight, Bias: bias}
	if _, err := train.Train(context.Background(), cfg, nil); err != nil {
		t.Fatal(err)
	}
}

func TestPredictServesAndReloadsTheCheckpoint(t *testing.T) {
	path := filepath.Join(t.TempDir(), "model.json")
	a := newDemo(t, Config{Checkpoint: path})
	predict := func(x any) (float64, error) {
		t.Helper()
		res, err := a.Call(context.Background(), "predict", map[string]any{"x": x})
		if err != nil {
			return 0, err
		}
		return res.Value.(float64), nil
	}
	near := func(got, want float64) bool { return got > want-0.05 && got < want+0.05 }

	trainModel(t, path, 2, 1)
	for _, x := range []any{4.0, []any{4.0}, 4} {
		if y, err := predict(x); err != nil || !near(y, 9) {
			t.Errorf("predict x=%v = %v, %v; want about 9", x, y, err)
		}
	}
	trainModel(t, path, -3, 0.5)
	if y, err := predict(2.0); err != nil || !near(y, -5.5) {
		t.Errorf("after retraining, predict x=2 = %v, %v; want about -5.5 (the new model)", y, err)
	}
	for _, x := range []any{[]any{1.0, 2.0}, []any{}, "4", []any{"a"}, nil} {
		if _, err := predict(x); !errors.Is(err, agent.ErrBadArgs) {
			t.Errorf("predict x=%#v: %v, want bad arguments", x, err)
		}
	}
}

func TestPredictCorruptCheckpoint(t *testing.T) {
	path := filepath.Join(t.TempDir(), "model.json")
	if err := os.WriteFile(path, []byte(`{"format": "something else"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	a := newDemo(t, Config{Checkpoint: path})
	_, err := a.Call(context.Background(), "predict", map[string]any{"x": 1.0})
	if err == nil || errors.Is(err, agent.ErrBadArgs) || !strings.Contains(err.Error(), path) {
		t.Errorf("predict with a foreign checkpoint: %v, want a failure naming %s", err, path)
	}
}

// predict's example arguments follow the model it serves: none without a
// model (the schema's {"x": 4} applies), one number per feature after
// training, at the features' training means.
func TestPredictExampleFollowsModel(t *testing.T) {
	path := filepath.Join(t.TempDir(), "m.json")
	a := newDemo(t, Config{Checkpoint: path})
	in, _ := a.Lookup("predict")
	if got := in.ExampleArgs(); got["x"] != 4.0 {
		t.Errorf("example without a model = %v, want the schema's x 4", got)
	}
	cfg := train.DefaultConfig()
	cfg.Dataset, cfg.Checkpoint, cfg.Epochs = "../../assets/housing.csv", path, 2
	if _, err := train.Train(context.Background(), cfg, nil); err != nil {
		t.Fatal(err)
	}
	x, ok := in.ExampleArgs()["x"].([]float64)
	if !ok || len(x) != 3 {
		t.Fatalf("example after training = %v, want 3 features", in.ExampleArgs())
	}
	if res, err := a.Call(context.Background(), "predict", map[string]any{"x": x}); err != nil || res.Outcome != agent.OutcomeSuccess {
		t.Errorf("predict with its own example: %+v, %v", res, err)
	}
}

// Load on every demo ability, in every mode, sends only arguments the
// ability accepts: varied read_file paths are files that exist, whether
// the root holds several files or one.
func TestLoadSendsNoBadArgs(t *testing.T) {
	several := t.TempDir()
	for _, name := range []string{"README.md", "a.txt", "b.txt", "big.txt", "bin.dat"} {
		body := "text of " + name + "\n"
		switch name {
		case "big.txt":
			body = strings.Repeat("x", 2048) // over MaxFileBytes below
		case "bin.dat":
			body = "\x00\x01"
		}
		if err := os.WriteFile(filepath.Join(several, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Mkdir(filepath.Join(several, "dir"), 0o755); err != nil {
		t.Fatal(err)
	}
	one := t.TempDir()
	if err := os.WriteFile(filepath.Join(one, "notes.txt"), []byte("hello\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, root := range []struct{ name, dir string }{{"several files", several}, {"one file", one}} {
		for _, mode := range []loadgen.Mode{loadgen.Repeat, loadgen.Vary, loadgen.Mixed} {
			t.Run(root.name+"/"+mode.String(), func(t *testing.T) {
				a := newDemo(t, Config{Root: root.dir, MaxFileBytes: 1024,
					Checkpoint: filepath.Join(t.TempDir(), "m.json")})
				for _, in := range a.Abilities() {
					calls := func() uint64 {
						for _, s := range a.Snapshot().Abilities {
							if s.Name == in.Name {
								return s.Calls
							}
						}
						return 0
					}
					g, err := loadgen.Start(t.Context(), a, loadgen.Spec{Ability: in.Name, Rate: 1000, Mode: mode})
					if err != nil {
						t.Fatal(err)
					}
					deadline := time.Now().Add(20 * time.Second)
					for calls() < 20 && time.Now().Before(deadline) {
						time.Sleep(5 * time.Millisecond)
					}
					g.Stop()
					if n := calls(); n < 20 {
						t.Fatalf("%s: only %d calls ended", in.Name, n)
					}
				}
				for _, s := range a.Snapshot().Abilities {
					if n := s.Outcomes[agent.OutcomeBadArgs]; n > 0 {
						t.Errorf("%s: %d of %d calls had bad arguments (last error: %s)", s.Name, n, s.Calls, s.LastError)
					}
				}
			})
		}
	}
}

// read_file's path examples leave out hidden files: the dashboard shows the
// first example in its argument editor and load sends them all, and a
// .env or a worktree's .git is nothing to put on screen unasked.
func TestFileExamplesSkipHiddenFiles(t *testing.T) {
	root := t.TempDir()
	for _, name := range []string{".env", ".gitignore", "README.md", "a.txt"} {
		if err := os.WriteFile(filepath.Join(root, name), []byte("text\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got := fileExamples(root, 1024)
	if want := []any{"README.md", "a.txt"}; !slices.Equal(got, want) {
		t.Fatalf("examples %q, want %q", got, want)
	}
}
