package main

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/agentdash/agentdash/internal/agent"
	"github.com/agentdash/agentdash/internal/breaker"
	"github.com/agentdash/agentdash/internal/config"
	"github.com/agentdash/agentdash/internal/control"
	"github.com/agentdash/agentdash/internal/exporter"
)

// liveAgent builds the agent the file at path (or none: "") describes, and
// its live configuration, as the dashboard does.
func liveAgent(t *testing.T, path string) (*agent.Agent, *liveConfig) {
	t.Helper()
	env := newEnvironment(nil, strings.NewReader(""), io.Discard, io.Discard, func(string) string { return "" })
	if path != "" {
		cfg, err := loadConfig(env, path)
		if err != nil {
			t.Fatal(err)
		}
		env.config = cfg
	}
	f := agentFlags{root: ".", maxConcurrent: agent.DefaultMaxConcurrent, maxWait: agent.DefaultMaxWait, cacheSize: agent.DefaultCacheSize}
	a, err := f.newAgent(env)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { closeAgent(a) })
	lc := newLiveConfig(env, &f, a, io.Discard, nil)
	t.Cleanup(lc.close)
	return a, lc
}

func info(t *testing.T, a *agent.Agent, name string) agent.Info {
	t.Helper()
	in, ok := a.Lookup(name)
	if !ok {
		t.Fatalf("no ability %s", name)
	}
	return in
}

const liveFile = "# tuned by hand\nabilities:\n  sum:               # the adder\n    cache_ttl: 5m    # keep sums\n"

// TestLiveConfigEditAndWrite: an edit applies at once through the reload's
// path (the ability's settings change, the file does not), a wrong value
// is refused with the file's own message at its key, and w writes the
// edits into the file with its comments; the reload the write brings
// changes nothing: breaker states, caches and metrics stay.
func TestLiveConfigEditAndWrite(t *testing.T) {
	dir := chdir(t)
	path := filepath.Join(dir, "agentdash.yaml")
	if err := os.WriteFile(path, []byte(liveFile), 0o640); err != nil {
		t.Fatal(err)
	}
	a, lc := liveAgent(t, path)
	r, err := lc.watch()
	if err != nil {
		t.Fatal(err)
	}

	if err := lc.Apply("sum", map[string]string{"breaker.cooldown": "9s", "timeout": "3s", "max_concurrent": "2"}); err != nil {
		t.Fatal(err)
	}
	in := info(t, a, "sum")
	if in.Breaker.Cooldown != 9*time.Second || in.Timeout != 3*time.Second || in.CacheTTL != 5*time.Minute || in.MaxConcurrent != 2 {
		t.Errorf("sum after the edit: cooldown %v timeout %v ttl %v max_concurrent %d, want 9s 3s 5m 2",
			in.Breaker.Cooldown, in.Timeout, in.CacheTTL, in.MaxConcurrent)
	}
	if got, _ := os.ReadFile(path); string(got) != liveFile {
		t.Errorf("the edit changed the file before w:\n%s", got)
	}
	if !lc.Unsaved() {
		t.Error("Unsaved() = false after an edit")
	}
	vals, err := lc.Values("sum", []string{"breaker.cooldown", "cache_ttl", "breaker.window"})
	if err != nil || vals["breaker.cooldown"] != "9s" || vals["cache_ttl"] != "5m" || len(vals) != 2 {
		t.Errorf("Values = %v, %v", vals, err)
	}

	// A wrong value: the message the file would get, at the key; nothing changes.
	err = lc.Apply("sum", map[string]string{"timeout": "soon", "breaker.window": "0"})
	var errs config.Errors
	if !errors.As(err, &errs) || len(errs) != 2 {
		t.Fatalf("Apply of wrong values: %v, want 2 config errors", err)
	}
	_, fileErr := config.Parse("f", []byte("abilities:\n  sum:\n    timeout: soon\n"), nil)
	var timeoutErr *config.Error
	for _, e := range errs {
		if e.Path == "abilities.sum.timeout" {
			timeoutErr = e
		}
	}
	if timeoutErr == nil || timeoutErr.Msg != fileErr.(config.Errors)[0].Msg {
		t.Errorf("errors %q, want the file's %q at abilities.sum.timeout", errs, fileErr)
	}
	if in := info(t, a, "sum"); in.Timeout != 3*time.Second {
		t.Errorf("timeout after a refused edit: %v", in.Timeout)
	}

	// State that the write's reload must keep.
	ctx := context.Background()
	if _, err := a.Call(ctx, "sum", map[string]any{"a": 1, "b": 2}); err != nil {
		t.Fatal(err)
	}
	if err := a.Trip("uppercase"); err != nil {
		t.Fatal(err)
	}
	before := a.Snapshot()

	if err := lc.Write(); err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(path)
	want := "# tuned by hand\nabilities:\n  sum:               # the adder\n    cache_ttl: 5m    # keep sums\n    breaker:\n      cooldown: 9s\n    max_concurrent: 2\n    timeout: 3s\n"
	if string(got) != want {
		t.Errorf("written file:\n%s\nwant:\n%s", got, want)
	}
	if st, _ := os.Stat(path); runtime.GOOS != "windows" && st.Mode().Perm() != 0o640 {
		t.Errorf("mode %v after w, want 0640", st.Mode().Perm())
	}
	if lc.Unsaved() {
		t.Error("Unsaved() = true after w")
	}
	deadline := time.Now().Add(20 * time.Second)
	for r.Stats().Successes == 0 {
		if time.Now().After(deadline) {
			t.Fatalf("the write brought no reload: %+v", r.Stats())
		}
		time.Sleep(10 * time.Millisecond)
	}
	after := a.Snapshot()
	if in := info(t, a, "sum"); in.Breaker.Cooldown != 9*time.Second || in.Timeout != 3*time.Second {
		t.Errorf("sum after the reload: %+v", in)
	}
	for i, s := range after.Abilities {
		b := before.Abilities[i]
		if s.Name != b.Name || s.Calls < b.Calls || s.CacheEntries != b.CacheEntries {
			t.Errorf("%s: calls %d→%d cache %d→%d across the reload", s.Name, b.Calls, s.Calls, b.CacheEntries, s.CacheEntries)
		}
		if s.Name == "uppercase" && s.Breaker.State != breaker.ForcedOpen {
			t.Errorf("uppercase's breaker %v after the reload, want forced open", s.Breaker.State)
		}
	}
}

// TestLiveConfigWriteErrors: a file turned into invalid YAML, or a
// directory that cannot be written, fails w with a message; the edits stay
// applied and unsaved, and the file is as it was.
func TestLiveConfigWriteErrors(t *testing.T) {
	dir := chdir(t)
	path := filepath.Join(dir, "agentdash.yaml")
	if err := os.WriteFile(path, []byte(liveFile), 0o644); err != nil {
		t.Fatal(err)
	}
	a, lc := liveAgent(t, path)
	if err := lc.Apply("sum", map[string]string{"breaker.cooldown": "9s"}); err != nil {
		t.Fatal(err)
	}
	broken := "abilities:\n  sum: [\n"
	if err := os.WriteFile(path, []byte(broken), 0o644); err != nil {
		t.Fatal(err)
	}
	err := lc.Write()
	if err == nil || !strings.Contains(err.Error(), "agentdash.yaml:") || !strings.Contains(err.Error(), "edits are kept") {
		t.Errorf("Write over invalid YAML: %v, want the file's error and that the edits are kept", err)
	}
	if got, _ := os.ReadFile(path); string(got) != broken {
		t.Errorf("file changed: %q", got)
	}
	if !lc.Unsaved() || info(t, a, "sum").Breaker.Cooldown != 9*time.Second {
		t.Error("the edits were lost")
	}

	if runtime.GOOS == "windows" || os.Geteuid() == 0 {
		return
	}
	if err := os.WriteFile(path, []byte(liveFile), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, 0o500); err != nil {
		t.Fatal(err)
	}
	defer os.Chmod(dir, 0o700)
	if err := lc.Write(); err == nil || !strings.Contains(err.Error(), "permission denied") {
		t.Errorf("Write in a read-only directory: %v", err)
	}
	if got, _ := os.ReadFile(path); string(got) != liveFile || !lc.Unsaved() {
		t.Errorf("after the failed write: file %q, unsaved %v", got, lc.Unsaved())
	}
}

// TestLiveConfigCreate: without a file, edits apply all the same (built-in
// abilities included), and Create writes ./agentdash.yaml holding just
// them, then watches it.
func TestLiveConfigCreate(t *testing.T) {
	dir := chdir(t)
	a, lc := liveAgent(t, "")
	if err := lc.Write(); !errors.Is(err, errNoFile) {
		t.Errorf("Write without a file: %v", err)
	}
	if err := lc.Apply("uppercase", map[string]string{"breaker.cooldown": "42s", "cache_ttl": "0s"}); err != nil {
		t.Fatal(err)
	}
	if in := info(t, a, "uppercase"); in.Breaker.Cooldown != 42*time.Second || in.CacheTTL != 0 {
		t.Errorf("uppercase without a file: %+v", in)
	}
	want := filepath.Join(dir, "agentdash.yaml")
	if lc.CreatePath() != want {
		t.Errorf("CreatePath %q, want %q", lc.CreatePath(), want)
	}
	if err := lc.Create(); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(want)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Parse(want, got, nil)
	if err != nil {
		t.Fatalf("the created file: %v\n%s", err, got)
	}
	up := cfg.Abilities["uppercase"]
	if len(cfg.Abilities) != 1 || up == nil || up.Breaker == nil || time.Duration(up.Breaker.Cooldown) != 42*time.Second || up.CacheTTL == nil || *up.CacheTTL != 0 {
		t.Errorf("created file:\n%s", got)
	}
	if lc.File() != want || lc.Unsaved() {
		t.Errorf("after Create: file %q unsaved %v", lc.File(), lc.Unsaved())
	}
	// It is watched: a change to it applies.
	saveFile(t, want, strings.Replace(string(got), "42s", "43s", 1))
	deadline := time.Now().Add(20 * time.Second)
	for info(t, a, "uppercase").Breaker.Cooldown != 43*time.Second {
		if time.Now().After(deadline) {
			t.Fatal("the created file is not watched")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err := lc.Create(); err == nil {
		t.Error("Create with a file: no error")
	}
}

// TestCreatedFileReloads: a process started without a file exports no
// reload counts and its control API refuses a reload; once the settings
// form creates a file, both count it, without a restart.
func TestCreatedFileReloads(t *testing.T) {
	chdir(t)
	a, lc := liveAgent(t, "")
	if _, err := lc.watch(); err != nil {
		t.Fatal(err)
	}
	src, ok := metricsSource(a, lc, nil).(exporter.ReloadSource)
	if !ok {
		t.Fatal("the metrics source does not read reloads")
	}
	if _, _, last := src.ReloadStats(); !last.IsZero() {
		t.Fatalf("without a file: last reload %v", last)
	}
	c := attachTo(t, a, lc, control.ClientOptions{})
	if _, err := c.Reload(); err == nil || !strings.Contains(err.Error(), "without a configuration file") {
		t.Fatalf("reload without a file: %v", err)
	}
	if err := lc.Apply("uppercase", map[string]string{"cache_ttl": "0s"}); err != nil {
		t.Fatal(err)
	}
	if err := lc.Create(); err != nil {
		t.Fatal(err)
	}
	if _, _, last := src.ReloadStats(); last.IsZero() {
		t.Fatal("after Create: no reload counts")
	}
	if msg, err := c.Reload(); err != nil || msg != "reloaded (key)" {
		t.Fatalf("reload after Create: %q, %v", msg, err)
	}
	if ok, _, _ := src.ReloadStats(); ok != 1 {
		t.Fatalf("after a reload of the created file: %d successes, want 1", ok)
	}
}
