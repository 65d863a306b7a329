package control

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode"

	"github.com/agentdash/agentdash/internal/agent"
	"github.com/agentdash/agentdash/internal/breaker"
	"github.com/agentdash/agentdash/internal/load"
	"github.com/agentdash/agentdash/internal/schema"
	"github.com/agentdash/agentdash/internal/upstream"
)

// Stream defaults: the rate of frames when the viewer asks for none, the
// highest it may ask for, the events a stream buffers between two frames
// (more are dropped and counted, never waited for), and how long a frame
// may take to write before the viewer is dropped.
const (
	DefaultFPS          = 10
	MaxFPS              = 60
	StreamEventBuffer   = 256
	DefaultWriteTimeout = 10 * time.Second
)

// ServerOptions configures a Server.
type ServerOptions struct {
	// Agent is the agent served. Required.
	Agent *agent.Agent
	// Info describes the process for /v1/info; Listen fills its Socket,
	// TCP and TokenFile.
	Info Info
	// Reload, if set, applies the configuration file again (POST
	// /v1/reload) and says what it did; nil: the process has no file.
	Reload func() (string, error)
	// Sessions, if set, counts the MCP sessions open.
	Sessions func() int
	// Settings, if set, is the live configuration that /v1/settings reads
	// and edits; nil: a 404 there.
	Settings Settings
	// Upstreams, if set, returns the state of the MCP servers whose tools
	// the agent proxies (GET /v1/upstreams, and every frame).
	Upstreams func() []upstream.Status
	// WriteTimeout drops a stream viewer that has not taken a frame for
	// this long; 0 means DefaultWriteTimeout.
	WriteTimeout time.Duration
}

// Server is the control API of one agent. Its handler serves every
// endpoint; Listen serves it on a socket. Close stops the load sessions
// started through it.
type Server struct {
	opts ServerOptions
	a    *agent.Agent

	ctx    context.Context // of the load sessions and streams; canceled by Close
	cancel context.CancelFunc

	mu    sync.Mutex
	loads map[string]*load.Generator

	abMu      sync.Mutex
	abKeys    []abilityKey
	abVersion uint64

	viewers atomic.Int64
}

// abilityKey is what a viewer's copy of an ability depends on.
type abilityKey struct {
	name, desc, source, def string
	schema                  *schema.Schema
	timeout, ttl            time.Duration
	isolate                 bool
	br                      breaker.Settings
}

// NewServer returns the control API of opts.Agent.
func NewServer(opts ServerOptions) *Server {
	if opts.WriteTimeout <= 0 {
		opts.WriteTimeout = DefaultWriteTimeout
	}
	ctx, cancel := context.WithCancel(context.Background())
	return &Server{opts: opts, a: opts.Agent, ctx: ctx, cancel: cancel, loads: map[string]*load.Generator{}}
}

// Close ends the streams and stops the load sessions started through the
// API, waiting for their calls. It is idempotent.
func (s *Server) Close() {
	s.cancel()
	s.mu.Lock()
	gens := s.loads
	s.loads = map[string]*load.Generator{}
	s.mu.Unlock()
	for _, g := range gens {
		g.Stop()
	}
}

// Viewers returns the number of streams open now.
func (s *Server) Viewers() int { return int(s.viewers.Load()) }

// Handler returns the API's handler, without authentication: Listen puts
// the token check in front of it on TCP.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/info", s.info)
	mux.HandleFunc("GET /v1/snapshot", s.snapshot)
	mux.HandleFunc("GET /v1/abilities", s.abilities)
	mux.HandleFunc("GET /v1/stream", s.stream)
	mux.HandleFunc("POST /v1/call", s.call)
	mux.HandleFunc("POST /v1/breakers/{ability}/trip", s.trip)
	mux.HandleFunc("POST /v1/breakers/{ability}/reset", s.reset)
	mux.HandleFunc("POST /v1/breakers/reset", s.resetAll)
	mux.HandleFunc("PUT /v1/faults/{ability}", s.setFault)
	mux.HandleFunc("DELETE /v1/faults/{ability}", s.clearFault)
	mux.HandleFunc("GET /v1/load", s.loadList)
	mux.HandleFunc("PUT /v1/load/{ability}", s.loadOn)
	mux.HandleFunc("DELETE /v1/load/{ability}", s.loadOff)
	mux.HandleFunc("POST /v1/reload", s.reload)
	mux.HandleFunc("GET /v1/settings", s.settingsGet)
	mux.HandleFunc("GET /v1/settings/{ability}", s.settingsValues)
	mux.HandleFunc("POST /v1/settings/{ability}", s.settingsApply)
	mux.HandleFunc("POST /v1/settings/write", s.settingsWrite)
	mux.HandleFunc("POST /v1/settings/create", s.settingsCreate)
	mux.HandleFunc("GET /v1/upstreams", s.upstreams)
	return mux
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		code, b = http.StatusInternalServerError, mustJSON(ErrorResponse{Error: "encode the answer: " + err.Error()})
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_, _ = w.Write(append(b, '\n'))
}

func mustJSON(v any) []byte {
	b, _ := json.Marshal(v) // an ErrorResponse always encodes
	return b
}

func writeError(w http.ResponseWriter, code int, err error) {
	writeJSON(w, code, ErrorResponse{Error: err.Error()})
}

// decode reads the JSON body into v strictly: one object of known
// fields, at most MaxBodyBytes. It answers the 4xx itself and returns
// false when the body is wrong.
func decode(w http.ResponseWriter, r *http.Request, v any) bool {
	body := http.MaxBytesReader(w, r.Body, MaxBodyBytes)
	dec := json.NewDecoder(body)
	dec.DisallowUnknownFields()
	dec.UseNumber()
	err := dec.Decode(v)
	if err == nil && dec.More() {
		err = errors.New("more than one JSON value")
	}
	if err == nil {
		if _, terr := dec.Token(); terr != io.EOF {
			err = errors.New("data after the JSON object")
		}
	}
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			writeError(w, http.StatusRequestEntityTooLarge, fmt.Errorf("request body larger than %d bytes", MaxBodyBytes))
			return false
		}
		if errors.Is(err, io.EOF) {
			err = errors.New("empty body, want a JSON object")
		}
		writeError(w, http.StatusBadRequest, fmt.Errorf("bad JSON body: %w", err))
		return false
	}
	return true
}

// known answers 404 naming the known abilities when name is not one.
func (s *Server) known(w http.ResponseWriter, name string) bool {
	if _, ok := s.a.Lookup(name); ok {
		return true
	}
	names := make([]string, 0, 8)
	for _, in := range s.a.Abilities() {
		names = append(names, in.Name)
	}
	writeError(w, http.StatusNotFound, fmt.Errorf("unknown ability %q (known: %s)", name, strings.Join(names, ", ")))
	return false
}

// actionError answers the error of an action on a known ability: the
// agent closing is a 503, anything else the request's fault.
func actionError(w http.ResponseWriter, err error) {
	if errors.Is(err, agent.ErrClosed) {
		writeError(w, http.StatusServiceUnavailable, err)
		return
	}
	writeError(w, http.StatusBadRequest, err)
}

func (s *Server) info(w http.ResponseWriter, _ *http.Request) {
	in := s.opts.Info
	in.Abilities = len(s.a.Abilities())
	if s.opts.Sessions != nil {
		n := s.opts.Sessions()
		in.Sessions = &n
	}
	writeJSON(w, http.StatusOK, in)
}

func (s *Server) snapshot(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, wireSnapshot(s.a.Snapshot()))
}

func (s *Server) abilities(w http.ResponseWriter, _ *http.Request) {
	infos := s.a.Abilities()
	out := make([]AbilityInfo, len(infos))
	for i, in := range infos {
		out[i] = abilityInfo(in)
	}
	writeJSON(w, http.StatusOK, out)
}

// abilitiesVersion returns a number that changes when the abilities do.
func (s *Server) abilitiesVersion() uint64 {
	infos := s.a.Abilities()
	keys := make([]abilityKey, len(infos))
	for i, in := range infos {
		keys[i] = abilityKey{in.Name, in.Description, in.Source, in.Definition, in.Schema, in.Timeout, in.CacheTTL, in.Isolate, in.Breaker}
	}
	s.abMu.Lock()
	defer s.abMu.Unlock()
	if !slices.Equal(keys, s.abKeys) {
		s.abKeys = keys
		s.abVersion++
	}
	return s.abVersion
}

func (s *Server) call(w http.ResponseWriter, r *http.Request) {
	var req CallRequest
	if !decode(w, r, &req) {
		return
	}
	if req.Ability == "" {
		writeError(w, http.StatusBadRequest, errors.New(`bad JSON body: "ability" is missing`))
		return
	}
	if !s.known(w, req.Ability) {
		return
	}
	args, err := plainNumbers(req.Args)
	if err != nil {
		writeError(w, http.StatusBadRequest, fmt.Errorf("args: %w", err))
		return
	}
	if args == nil {
		args = map[string]any{}
	}
	res, err := s.a.Call(r.Context(), req.Ability, args)
	writeJSON(w, http.StatusOK, callResponse(res, err))
}

// plainNumbers turns the json.Numbers decode kept (to refuse what a
// float64 cannot hold) into float64, as encoding/json gives the agent
// elsewhere.
func plainNumbers(m map[string]any) (map[string]any, error) {
	var conv func(v any) (any, error)
	conv = func(v any) (any, error) {
		switch v := v.(type) {
		case json.Number:
			f, err := strconv.ParseFloat(string(v), 64)
			if err != nil {
				return nil, fmt.Errorf("number %s: %w", v, err)
			}
			return f, nil
		case map[string]any:
			for k, x := range v {
				y, err := conv(x)
				if err != nil {
					return nil, err
				}
				v[k] = y
			}
		case []any:
			for i, x := range v {
				y, err := conv(x)
				if err != nil {
					return nil, err
				}
				v[i] = y
			}
		}
		return v, nil
	}
	if m == nil {
		return nil, nil
	}
	_, err := conv(m)
	return m, err
}

func (s *Server) trip(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("ability")
	if !s.known(w, name) {
		return
	}
	if err := trip(s.a, actor(r), name); err != nil {
		actionError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, s.breakerState(name))
}

func (s *Server) reset(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("ability")
	if !s.known(w, name) {
		return
	}
	if err := reset(s.a, actor(r), name); err != nil {
		actionError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, s.breakerState(name))
}

// breakerState is the answer of a breaker action: the state it left.
func (s *Server) breakerState(name string) map[string]any {
	for _, st := range s.a.Snapshot().Abilities {
		if st.Name == name {
			return map[string]any{"ability": name, "state": st.Breaker.State}
		}
	}
	return map[string]any{"ability": name}
}

func (s *Server) resetAll(w http.ResponseWriter, r *http.Request) {
	resetAll(s.a, actor(r))
	writeJSON(w, http.StatusOK, map[string]any{"reset": len(s.a.Abilities())})
}

func (s *Server) setFault(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("ability")
	var req FaultRequest
	if !decode(w, r, &req) || !s.known(w, name) {
		return
	}
	var f agent.Fault
	f.FailureRate = req.FailureRate
	if req.Latency != "" {
		d, err := time.ParseDuration(req.Latency)
		if err != nil {
			writeError(w, http.StatusBadRequest, fmt.Errorf("latency %q: want a duration such as 50ms", req.Latency))
			return
		}
		f.Latency = d
	}
	if err := setFault(s.a, actor(r), name, f); err != nil {
		actionError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"ability": name, "failure_rate": f.FailureRate, "latency": f.Latency.String()})
}

func (s *Server) clearFault(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("ability")
	if !s.known(w, name) {
		return
	}
	if err := setFault(s.a, actor(r), name, agent.Fault{}); err != nil {
		actionError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"ability": name, "failure_rate": 0, "latency": "0s"})
}

func (s *Server) loadStatuses() []LoadStatus {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]LoadStatus, 0, len(s.loads))
	for _, g := range s.loads {
		out = append(out, loadStatus(g))
	}
	slices.SortFunc(out, func(x, y LoadStatus) int { return strings.Compare(x.Ability, y.Ability) })
	return out
}

func (s *Server) loadList(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, s.loadStatuses())
}

func (s *Server) loadOn(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("ability")
	var req LoadRequest
	if !decode(w, r, &req) || !s.known(w, name) {
		return
	}
	if req.Mode == "" {
		req.Mode = load.Mixed.String()
	}
	mode, err := load.ParseMode(req.Mode)
	if err != nil {
		writeError(w, http.StatusBadRequest, err)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ctx.Err() != nil {
		writeError(w, http.StatusServiceUnavailable, errors.New("shutting down"))
		return
	}
	if g := s.loads[name]; g != nil {
		err = g.Retune(req.Rate, mode)
	} else {
		var g *load.Generator
		if g, err = load.Start(s.ctx, s.a, load.Spec{Ability: name, Rate: req.Rate, Mode: mode}); err == nil {
			s.loads[name] = g
		}
	}
	if err != nil {
		writeError(w, http.StatusBadRequest, err)
		return
	}
	s.a.RecordAction(actor(r), loadAction(req.Rate, mode), name)
	writeJSON(w, http.StatusOK, loadStatus(s.loads[name]))
}

func (s *Server) loadOff(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("ability")
	s.mu.Lock()
	g := s.loads[name]
	delete(s.loads, name)
	s.mu.Unlock()
	if g == nil {
		writeError(w, http.StatusNotFound, fmt.Errorf("no load running on %q", name))
		return
	}
	g.Stop()
	s.a.RecordAction(actor(r), "load off", name)
	writeJSON(w, http.StatusOK, loadStatus(g))
}

func (s *Server) reload(w http.ResponseWriter, r *http.Request) {
	if s.opts.Reload == nil {
		writeError(w, http.StatusConflict, ErrNoReload)
		return
	}
	msg, err := s.opts.Reload()
	if errors.Is(err, ErrNoReload) {
		writeError(w, http.StatusConflict, err)
		return
	}
	s.a.RecordAction(actor(r), "reload", "")
	if err != nil {
		writeError(w, http.StatusUnprocessableEntity, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"result": msg})
}

// upstreamList is the MCP servers' state, never nil.
func (s *Server) upstreamList() []UpstreamStatus {
	if s.opts.Upstreams == nil {
		return []UpstreamStatus{}
	}
	return upstreamStatuses(s.opts.Upstreams())
}

func (s *Server) upstreams(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, s.upstreamList())
}

// stream sends a Frame every 1/fps seconds until the viewer leaves. Each
// frame is made when it is due, from the agent as it is then: nothing
// queues up for a slow viewer (latest wins), the events in between wait in
// a bounded buffer that drops (and counts) what overflows, and a viewer
// that takes no frame for WriteTimeout is dropped. The agent never waits.
func (s *Server) stream(w http.ResponseWriter, r *http.Request) {
	fps := DefaultFPS
	if v := r.URL.Query().Get("fps"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > MaxFPS {
			writeError(w, http.StatusBadRequest, fmt.Errorf("fps %q: want a whole number from 1 to %d", v, MaxFPS))
			return
		}
		fps = n
	}
	kinds := []agent.EventKind{agent.EventTransition, agent.EventAction}
	// callersOnly sends the results of the calls that name their caller
	// (an MCP client's), not those of the load generator or the API.
	callersOnly := false
	switch v := r.URL.Query().Get("results"); v {
	case "", "false", "0":
	case "true", "1":
		kinds = append(kinds, agent.EventResult)
	case "callers":
		callersOnly = true
	default:
		writeError(w, http.StatusBadRequest, fmt.Errorf("results %q: want true, false or callers", v))
		return
	}
	s.viewers.Add(1)
	defer s.viewers.Add(-1)
	var sub *agent.Subscription
	if callersOnly {
		sub = s.a.SubscribeCallers(StreamEventBuffer, agent.EventTransition, agent.EventAction)
	} else {
		sub = s.a.SubscribeTo(StreamEventBuffer, kinds...)
	}
	defer sub.Close()

	rc := http.NewResponseController(w)
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-cache")
	w.WriteHeader(http.StatusOK)
	tick := time.NewTicker(time.Second / time.Duration(fps))
	defer tick.Stop()
	events := make([]Event, 0, StreamEventBuffer)
	for {
		events = events[:0]
		closed := false
	drain:
		for len(events) < StreamEventBuffer {
			select {
			case ev, ok := <-sub.C():
				if !ok {
					closed = true
					break drain
				}
				events = append(events, wireEvent(ev))
			default:
				break drain
			}
		}
		fr := Frame{Snapshot: wireSnapshot(s.a.Snapshot()), Events: events, Dropped: sub.Dropped(),
			Loads: s.loadStatuses(), AbilitiesVersion: s.abilitiesVersion()}
		if st := s.opts.Settings; st != nil {
			ss := settingsState(st)
			fr.Settings = &ss
		}
		if s.opts.Upstreams != nil {
			fr.Upstreams = s.upstreamList()
		}
		b, err := json.Marshal(fr)
		if err != nil {
			return
		}
		_ = rc.SetWriteDeadline(time.Now().Add(s.opts.WriteTimeout))
		if _, err := fmt.Fprintf(w, "event: frame\ndata: %s\n\n", b); err != nil {
			return
		}
		if rc.Flush() != nil || closed {
			return
		}
		select {
		case <-r.Context().Done():
			return
		case <-s.ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// actorKey is the context key of the connection's peer, set by Listen.
type actorKey struct{}

// actor says who made a request: the client's own name for itself
// (X-Agentdash-Actor, printable, at most 64 characters; "api client"
// without one) and what the connection says of its peer: the process
// and user on a Unix socket where the system tells, the address on TCP.
func actor(r *http.Request) string {
	name := strings.Map(func(c rune) rune {
		if unicode.IsPrint(c) {
			return c
		}
		return -1
	}, r.Header.Get("X-Agentdash-Actor"))
	if len(name) > 64 {
		name = name[:64]
	}
	if name == "" {
		name = "api client"
	}
	peer, _ := r.Context().Value(actorKey{}).(string)
	if peer == "" {
		return name
	}
	return name + " (" + peer + ")"
}

// peerOf describes the peer of c for actor.
func peerOf(c net.Conn) string {
	if uc, ok := c.(*net.UnixConn); ok {
		if p := unixPeer(uc); p != "" {
			return p
		}
		return "unix socket"
	}
	return "tcp " + c.RemoteAddr().String()
}
