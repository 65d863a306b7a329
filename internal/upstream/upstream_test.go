package upstream

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"
	"go.uber.org/goleak"

	"github.com/agentdash/agentdash/internal/agent"
	"github.com/agentdash/agentdash/internal/config"
	"github.com/agentdash/agentdash/internal/declared"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// fake is an in-process upstream MCP server reached over in-memory
// pipes; drop breaks them, as a crash would.
type fake struct {
	srv      *mcp.Server
	mu       sync.Mutex
	pipes    []net.Conn
	connects int
}

func newFake() *fake {
	f := &fake{}
	f.srv = mcp.NewServer(&mcp.Implementation{Name: "fake", Version: "1"}, &mcp.ServerOptions{Capabilities: &mcp.ServerCapabilities{Tools: &mcp.ToolCapabilities{ListChanged: true}}})
	f.srv.AddTool(&mcp.Tool{Name: "echo", Description: "Echo the\ntext back.",
		Annotations: &mcp.ToolAnnotations{ReadOnlyHint: true},
		InputSchema: json.RawMessage(`{"type":"object","properties":{"text":{"type":"string","minLength":1}},"required":["text"]}`)},
		func(_ context.Context, req *mcp.CallToolRequest) (*mcp.CallToolResult, error) {
			var args struct{ Text string }
			if err := json.Unmarshal(req.Params.Arguments, &args); err != nil {
				return nil, err
			}
			return &mcp.CallToolResult{Content: []mcp.Content{&mcp.TextContent{Text: args.Text}}}, nil
		})
	f.srv.AddTool(&mcp.Tool{Name: "add", InputSchema: json.RawMessage(`{"type":"object","properties":{"a":{"type":"number"},"b":{"type":"number"}},"required":["a","b"]}`)},
		func(_ context.Context, req *mcp.CallToolRequest) (*mcp.CallToolResult, error) {
			var args struct{ A, B float64 }
			if err := json.Unmarshal(req.Params.Arguments, &args); err != nil {
				return nil, err
			}
			return &mcp.CallToolResult{Content: []mcp.Content{&mcp.TextContent{Text: "ignored"}},
				StructuredContent: map[string]any{"sum": args.A + args.B}}, nil
		})
	f.srv.AddTool(&mcp.Tool{Name: "fail", InputSchema: json.RawMessage(`{"type":"object"}`)},
		func(context.Context, *mcp.CallToolRequest) (*mcp.CallToolResult, error) {
			r := &mcp.CallToolResult{}
			r.SetError(errors.New("the upstream is unhappy"))
			return r, nil
		})
	f.srv.AddTool(&mcp.Tool{Name: "block", InputSchema: json.RawMessage(`{"type":"object"}`)},
		func(ctx context.Context, _ *mcp.CallToolRequest) (*mcp.CallToolResult, error) {
			<-ctx.Done()
			return &mcp.CallToolResult{Content: []mcp.Content{&mcp.TextContent{Text: "done"}}}, nil
		})
	return f
}

// transport connects a client to the fake over an in-memory pipe (what
// mcp.NewInMemoryTransports does, with the pipe kept to break it).
func (f *fake) transport(string, *config.MCPServer) (mcp.Transport, error) {
	c, s := net.Pipe()
	if _, err := f.srv.Connect(context.Background(), &mcp.IOTransport{Reader: s, Writer: s}, nil); err != nil {
		return nil, err
	}
	f.mu.Lock()
	f.pipes = append(f.pipes, c, s)
	f.connects++
	f.mu.Unlock()
	return &mcp.IOTransport{Reader: c, Writer: c}, nil
}

func (f *fake) drop() {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, p := range f.pipes {
		_ = p.Close()
	}
	f.pipes = nil
}

func (f *fake) closeAll(t *testing.T) {
	t.Cleanup(f.drop)
}

func parse(t *testing.T, src string) *config.Config {
	t.Helper()
	cfg, err := config.Parse("c.yaml", []byte(src), nil)
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// setup builds an agent whose abilities are the gateway's, applied as
// agentdash applies them (declared.Live), with cfg.
func setup(t *testing.T, f *fake, cfg *config.Config) (*agent.Agent, *Gateway) {
	t.Helper()
	a, err := agent.New(agent.Options{})
	if err != nil {
		t.Fatal(err)
	}
	live := declared.NewLive(a, nil)
	g := New(Options{Transport: f.transport, MinBackoff: 5 * time.Millisecond, MaxBackoff: 20 * time.Millisecond,
		OnChange: func() {
			if err := live.Refresh(); err != nil {
				t.Errorf("refresh: %v", err)
			}
		}})
	live.SetExtra(g.Abilities)
	f.closeAll(t)
	t.Cleanup(func() { g.Close(); a.Close() })
	g.Update(cfg)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	g.Ready(ctx)
	return a, g
}

const upCfg = "mcp_servers:\n  up: {command: fake}\n"

// eventually polls cond for up to 30 s.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// Every upstream tool is an ability SERVER.TOOL with the upstream's
// description and schema, its source the server; calls are forwarded:
// text comes back as a string, structured content as an object.
func TestGatewayListsAndForwards(t *testing.T) {
	f := newFake()
	a, g := setup(t, f, parse(t, upCfg+"abilities:\n  up.echo: {cache_ttl: 1m}\n  up.add: {description: \"Add, as the file says.\"}\n"))
	var names []string
	for _, in := range a.Abilities() {
		names = append(names, in.Name)
		if in.Source != "mcp:up" {
			t.Errorf("%s: source %q", in.Name, in.Source)
		}
	}
	if strings.Join(names, ",") != "up.add,up.block,up.echo,up.fail" {
		t.Fatalf("abilities: %v", names)
	}
	echo, _ := a.Lookup("up.echo")
	if echo.Description != "Echo the text back." || echo.CacheTTL != time.Minute {
		t.Errorf("up.echo: %+v", echo)
	}
	if add, _ := a.Lookup("up.add"); add.CacheTTL != 0 {
		t.Errorf("up.add is cached (%s) though no setting says so", add.CacheTTL)
	}
	ctx := context.Background()
	r, err := a.Call(ctx, "up.echo", map[string]any{"text": "hello"})
	if err != nil || r.Value != "hello" {
		t.Fatalf("up.echo = %+v, %v", r, err)
	}
	r, err = a.Call(ctx, "up.add", map[string]any{"a": 2, "b": 3.5})
	if err != nil || fmt.Sprint(r.Value) != "map[sum:5.5]" {
		t.Fatalf("up.add = %#v, %v", r.Value, err)
	}
	if tool := g.Tool("up.add"); tool == nil || tool.Description != "Add, as the file says." {
		t.Errorf("Tool(up.add) = %+v, want the file's description", tool)
	}
	tool := g.Tool("up.echo")
	if tool == nil || !strings.Contains(string(tool.InputSchema.(json.RawMessage)), `"minLength":1`) || !tool.Annotations.ReadOnlyHint {
		t.Errorf("Tool(up.echo) = %+v", tool)
	}
	if st := g.Status(); len(st) != 1 || st[0].State != Connected || st[0].Tools != 4 || st[0].Transport != "stdio" {
		t.Errorf("status: %+v", st)
	}
}

// Arguments are checked with the full JSON Schema validator before they
// are forwarded: a bad one is the caller's fault, not the breaker's.
func TestGatewayValidatesArguments(t *testing.T) {
	f := newFake()
	a, _ := setup(t, f, parse(t, upCfg))
	for _, args := range []map[string]any{{"text": ""}, {"text": 5}, {}} {
		_, err := a.Call(context.Background(), "up.echo", args)
		var ce *agent.CallError
		if !errors.As(err, &ce) || ce.Outcome != agent.OutcomeBadArgs {
			t.Errorf("up.echo %v: %v, want bad arguments", args, err)
		}
	}
}

// An upstream's isError result is a failed call, counted by the breaker.
func TestGatewayToolErrorCountsForBreaker(t *testing.T) {
	f := newFake()
	a, _ := setup(t, f, parse(t, upCfg+"abilities:\n  up.fail: {breaker: {consecutive_failures: 2, cooldown: 1h}}\n"))
	for range 2 {
		_, err := a.Call(context.Background(), "up.fail", nil)
		var ce *agent.CallError
		if !errors.As(err, &ce) || ce.Outcome != agent.OutcomeFailure || !strings.Contains(err.Error(), "the upstream is unhappy") {
			t.Fatalf("up.fail: %v, want the upstream's failure", err)
		}
	}
	_, err := a.Call(context.Background(), "up.fail", nil)
	var ce *agent.CallError
	if !errors.As(err, &ce) || ce.Outcome != agent.OutcomeShortCircuited {
		t.Fatalf("third call: %v, want the breaker open", err)
	}
}

// An upstream that drops fails the call in flight and the calls until it
// is back, and is connected again; its tools stay meanwhile.
func TestGatewayReconnects(t *testing.T) {
	f := newFake()
	a, g := setup(t, f, parse(t, upCfg))
	done := make(chan error, 1)
	go func() {
		_, err := a.Call(context.Background(), "up.block", nil)
		done <- err
	}()
	eventually(t, "the call to reach the upstream", func() bool { return a.Snapshot().InUse == 1 })
	f.drop()
	select {
	case err := <-done:
		var ce *agent.CallError
		if !errors.As(err, &ce) || ce.Outcome != agent.OutcomeFailure {
			t.Fatalf("call in flight: %v, want a failure", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the call in flight did not end when the upstream dropped")
	}
	eventually(t, "a reconnection", func() bool {
		st := g.Status()[0]
		return st.State == Connected && st.Restarts >= 1
	})
	if _, ok := a.Lookup("up.echo"); !ok {
		t.Fatal("up.echo is gone after the reconnection")
	}
	r, err := a.Call(context.Background(), "up.echo", map[string]any{"text": "back"})
	if err != nil || r.Value != "back" {
		t.Fatalf("after reconnecting: %+v, %v", r, err)
	}
	if st := g.Status()[0]; !strings.Contains(st.LastError, "closed") {
		t.Errorf("last error %q does not say the connection closed", st.LastError)
	}
}

// While an upstream cannot be reached, its calls fail at once saying so.
func TestGatewayNotConnected(t *testing.T) {
	f := newFake()
	a, g := setup(t, f, parse(t, upCfg))
	g.mu.Lock()
	s := g.servers["up"]
	g.mu.Unlock()
	s.mu.Lock()
	s.sess, s.state, s.lastError = nil, Failed, "boom"
	s.mu.Unlock()
	_, err := a.Call(context.Background(), "up.echo", map[string]any{"text": "x"})
	if err == nil || !strings.Contains(err.Error(), "mcp server up is not connected (failed: boom)") {
		t.Fatalf("call: %v", err)
	}
}

// A server that cannot start is tried again with backoff, counting
// restarts, its error kept.
func TestGatewayRetriesWithBackoff(t *testing.T) {
	var mu sync.Mutex
	tries := 0
	g := New(Options{MinBackoff: time.Millisecond, MaxBackoff: 5 * time.Millisecond,
		Transport: func(string, *config.MCPServer) (mcp.Transport, error) {
			mu.Lock()
			defer mu.Unlock()
			tries++
			return nil, errors.New("no such program")
		}})
	defer g.Close()
	g.Update(parse(t, upCfg))
	eventually(t, "three restarts", func() bool { return g.Status()[0].Restarts >= 3 })
	st := g.Status()[0]
	if st.State == Connected || !strings.Contains(st.LastError, "no such program") {
		t.Errorf("status: %+v", st)
	}
}

// notifications/tools/list_changed lists the tools again.
func TestGatewayToolListChanged(t *testing.T) {
	f := newFake()
	a, _ := setup(t, f, parse(t, upCfg))
	f.srv.AddTool(&mcp.Tool{Name: "late", InputSchema: json.RawMessage(`{"type":"object"}`)},
		func(context.Context, *mcp.CallToolRequest) (*mcp.CallToolResult, error) {
			return &mcp.CallToolResult{Content: []mcp.Content{&mcp.TextContent{Text: "here"}}}, nil
		})
	eventually(t, "up.late", func() bool { _, ok := a.Lookup("up.late"); return ok })
	f.srv.RemoveTools("fail")
	eventually(t, "up.fail to go", func() bool { _, ok := a.Lookup("up.fail"); return !ok })
}

// A reload removes, adds and restarts servers.
func TestGatewayUpdate(t *testing.T) {
	f := newFake()
	a, g := setup(t, f, parse(t, upCfg))
	live := declared.NewLive(a, nil)
	live.SetExtra(g.Abilities)
	g.Update(parse(t, "mcp_servers:\n  other: {command: fake}\n"))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	g.Ready(ctx)
	if err := live.Refresh(); err != nil {
		t.Fatal(err)
	}
	if _, ok := a.Lookup("up.echo"); ok {
		t.Error("up.echo stays after its server is removed")
	}
	if _, ok := a.Lookup("other.echo"); !ok {
		t.Error("other.echo is missing")
	}
	f.mu.Lock()
	before := f.connects
	f.mu.Unlock()
	g.Update(parse(t, "mcp_servers:\n  other: {command: fake, args: [x]}\n"))
	g.Ready(ctx)
	eventually(t, "a new connection", func() bool { f.mu.Lock(); defer f.mu.Unlock(); return f.connects > before })
	g.Update(nil)
	if st := g.Status(); len(st) != 0 {
		t.Errorf("status after removing every server: %+v", st)
	}
}

// A tool whose name would pass MCP's limit once prefixed, or whose schema
// does not compile, is left out, and said so.
func TestGatewayLeavesOutBadTools(t *testing.T) {
	f := newFake()
	long := strings.Repeat("t", 126)
	f.srv.AddTool(&mcp.Tool{Name: long, InputSchema: json.RawMessage(`{"type":"object"}`)}, nil)
	f.srv.AddTool(&mcp.Tool{Name: "badschema", InputSchema: json.RawMessage(`{"type":"object","properties":{"x":{"type":"integr"}}}`)}, nil)
	a, g := setup(t, f, parse(t, upCfg))
	if _, ok := a.Lookup("up." + long); ok {
		t.Error("a name of 129 characters was registered")
	}
	if _, ok := a.Lookup("up.badschema"); ok {
		t.Error("a tool with a bad schema was registered")
	}
	st := g.Status()[0]
	if !strings.Contains(st.LastError, "is not a valid tool name") || !strings.Contains(st.LastError, `tool "badschema" left out: input schema`) {
		t.Errorf("last error: %q", st.LastError)
	}
	if _, ok := a.Lookup("up.echo"); !ok {
		t.Error("the good tools are missing")
	}
}

// A Streamable HTTP upstream gets the configured headers, ${NAME}
// expanded; a variable that is not set fails the connection naming it.
func TestGatewayHTTPHeaders(t *testing.T) {
	f := newFake()
	var mu sync.Mutex
	var auth string
	h := mcp.NewStreamableHTTPHandler(func(*http.Request) *mcp.Server { return f.srv }, nil)
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		auth = r.Header.Get("Authorization")
		mu.Unlock()
		h.ServeHTTP(w, r)
	}))
	defer ts.Close()
	env := map[string]string{"TOKEN": "s3cret"}
	g := New(Options{LookupEnv: func(k string) (string, bool) { v, ok := env[k]; return v, ok }, MinBackoff: time.Hour})
	g.Update(parse(t, "mcp_servers:\n  web: {url: \""+ts.URL+"\", headers: {Authorization: \"Bearer ${TOKEN}\"}}\n  nokey: {url: \""+ts.URL+"\", headers: {Authorization: \"Bearer ${MISSING}\"}}\n"))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	g.Ready(ctx)
	st := g.Status()
	if st[1].Name != "web" || st[1].State != Connected || st[1].Transport != "http" {
		t.Fatalf("web: %+v", st[1])
	}
	mu.Lock()
	got := auth
	mu.Unlock()
	if got != "Bearer s3cret" {
		t.Errorf("Authorization = %q", got)
	}
	if st[0].State != Failed || !strings.Contains(st[0].LastError, "header Authorization: $MISSING is not set") {
		t.Errorf("nokey: %+v", st[0])
	}
	g.Close()
	for _, s := range st {
		if strings.Contains(s.LastError, "s3cret") {
			t.Errorf("a secret in the status: %+v", s)
		}
	}
}

func TestBackoff(t *testing.T) {
	g := New(Options{MinBackoff: 100 * time.Millisecond, MaxBackoff: time.Second})
	for n, want := range map[int]time.Duration{1: 100 * time.Millisecond, 2: 200 * time.Millisecond, 4: 800 * time.Millisecond, 5: time.Second, 50: time.Second} {
		for range 20 {
			if d := g.backoff(n); d > want || d < want*4/5 {
				t.Fatalf("backoff(%d) = %s, want %s less at most a fifth", n, d, want)
			}
		}
	}
}

func TestTail(t *testing.T) {
	tl := newTail(3)
	fmt.Fprint(tl, "one\ntwo\n\x1b[31mthree\x1b[0m\nfour\nfive")
	fmt.Fprint(tl, strings.Repeat("x", 2000)+"\n")
	got := tl.lines()
	if len(got) != 3 || got[0] != "[31mthree [0m" || got[1] != "four" || !strings.HasPrefix(got[2], "fivexxx") || len(got[2]) != maxLine {
		t.Errorf("lines: %q", got)
	}
}

// A stdio server's stderr is kept, its last lines shown with its state,
// and its last line says why it did not start.
func TestGatewayStderr(t *testing.T) {
	if _, err := exec.LookPath("sh"); err != nil {
		t.Skip("needs sh")
	}
	g := New(Options{MinBackoff: time.Hour})
	defer g.Close()
	g.Update(parse(t, "mcp_servers:\n  bad: {command: sh, args: [\"-c\", \"echo starting >&2; echo no config, giving up >&2; exit 3\"]}\n"))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	g.Ready(ctx)
	st := g.Status()[0]
	if st.State != Failed || !strings.Contains(st.LastError, "its last stderr line: no config, giving up") {
		t.Errorf("status: %+v", st)
	}
	if strings.Join(st.Stderr, "|") != "starting|no config, giving up" {
		t.Errorf("stderr: %q", st.Stderr)
	}
}

// The gateway's sessions speak protocol 2025-11-25: from 2026-07-28 on
// every request carries the client's version, name and capabilities in
// its _meta, which the upstream decodes again on every call.
func TestGatewaySessionProtocol(t *testing.T) {
	f := newFake()
	f.srv.AddTool(&mcp.Tool{Name: "proto", InputSchema: json.RawMessage(`{"type":"object"}`)},
		func(_ context.Context, req *mcp.CallToolRequest) (*mcp.CallToolResult, error) {
			v := "none"
			if p := req.Session.InitializeParams(); p != nil {
				v = p.ProtocolVersion
			}
			return &mcp.CallToolResult{Content: []mcp.Content{&mcp.TextContent{Text: v + fmt.Sprintf(" meta=%d", len(req.Params.Meta))}}}, nil
		})
	a, _ := setup(t, f, parse(t, upCfg))
	r, err := a.Call(context.Background(), "up.proto", map[string]any{})
	if err != nil || r.Value != "2025-11-25 meta=0" {
		t.Fatalf("up.proto = %#v, %v; want the session's protocol 2025-11-25 and no per-request _meta", r.Value, err)
	}
}

// A tool whose schema the fast subset covers is checked once, by the
// agent's schema: its function forwards without a second check. One with
// a keyword beyond the subset (pattern) has no fast schema and is still
// checked by the full validator.
func TestGatewayValidatesOnce(t *testing.T) {
	f := newFake()
	f.srv.AddTool(&mcp.Tool{Name: "code", InputSchema: json.RawMessage(`{"type":"object","properties":{"c":{"type":"string","pattern":"^[a-z]+$"}}}`)},
		func(context.Context, *mcp.CallToolRequest) (*mcp.CallToolResult, error) {
			return &mcp.CallToolResult{Content: []mcp.Content{&mcp.TextContent{Text: "ran"}}}, nil
		})
	a, g := setup(t, f, parse(t, upCfg))
	abs := map[string]agent.Ability{}
	for _, ab := range g.Abilities() {
		abs[ab.Name] = ab.Ability
	}
	echo := abs["up.echo"]
	if echo.Schema == nil {
		t.Fatal("up.echo has no fast schema")
	}
	// Past the agent's check, the upstream itself answers (an empty text).
	if v, err := echo.Func(context.Background(), map[string]any{"text": ""}); err != nil || v != "" {
		t.Errorf("up.echo's function = %v, %v: want it forwarded, not checked again", v, err)
	}
	code := abs["up.code"]
	if code.Schema != nil {
		t.Fatalf("up.code has a fast schema %+v, but pattern is beyond the subset", code.Schema)
	}
	_, err := a.Call(context.Background(), "up.code", map[string]any{"c": "ABC"})
	var ce *agent.CallError
	if !errors.As(err, &ce) || ce.Outcome != agent.OutcomeBadArgs || !strings.Contains(err.Error(), "/c") {
		t.Errorf("up.code {c: ABC}: %v, want bad arguments from the full validator", err)
	}
	if r, err := a.Call(context.Background(), "up.code", map[string]any{"c": "abc"}); err != nil || r.Value != "ran" {
		t.Errorf("up.code {c: abc} = %+v, %v", r, err)
	}
}

// The arguments reach the upstream as the JSON of the caller's values,
// whichever encoder writes them: the agent's canonical one, or
// json.Marshal for a Go value it does not know.
func TestGatewayForwardsArguments(t *testing.T) {
	f := newFake()
	f.srv.AddTool(&mcp.Tool{Name: "raw", InputSchema: json.RawMessage(`{"type":"object"}`)},
		func(_ context.Context, req *mcp.CallToolRequest) (*mcp.CallToolResult, error) {
			return &mcp.CallToolResult{Content: []mcp.Content{&mcp.TextContent{Text: string(req.Params.Arguments)}}}, nil
		})
	a, _ := setup(t, f, parse(t, upCfg))
	type point struct{ X, Y int }
	for _, args := range []map[string]any{
		{},
		{"s": "é \"q\" \\ \n\u2028 <&>", "n": 1e21, "f": -0.5, "i": 9007199254740993, "b": true, "z": nil,
			"o": map[string]any{"b": []any{1.0, "x", map[string]any{}}, "a": []string{"p"}}, "l": []float64{1.5}},
		{"p": point{1, 2}, "m": map[string]int{"k": 3}},
	} {
		r, err := a.Call(context.Background(), "up.raw", args)
		if err != nil {
			t.Fatalf("up.raw %v: %v", args, err)
		}
		want, err := json.Marshal(args)
		if err != nil {
			t.Fatal(err)
		}
		var got, exp any
		if err := json.Unmarshal([]byte(r.Value.(string)), &got); err != nil {
			t.Fatalf("the upstream got %q: %v", r.Value, err)
		}
		_ = json.Unmarshal(want, &exp)
		if !reflect.DeepEqual(got, exp) {
			t.Errorf("the upstream got %s, want %s", r.Value, want)
		}
	}
}
