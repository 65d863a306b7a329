// Package mcpserver serves an agent's abilities as Model Context Protocol
// tools, over any transport of the official Go SDK
// (github.com/modelcontextprotocol/go-sdk): stdio, Streamable HTTP, or
// in-memory for tests. The SDK speaks the protocol; this package only maps
// abilities to tools and calls to Agent.Call.
//
// Every tools/call goes through Agent.Call, so it has the agent's whole
// pipeline: validation, breaker, cache, concurrency limit, timeout. Any
// failure (bad arguments, an open breaker, a timeout, a rejection, a
// panic) comes back as a tool result with isError set and a message a
// model can act on, never as a protocol error: a model sees tool results,
// and can correct its arguments or choose another tool, where a protocol
// error usually ends its turn.
package mcpserver

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/agentdash/agentdash/internal/agent"
	"github.com/agentdash/agentdash/internal/breaker"
	"github.com/agentdash/agentdash/internal/buildinfo"
	"github.com/agentdash/agentdash/internal/schema"
)

// Defaults for zero Options fields.
const (
	// DefaultMaxArgBytes bounds the JSON text of one call's arguments:
	// abilities take small objects, and a bigger text is refused before
	// it is parsed.
	DefaultMaxArgBytes = 1 << 20
	// DefaultHeartbeat is how often a call that carries a progress token
	// reports progress while it runs.
	DefaultHeartbeat = time.Second
	// logSendTimeout bounds the sending of one log message to one client,
	// so that a stalled client cannot hold the others' messages.
	logSendTimeout = time.Second
)

// Options configures a Server. Zero fields take the defaults.
type Options struct {
	// Name and Version identify the server to clients; default
	// "agentdash" and the build's version.
	Name, Version string
	// MaxArgBytes is the largest arguments text accepted, in bytes;
	// default DefaultMaxArgBytes.
	MaxArgBytes int
	// Heartbeat is the progress interval of calls with a progress token;
	// default DefaultHeartbeat.
	Heartbeat time.Duration
	// InputSchema, if not nil, gives the input schema of the named
	// ability's tool as JSON text, sent verbatim (one with keywords the
	// agent's schemas lack, $defs say, from a description the ability was
	// made from), or nil for the ability's own schema.
	InputSchema func(ability string) json.RawMessage
	// Annotations, if not nil, gives the annotations of the named
	// ability's tool in place of those its hints make (agent.Hints), or
	// nil to keep those.
	Annotations func(ability string) *mcp.ToolAnnotations
	// Upstream, if not nil, gives the tool of an ability that proxies an
	// upstream MCP server's tool, or nil for another ability: its
	// description, input schema and annotations are served as the
	// upstream gave them, under the ability's name.
	Upstream func(ability string) *mcp.Tool
	// Logger receives the server's own diagnostics (a recovered panic,
	// the SDK's messages); nil discards them. It must not write to the
	// stdio transport's stdout.
	Logger *slog.Logger
}

// Server is an MCP server whose tools are an agent's abilities.
type Server struct {
	agent *agent.Agent
	opts  Options
	srv   *mcp.Server
	log   *slog.Logger

	mu    sync.Mutex
	tools map[string]string // the tools served, by name: their JSON, to see a change; under mu

	reqs   sync.Map      // CancelOnDisconnect's key -> the HTTP request's context
	reqSeq atomic.Uint64 // the last key given
}

// New returns a server with a tool for every ability a has now; Sync adds
// and removes tools when the abilities change.
func New(a *agent.Agent, opts Options) (*Server, error) {
	if opts.MaxArgBytes < 0 || opts.Heartbeat < 0 {
		return nil, errors.New("mcpserver options: MaxArgBytes and Heartbeat must not be negative")
	}
	if opts.Name == "" {
		opts.Name = "agentdash"
	}
	if opts.Version == "" {
		opts.Version = buildinfo.Version()
	}
	if opts.MaxArgBytes == 0 {
		opts.MaxArgBytes = DefaultMaxArgBytes
	}
	if opts.Heartbeat == 0 {
		opts.Heartbeat = DefaultHeartbeat
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &Server{agent: a, opts: opts, log: log, tools: map[string]string{}}
	// Tools (listChanged) is declared even with no ability: tools may come
	// and go while clients are connected, which then get
	// notifications/tools/list_changed.
	//lint:ignore SA1019 logging is deprecated from protocol 2026-07-28, but earlier clients (most today) use it; see events.go.
	caps := &mcp.ServerCapabilities{Tools: &mcp.ToolCapabilities{ListChanged: true}, Logging: &mcp.LoggingCapabilities{}}
	s.srv = mcp.NewServer(&mcp.Implementation{Name: opts.Name, Version: opts.Version},
		&mcp.ServerOptions{Capabilities: caps, Logger: log})
	if err := s.Sync(); err != nil {
		return nil, err
	}
	return s, nil
}

// MCP returns the SDK server, to connect transports to or to mount with
// mcp.NewStreamableHTTPHandler.
func (s *Server) MCP() *mcp.Server { return s.srv }

// Sync makes the tools match the agent's abilities: a tool for each new
// ability, none for an ability that is gone, and a new definition for one
// whose description, schema or hints changed (or whose upstream tool did).
// Connected clients are told with notifications/tools/list_changed.
func (s *Server) Sync() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	seen := map[string]bool{}
	for _, in := range s.agent.Abilities() {
		seen[in.Name] = true
		t, err := s.tool(in)
		if err != nil {
			return err
		}
		def, err := json.Marshal(t)
		if err != nil {
			return fmt.Errorf("tool %s: %w", in.Name, err)
		}
		if prev, ok := s.tools[in.Name]; ok && prev == string(def) {
			continue
		}
		s.srv.AddTool(t, s.handler(in.Name)) // replaces a tool of the same name
		s.tools[in.Name] = string(def)
	}
	var gone []string
	for name := range s.tools {
		if !seen[name] {
			gone = append(gone, name)
			delete(s.tools, name)
		}
	}
	if len(gone) > 0 {
		s.srv.RemoveTools(gone...)
	}
	return nil
}

// tool describes an ability as an MCP tool, its schema sent verbatim.
func (s *Server) tool(in agent.Info) (*mcp.Tool, error) {
	if s.opts.Upstream != nil {
		if up := s.opts.Upstream(in.Name); up != nil {
			t := *up
			t.Name = in.Name
			t.Annotations = overlay(up.Annotations, in.Hints)
			return &t, nil
		}
	}
	var raw json.RawMessage
	if s.opts.InputSchema != nil {
		raw = s.opts.InputSchema(in.Name)
	}
	if raw == nil {
		sch := in.Schema
		if sch == nil {
			sch = &schema.Schema{Type: schema.TypeObject}
		}
		var err error
		if raw, err = json.Marshal(sch); err != nil {
			return nil, fmt.Errorf("tool %s: input schema: %w", in.Name, err)
		}
	}
	t := &mcp.Tool{Name: in.Name, Description: in.Description, InputSchema: json.RawMessage(raw),
		Annotations: annotations(in.Hints)}
	if s.opts.Annotations != nil {
		if an := s.opts.Annotations(in.Name); an != nil {
			t.Annotations = an
		}
	}
	return t, nil
}

// annotations are an ability's hints as MCP tool annotations; nil when it
// gives none. An unset hint is left out, or false for readOnlyHint and
// idempotentHint, whose default it is.
func annotations(h agent.Hints) *mcp.ToolAnnotations { return overlay(nil, h) }

// overlay returns the upstream's annotations up with the hints the
// configuration sets for the ability put over them, key by key; up itself
// is not changed.
func overlay(up *mcp.ToolAnnotations, h agent.Hints) *mcp.ToolAnnotations {
	if h == (agent.Hints{}) {
		return up
	}
	an := &mcp.ToolAnnotations{}
	if up != nil {
		*an = *up
	}
	if h.ReadOnly != nil {
		an.ReadOnlyHint = *h.ReadOnly
	}
	if h.Idempotent != nil {
		an.IdempotentHint = *h.Idempotent
	}
	if h.Destructive != nil {
		an.DestructiveHint = new(*h.Destructive)
	}
	if h.OpenWorld != nil {
		an.OpenWorldHint = new(*h.OpenWorld)
	}
	return an
}

// Run serves one session over t (stdio, say) until the client leaves or
// ctx ends, sending the agent's events to it meanwhile.
func (s *Server) Run(ctx context.Context, t mcp.Transport) error {
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Go(func() { s.Watch(ctx) })
	defer wg.Wait()
	defer cancel()
	err := s.srv.Run(ctx, t)
	if errors.Is(err, context.Canceled) && ctx.Err() != nil {
		return nil // asked to stop: a graceful end
	}
	return err
}

// handler returns the tool handler of the named ability.
func (s *Server) handler(name string) mcp.ToolHandler {
	// Only a forwarded call decodes a result deep under the pipeline.
	proxied := s.opts.Upstream != nil && s.opts.Upstream(name) != nil
	return func(ctx context.Context, req *mcp.CallToolRequest) (res *mcp.CallToolResult, err error) {
		// The SDK does not recover panics, which would end the process
		// and every client's session with it.
		defer func() {
			if v := recover(); v != nil {
				s.log.Error("tool call panicked", "tool", name, "panic", v, "stack", string(debug.Stack()))
				res, err = errorResult(fmt.Sprintf("internal error in tool %s: %v; this is a server bug, not your arguments: try another tool", name, v)), nil
			}
		}()
		if proxied {
			_ = growStack(len(name) & 1)
		}
		args, msg := s.parseArgs(req.Params.Arguments)
		if msg != "" {
			return errorResult("call " + name + ": " + msg), nil
		}
		ctx, release := s.tieToRequest(ctx, req)
		defer release()
		c := &call{ss: req.Session, tok: req.Params.GetProgressToken()}
		ctx = agent.WithCaller(withCall(ctx, c), callerOf(req.Session))
		if c.tok != nil {
			stop := s.heartbeat(ctx, c, name)
			defer stop()
		}
		r, callErr := s.agent.Call(ctx, name, args)
		if callErr != nil {
			return errorResult(explain(callErr)), nil
		}
		return valueResult(r.Value)
	}
}

// parseArgs reads the arguments' JSON text, strictly (schema.ParseArgs):
// absent or null is the empty object. A non-empty msg says what is wrong.
func (s *Server) parseArgs(raw json.RawMessage) (map[string]any, string) {
	if len(raw) > s.opts.MaxArgBytes {
		return nil, fmt.Sprintf("%v: the arguments are %d bytes, more than the limit of %d; send less data",
			agent.ErrBadArgs, len(raw), s.opts.MaxArgBytes)
	}
	if t := bytes.TrimSpace(raw); len(t) == 0 || string(t) == "null" {
		return map[string]any{}, ""
	}
	args, err := schema.ParseArgs(raw)
	if err != nil {
		return nil, fmt.Sprintf("%v: %v; send a JSON object that matches the tool's inputSchema", agent.ErrBadArgs, err)
	}
	return args, ""
}

// explain turns a call's error into a message for a model: what went
// wrong, from the agent's own error, and what to do about it.
func explain(err error) string {
	var ce *agent.CallError
	if !errors.As(err, &ce) {
		return err.Error()
	}
	msg := err.Error()
	switch ce.Outcome {
	case agent.OutcomeBadArgs:
		if errors.Is(err, agent.ErrUnknownAbility) {
			return msg + "; call one of the listed tools"
		}
		return msg + "; fix the arguments to match the tool's inputSchema and call again"
	case agent.OutcomeShortCircuited:
		var oe *breaker.OpenError
		if errors.As(err, &oe) && oe.State == breaker.ForcedOpen {
			return msg + "; the tool is switched off by the operator: do not retry it, use another tool"
		}
		return msg + "; the tool is paused after repeated failures: retry after the cooldown or use another tool"
	case agent.OutcomeTimeout:
		return msg + "; the tool took too long: retry later, or with a smaller request"
	case agent.OutcomeRejected:
		return msg + "; the server is busy: retry in a few seconds"
	case agent.OutcomeCanceled:
		return msg + "; the call was canceled before it finished"
	}
	return msg
}

// errorResult is a tool result with isError set and msg as its text.
func errorResult(msg string) *mcp.CallToolResult {
	r := &mcp.CallToolResult{}
	r.SetError(errors.New(msg))
	return r
}

// valueResult turns an ability's value into a tool result: a string is
// text; MCP content (an image, audio, a resource: one, a list, or a whole
// result, as an ability that forwards to another MCP server has) is sent
// as it is; anything else is its JSON text, and, when it is a JSON object
// (as structuredContent must be), also structuredContent.
func valueResult(v any) (*mcp.CallToolResult, error) {
	switch v := v.(type) {
	case string:
		return &mcp.CallToolResult{Content: []mcp.Content{&mcp.TextContent{Text: v}}}, nil
	case *mcp.CallToolResult:
		if v != nil {
			r := *v // a cached value is shared: the copy is this call's
			return &r, nil
		}
	case []mcp.Content:
		return &mcp.CallToolResult{Content: v}, nil
	case mcp.Content:
		return &mcp.CallToolResult{Content: []mcp.Content{v}}, nil
	}
	data, err := json.Marshal(v)
	if err != nil {
		return errorResult(fmt.Sprintf("the tool's result cannot be encoded as JSON: %v; this is a server bug, not your arguments", err)), nil
	}
	r := &mcp.CallToolResult{Content: []mcp.Content{&mcp.TextContent{Text: string(data)}}}
	if len(data) > 0 && data[0] == '{' {
		r.StructuredContent = json.RawMessage(data)
	}
	return r, nil
}

// growStack grows the calling goroutine's stack to 16 KB at once, first
// thing, while few frames are on it: the SDK starts a goroutine with a
// small stack for every call, which the parsing of the arguments and then
// the decoding of a forwarded call's result, deep under the pipeline's
// frames, would otherwise grow by doubling, copying it each time. 16 KB
// holds a forwarded call, and is the largest stack the runtime serves
// from its per-processor cache: a larger one takes the heap's lock and
// fresh pages on every call.
//
//go:noinline
func growStack(i int) byte {
	var pad [12 << 10]byte
	pad[i] = 1
	return pad[i^1]
}
