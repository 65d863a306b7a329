// Package control lets one agentdash process watch and drive the agent of
// another: a small versioned HTTP/JSON API (/v1/…) served on a Unix domain
// socket in a per-user directory (and, opt-in, on TCP with a bearer token),
// the client that speaks it, and the Backend interface the dashboard drives
// for an agent in this process (Local) and one in another (Client) alike.
package control

import (
	"context"
	"fmt"
	"sync"

	"github.com/agentdash/agentdash/internal/agent"
	"github.com/agentdash/agentdash/internal/load"
)

// Backend is the agent as the dashboard sees it, wherever it runs. Its
// methods are safe for concurrent use; Snapshot and Abilities are cheap
// (a remote backend returns what it last received).
type Backend interface {
	Snapshot() agent.Snapshot
	Abilities() []agent.Info
	Call(ctx context.Context, name string, args map[string]any) (agent.Result, error)
	Trip(name string) error
	Reset(name string) error
	ResetAll()
	SetFault(name string, f agent.Fault) error
	// StartLoad starts a load session on the agent.
	StartLoad(ctx context.Context, s load.Spec) (load.Handle, error)
	// Health is nil while the agent is reachable; for a remote agent that
	// went away it says so, while the backend tries to reconnect.
	Health() error
	// Calls delivers the result events of the calls that name their
	// caller (agent.WithCaller: an MCP client's) until stop is called,
	// which closes the channel. Delivery never blocks the agent: what a
	// full buffer cannot take is dropped.
	Calls(buffer int) (events <-chan agent.Event, stop func())
}

// Local is the Backend of an agent in this process. Every change it makes
// is recorded as an action event (agent.EventAction) by its actor.
type Local struct {
	a     *agent.Agent
	actor string
}

// NewLocal returns the Backend of a, recording its changes as made by
// actor ("local dashboard").
func NewLocal(a *agent.Agent, actor string) *Local { return &Local{a: a, actor: actor} }

// Agent returns the agent.
func (l *Local) Agent() *agent.Agent { return l.a }

// Snapshot implements Backend.
func (l *Local) Snapshot() agent.Snapshot { return l.a.Snapshot() }

// Abilities implements Backend.
func (l *Local) Abilities() []agent.Info { return l.a.Abilities() }

// Call implements Backend.
func (l *Local) Call(ctx context.Context, name string, args map[string]any) (agent.Result, error) {
	return l.a.Call(ctx, name, args)
}

// Trip implements Backend.
func (l *Local) Trip(name string) error { return trip(l.a, l.actor, name) }

// Reset implements Backend.
func (l *Local) Reset(name string) error { return reset(l.a, l.actor, name) }

// ResetAll implements Backend.
func (l *Local) ResetAll() { resetAll(l.a, l.actor) }

// SetFault implements Backend.
func (l *Local) SetFault(name string, f agent.Fault) error { return setFault(l.a, l.actor, name, f) }

// StartLoad implements Backend: the generator runs in this process and is
// owned by the caller.
func (l *Local) StartLoad(ctx context.Context, s load.Spec) (load.Handle, error) {
	g, err := load.Start(ctx, l.a, s)
	if err != nil {
		return nil, err
	}
	l.a.RecordAction(l.actor, loadAction(s.Rate, s.Mode), s.Ability)
	return &recordedLoad{Generator: g, a: l.a, actor: l.actor}, nil
}

// Health implements Backend: a local agent is always there.
func (l *Local) Health() error { return nil }

// Calls implements Backend: a subscription to the agent's callers'
// results.
func (l *Local) Calls(buffer int) (<-chan agent.Event, func()) {
	sub := l.a.SubscribeCallers(buffer)
	return sub.C(), sub.Close
}

// The actions, shared by Local and the server so that both record the same.

func trip(a *agent.Agent, actor, name string) error {
	if err := a.Trip(name); err != nil {
		return err
	}
	a.RecordAction(actor, "trip", name)
	return nil
}

func reset(a *agent.Agent, actor, name string) error {
	if err := a.Reset(name); err != nil {
		return err
	}
	a.RecordAction(actor, "reset", name)
	return nil
}

func resetAll(a *agent.Agent, actor string) {
	a.ResetAll()
	a.RecordAction(actor, "reset all", "")
}

func setFault(a *agent.Agent, actor, name string, f agent.Fault) error {
	if err := a.SetFault(name, f); err != nil {
		return err
	}
	a.RecordAction(actor, faultAction(f), name)
	return nil
}

func faultAction(f agent.Fault) string {
	if f == (agent.Fault{}) {
		return "clear fault"
	}
	return fmt.Sprintf("fault %g%%/%s", f.FailureRate*100, f.Latency)
}

func loadAction(rate float64, mode load.Mode) string {
	return fmt.Sprintf("load %g/s %s", rate, mode)
}

// recordedLoad is a local generator whose retunes and stop are recorded.
type recordedLoad struct {
	*load.Generator
	a     *agent.Agent
	actor string
	once  sync.Once
}

func (r *recordedLoad) Retune(rate float64, mode load.Mode) error {
	if err := r.Generator.Retune(rate, mode); err != nil {
		return err
	}
	r.a.RecordAction(r.actor, loadAction(rate, mode), r.Spec().Ability)
	return nil
}

func (r *recordedLoad) Stop() {
	r.Generator.Stop()
	r.once.Do(func() { r.a.RecordAction(r.actor, "load off", r.Spec().Ability) })
}
