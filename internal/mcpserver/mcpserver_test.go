//lint:file-ignore SA1019 the server's log messages (a deprecated but current MCP feature) are tested.

package mcpserver_test

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"
	"go.uber.org/goleak"

	"github.com/agentdash/agentdash/internal/agent"
	"github.com/agentdash/agentdash/internal/mcpserver"
	"github.com/agentdash/agentdash/internal/schema"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// wait bounds every step of a test: generous for a loaded 2-core machine
// under -race, and only reached when something is broken.
const wait = 30 * time.Second

// panicky is a result whose JSON encoding panics: a panic in the adapter
// itself, after the agent (which recovers the ability's panics) returned.
type panicky struct{}

func (panicky) MarshalJSON() ([]byte, error) { panic("encoder exploded") }

// fixture is an agent with one ability of each kind the tests need.
type fixture struct {
	agent   *agent.Agent
	started chan struct{} // "block" has started
	ended   chan error    // "block"'s context error when it returned
	release chan struct{} // lets "block" return
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	a, err := agent.New(agent.Options{MaxConcurrent: 1, MaxWait: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{agent: a, started: make(chan struct{}, 1), ended: make(chan error, 1), release: make(chan struct{})}
	text := &schema.Schema{Type: schema.TypeObject, Required: []string{"text"},
		Properties: map[string]*schema.Property{"text": {Type: schema.TypeString, Description: "text to echo"}}}
	abilities := []agent.Ability{
		{Name: "echo", Description: "Echoes text.", Schema: text,
			Func: func(_ context.Context, args map[string]any) (any, error) { return args["text"], nil }},
		{Name: "object", Description: "Returns an object.",
			Func: func(context.Context, map[string]any) (any, error) { return map[string]any{"ok": true, "n": 2}, nil }},
		{Name: "number", Description: "Returns a number.",
			Func: func(context.Context, map[string]any) (any, error) { return 42, nil }},
		{Name: "fail", Description: "Always fails.",
			Func: func(context.Context, map[string]any) (any, error) { return nil, errors.New("backend down") }},
		{Name: "boom", Description: "Panics.",
			Func: func(context.Context, map[string]any) (any, error) { panic("kaboom") }},
		{Name: "unencodable", Description: "Returns a value whose encoding panics.",
			Func: func(context.Context, map[string]any) (any, error) { return panicky{}, nil }},
		{Name: "slow", Description: "Outlives its timeout.", Timeout: 20 * time.Millisecond,
			Func: func(ctx context.Context, _ map[string]any) (any, error) {
				<-ctx.Done()
				return nil, ctx.Err()
			}},
		{Name: "block", Description: "Runs until released or canceled.", Timeout: time.Hour,
			Func: func(ctx context.Context, _ map[string]any) (any, error) {
				f.started <- struct{}{}
				select {
				case <-ctx.Done():
					f.ended <- ctx.Err()
					return nil, ctx.Err()
				case <-f.release:
					f.ended <- nil
					return "released", nil
				}
			}},
	}
	for _, ab := range abilities {
		if err := a.Register(ab); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(a.Close)
	return f
}

// session is a client connected to srv over an in-memory pipe, as
// mcp.NewInMemoryTransports makes, whose client end the test can close to
// act out a client that goes away mid-call.
type session struct {
	cs       *mcp.ClientSession
	pipe     net.Conn // the client's end
	mu       sync.Mutex
	logs     []*mcp.LoggingMessageParams
	progress []*mcp.ProgressNotificationParams
	changed  chan struct{} // a value per tools/list_changed, while there is room
}

func (s *session) logged() []*mcp.LoggingMessageParams {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.logs)
}

func (s *session) progressed() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.progress)
}

func connect(t *testing.T, srv *mcp.Server) *session {
	t.Helper()
	ctx := context.Background()
	cp, sp := net.Pipe()
	ss, err := srv.Connect(ctx, &mcp.IOTransport{Reader: sp, Writer: sp}, nil)
	if err != nil {
		t.Fatal(err)
	}
	s := &session{pipe: cp, changed: make(chan struct{}, 8)}
	client := mcp.NewClient(&mcp.Implementation{Name: "test", Version: "v0"}, &mcp.ClientOptions{
		ToolListChangedHandler: func(context.Context, *mcp.ToolListChangedRequest) {
			select {
			case s.changed <- struct{}{}:
			default:
			}
		},
		LoggingMessageHandler: func(_ context.Context, r *mcp.LoggingMessageRequest) {
			s.mu.Lock()
			s.logs = append(s.logs, r.Params)
			s.mu.Unlock()
		},
		ProgressNotificationHandler: func(_ context.Context, r *mcp.ProgressNotificationClientRequest) {
			s.mu.Lock()
			s.progress = append(s.progress, r.Params)
			s.mu.Unlock()
		},
	})
	cs, err := client.Connect(ctx, &mcp.IOTransport{Reader: cp, Writer: cp}, nil)
	if err != nil {
		t.Fatal(err)
	}
	s.cs = cs
	t.Cleanup(func() {
		// Disconnect first: Close waits for the client's calls, and a
		// failed test can leave one running.
		_ = cp.Close()
		_ = cs.Close()
		_ = ss.Wait()
	})
	return s
}

func newServer(t *testing.T, f *fixture, opts mcpserver.Options) *mcpserver.Server {
	t.Helper()
	s, err := mcpserver.New(f.agent, opts)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func call(t *testing.T, s *session, name string, args any) *mcp.CallToolResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	res, err := s.cs.CallTool(ctx, &mcp.CallToolParams{Name: name, Arguments: args})
	if err != nil {
		t.Fatalf("call %s: protocol error %v, want a tool result", name, err)
	}
	return res
}

func text(t *testing.T, res *mcp.CallToolResult) string {
	t.Helper()
	if len(res.Content) != 1 {
		t.Fatalf("content has %d items, want 1: %+v", len(res.Content), res.Content)
	}
	tc, ok := res.Content[0].(*mcp.TextContent)
	if !ok {
		t.Fatalf("content is %T, want text", res.Content[0])
	}
	return tc.Text
}

func TestListMatchesAbilities(t *testing.T) {
	f := newFixture(t)
	s := connect(t, newServer(t, f, mcpserver.Options{}).MCP())
	var got []*mcp.Tool
	for tool, err := range s.cs.Tools(context.Background(), nil) {
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, tool)
	}
	infos := f.agent.Abilities()
	if len(got) != len(infos) {
		t.Fatalf("%d tools, want %d", len(got), len(infos))
	}
	for i, in := range infos {
		tool := got[i]
		if tool.Name != in.Name || tool.Description != in.Description {
			t.Errorf("tool %d: %q %q, want %q %q", i, tool.Name, tool.Description, in.Name, in.Description)
		}
		gotSchema, _ := json.Marshal(tool.InputSchema)
		want := []byte(`{"type":"object"}`)
		if in.Schema != nil {
			want, _ = json.Marshal(in.Schema)
		}
		if !jsonEqual(t, gotSchema, want) {
			t.Errorf("tool %s: schema %s, want %s", tool.Name, gotSchema, want)
		}
	}
}

func jsonEqual(t *testing.T, a, b []byte) bool {
	t.Helper()
	var x, y any
	if err := json.Unmarshal(a, &x); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &y); err != nil {
		t.Fatal(err)
	}
	xs, _ := json.Marshal(x)
	ys, _ := json.Marshal(y)
	return string(xs) == string(ys)
}

func TestCallResults(t *testing.T) {
	f := newFixture(t)
	s := connect(t, newServer(t, f, mcpserver.Options{}).MCP())

	res := call(t, s, "echo", map[string]any{"text": "hi"})
	if res.IsError || text(t, res) != "hi" || res.StructuredContent != nil {
		t.Errorf("echo: %+v, want the text hi alone", res)
	}
	res = call(t, s, "object", nil)
	if res.IsError || !jsonEqual(t, []byte(text(t, res)), []byte(`{"ok":true,"n":2}`)) {
		t.Errorf("object: text %q", text(t, res))
	}
	sc, _ := json.Marshal(res.StructuredContent)
	if !jsonEqual(t, sc, []byte(`{"ok":true,"n":2}`)) {
		t.Errorf("object: structuredContent %s", sc)
	}
	res = call(t, s, "number", nil)
	if res.IsError || text(t, res) != "42" || res.StructuredContent != nil {
		t.Errorf("number: %+v, want the text 42 without structuredContent (which must be an object)", res)
	}
}

func TestErrorsAreToolResults(t *testing.T) {
	f := newFixture(t)
	s := connect(t, newServer(t, f, mcpserver.Options{MaxArgBytes: 1000}).MCP())
	if err := f.agent.Trip("fail"); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, tool string
		args       any
		want       []string
	}{
		{"missing argument", "echo", map[string]any{}, []string{"bad arguments", `"text"`, "inputSchema"}},
		{"wrong type", "echo", map[string]any{"text": 3}, []string{"bad arguments", "want string"}},
		{"not an object", "echo", []int{1}, []string{"bad arguments", "must be a JSON object"}},
		{"oversized", "echo", map[string]any{"text": strings.Repeat("x", 2000)}, []string{"more than the limit of 1000"}},
		{"breaker open", "fail", nil, []string{"circuit breaker is open", "forced open", "use another tool"}},
		{"timeout", "slow", nil, []string{"timed out", "took too long"}},
		{"ability panics", "boom", nil, []string{"ability panicked", "kaboom"}},
		{"adapter panics", "unencodable", nil, []string{"internal error", "encoder exploded"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := call(t, s, tt.tool, tt.args)
			if !res.IsError {
				t.Fatalf("isError false: %+v", res)
			}
			msg := text(t, res)
			for _, w := range tt.want {
				if !strings.Contains(msg, w) {
					t.Errorf("message %q lacks %q", msg, w)
				}
			}
		})
	}
	// The server lives on after the panics.
	if res := call(t, s, "echo", map[string]any{"text": "still here"}); res.IsError || text(t, res) != "still here" {
		t.Errorf("after the panics: %+v", res)
	}
}

// An unknown tool is the one protocol error: the SDK answers it, as the
// specification says, before any handler runs.
func TestUnknownToolIsProtocolError(t *testing.T) {
	f := newFixture(t)
	s := connect(t, newServer(t, f, mcpserver.Options{}).MCP())
	_, err := s.cs.CallTool(context.Background(), &mcp.CallToolParams{Name: "nope"})
	if err == nil || !strings.Contains(err.Error(), `unknown tool "nope"`) {
		t.Errorf("err %v, want unknown tool", err)
	}
	if res := call(t, s, "number", nil); res.IsError {
		t.Errorf("after it: %+v", res)
	}
}

func TestBreakerCooldownMessage(t *testing.T) {
	f := newFixture(t)
	s := connect(t, newServer(t, f, mcpserver.Options{}).MCP())
	// The default breaker opens after consecutive failures; poll until a
	// call is refused rather than assume the threshold.
	for i := range 100 {
		res := call(t, s, "fail", nil)
		if !res.IsError {
			t.Fatal("fail succeeded")
		}
		if msg := text(t, res); strings.Contains(msg, "circuit breaker is open") {
			for _, w := range []string{"cooldown", "remaining", "retry after the cooldown"} {
				if !strings.Contains(msg, w) {
					t.Errorf("message %q lacks %q", msg, w)
				}
			}
			return
		}
		if i == 99 {
			t.Fatal("the breaker never opened")
		}
	}
}

func TestRejectedWhenBusy(t *testing.T) {
	f := newFixture(t)
	s := connect(t, newServer(t, f, mcpserver.Options{}).MCP())
	done := make(chan *mcp.CallToolResult, 1)
	go func() {
		res, _ := s.cs.CallTool(context.Background(), &mcp.CallToolParams{Name: "block"})
		done <- res
	}()
	<-f.started // the only slot is taken
	res := call(t, s, "echo", map[string]any{"text": "x"})
	if !res.IsError || !strings.Contains(text(t, res), "concurrency limit") || !strings.Contains(text(t, res), "busy") {
		t.Errorf("while busy: %+v", res)
	}
	close(f.release)
	if res := <-done; res == nil || res.IsError {
		t.Errorf("block: %+v", res)
	}
}

func TestCancellationCancelsTheAbility(t *testing.T) {
	f := newFixture(t)
	s := connect(t, newServer(t, f, mcpserver.Options{}).MCP())
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() {
		_, err := s.cs.CallTool(ctx, &mcp.CallToolParams{Name: "block"})
		errc <- err
	}()
	select {
	case <-f.started:
	case <-time.After(wait):
		t.Fatal("block never started")
	}
	cancel()
	select {
	case err := <-f.ended:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("the ability's context ended with %v, want canceled", err)
		}
	case <-time.After(wait):
		t.Fatal("the client's cancellation never reached the ability")
	}
	if err := <-errc; !errors.Is(err, context.Canceled) {
		t.Errorf("client call returned %v", err)
	}
}

func TestProgressHeartbeat(t *testing.T) {
	f := newFixture(t)
	s := connect(t, newServer(t, f, mcpserver.Options{Heartbeat: 5 * time.Millisecond}).MCP())
	done := make(chan *mcp.CallToolResult, 1)
	go func() {
		p := &mcp.CallToolParams{Name: "block"}
		p.SetProgressToken("tok-1")
		res, _ := s.cs.CallTool(context.Background(), p)
		done <- res
	}()
	<-f.started
	deadline := time.Now().Add(wait)
	for s.progressed() < 2 {
		if time.Now().After(deadline) {
			t.Fatal("no progress notifications while the call ran")
		}
		time.Sleep(5 * time.Millisecond)
	}
	close(f.release)
	if res := <-done; res == nil || res.IsError {
		t.Fatalf("block: %+v", res)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, p := range s.progress {
		if p.ProgressToken != "tok-1" || !strings.Contains(p.Message, "block running") {
			t.Errorf("notification %d: %+v", i, p)
		}
		if i > 0 && p.Progress <= s.progress[i-1].Progress {
			t.Errorf("progress does not increase: %v after %v", p.Progress, s.progress[i-1].Progress)
		}
	}
}

func TestBreakerTransitionsLoggedAtClientLevel(t *testing.T) {
	f := newFixture(t)
	srv := newServer(t, f, mcpserver.Options{})
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() { srv.Watch(ctx) })
	defer wg.Wait()
	defer cancel()
	warn := connect(t, srv.MCP())
	info := connect(t, srv.MCP())
	silent := connect(t, srv.MCP()) // never sets a level
	if err := warn.cs.SetLoggingLevel(context.Background(), &mcp.SetLoggingLevelParams{Level: "warning"}); err != nil {
		t.Fatal(err)
	}
	if err := info.cs.SetLoggingLevel(context.Background(), &mcp.SetLoggingLevelParams{Level: "info"}); err != nil {
		t.Fatal(err)
	}
	// Watch subscribes when it starts: trip until a message arrives.
	deadline := time.Now().Add(wait)
	for len(info.logged()) < 2 {
		if time.Now().After(deadline) {
			t.Fatalf("info client got %d messages, want a trip and a reset", len(info.logged()))
		}
		_ = f.agent.Trip("echo")
		_ = f.agent.Reset("echo")
		time.Sleep(10 * time.Millisecond)
	}
	for _, m := range info.logged() {
		data, _ := json.Marshal(m.Data)
		if !strings.Contains(string(data), `"tool":"echo"`) || !strings.Contains(string(data), "breaker_transition") {
			t.Errorf("message data %s", data)
		}
	}
	for _, m := range warn.logged() {
		if m.Level != "warning" {
			t.Errorf("warning client got a %s message: %+v", m.Level, m.Data)
		}
	}
	if len(warn.logged()) == 0 {
		t.Error("warning client got no trip message")
	}
	if n := len(silent.logged()); n != 0 {
		t.Errorf("a client that set no level got %d messages", n)
	}
}

func TestSyncAddsAndAnnotates(t *testing.T) {
	f := newFixture(t)
	ro := true
	srv := newServer(t, f, mcpserver.Options{Annotations: func(name string) *mcp.ToolAnnotations {
		if name == "late" {
			return &mcp.ToolAnnotations{ReadOnlyHint: ro}
		}
		return nil
	}})
	sess := connect(t, srv.MCP())
	cs, changed := sess.cs, sess.changed
	if err := f.agent.Register(agent.Ability{Name: "late", Description: "Registered later.",
		Func: func(context.Context, map[string]any) (any, error) { return "late", nil }}); err != nil {
		t.Fatal(err)
	}
	if err := srv.Sync(); err != nil {
		t.Fatal(err)
	}
	waitListChanged(t, changed, "after an ability was registered")
	res, err := cs.ListTools(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	var found bool
	for _, tool := range res.Tools {
		if tool.Name == "late" {
			found = true
			if tool.Annotations == nil || !tool.Annotations.ReadOnlyHint {
				t.Errorf("late's annotations: %+v", tool.Annotations)
			}
		} else if tool.Annotations != nil {
			t.Errorf("%s has annotations %+v", tool.Name, tool.Annotations)
		}
	}
	if !found {
		t.Fatalf("late not listed: %d tools", len(res.Tools))
	}
}

func TestDisconnectCancelsTheAbility(t *testing.T) {
	f := newFixture(t)
	s := connect(t, newServer(t, f, mcpserver.Options{}).MCP())
	errc := make(chan error, 1)
	go func() {
		_, err := s.cs.CallTool(context.Background(), &mcp.CallToolParams{Name: "block"})
		errc <- err
	}()
	select {
	case <-f.started:
	case <-time.After(wait):
		t.Fatal("block never started")
	}
	_ = s.pipe.Close() // the client process dies: no cancellation notice
	select {
	case err := <-f.ended:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("the ability's context ended with %v, want canceled", err)
		}
	case <-time.After(wait):
		t.Fatal("the client's disconnection never reached the ability")
	}
	if err := <-errc; err == nil {
		t.Error("the client's call succeeded after it closed")
	}
}

// An ability's hints are its tool's annotations, whoever registered it;
// when a reload changes them, Sync replaces the tool and clients are told
// with tools/list_changed.
func TestHintsAreAnnotations(t *testing.T) {
	a, err := agent.New(agent.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(a.Close)
	fn := func(context.Context, map[string]any) (any, error) { return "ok", nil }
	abs := []agent.Ability{
		{Name: "lookup", Func: fn, Hints: agent.Hints{ReadOnly: new(true), OpenWorld: new(false)}},
		{Name: "wipe", Func: fn, Hints: agent.Hints{Destructive: new(true), Idempotent: new(true)}},
		{Name: "plain", Func: fn},
	}
	if err := a.Apply(abs); err != nil {
		t.Fatal(err)
	}
	srv, err := mcpserver.New(a, mcpserver.Options{})
	if err != nil {
		t.Fatal(err)
	}
	sess := connect(t, srv.MCP())
	cs, changed := sess.cs, sess.changed

	list := func() map[string]*mcp.ToolAnnotations {
		t.Helper()
		res, err := cs.ListTools(context.Background(), nil)
		if err != nil {
			t.Fatal(err)
		}
		m := map[string]*mcp.ToolAnnotations{}
		for _, tool := range res.Tools {
			m[tool.Name] = tool.Annotations
		}
		return m
	}
	got := list()
	if an := got["lookup"]; an == nil || !an.ReadOnlyHint || an.IdempotentHint || an.DestructiveHint != nil ||
		an.OpenWorldHint == nil || *an.OpenWorldHint {
		t.Errorf("lookup: %s", annotationsText(an))
	}
	if an := got["wipe"]; an == nil || an.ReadOnlyHint || !an.IdempotentHint || an.DestructiveHint == nil ||
		!*an.DestructiveHint || an.OpenWorldHint != nil {
		t.Errorf("wipe: %s", annotationsText(an))
	}
	if an := got["plain"]; an != nil {
		t.Errorf("plain, without hints: %s", annotationsText(an))
	}

	// A reload that changes only the hints: the tool is replaced.
	abs[2].Hints = agent.Hints{ReadOnly: new(true)}
	if err := a.Apply(abs); err != nil {
		t.Fatal(err)
	}
	if err := srv.Sync(); err != nil {
		t.Fatal(err)
	}
	waitListChanged(t, changed, "after the hints changed")
	if an := list()["plain"]; an == nil || !an.ReadOnlyHint {
		t.Errorf("plain after the reload: %s", annotationsText(an))
	}
	// A reload that changes nothing a client sees sends nothing.
	if err := a.Apply(abs); err != nil {
		t.Fatal(err)
	}
	if err := srv.Sync(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-changed:
		t.Error("tools/list_changed after a reload that changed no tool")
	case <-time.After(100 * time.Millisecond):
	}
}

func annotationsText(an *mcp.ToolAnnotations) string {
	if an == nil {
		return "no annotations"
	}
	data, _ := json.Marshal(an)
	return string(data)
}

// A proxied tool (Options.Upstream) is listed with the upstream's
// annotations, and the hints the configuration sets for the ability put
// over them key by key: a key the file sets wins, the others stay the
// upstream's. The upstream's tool itself is left as it was.
func TestUpstreamAnnotationsOverlay(t *testing.T) {
	a, err := agent.New(agent.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(a.Close)
	fn := func(context.Context, map[string]any) (any, error) { return "ok", nil }
	if err := a.Apply([]agent.Ability{
		{Name: "up.tuned", Func: fn, Hints: agent.Hints{ReadOnly: new(false), OpenWorld: new(true)}},
		{Name: "up.plain", Func: fn},
	}); err != nil {
		t.Fatal(err)
	}
	upstream := func(name string) *mcp.Tool {
		return &mcp.Tool{Name: strings.TrimPrefix(name, "up."), Description: "Upstream's.",
			InputSchema: json.RawMessage(`{"type":"object"}`),
			Annotations: &mcp.ToolAnnotations{Title: "Upstream title", ReadOnlyHint: true, IdempotentHint: true,
				OpenWorldHint: new(false)}}
	}
	tools := map[string]*mcp.Tool{}
	opts := mcpserver.Options{Upstream: func(name string) *mcp.Tool {
		if tools[name] == nil {
			tools[name] = upstream(name)
		}
		return tools[name]
	}}
	s := connect(t, newServer(t, &fixture{agent: a}, opts).MCP())
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	res, err := s.cs.ListTools(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, tool := range res.Tools {
		got[tool.Name] = annotationsText(tool.Annotations)
	}
	for name, want := range map[string]string{
		"up.tuned": `{"idempotentHint":true,"openWorldHint":true,"readOnlyHint":false,"title":"Upstream title"}`,
		"up.plain": `{"idempotentHint":true,"openWorldHint":false,"readOnlyHint":true,"title":"Upstream title"}`,
	} {
		if got[name] != want {
			t.Errorf("%s: annotations %s, want %s", name, got[name], want)
		}
	}
	if an := annotationsText(tools["up.tuned"].Annotations); an != annotationsText(upstream("up.tuned").Annotations) {
		t.Errorf("the upstream's tool was changed: %s", an)
	}
}

// waitListChanged fails t unless the client gets tools/list_changed on
// changed within wait.
func waitListChanged(t *testing.T, changed <-chan struct{}, after string) {
	t.Helper()
	select {
	case <-changed:
	case <-time.After(wait):
		t.Fatal("no tools/list_changed " + after)
	}
}
