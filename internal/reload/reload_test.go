package reload

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// applied records what Apply read from the file.
type applied struct {
	mu     sync.Mutex
	path   string
	values []string
	events []Event
}

func (a *applied) apply() error {
	data, err := os.ReadFile(a.path)
	if err != nil {
		return err
	}
	v := strings.TrimSpace(string(data))
	if strings.HasPrefix(v, "bad") {
		return errors.New(a.path + ":1:1: bad value")
	}
	a.mu.Lock()
	a.values = append(a.values, v)
	a.mu.Unlock()
	return nil
}

func (a *applied) last() string {
	a.mu.Lock()
	defer a.mu.Unlock()
	if len(a.values) == 0 {
		return ""
	}
	return a.values[len(a.values)-1]
}

func (a *applied) report(ev Event) {
	a.mu.Lock()
	a.events = append(a.events, ev)
	a.mu.Unlock()
}

func watch(t *testing.T) (*Reloader, *applied) { return watchEvery(t, 20*time.Millisecond) }

func watchEvery(t *testing.T, debounce time.Duration) (*Reloader, *applied) {
	t.Helper()
	dir := t.TempDir()
	ap := &applied{path: filepath.Join(dir, "agentdash.yaml")}
	write(t, ap.path, "v0")
	r, err := Watch(Options{Path: ap.path, Apply: ap.apply, Report: ap.report, Debounce: debounce})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = r.Close() })
	return r, ap
}

func write(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestWriteInPlaceIsApplied(t *testing.T) {
	r, ap := watch(t)
	write(t, ap.path, "v1")
	waitFor(t, "v1 applied", func() bool { return ap.last() == "v1" })
	if s := r.Stats(); s.Successes < 1 || s.Failures != 0 {
		t.Fatalf("stats: %+v", s)
	}
}

// TestRenameOnSaveIsApplied saves as editors do: a new file renamed over
// the old one, which a watch of the file itself would lose.
func TestRenameOnSaveIsApplied(t *testing.T) {
	_, ap := watch(t)
	for _, v := range []string{"v1", "v2"} {
		tmp := ap.path + ".tmp"
		write(t, tmp, v)
		if err := os.Rename(tmp, ap.path); err != nil {
			t.Fatal(err)
		}
		waitFor(t, v+" applied", func() bool { return ap.last() == v })
	}
}

func TestOtherFilesAreIgnored(t *testing.T) {
	r, ap := watch(t)
	write(t, filepath.Join(filepath.Dir(ap.path), "other.yaml"), "x")
	r.Reload(TriggerSignal) // a reload after the other file's events would have been debounced
	time.Sleep(100 * time.Millisecond)
	if s := r.Stats(); s.Successes != 1 {
		t.Fatalf("reloads after a write to another file: %d, want only the one asked for", s.Successes)
	}
}

func TestInvalidFileIsCountedAndReported(t *testing.T) {
	r, ap := watch(t)
	write(t, ap.path, "bad")
	waitFor(t, "the failure", func() bool { return r.Stats().Failures >= 1 })
	s := r.Stats()
	if s.LastError == nil || !strings.Contains(s.LastError.Error(), ":1:1: bad value") {
		t.Fatalf("last error: %v", s.LastError)
	}
	ap.mu.Lock()
	ev := ap.events[len(ap.events)-1]
	ap.mu.Unlock()
	if ev.Trigger != TriggerFile || ev.Err == nil {
		t.Fatalf("reported: %+v, want the file's failure", ev)
	}
	write(t, ap.path, "v3")
	waitFor(t, "v3 applied", func() bool { return ap.last() == "v3" })
	if s := r.Stats(); s.LastError != nil || !s.LastSuccess.After(ev.At) {
		t.Fatalf("after a good file: %+v", s)
	}
}

// TestBurstIsDebounced: many writes in a row are applied far fewer
// times, the last one last.
func TestBurstIsDebounced(t *testing.T) {
	r, ap := watchEvery(t, 500*time.Millisecond) // longer than a loaded machine's pause between two writes
	for i := range 50 {
		write(t, ap.path, "v"+strings.Repeat("x", i))
	}
	want := "v" + strings.Repeat("x", 49)
	waitFor(t, "the last write applied", func() bool { return ap.last() == want })
	if n := r.Stats().Successes; n >= 50 {
		t.Fatalf("%d reloads for 50 writes in a burst", n)
	}
}

func TestCloseStopsReloads(t *testing.T) {
	r, ap := watch(t)
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	if err := r.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if ev := r.Reload(TriggerSignal); ev.Err == nil {
		t.Fatal("Reload after Close succeeded")
	}
	write(t, ap.path, "v9")
	time.Sleep(100 * time.Millisecond)
	if got := ap.last(); got != "" {
		t.Fatalf("applied %q after Close", got)
	}
}
