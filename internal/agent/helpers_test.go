package agent

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/agentdash/agentdash/internal/schema"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// fakeClock is a manually advanced clock for breaker cooldowns, cache TTLs
// and metric windows.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newFakeClock() *fakeClock {
	return &fakeClock{t: time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// newAgent returns an agent closed when the test ends.
func newAgent(t testing.TB, opts Options) *Agent {
	t.Helper()
	a, err := New(opts)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(a.Close)
	return a
}

func mustRegister(t testing.TB, a *Agent, ab Ability) {
	t.Helper()
	if err := a.Register(ab); err != nil {
		t.Fatalf("Register(%s): %v", ab.Name, err)
	}
}

// callText calls the ability name with {"text": text}, failing the test
// on an error.
func callText(t testing.TB, a *Agent, name, text string) Result {
	t.Helper()
	res, err := a.Call(t.Context(), name, map[string]any{"text": text})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// callAsync starts a call in a goroutine; its result arrives on the
// returned channel.
func callAsync(ctx context.Context, a *Agent, name string, args map[string]any) <-chan Result {
	res := make(chan Result, 1)
	go func() {
		r, _ := a.Call(ctx, name, args)
		res <- r
	}()
	return res
}

// textSchema is the schema of the uppercase ability.
func textSchema() *schema.Schema {
	return &schema.Schema{
		Type:                 schema.TypeObject,
		Properties:           map[string]*schema.Property{"text": {Type: schema.TypeString}},
		Required:             []string{"text"},
		AdditionalProperties: new(bool),
	}
}

func upper(_ context.Context, args map[string]any) (any, error) {
	return strings.ToUpper(args["text"].(string)), nil
}

// waitFor polls cond until it holds, failing the test after 10 s. It waits
// for an event to happen; it never asserts how fast anything is.
func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

// fataler is the part of testing.TB (and *rapid.T) the helpers need.
type fataler interface {
	Helper()
	Fatalf(format string, args ...any)
}

func statsOf(t fataler, a *Agent, name string) AbilityStats {
	t.Helper()
	for _, st := range a.Snapshot().Abilities {
		if st.Name == name {
			return st
		}
	}
	t.Fatalf("no stats for %q", name)
	return AbilityStats{}
}

// followers returns the number of callers waiting on the flights of the
// named ability, so that a test can wait for them to join instead of
// sleeping.
func followers(t testing.TB, a *Agent, name string) int {
	t.Helper()
	e, err := a.entryFor(name)
	if err != nil {
		t.Fatal(err)
	}
	e.flightMu.Lock()
	defer e.flightMu.Unlock()
	n := 0
	for _, f := range e.flights {
		if f != nil {
			n += f.followers
		}
	}
	return n
}
