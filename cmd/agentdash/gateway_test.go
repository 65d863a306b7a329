package main

import (
	"context"
	"encoding/json"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// innerServer writes a configuration whose MCP server "inner" is the
// built agentdash itself, serving its built-in abilities over stdio.
func innerServer(t *testing.T, extra string) string {
	t.Helper()
	bin := buildAgentdash(t)
	dir := noConfigAround(t)
	return writeFile(t, filepath.Join(dir, "gateway.yaml"),
		"mcp_servers:\n  inner: {command: \""+bin+"\", args: [mcp]}\n"+extra)
}

// The commands that build the agent from the environment proxy the
// configuration's MCP servers: abilities lists their tools as
// SERVER.TOOL with the server as source, and call forwards them, bad
// arguments refused before they are sent.
func TestGatewayCommands(t *testing.T) {
	if testing.Short() {
		t.Skip("builds agentdash")
	}
	cfg := innerServer(t, "abilities:\n  inner.sum: {cache_ttl: 1m}\n")
	env := map[string]string{"AGENTDASH_CONFIG": cfg}
	r := runEnv(t, env, "abilities")
	if r.code != 0 || !strings.Contains(r.stdout, "inner.sum") || !strings.Contains(r.stdout, "mcp:inner") {
		t.Fatalf("abilities: %+v", r)
	}
	r = runEnv(t, env, "abilities", "--json")
	if r.code != 0 || !strings.Contains(r.stdout, `"name":"inner.uppercase"`) || !strings.Contains(r.stdout, `"source":"mcp:inner"`) {
		t.Errorf("abilities --json: %+v", r)
	}
	r = runEnv(t, env, "call", "inner.sum", `{"a": 2, "b": 3}`)
	if r.code != 0 || !strings.Contains(r.stdout, "5") {
		t.Errorf("call inner.sum: %+v", r)
	}
	r = runEnv(t, env, "call", "inner.uppercase", `{"text": 7}`)
	if r.code != 2 {
		t.Errorf("call inner.uppercase with a bad argument: %+v, want exit 2", r)
	}
	r.wantOneLine(t, "inner.uppercase")
}

// A server that cannot start is said on stderr; the other abilities work.
func TestGatewayServerMissing(t *testing.T) {
	dir := noConfigAround(t)
	cfg := writeFile(t, filepath.Join(dir, "gateway.yaml"), "mcp_servers:\n  gone: {command: \""+filepath.Join(dir, "no-such-program")+"\"}\n")
	r := runEnv(t, map[string]string{"AGENTDASH_CONFIG": cfg}, "call", "sum", `{"a": 1, "b": 1}`)
	if r.code != 0 || !strings.Contains(r.stderr, "agentdash: warning: mcp server gone: start ") {
		t.Errorf("call with a server missing: %+v", r)
	}
}

// agentdash mcp proxies an upstream and follows it: when the upstream's
// tools change (it is agentdash mcp too, whose file gains an ability), the
// upstream says list_changed, the gateway lists its tools again, and the
// client is told in turn; a reload that adds a server adds its tools.
func TestMCPGatewayFollowsUpstream(t *testing.T) {
	if testing.Short() {
		t.Skip("builds agentdash")
	}
	bin := buildAgentdash(t)
	dir := t.TempDir()
	inner := writeFile(t, filepath.Join(dir, "inner.yaml"), "demo: true\n")
	outer := writeFile(t, filepath.Join(dir, "outer.yaml"),
		"demo: false\nmcp_servers:\n  inner: {command: \""+bin+"\", args: [mcp, --config, \""+inner+"\"]}\n")
	ctx, cancel := context.WithCancel(context.Background())
	url, code, stderr := runMCPHTTP(t, ctx, func(string) string { return "" }, "--config", outer, "--http", "127.0.0.1:0")
	defer func() {
		cancel()
		if c := <-code; c != 0 {
			t.Errorf("mcp exited %d: %s", c, stderr.String())
		}
	}()
	changed := make(chan struct{}, 1)
	client := mcp.NewClient(&mcp.Implementation{Name: "test"}, &mcp.ClientOptions{
		ToolListChangedHandler: func(context.Context, *mcp.ToolListChangedRequest) {
			select {
			case changed <- struct{}{}:
			default:
			}
		},
	})
	cs, err := client.Connect(context.Background(), &mcp.StreamableClientTransport{Endpoint: url}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer cs.Close()
	callCtx, stop := context.WithTimeout(context.Background(), time.Minute)
	defer stop()
	res, err := cs.CallTool(callCtx, &mcp.CallToolParams{Name: "inner.uppercase", Arguments: map[string]any{"text": "proxied"}})
	if err != nil || res.IsError || res.Content[0].(*mcp.TextContent).Text != "PROXIED" {
		t.Fatalf("inner.uppercase: %+v, %v", res, err)
	}
	tools := func() []string {
		var names []string
		for tool, err := range cs.Tools(callCtx, nil) {
			if err != nil {
				t.Fatal(err)
			}
			names = append(names, tool.Name)
		}
		return names
	}
	waitFor := func(name string) {
		t.Helper()
		deadline := time.Now().Add(time.Minute)
		for !slices.Contains(tools(), name) {
			select {
			case <-changed:
			case <-time.After(time.Until(deadline)):
				t.Fatalf("%s never listed (tools: %v); stderr: %s", name, tools(), stderr.String())
			}
		}
	}
	writeFile(t, inner, "demo: true\nabilities:\n  shout: {kind: command, argv: [\"echo\", \"HI\"], description: Shout.}\n")
	waitFor("inner.shout")
	writeFile(t, outer, "demo: false\nmcp_servers:\n  inner: {command: \""+bin+"\", args: [mcp, --config, \""+inner+"\"]}\n"+
		"  second: {command: \""+bin+"\", args: [mcp]}\n")
	waitFor("second.sum")
}

// agentdash mcp lists a proxied tool with the upstream's annotations and
// the file's hints for SERVER.TOOL put over them key by key. The
// upstream is agentdash mcp too: its sum is read-only and closed (built
// in) and idempotent (its file).
func TestMCPGatewayAnnotations(t *testing.T) {
	if testing.Short() {
		t.Skip("builds agentdash")
	}
	bin := buildAgentdash(t)
	dir := t.TempDir()
	inner := writeFile(t, filepath.Join(dir, "inner.yaml"), "abilities:\n  sum: {hints: {idempotent: true}}\n")
	outer := writeFile(t, filepath.Join(dir, "outer.yaml"),
		"demo: false\nmcp_servers:\n  inner: {command: \""+bin+"\", args: [mcp, --config, \""+inner+"\"]}\n"+
			"abilities:\n  inner.sum: {hints: {read_only: false, open_world: true}}\n")
	ctx, cancel := context.WithCancel(context.Background())
	url, code, stderr := runMCPHTTP(t, ctx, func(string) string { return "" }, "--config", outer, "--http", "127.0.0.1:0")
	defer func() {
		cancel()
		if c := <-code; c != 0 {
			t.Errorf("mcp exited %d: %s", c, stderr.String())
		}
	}()
	cs, err := mcp.NewClient(&mcp.Implementation{Name: "test"}, nil).
		Connect(context.Background(), &mcp.StreamableClientTransport{Endpoint: url}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer cs.Close()
	callCtx, stop := context.WithTimeout(context.Background(), time.Minute)
	defer stop()
	got := map[string]*mcp.ToolAnnotations{}
	for tool, err := range cs.Tools(callCtx, nil) {
		if err != nil {
			t.Fatal(err)
		}
		got[tool.Name] = tool.Annotations
	}
	for name, want := range map[string]mcp.ToolAnnotations{
		// The file's read_only and open_world; idempotent is the upstream's.
		"inner.sum": {ReadOnlyHint: false, IdempotentHint: true, OpenWorldHint: new(true)},
		// No hints in the file: the upstream's annotations as they are.
		"inner.uppercase": {ReadOnlyHint: true, OpenWorldHint: new(false)},
	} {
		an := got[name]
		if an == nil || an.ReadOnlyHint != want.ReadOnlyHint || an.IdempotentHint != want.IdempotentHint ||
			an.DestructiveHint != nil || an.OpenWorldHint == nil || *an.OpenWorldHint != *want.OpenWorldHint {
			have, _ := json.Marshal(an)
			wantJSON, _ := json.Marshal(want)
			t.Errorf("%s: annotations %s, want %s", name, have, wantJSON)
		}
	}
}
