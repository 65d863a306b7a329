package agent

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/agentdash/agentdash/internal/breaker"
)

func TestEventsDelivered(t *testing.T) {
	clk := newFakeClock()
	a := newAgent(t, Options{Now: clk.Now})
	mustRegister(t, a, Ability{Name: "up", Schema: textSchema(), CacheTTL: time.Minute, Func: upper})
	sub := a.Subscribe(16)
	defer sub.Close()

	args := map[string]any{"text": "orfeas"}
	for range 2 {
		if _, err := a.Call(t.Context(), "up", args); err != nil {
			t.Fatal(err)
		}
	}
	_, _ = a.Call(t.Context(), "up", map[string]any{"text": 1})
	if err := a.Trip("up"); err != nil {
		t.Fatal(err)
	}

	want := []Event{
		{Kind: EventResult, Ability: "up", Outcome: OutcomeSuccess},
		{Kind: EventResult, Ability: "up", Outcome: OutcomeSuccess, Cached: true},
		{Kind: EventResult, Ability: "up", Outcome: OutcomeBadArgs, Err: `bad arguments: argument "text": want string, got number`},
		{Kind: EventTransition, Ability: "up"},
	}
	for i, w := range want {
		ev := <-sub.C()
		if ev.Kind != w.Kind || ev.Ability != w.Ability || ev.Outcome != w.Outcome || ev.Cached != w.Cached || ev.Err != w.Err {
			t.Fatalf("event %d = %+v, want %+v", i, ev, w)
		}
		if !ev.At.Equal(clk.Now()) {
			t.Fatalf("event %d at %v, want the agent clock's %v", i, ev.At, clk.Now())
		}
		if ev.Kind == EventTransition {
			tr := ev.Transition
			if tr.From != breaker.Closed || tr.To != breaker.ForcedOpen || tr.Reason != breaker.ReasonManualTrip {
				t.Fatalf("transition = %+v", tr)
			}
		}
	}
	if sub.Dropped() != 0 {
		t.Fatalf("dropped %d events with room in the buffer", sub.Dropped())
	}
}

// TestSlowSubscriberNeverBlocks: a subscriber that never reads must not
// block or slow calls; its overflow is dropped and counted.
func TestSlowSubscriberNeverBlocks(t *testing.T) {
	a := newAgent(t, Options{})
	mustRegister(t, a, Ability{Name: "up", Schema: textSchema(), CacheTTL: time.Minute, Func: upper})
	never := a.Subscribe(1)
	const calls = 2000
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for range calls / 4 {
				if _, err := a.Call(t.Context(), "up", map[string]any{"text": "x"}); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait() // a blocking publisher would hang here
	if got := never.Dropped(); got != calls-1 {
		t.Fatalf("dropped %d events, want %d (one fits the buffer)", got, calls-1)
	}
	never.Close()
	never.Close() // idempotent
	if _, ok := <-never.C(); !ok {
		t.Fatal("buffered event lost on Close")
	}
	if _, ok := <-never.C(); ok {
		t.Fatal("channel not closed after Close")
	}
	// Calls after the last subscription closed still work.
	if _, err := a.Call(t.Context(), "up", map[string]any{"text": "x"}); err != nil {
		t.Fatal(err)
	}
}

func TestSubscriptionsAreIndependent(t *testing.T) {
	a := newAgent(t, Options{})
	mustRegister(t, a, Ability{Name: "up", Schema: textSchema(), Func: upper})
	s1, s2 := a.Subscribe(4), a.Subscribe(0)
	if cap(s2.ch) != DefaultEventBuffer {
		t.Fatalf("buffer 0 gave capacity %d, want %d", cap(s2.ch), DefaultEventBuffer)
	}
	s1.Close()
	if _, err := a.Call(t.Context(), "up", map[string]any{"text": "x"}); err != nil {
		t.Fatal(err)
	}
	if ev := <-s2.C(); ev.Ability != "up" {
		t.Fatalf("s2 got %+v", ev)
	}
	if _, ok := <-s1.C(); ok {
		t.Fatal("closed subscription received an event")
	}
	s2.Close()
}

func TestClose(t *testing.T) {
	a, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	started := make(chan struct{})
	var sawCancel bool
	mustRegister(t, a, Ability{Name: "long", Func: func(ctx context.Context, _ map[string]any) (any, error) {
		close(started)
		<-ctx.Done()
		sawCancel = true
		return nil, ctx.Err()
	}})
	mustRegister(t, a, Ability{Name: "up", Schema: textSchema(), CacheTTL: time.Minute, Func: upper})
	sub := a.Subscribe(64)
	done := make(chan Result, 1)
	go func() {
		res, _ := a.Call(context.Background(), "long", nil)
		done <- res
	}()
	<-started
	a.Close() // cancels "long" and waits for it
	if !sawCancel {
		t.Fatal("Close returned before the running ability did")
	}
	if res := <-done; res.Outcome != OutcomeCanceled {
		t.Fatalf("call interrupted by Close: %+v", res)
	}
	for range sub.C() { // drained, then closed by Close
	}
	a.Close() // idempotent

	if _, err := a.Call(t.Context(), "up", map[string]any{"text": "x"}); !errors.Is(err, ErrClosed) {
		t.Fatalf("Call after Close = %v, want ErrClosed", err)
	}
	if err := a.Register(Ability{Name: "late", Func: upper}); !errors.Is(err, ErrClosed) {
		t.Fatalf("Register after Close = %v, want ErrClosed", err)
	}
	if _, ok := <-a.Subscribe(1).C(); ok {
		t.Fatal("Subscribe after Close returned an open channel")
	}
}

func TestSnapshot(t *testing.T) {
	clk := newFakeClock()
	a := newAgent(t, Options{Name: "test agent", MaxConcurrent: 3, Now: clk.Now})
	mustRegister(t, a, Ability{Name: "up", Schema: textSchema(), CacheTTL: time.Minute, Func: upper})
	mustRegister(t, a, Ability{Name: "fail", Func: func(context.Context, map[string]any) (any, error) { return nil, errors.New("nope") }})
	for range 3 {
		if _, err := a.Call(t.Context(), "up", map[string]any{"text": "a"}); err != nil {
			t.Fatal(err)
		}
	}
	clk.Advance(2 * time.Second)
	_, _ = a.Call(t.Context(), "fail", nil)
	_ = a.SetFault("fail", Fault{Latency: time.Millisecond})

	s := a.Snapshot()
	if s.Name != "test agent" || s.Limit != 3 || s.InUse != 0 || s.Waiting != 0 || s.Uptime != 2*time.Second || !s.Taken.Equal(clk.Now()) {
		t.Fatalf("snapshot header = %+v", s)
	}
	if len(s.Abilities) != 2 || s.Abilities[0].Name != "fail" || s.Abilities[1].Name != "up" {
		t.Fatalf("abilities not sorted: %+v", s.Abilities)
	}
	f, up := s.Abilities[0], s.Abilities[1]
	if up.Calls != 3 || up.Outcomes[OutcomeSuccess] != 3 || up.CacheHits != 2 || up.CacheMisses != 1 || up.CacheEntries != 1 || !up.Cached {
		t.Fatalf("up stats = %+v", up)
	}
	if up.Latency.Count != 3 || up.Recent.Count != 3 || len(up.LatencyBuckets) == 0 || up.LatencyBuckets[len(up.LatencyBuckets)-1].Count != 3 {
		t.Fatalf("up latency = %+v / %+v / %v", up.Latency, up.Recent, up.LatencyBuckets)
	}
	if up.Rate <= 0 || s.Rate != up.Rate+f.Rate || len(up.RateSeries) != 60 {
		t.Fatalf("rates: agent %v, up %v, fail %v, series %d", s.Rate, up.Rate, f.Rate, len(up.RateSeries))
	}
	if f.Calls != 1 || f.Outcomes[OutcomeFailure] != 1 || f.Cached || f.LastError != "nope" || !f.LastErrorAt.Equal(clk.Now()) {
		t.Fatalf("fail stats = %+v", f)
	}
	if f.Breaker.WindowFailures != 1 || f.Fault.Latency != time.Millisecond {
		t.Fatalf("fail breaker/fault = %+v / %+v", f.Breaker, f.Fault)
	}
}

// TestEventsCarryTheCaller: a call's result event names the caller its
// context carries (WithCaller), for a miss, a hit and a failure alike, and
// none for a context without one.
func TestEventsCarryTheCaller(t *testing.T) {
	a := newAgent(t, Options{})
	mustRegister(t, a, Ability{Name: "up", Schema: textSchema(), CacheTTL: time.Minute, Func: upper})
	sub := a.Subscribe(16)
	defer sub.Close()
	ctx := WithCaller(t.Context(), "claude-code 3f2a9c1b")
	args := map[string]any{"text": "orfeas"}
	for range 2 { // a miss, then a hit
		if _, err := a.Call(ctx, "up", args); err != nil {
			t.Fatal(err)
		}
	}
	_, _ = a.Call(ctx, "up", map[string]any{"text": 1})
	if _, err := a.Call(t.Context(), "up", args); err != nil {
		t.Fatal(err)
	}
	for i, want := range []string{"claude-code 3f2a9c1b", "claude-code 3f2a9c1b", "claude-code 3f2a9c1b", ""} {
		if ev := <-sub.C(); ev.Caller != want {
			t.Errorf("event %d: Caller %q, want %q", i, ev.Caller, want)
		}
	}
}

// TestSubscribeToKinds: a subscription to some kinds gets those only, and
// actions carry who did them.
func TestSubscribeToKinds(t *testing.T) {
	clk := newFakeClock()
	a := newAgent(t, Options{Now: clk.Now})
	mustRegister(t, a, Ability{Name: "up", Schema: textSchema(), Func: upper})
	sub := a.SubscribeTo(16, EventTransition, EventAction)
	defer sub.Close()
	all := a.Subscribe(16)
	defer all.Close()

	callText(t, a, "up", "x")
	a.RecordAction("attach (pid 7)", "trip", "up")
	if err := a.Trip("up"); err != nil {
		t.Fatal(err)
	}
	ev := <-sub.C()
	if ev.Kind != EventAction || ev.Actor != "attach (pid 7)" || ev.Action != "trip" || ev.Ability != "up" || !ev.At.Equal(clk.Now()) {
		t.Fatalf("first event = %+v, want the action", ev)
	}
	if ev := <-sub.C(); ev.Kind != EventTransition {
		t.Fatalf("second event = %+v, want the transition", ev)
	}
	select {
	case ev := <-sub.C():
		t.Fatalf("unexpected event %+v", ev)
	default:
	}
	if a.wantResults.Load() != resultsAll {
		t.Fatal("the subscription to all kinds does not get call results")
	}
	if n := len(all.C()); n != 3 {
		t.Fatalf("the subscription to all kinds has %d events, want 3", n)
	}
	all.Close()
	if a.wantResults.Load() != resultsNone {
		t.Fatal("calls still build result events with no subscription taking them")
	}
	res := a.SubscribeTo(1, EventResult)
	if a.wantResults.Load() != resultsAll {
		t.Fatal("a subscription to results does not get them")
	}
	res.Close()
	if a.wantResults.Load() != resultsNone {
		t.Fatal("result events still built after the last such subscription closed")
	}
	if EventAction.String() != "action" {
		t.Fatalf("EventAction.String() = %q", EventAction.String())
	}
}

// TestSubscribeCallers: a callers' subscription gets the results of the
// calls that name their caller and no other, and the other calls build
// no result event for it; with a subscription to all results as well,
// each gets its own.
func TestSubscribeCallers(t *testing.T) {
	a, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	if err := a.Register(Ability{Name: "one", Func: func(context.Context, map[string]any) (any, error) { return 1, nil }}); err != nil {
		t.Fatal(err)
	}
	sub := a.SubscribeCallers(8, EventAction)
	defer sub.Close()
	if a.wantResults.Load() != resultsCallers {
		t.Fatalf("wantResults = %d with a callers' subscription, want resultsCallers", a.wantResults.Load())
	}
	if a.wantsResult(context.Background()) || !a.wantsResult(WithCaller(context.Background(), "cursor 1")) {
		t.Fatal("wantsResult does not follow the caller")
	}
	_, _ = a.Call(context.Background(), "one", nil)
	_, _ = a.Call(WithCaller(context.Background(), "cursor 1"), "one", nil)
	a.RecordAction("me", "trip", "one")
	if ev := <-sub.C(); ev.Kind != EventResult || ev.Caller != "cursor 1" {
		t.Fatalf("first event %+v, want the result of the call with a caller", ev)
	}
	if ev := <-sub.C(); ev.Kind != EventAction {
		t.Fatalf("second event %+v, want the action", ev)
	}
	all := a.SubscribeTo(8, EventResult)
	if a.wantResults.Load() != resultsAll {
		t.Fatal("a subscription to all results beside a callers' one does not get them")
	}
	_, _ = a.Call(context.Background(), "one", nil)
	if len(all.C()) != 1 || len(sub.C()) != 0 {
		t.Fatalf("a call without caller: %d events for all, %d for callers; want 1 and 0", len(all.C()), len(sub.C()))
	}
	all.Close()
	if a.wantResults.Load() != resultsCallers {
		t.Fatal("closing the subscription to all results did not go back to callers only")
	}
	sub.Close()
	if a.wantResults.Load() != resultsNone {
		t.Fatal("result events still built after the last subscription closed")
	}
}
