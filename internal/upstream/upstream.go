// Package upstream puts the tools of other MCP servers behind an agent's
// pipeline: a Gateway connects to each server of the configuration's
// mcp_servers with the official SDK's client (a stdio program or
// Streamable HTTP), lists its tools, and makes each an ability named
// SERVER.TOOL whose calls are forwarded with tools/call. The abilities
// take the file's settings by that name like any other, so breakers,
// timeouts, the concurrency limit and (when configured) the cache apply.
//
// A server that crashes or disconnects fails its calls, which its
// breakers count, and is started or connected again with exponential
// backoff; its state (connected, restarts, last error, last lines of a
// stdio server's stderr) is what Status reports. notifications/tools/
// list_changed lists its tools again. Every goroutine belongs to a server
// and ends when the server is removed or the Gateway closed.
package upstream

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/agentdash/agentdash/internal/agent"
	"github.com/agentdash/agentdash/internal/buildinfo"
	"github.com/agentdash/agentdash/internal/config"
	"github.com/agentdash/agentdash/internal/declared"
	"github.com/agentdash/agentdash/internal/schema"
)

// Defaults for zero Options fields.
const (
	DefaultMinBackoff     = 200 * time.Millisecond
	DefaultMaxBackoff     = 30 * time.Second
	DefaultConnectTimeout = 30 * time.Second
	// stableAfter is how long a connection must last for the backoff to
	// start again from its minimum: a server that fails right after it
	// starts keeps backing off.
	stableAfter = 10 * time.Second
	// terminateGrace is how long a stdio server has to exit once its stdin
	// is closed, before it is sent SIGTERM.
	terminateGrace = 2 * time.Second
)

// Options configures a Gateway. Zero fields take the defaults.
type Options struct {
	// LookupEnv expands ${NAME} in headers and env values; nil finds
	// nothing.
	LookupEnv func(string) (string, bool)
	// OnChange is called when the abilities of a server or its state
	// change, from the server's goroutine, never under the Gateway's
	// lock: it may call Abilities and Status.
	OnChange func()
	// Transport, if not nil, connects to the named server instead of its
	// configuration (tests: in-memory transports).
	Transport func(name string, s *config.MCPServer) (mcp.Transport, error)
	// MinBackoff and MaxBackoff bound the wait before a server is started
	// or connected again; it doubles from MinBackoff after each failure.
	MinBackoff, MaxBackoff time.Duration
	// ConnectTimeout bounds a connection: start, initialize and list the
	// tools.
	ConnectTimeout time.Duration
	// Logger receives the SDK's and the Gateway's diagnostics; nil
	// discards them.
	Logger *slog.Logger
}

// Gateway keeps the upstream MCP servers of a configuration connected
// and their tools as abilities. Close stops it.
type Gateway struct {
	opts Options
	log  *slog.Logger

	mu      sync.Mutex
	cfg     *config.Config // the latest, for the abilities' settings
	servers map[string]*server
	closed  bool
}

// New returns a Gateway with no server; Update starts them.
func New(opts Options) *Gateway {
	if opts.MinBackoff <= 0 {
		opts.MinBackoff = DefaultMinBackoff
	}
	if opts.MaxBackoff <= 0 {
		opts.MaxBackoff = DefaultMaxBackoff
	}
	if opts.ConnectTimeout <= 0 {
		opts.ConnectTimeout = DefaultConnectTimeout
	}
	if opts.LookupEnv == nil {
		opts.LookupEnv = func(string) (string, bool) { return "", false }
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Gateway{opts: opts, log: log, servers: map[string]*server{}}
}

// Update makes the servers those of cfg: a new one is started, one no
// longer there is stopped (its abilities go), and one whose settings
// changed is started again. The abilities then take cfg's settings.
func (g *Gateway) Update(cfg *config.Config) {
	var want map[string]*config.MCPServer
	if cfg != nil {
		want = cfg.MCPServers
	}
	g.mu.Lock()
	if g.closed {
		g.mu.Unlock()
		return
	}
	g.cfg = cfg
	var stop []*server
	for name, s := range g.servers {
		if w, ok := want[name]; !ok || !reflect.DeepEqual(w, &s.cfg) {
			stop = append(stop, s)
			delete(g.servers, name)
		}
	}
	for _, name := range slices.Sorted(maps.Keys(want)) {
		if _, ok := g.servers[name]; ok || want[name] == nil {
			continue
		}
		s := newServer(g, name, *want[name])
		g.servers[name] = s
		s.start()
	}
	g.mu.Unlock()
	// Stopped outside the lock: a server's goroutine may be calling
	// OnChange, which reads the Gateway.
	for _, s := range stop {
		s.stop()
	}
}

// Ready waits until every server has made its first attempt to connect
// (connected or failed), or ctx ends.
func (g *Gateway) Ready(ctx context.Context) {
	g.mu.Lock()
	servers := slices.Collect(maps.Values(g.servers))
	g.mu.Unlock()
	for _, s := range servers {
		select {
		case <-s.ready:
		case <-ctx.Done():
			return
		}
	}
}

// Abilities returns the abilities of every server's tools, with the
// configuration's settings, sorted by name. A disconnected server keeps
// the tools it last listed: their calls fail until it is back.
func (g *Gateway) Abilities() []declared.Ability {
	g.mu.Lock()
	cfg := g.cfg
	var abs []declared.Ability
	for _, s := range g.servers {
		s.mu.Lock()
		for _, t := range s.tools {
			abs = append(abs, declared.Ability{Ability: t.ability})
		}
		s.mu.Unlock()
	}
	g.mu.Unlock()
	out := abs[:0]
	for _, ab := range abs {
		// The file's settings were checked with it; only a schema could
		// fail here, and a proxied tool takes none.
		if err := declared.Tune(cfg, &ab); err != nil {
			g.log.Warn("mcp: settings not applied", "ability", ab.Name, "error", err)
		}
		out = append(out, ab)
	}
	slices.SortFunc(out, func(a, b declared.Ability) int { return strings.Compare(a.Name, b.Name) })
	return out
}

// Tool returns the upstream's description of the tool of a proxied
// ability, with its input schema as the upstream sent it, or nil.
func (g *Gateway) Tool(ability string) *mcp.Tool {
	server, _, ok := config.ProxiedName(ability)
	if !ok {
		return nil
	}
	g.mu.Lock()
	s, cfg := g.servers[server], g.cfg
	g.mu.Unlock()
	if s == nil {
		return nil
	}
	s.mu.Lock()
	t, ok := s.tools[ability]
	s.mu.Unlock()
	if !ok {
		return nil
	}
	if cfg == nil {
		return t.tool
	}
	if set := cfg.Abilities[ability]; set != nil && set.Description != "" {
		// The file's description wins, as for any ability.
		described := *t.tool
		described.Description = set.Description
		return &described
	}
	return t.tool
}

// Status returns the state of every server, sorted by name.
func (g *Gateway) Status() []Status {
	g.mu.Lock()
	servers := slices.Collect(maps.Values(g.servers))
	g.mu.Unlock()
	out := make([]Status, 0, len(servers))
	for _, s := range servers {
		out = append(out, s.status())
	}
	slices.SortFunc(out, func(a, b Status) int { return strings.Compare(a.Name, b.Name) })
	return out
}

// Close stops every server and waits for their goroutines; the calls in
// flight fail. It is idempotent.
func (g *Gateway) Close() {
	g.mu.Lock()
	g.closed = true
	servers := slices.Collect(maps.Values(g.servers))
	clear(g.servers)
	g.mu.Unlock()
	var wg sync.WaitGroup
	for _, s := range servers {
		wg.Go(s.stop)
	}
	wg.Wait()
}

func (g *Gateway) changed() {
	if g.opts.OnChange != nil {
		g.opts.OnChange()
	}
}

// tool is an upstream tool and the ability it is.
type tool struct {
	tool    *mcp.Tool // as listed, InputSchema as json.RawMessage
	ability agent.Ability
}

// abilities builds the abilities of the listed tools; a tool that cannot
// be one (a name past MCP's limit once prefixed, a schema that does not
// compile) is left out, and said in the returned error.
func (s *server) abilities(listed []*mcp.Tool) (map[string]tool, error) {
	out := make(map[string]tool, len(listed))
	var errs []error
	for _, t := range listed {
		name := s.name + "." + t.Name
		if _, _, ok := config.ProxiedName(name); !ok {
			errs = append(errs, fmt.Errorf("tool %q left out: %s is not a valid tool name (at most %d characters of [A-Za-z0-9_.-])", t.Name, name, config.MaxToolName))
			continue
		}
		raw, err := json.Marshal(t.InputSchema)
		if err != nil {
			errs = append(errs, fmt.Errorf("tool %q left out: input schema: %w", t.Name, err))
			continue
		}
		var doc map[string]any
		if err := json.Unmarshal(raw, &doc); err != nil || doc == nil {
			errs = append(errs, fmt.Errorf("tool %q left out: its input schema is not a JSON object", t.Name))
			continue
		}
		full, err := config.JSONSchema(doc).Compile()
		if err != nil {
			errs = append(errs, fmt.Errorf("tool %q left out: input schema: %w", t.Name, err))
			continue
		}
		desc := t.Description
		if desc == "" {
			desc = t.Title
		}
		ab := agent.Ability{
			Name:        name,
			Description: oneLine(desc),
			Func:        s.forward(t.Name),
			Source:      "mcp:" + s.name,
			Definition:  definition(s.name, t.Name, raw),
		}
		// The agent's own schema (its argument list, defaults) when the
		// upstream's fits it: then the agent's check is the full
		// validator's, and a call is checked once. Otherwise the full
		// validator checks every call.
		if fast, ok := declared.FastSchema(doc); ok {
			ab.Schema = fast
		} else {
			ab.Func = declared.Validated(full, ab.Func)
		}
		listedTool := *t
		listedTool.InputSchema = json.RawMessage(raw)
		out[name] = tool{tool: &listedTool, ability: ab}
	}
	return out, errors.Join(errs...)
}

// definition identifies what a proxied ability computes, for
// agent.Apply to keep its cache across a reload.
func definition(server, tool string, schema []byte) string {
	h := sha256.New()
	fmt.Fprintf(h, "mcp\x00%s\x00%s\x00", server, tool)
	h.Write(schema)
	return hex.EncodeToString(h.Sum(nil))
}

// forward returns the function that calls the upstream tool.
func (s *server) forward(name string) agent.Func {
	return func(ctx context.Context, args map[string]any) (any, error) {
		cs, err := s.session()
		if err != nil {
			return nil, err
		}
		// The agent's canonical encoder writes the arguments' JSON
		// without the reflection json.Marshal spends on the map; a value
		// it does not know (a Go caller's struct) goes to json.Marshal.
		var params any = args
		if raw, err := schema.AppendCanonical(nil, args); err == nil {
			params = json.RawMessage(raw)
		}
		res, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: name, Arguments: params})
		if err != nil {
			if ctx.Err() != nil {
				return nil, context.Cause(ctx)
			}
			return nil, fmt.Errorf("mcp server %s: %w", s.name, err)
		}
		return value(res)
	}
}

// value turns a tool result into an ability's value: its structured
// content if it has some, else its text (one text, or the texts joined
// by lines), else its content as JSON values. An error result is an
// error, which the breaker counts.
func value(res *mcp.CallToolResult) (any, error) {
	texts, allText := make([]string, 0, len(res.Content)), true
	for _, c := range res.Content {
		if t, ok := c.(*mcp.TextContent); ok {
			texts = append(texts, t.Text)
		} else {
			allText = false
		}
	}
	if res.IsError {
		msg := strings.Join(texts, "; ")
		if msg == "" {
			msg = "the tool reported an error"
		}
		return nil, errors.New(msg)
	}
	if res.StructuredContent != nil {
		return res.StructuredContent, nil
	}
	if allText {
		return strings.Join(texts, "\n"), nil
	}
	data, err := json.Marshal(res.Content)
	if err != nil {
		return nil, fmt.Errorf("tool result: %w", err)
	}
	var content []any
	if err := json.Unmarshal(data, &content); err != nil {
		return nil, fmt.Errorf("tool result: %w", err)
	}
	return map[string]any{"content": content}, nil
}

// backoff returns the wait before attempt n (1, 2, …): MinBackoff
// doubled n-1 times, at most MaxBackoff, less up to a fifth at random so
// that servers failing together do not retry together. Written here: a
// backoff library's retry loop does not fit a supervisor that also waits
// for a stop and for the tool list to change.
func (g *Gateway) backoff(n int) time.Duration {
	d := g.opts.MinBackoff
	for i := 1; i < n && d < g.opts.MaxBackoff; i++ {
		d *= 2
	}
	d = min(d, g.opts.MaxBackoff)
	return d - time.Duration(rand.Int64N(int64(d)/5+1))
}

func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

// version is the client's version sent to upstreams.
func version() string { return buildinfo.Version() }
