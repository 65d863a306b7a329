package agent

import (
	"context"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/agentdash/agentdash/internal/breaker"
)

// EventKind says what an Event reports.
type EventKind int8

// The kinds of events.
const (
	// EventResult reports the end of a call.
	EventResult EventKind = iota
	// EventTransition reports a circuit breaker transition.
	EventTransition
	// EventAction reports a change someone made (see RecordAction): a
	// breaker tripped or reset, a fault set, load started, so that every
	// change can be traced to who made it.
	EventAction
	numKinds
)

// String returns "result", "transition" or "action".
func (k EventKind) String() string {
	switch k {
	case EventResult:
		return "result"
	case EventTransition:
		return "transition"
	case EventAction:
		return "action"
	}
	return "unknown"
}

// Event is something that happened in the agent. Result events fill
// Outcome, Cached, Shared, Latency, Err (empty on success) and Caller;
// transition events fill Transition; action events fill Actor and Action
// (Ability is empty for an action on every ability).
type Event struct {
	Kind       EventKind          // EventResult or EventTransition
	At         time.Time          // when the call ended or the breaker changed state
	Ability    string             // the ability's name
	Outcome    Outcome            // result: how the call ended
	Cached     bool               // result: the value came from the cache
	Shared     bool               // result: the value came from a concurrent identical call
	Latency    time.Duration      // result: how long the call took
	Err        string             // result: the error's message; "" on success
	Caller     string             // result: who made the call (WithCaller); "" when not said
	Transition breaker.Transition // transition: from, to and why
	Actor      string             // action: who, e.g. "local dashboard" or "attach (pid 4242, uid 1000)"
	Action     string             // action: what, e.g. "trip" or "fault 50%/20ms"
}

// Subscription receives the agent's events. Delivery never blocks a call:
// when the buffer is full the event is dropped and counted.
type Subscription struct {
	agent *Agent
	ch    chan Event
	kinds uint8 // bit k set: events of kind k are delivered
	// callersOnly: of the results, only those of calls that name their
	// caller are delivered.
	callersOnly bool
	dropped     atomic.Uint64

	mu     sync.RWMutex // send holds it shared, closeChannel exclusively
	closed bool
}

// MaxEventBuffer is the largest buffer Subscribe gives a subscription.
const MaxEventBuffer = 1 << 20

// Subscribe returns a subscription to all events with a buffer of the given
// size (buffer <= 0 means DefaultEventBuffer; more than MaxEventBuffer
// means MaxEventBuffer). Publishing costs nothing while there are no
// subscriptions. After Close the subscription's channel is closed at once.
func (a *Agent) Subscribe(buffer int) *Subscription {
	return a.SubscribeTo(buffer)
}

// SubscribeTo is Subscribe for the given kinds of events only (all kinds
// when none is given). A subscription without EventResult costs the calls
// nothing but a test: a viewer that shows transitions and actions does not
// slow calls down.
func (a *Agent) SubscribeTo(buffer int, kinds ...EventKind) *Subscription {
	return a.subscribe(buffer, false, kinds)
}

func (a *Agent) subscribe(buffer int, callersOnly bool, kinds []EventKind) *Subscription {
	if buffer <= 0 {
		buffer = DefaultEventBuffer
	}
	buffer = min(buffer, MaxEventBuffer)
	mask := uint8(1<<numKinds - 1)
	if len(kinds) > 0 {
		mask = 0
		for _, k := range kinds {
			mask |= 1 << k
		}
	}
	s := &Subscription{agent: a, ch: make(chan Event, buffer), kinds: mask, callersOnly: callersOnly}
	a.subMu.Lock()
	defer a.subMu.Unlock()
	if a.closed.Load() {
		s.closeChannel()
		return s
	}
	var list []*Subscription
	if p := a.subs.Load(); p != nil {
		list = slices.Clone(*p)
	}
	list = append(list, s)
	a.setSubs(list)
	return s
}

// SubscribeCallers is SubscribeTo for kinds and, of the call results,
// only those of calls that name their caller (WithCaller): a viewer of an
// MCP server's clients costs the other calls (a load generator's) nothing
// but a context lookup.
func (a *Agent) SubscribeCallers(buffer int, kinds ...EventKind) *Subscription {
	return a.subscribe(buffer, true, append(slices.Clone(kinds), EventResult))
}

// Which call results some subscription takes (Agent.wantResults).
const (
	resultsNone int32 = iota
	resultsCallers
	resultsAll
)

// wantsResult says whether a call made with ctx publishes its result.
func (a *Agent) wantsResult(ctx context.Context) bool {
	switch a.wantResults.Load() {
	case resultsAll:
		return true
	case resultsCallers:
		return Caller(ctx) != ""
	}
	return false
}

// setSubs installs list (under subMu), noting which call results the
// subscriptions want: a call builds its event only then.
func (a *Agent) setSubs(list []*Subscription) {
	results := resultsNone
	for _, s := range list {
		switch {
		case s.kinds&(1<<EventResult) == 0:
		case s.callersOnly:
			results = max(results, resultsCallers)
		default:
			results = resultsAll
		}
	}
	a.wantResults.Store(results)
	if len(list) == 0 {
		a.subs.Store(nil)
		return
	}
	a.subs.Store(&list)
}

// C returns the channel of events. It is closed by Close (of the
// subscription or the agent).
func (s *Subscription) C() <-chan Event { return s.ch }

// Dropped returns how many events were dropped because the buffer was full.
func (s *Subscription) Dropped() uint64 { return s.dropped.Load() }

// Close ends the subscription and closes its channel. It is idempotent.
func (s *Subscription) Close() {
	a := s.agent
	a.subMu.Lock()
	if p := a.subs.Load(); p != nil {
		a.setSubs(slices.DeleteFunc(slices.Clone(*p), func(x *Subscription) bool { return x == s }))
	}
	a.subMu.Unlock()
	s.closeChannel()
}

func (s *Subscription) closeChannel() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.closed {
		s.closed = true
		close(s.ch)
	}
}

func (s *Subscription) send(ev Event) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return
	}
	select {
	case s.ch <- ev:
	default:
		s.dropped.Add(1)
	}
}

// publish hands ev to every subscription without blocking.
func (a *Agent) publish(ev Event) {
	p := a.subs.Load()
	if p == nil {
		return
	}
	for _, s := range *p {
		if s.kinds&(1<<ev.Kind) != 0 && (!s.callersOnly || ev.Kind != EventResult || ev.Caller != "") {
			s.send(ev)
		}
	}
}

// RecordAction publishes an EventAction saying that actor did action on
// the named ability ("" for all of them). The agent does not check it: the
// caller that made the change reports it.
func (a *Agent) RecordAction(actor, action, ability string) {
	a.publish(Event{Kind: EventAction, At: a.now(), Ability: ability, Actor: actor, Action: action})
}
