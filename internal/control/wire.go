package control

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/agentdash/agentdash/internal/agent"
	"github.com/agentdash/agentdash/internal/breaker"
	"github.com/agentdash/agentdash/internal/load"
	"github.com/agentdash/agentdash/internal/schema"
	"github.com/agentdash/agentdash/internal/upstream"
)

// APIVersion is the version of the API, the first segment of every path.
const APIVersion = "v1"

// MaxBodyBytes bounds a request body: an action is a few hundred bytes,
// call arguments at most the 1 MiB the MCP server accepts too.
const MaxBodyBytes = 1 << 20

// Info describes a running agentdash process: GET /v1/info, and the
// sidecar file next to its socket (which `ps` reads).
type Info struct {
	Name      string    `json:"name"`
	PID       int       `json:"pid"`
	Started   time.Time `json:"started"`
	Command   string    `json:"command"`           // "dashboard", "serve" or "mcp"
	Transport string    `json:"transport"`         // how it serves: "terminal", "metrics 127.0.0.1:9464", "stdio", "http 127.0.0.1:8765"
	Metrics   string    `json:"metrics,omitempty"` // the Prometheus exporter's host:port, if on
	Socket    string    `json:"socket,omitempty"`
	TCP       string    `json:"tcp,omitempty"`        // host:port of the TCP endpoint, if any
	TokenFile string    `json:"token_file,omitempty"` // where the TCP endpoint's token is (never the token)
	// Abilities and Sessions are filled by /v1/info only: the count of
	// abilities now, and the MCP sessions open (nil: not an MCP server).
	Abilities int  `json:"abilities,omitempty"`
	Sessions  *int `json:"mcp_sessions,omitempty"`
}

// AbilityInfo is an ability as GET /v1/abilities describes it: agent.Info
// with the example arguments of now instead of the function making them.
type AbilityInfo struct {
	Name        string           `json:"name"`
	Description string           `json:"description"`
	Schema      *schema.Schema   `json:"schema,omitempty"`
	Timeout     time.Duration    `json:"timeout_ns"`
	CacheTTL    time.Duration    `json:"cache_ttl_ns"`
	Isolate     bool             `json:"isolate,omitempty"`
	Breaker     breaker.Settings `json:"breaker"`
	Example     map[string]any   `json:"example"`
	Source      string           `json:"source,omitempty"`
	Definition  string           `json:"definition,omitempty"`
}

func abilityInfo(in agent.Info) AbilityInfo {
	return AbilityInfo{Name: in.Name, Description: in.Description, Schema: in.Schema, Timeout: in.Timeout,
		CacheTTL: in.CacheTTL, Isolate: in.Isolate, Breaker: in.Breaker, Example: in.ExampleArgs(),
		Source: in.Source, Definition: in.Definition}
}

func (ai AbilityInfo) info() agent.Info {
	ex := ai.Example
	return agent.Info{Name: ai.Name, Description: ai.Description, Schema: ai.Schema, Timeout: ai.Timeout,
		CacheTTL: ai.CacheTTL, Isolate: ai.Isolate, Breaker: ai.Breaker, Source: ai.Source, Definition: ai.Definition,
		Example: func() map[string]any { return cloneArgs(ex) }}
}

// cloneArgs copies example arguments deeply enough for a caller to edit
// them: through JSON, as they came.
func cloneArgs(m map[string]any) map[string]any {
	if m == nil {
		return nil
	}
	b, err := json.Marshal(m)
	if err != nil {
		return map[string]any{}
	}
	var out map[string]any
	if json.Unmarshal(b, &out) != nil {
		return map[string]any{}
	}
	return out
}

// Event is an agent event on the wire.
type Event struct {
	Kind    string    `json:"kind"` // "result", "transition" or "action"
	At      time.Time `json:"at"`
	Ability string    `json:"ability,omitempty"`
	// result
	Outcome string        `json:"outcome,omitempty"`
	Cached  bool          `json:"cached,omitempty"`
	Shared  bool          `json:"shared,omitempty"`
	Latency time.Duration `json:"latency_ns,omitempty"`
	Err     string        `json:"error,omitempty"`
	Caller  string        `json:"caller,omitempty"`
	// transition
	From   string `json:"from,omitempty"`
	To     string `json:"to,omitempty"`
	Reason string `json:"reason,omitempty"`
	Detail string `json:"detail,omitempty"`
	// action
	Actor  string `json:"actor,omitempty"`
	Action string `json:"action,omitempty"`
}

func wireEvent(ev agent.Event) Event {
	w := Event{Kind: ev.Kind.String(), At: ev.At, Ability: ev.Ability}
	switch ev.Kind {
	case agent.EventResult:
		w.Outcome, w.Cached, w.Shared, w.Latency, w.Err, w.Caller = ev.Outcome.String(), ev.Cached, ev.Shared, ev.Latency, ev.Err, ev.Caller
	case agent.EventTransition:
		t := ev.Transition
		w.From, w.To, w.Reason, w.Detail = t.From.String(), t.To.String(), string(t.Reason), t.Detail
	case agent.EventAction:
		w.Actor, w.Action = ev.Actor, ev.Action
	}
	return w
}

// resultEvent is the agent.Event of a result event from the wire.
func (w Event) resultEvent() (agent.Event, error) {
	o, err := parseOutcome(w.Outcome)
	if err != nil {
		return agent.Event{}, err
	}
	return agent.Event{Kind: agent.EventResult, At: w.At, Ability: w.Ability, Outcome: o, Cached: w.Cached,
		Shared: w.Shared, Latency: w.Latency, Err: w.Err, Caller: w.Caller}, nil
}

// LoadStatus is a load session running in the agent, started through the
// API.
type LoadStatus struct {
	Ability string  `json:"ability"`
	Rate    float64 `json:"rate"`
	Mode    string  `json:"mode"`
	Sent    uint64  `json:"sent"`
	Skipped uint64  `json:"skipped"`
	Failed  uint64  `json:"failed"`
}

// Frame is one message of GET /v1/stream: the agent as it is now, the
// events since the previous frame, and the load sessions.
type Frame struct {
	Snapshot agent.Snapshot `json:"snapshot"`
	Events   []Event        `json:"events,omitempty"`
	// Dropped counts the events this stream lost because its reader was
	// slower than the agent (the agent never waits for a reader).
	Dropped uint64       `json:"dropped"`
	Loads   []LoadStatus `json:"loads"`
	// AbilitiesVersion changes when the abilities do (a reload): the
	// viewer then reads /v1/abilities again.
	AbilitiesVersion uint64 `json:"abilities_version"`
	// Settings is where the configuration's edits stand; absent when the
	// process does not edit its configuration.
	Settings *SettingsState `json:"settings,omitempty"`
	// Upstreams is the state of the MCP servers the agent proxies; absent
	// when it proxies none.
	Upstreams []UpstreamStatus `json:"upstreams,omitempty"`
}

// UpstreamStatus is an MCP server whose tools the agent proxies, as
// upstream.Status says it: GET /v1/upstreams and the stream's frames.
type UpstreamStatus struct {
	Name      string    `json:"name"`
	Transport string    `json:"transport"`
	State     string    `json:"state"`
	Since     time.Time `json:"since"`
	Tools     int       `json:"tools"`
	Restarts  int       `json:"restarts"`
	LastError string    `json:"last_error,omitempty"`
	Stderr    []string  `json:"stderr,omitempty"`
	PID       int       `json:"pid,omitempty"`
}

func upstreamStatuses(list []upstream.Status) []UpstreamStatus {
	out := make([]UpstreamStatus, len(list))
	for i, st := range list {
		out[i] = UpstreamStatus{Name: st.Name, Transport: st.Transport, State: string(st.State), Since: st.Since,
			Tools: st.Tools, Restarts: st.Restarts, LastError: st.LastError, Stderr: st.Stderr, PID: st.PID}
	}
	return out
}

func (u UpstreamStatus) status() upstream.Status {
	return upstream.Status{Name: u.Name, Transport: u.Transport, State: upstream.State(u.State), Since: u.Since,
		Tools: u.Tools, Restarts: u.Restarts, LastError: u.LastError, Stderr: u.Stderr, PID: u.PID}
}

// wireSnapshot returns s ready for JSON: the cumulative latency buckets,
// which end at +Inf and are the exporter's business, are left out.
func wireSnapshot(s agent.Snapshot) agent.Snapshot {
	for i := range s.Abilities {
		s.Abilities[i].LatencyBuckets = nil
	}
	return s
}

// CallRequest is the body of POST /v1/call.
type CallRequest struct {
	Ability string         `json:"ability"`
	Args    map[string]any `json:"args"`
}

// CallResponse is the answer of POST /v1/call: how the call ended, as
// agent.Result and the error's message. A call that ran and failed is a
// 200 with Outcome saying how; only a request that names no ability, or
// that cannot be read, is a 4xx.
type CallResponse struct {
	Outcome string        `json:"outcome"`
	Value   any           `json:"value,omitempty"`
	Cached  bool          `json:"cached,omitempty"`
	Shared  bool          `json:"shared,omitempty"`
	Latency time.Duration `json:"latency_ns"`
	Error   string        `json:"error,omitempty"`
}

// FaultRequest is the body of PUT /v1/faults/{ability}.
type FaultRequest struct {
	FailureRate float64 `json:"failure_rate"`
	Latency     string  `json:"latency"` // a Go duration, "50ms"; "" for none
}

// LoadRequest is the body of PUT /v1/load/{ability}: start a session or
// retune the running one.
type LoadRequest struct {
	Rate float64 `json:"rate"`
	Mode string  `json:"mode"` // repeat, vary or mixed; "" is mixed
}

// ErrorResponse is the body of every 4xx and 5xx answer.
type ErrorResponse struct {
	Error string `json:"error"`
}

// outcomeErrors are the sentinels a remote call's error wraps, by
// outcome, so that errors.Is works as for a local call.
var outcomeErrors = [agent.NumOutcomes]error{
	agent.OutcomeSuccess:        nil,
	agent.OutcomeFailure:        nil,
	agent.OutcomeTimeout:        agent.ErrTimeout,
	agent.OutcomeRejected:       agent.ErrRejected,
	agent.OutcomeShortCircuited: agent.ErrOpen,
	agent.OutcomeBadArgs:        agent.ErrBadArgs,
	agent.OutcomeCanceled:       nil,
}

func parseOutcome(s string) (agent.Outcome, error) {
	for o := range agent.NumOutcomes {
		if o.String() == s {
			return o, nil
		}
	}
	return 0, fmt.Errorf("unknown outcome %q", s)
}

// remoteError is the cause of a remote call's *agent.CallError: the
// message as the agent gave it, wrapping the sentinel of its outcome.
type remoteError struct {
	msg      string
	sentinel error
}

func (e *remoteError) Error() string { return e.msg }
func (e *remoteError) Unwrap() error { return e.sentinel }

func callResult(name string, cr CallResponse) (agent.Result, error) {
	o, err := parseOutcome(cr.Outcome)
	if err != nil {
		return agent.Result{Outcome: agent.OutcomeFailure}, fmt.Errorf("call %s: %w", name, err)
	}
	res := agent.Result{Value: cr.Value, Cached: cr.Cached, Shared: cr.Shared, Latency: cr.Latency, Outcome: o}
	if o == agent.OutcomeSuccess {
		return res, nil
	}
	msg := cr.Error
	const prefix = "call "
	if len(msg) > len(prefix)+len(name)+2 && msg[:len(prefix)+len(name)+2] == prefix+name+": " {
		msg = msg[len(prefix)+len(name)+2:] // CallError adds it back
	}
	return res, &agent.CallError{Ability: name, Outcome: o, Err: &remoteError{msg: msg, sentinel: outcomeErrors[o]}}
}

func callResponse(res agent.Result, err error) CallResponse {
	cr := CallResponse{Outcome: res.Outcome.String(), Value: res.Value, Cached: res.Cached, Shared: res.Shared, Latency: res.Latency}
	if err != nil {
		cr.Error = err.Error()
	}
	return cr
}

func loadStatus(h load.Handle) LoadStatus {
	sp := h.Spec()
	return LoadStatus{Ability: sp.Ability, Rate: sp.Rate, Mode: sp.Mode.String(), Sent: h.Sent(), Skipped: h.Skipped(), Failed: h.Failed()}
}

// ErrNoReload is the answer of POST /v1/reload for a process without a
// configuration file; ServerOptions.Reload returns it to say so.
var ErrNoReload = errors.New("this agentdash runs without a configuration file: nothing to reload")
