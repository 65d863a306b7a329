package declared_test

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/agentdash/agentdash/internal/agent"
	"github.com/agentdash/agentdash/internal/breaker"
	"github.com/agentdash/agentdash/internal/config"
	"github.com/agentdash/agentdash/internal/declared"
	"github.com/agentdash/agentdash/internal/reload"
	"github.com/agentdash/agentdash/internal/schema"
)

// echo is a built-in ability for the live tests: it returns its text.
func echo(runs *atomic.Int64) agent.Ability {
	return agent.Ability{
		Name: "echo",
		Schema: &schema.Schema{Type: schema.TypeObject,
			Properties: map[string]*schema.Property{"text": {Type: schema.TypeString}}},
		Func: func(_ context.Context, args map[string]any) (any, error) {
			runs.Add(1)
			return args["text"], nil
		},
		Source: "built-in",
	}
}

// liveAgent starts an agent from the file at path, as a command does, and
// a Reloader that applies the file again when it changes.
func liveAgent(t *testing.T, path string, debounce time.Duration, builtins []agent.Ability) (*agent.Agent, *reload.Reloader) {
	t.Helper()
	names := []string{}
	for _, b := range builtins {
		names = append(names, b.Name)
	}
	load := func() ([]declared.Ability, error) {
		cfg, _, err := config.Load(path, names)
		if err != nil {
			return nil, err
		}
		abs, _, err := declared.Abilities(cfg, builtins, nil, declared.Env{})
		return abs, err
	}
	abs, err := load()
	if err != nil {
		t.Fatal(err)
	}
	a, err := agent.New(agent.Options{MaxConcurrent: 32})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(a.Close)
	if err := declared.Register(a, abs); err != nil {
		t.Fatal(err)
	}
	live := declared.NewLive(a, abs)
	r, err := reload.Watch(reload.Options{Path: path, Apply: func() error {
		abs, err := load()
		if err != nil {
			return err
		}
		return live.Apply(abs)
	}, Debounce: debounce})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = r.Close() })
	return a, r
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil { // as editors save
		t.Fatal(err)
	}
}

func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func description(a *agent.Agent, name string) string {
	in, _ := a.Lookup(name)
	return in.Description
}

// TestReloadKeepsStateOfUnchangedAbilities: a reload that changes one
// ability's description keeps another's tripped breaker and the cache of
// the changed one; an invalid file changes nothing and says where.
func TestReloadKeepsStateOfUnchangedAbilities(t *testing.T) {
	url, hits := server(t, http.StatusOK)
	path := filepath.Join(t.TempDir(), "agentdash.yaml")
	file := func(desc string) string {
		return "abilities:\n  echo:\n    description: " + desc + "\n    cache_ttl: 1h\n" +
			"  w:\n    kind: http\n    url: \"" + url + "/?q={{q}}\"\n    schema: {type: object, properties: {q: {type: string}}}\n" +
			"    breaker: {cooldown: 1h}\n"
	}
	writeFile(t, path, file("one"))
	var runs atomic.Int64
	a, r := liveAgent(t, path, 0, []agent.Ability{echo(&runs)})
	if _, err := a.Call(t.Context(), "echo", map[string]any{"text": "x"}); err != nil {
		t.Fatal(err)
	}
	if err := a.Trip("w"); err != nil {
		t.Fatal(err)
	}

	writeFile(t, path, file("two"))
	waitUntil(t, "the new description", func() bool { return description(a, "echo") == "two" })
	if st := state(t, a, "w"); st != breaker.ForcedOpen {
		t.Fatalf("w's breaker after a reload that left it unchanged: %v, want forced_open", st)
	}
	res, err := a.Call(t.Context(), "echo", map[string]any{"text": "x"})
	if err != nil || !res.Cached || runs.Load() != 1 {
		t.Fatalf("echo after the reload: %+v %v, runs %d; want a cache hit", res, err, runs.Load())
	}
	if hits.Load() != 0 {
		t.Fatalf("w ran %d times though its breaker is open", hits.Load())
	}

	writeFile(t, path, "abilities:\n  echo:\n    cache_ttl: 1h\n    timeout: soon\n")
	waitUntil(t, "the failed reload", func() bool { return r.Stats().Failures >= 1 })
	if err := r.Stats().LastError; err == nil || !strings.Contains(err.Error(), path+":4:14") {
		t.Fatalf("error of the invalid file: %v, want it at %s:4:14", err, path)
	}
	if _, ok := a.Lookup("w"); !ok || description(a, "echo") != "two" {
		t.Fatal("an invalid file changed the running abilities")
	}
}

func state(t *testing.T, a *agent.Agent, name string) breaker.State {
	t.Helper()
	for _, st := range a.Snapshot().Abilities {
		if st.Name == name {
			return st.Breaker.State
		}
	}
	t.Fatalf("no ability %q", name)
	return 0
}

// TestReloadStorm writes the file 100 times a second (every fifth version
// invalid) while callers keep calling: no call fails because of a reload,
// and the last valid file is what runs in the end.
func TestReloadStorm(t *testing.T) {
	url, _ := server(t, http.StatusOK)
	path := filepath.Join(t.TempDir(), "agentdash.yaml")
	file := func(gen int) string {
		if gen%5 == 4 {
			return fmt.Sprintf("abilities:\n  echo:\n    description: gen %d\n    cache_ttl: nope\n", gen)
		}
		return fmt.Sprintf("abilities:\n  echo:\n    description: gen %d\n    cache_ttl: %dms\n"+
			"  w:\n    kind: http\n    url: \"%s/?q={{q}}&gen=%d\"\n    schema: {type: object, properties: {q: {type: string}}}\n    timeout: %ds\n"+
			"  extra_%d:\n    kind: http\n    url: \"%s/\"\n", gen, 100+gen%3, url, gen%2, 5+gen%3, gen%3, url)
	}
	writeFile(t, path, file(0))
	var runs atomic.Int64
	// A debounce shorter than the writes' interval, so that most writes
	// are applied while the calls run.
	a, r := liveAgent(t, path, time.Millisecond, []agent.Ability{echo(&runs)})

	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	var wg sync.WaitGroup
	var calls atomic.Int64
	failed := make(chan error, 1)
	for g := range 4 {
		wg.Go(func() {
			for i := 0; ctx.Err() == nil; i++ {
				name, args := "echo", map[string]any{"text": fmt.Sprint(i % 7)}
				if (g+i)%2 == 1 {
					name, args = "w", map[string]any{"q": fmt.Sprint(i % 7)}
				}
				if _, err := a.Call(context.Background(), name, args); err != nil {
					select {
					case failed <- err:
					default:
					}
					return
				}
				calls.Add(1)
			}
		})
	}
	storm := 2 * time.Second
	if testing.Short() {
		storm = 500 * time.Millisecond
	}
	tick := time.NewTicker(10 * time.Millisecond) // 100 writes/s
	gen := 1
	for end := time.Now().Add(storm); time.Now().Before(end); gen++ {
		<-tick.C
		writeFile(t, path, file(gen))
	}
	tick.Stop()
	if gen%5 == 4 {
		gen++
	}
	writeFile(t, path, file(gen)) // the last, valid
	want := fmt.Sprintf("gen %d", gen)
	waitUntil(t, want+" applied", func() bool { return description(a, "echo") == want })
	cancel()
	wg.Wait()
	select {
	case err := <-failed:
		t.Fatalf("a call failed during the reloads: %v", err)
	default:
	}
	if calls.Load() == 0 {
		t.Fatal("no call was made during the storm")
	}
	var names []string
	for _, in := range a.Abilities() {
		names = append(names, in.Name)
	}
	if got, wantNames := strings.Join(names, ","), fmt.Sprintf("echo,extra_%d,w", gen%3); got != wantNames {
		t.Fatalf("abilities after the storm: %s, want %s", got, wantNames)
	}
	if in, _ := a.Lookup("w"); in.Timeout != time.Duration(5+gen%3)*time.Second {
		t.Fatalf("w's timeout after the storm: %s, want the last file's", in.Timeout)
	}
	s := r.Stats()
	if s.Successes < 10 || s.Failures < 2 {
		t.Fatalf("%d reloads applied and %d failed: the storm did not reload while the calls ran", s.Successes, s.Failures)
	}
	t.Logf("%d writes, %d calls, %d reloads applied, %d failed", gen, calls.Load(), s.Successes, s.Failures)
}

// BenchmarkReload200 is one reload of a file of 200 http abilities, as the
// Reloader runs it: read and check the file, build the abilities, apply
// them (each unchanged but one's description, so the breakers, caches
// and metrics are kept).
func BenchmarkReload200(b *testing.B) {
	path := filepath.Join(b.TempDir(), "agentdash.yaml")
	file := func(gen int) string {
		var sb strings.Builder
		sb.WriteString("abilities:\n")
		for i := range 200 {
			fmt.Fprintf(&sb, "  tool_%d:\n    kind: http\n    description: tool %d gen %d\n    url: \"http://127.0.0.1:9/t%d?q={{q}}\"\n"+
				"    schema: {type: object, properties: {q: {type: string}}, required: [q]}\n    cache_ttl: 1m\n    timeout: 2s\n",
				i, i, gen*btoi(i == 0), i)
		}
		return sb.String()
	}
	if err := os.WriteFile(path, []byte(file(0)), 0o600); err != nil {
		b.Fatal(err)
	}
	a, err := agent.New(agent.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer a.Close()
	live := declared.NewLive(a, nil)
	reload := func() error {
		cfg, _, err := config.Load(path, nil)
		if err != nil {
			return err
		}
		abs, _, err := declared.Abilities(cfg, nil, nil, declared.Env{})
		if err != nil {
			return err
		}
		return live.Apply(abs)
	}
	if err := reload(); err != nil {
		b.Fatal(err)
	}
	files := [2][]byte{[]byte(file(1)), []byte(file(2))}
	for i := 0; b.Loop(); i++ {
		b.StopTimer()
		if err := os.WriteFile(path, files[i%2], 0o600); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		if err := reload(); err != nil {
			b.Fatal(err)
		}
	}
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}
