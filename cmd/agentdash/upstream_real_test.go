package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"
	"go.uber.org/goleak"

	"github.com/agentdash/agentdash/internal/agent"
	"github.com/agentdash/agentdash/internal/breaker"
	"github.com/agentdash/agentdash/internal/mcpserver"
	"github.com/agentdash/agentdash/internal/upstream"
)

// Real upstream MCP servers from npm, pinned and installed by .ci/run,
// which passes their entry points (and the node to run them with) here.
const (
	everythingEnv = "AGENTDASH_SERVER_EVERYTHING" // …/@modelcontextprotocol/server-everything/dist/index.js
	filesystemEnv = "AGENTDASH_SERVER_FILESYSTEM" // …/@modelcontextprotocol/server-filesystem/dist/index.js
	nodeEnv       = "AGENTDASH_NODE"              // optional: the node binary, default node on PATH
)

// realUpstreams returns an agent built as the commands build it from a
// configuration whose MCP servers are server-everything and
// server-filesystem (on root), or skips the test when they are not
// installed.
func realUpstreams(t *testing.T, root string) (*agent.Agent, *agentFlags) {
	t.Helper()
	everything, filesystem := os.Getenv(everythingEnv), os.Getenv(filesystemEnv)
	if everything == "" || filesystem == "" {
		t.Skipf("$%s and $%s are not set (.ci/run sets them)", everythingEnv, filesystemEnv)
	}
	node := os.Getenv(nodeEnv)
	if node == "" {
		node = "node"
	}
	dir := t.TempDir()
	cfg := writeFile(t, filepath.Join(dir, "gateway.yaml"), `mcp_servers:
  everything: {command: "`+node+`", args: ["`+everything+`", stdio]}
  filesystem: {command: "`+node+`", args: ["`+filesystem+`", "`+root+`"]}
abilities:
  everything.echo:
    breaker: {consecutive_failures: 2, cooldown: 1s, success_threshold: 1}
`)
	var stderr bytes.Buffer
	env := newEnvironment(nil, strings.NewReader(""), &bytes.Buffer{}, &stderr, os.Getenv)
	var err error
	if env.config, err = loadConfig(env, cfg); err != nil {
		t.Fatal(err)
	}
	// A backoff long enough for the test to see the calls fail while the
	// killed server is down.
	f := &agentFlags{root: dir, maxConcurrent: 8, maxWait: 2 * time.Second, cacheSize: 100,
		gatewayOptions: upstream.Options{MinBackoff: 3 * time.Second}}
	a, err := f.newAgent(env)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.closeAgent(a) })
	for _, st := range f.gateway.Status() {
		if st.State != upstream.Connected {
			t.Fatalf("%s: %+v (stderr: %s)", st.Name, st, stderr.String())
		}
	}
	return a, f
}

// server-everything and server-filesystem behind agentdash: their tools
// are abilities, called through the pipeline, and served by agentdash mcp
// with the upstream's schema.
func TestRealUpstreams(t *testing.T) {
	root := t.TempDir()
	if err := os.WriteFile(filepath.Join(root, "notes.txt"), []byte("hello from a real upstream\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	root, _ = filepath.EvalSymlinks(root)
	a, _ := realUpstreams(t, root)
	for _, name := range []string{"everything.echo", "everything.get-sum", "filesystem.read_text_file", "filesystem.list_directory"} {
		in, ok := a.Lookup(name)
		if !ok {
			t.Fatalf("%s is not an ability (have %s)", name, knownAbilities(a))
		}
		if want := "mcp:" + strings.Split(name, ".")[0]; in.Source != want || in.Description == "" {
			t.Errorf("%s: source %q, description %q", name, in.Source, in.Description)
		}
	}
	// The upstream's schema names the draft ($schema) and otherwise fits
	// the agent's own: its arguments show.
	if in, _ := a.Lookup("everything.get-sum"); in.Schema == nil || in.Schema.Properties["a"] == nil {
		t.Errorf("everything.get-sum's arguments are not the agent's: %+v", in.Schema)
	}
	ctx := context.Background()
	r, err := a.Call(ctx, "everything.echo", map[string]any{"message": "hi"})
	if err != nil || !strings.Contains(r.Value.(string), "hi") {
		t.Errorf("everything.echo: %+v, %v", r, err)
	}
	r, err = a.Call(ctx, "filesystem.read_text_file", map[string]any{"path": filepath.Join(root, "notes.txt")})
	if err != nil || !strings.Contains(valueText(t, r.Value), "hello from a real upstream") {
		t.Errorf("filesystem.read_text_file: %+v, %v", r, err)
	}
	_, err = a.Call(ctx, "everything.echo", map[string]any{"message": 42})
	var ce *agent.CallError
	if !errors.As(err, &ce) || ce.Outcome != agent.OutcomeBadArgs {
		t.Errorf("everything.echo with a number: %v, want bad arguments", err)
	}
	_, err = a.Call(ctx, "filesystem.read_text_file", map[string]any{"path": "/etc/passwd"})
	if !errors.As(err, &ce) || ce.Outcome != agent.OutcomeFailure {
		t.Errorf("filesystem.read_text_file outside its root: %v, want the upstream's error", err)
	}

	// Through agentdash mcp's adapter, over the SDK's in-memory transports.
	srv, err := mcpserver.New(a, mcpserver.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ct, st := mcp.NewInMemoryTransports()
	ss, err := srv.MCP().Connect(ctx, st, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ss.Close()
	cs, err := mcp.NewClient(&mcp.Implementation{Name: "test", Version: "1"}, nil).Connect(ctx, ct, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer cs.Close()
	res, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: "everything.echo", Arguments: map[string]any{"message": "over mcp"}})
	if err != nil || res.IsError || !strings.Contains(res.Content[0].(*mcp.TextContent).Text, "over mcp") {
		t.Errorf("tools/call everything.echo: %+v, %v", res, err)
	}
}

// valueText returns a result as text: a string, or its JSON.
func valueText(t *testing.T, v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	data, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

// A killed upstream fails its calls, which open its breaker; it is
// started again, and the breaker's probe closes it.
func TestRealUpstreamKilled(t *testing.T) {
	// Registered first, so run last: once the agent and its gateway are
	// closed, none of their goroutines is left.
	ignore := goleak.IgnoreCurrent()
	t.Cleanup(func() { goleak.VerifyNone(t, ignore) })
	a, f := realUpstreams(t, t.TempDir())
	pid := 0
	for _, st := range f.gateway.Status() {
		if st.Name == "everything" {
			pid = st.PID
		}
	}
	if pid == 0 {
		t.Fatal("no process for server-everything")
	}
	proc, err := os.FindProcess(pid)
	if err != nil {
		t.Fatal(err)
	}
	if err := proc.Kill(); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	var ce *agent.CallError
	for i := range 2 {
		_, err := a.Call(ctx, "everything.echo", map[string]any{"message": "x"})
		if !errors.As(err, &ce) || ce.Outcome != agent.OutcomeFailure {
			t.Fatalf("call %d after the kill: %v, want a failure", i+1, err)
		}
	}
	_, err = a.Call(ctx, "everything.echo", map[string]any{"message": "x"})
	if !errors.As(err, &ce) || ce.Outcome != agent.OutcomeShortCircuited {
		t.Fatalf("third call after the kill: %v, want the breaker open", err)
	}
	deadline := time.Now().Add(time.Minute)
	for {
		st := f.gateway.Status()[0]
		if st.State == upstream.Connected && st.Restarts >= 1 && st.PID != pid {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("server-everything not restarted: %+v", st)
		}
		time.Sleep(50 * time.Millisecond)
	}
	// Past the cooldown, the probe goes through and closes the breaker.
	for {
		r, err := a.Call(ctx, "everything.echo", map[string]any{"message": "back"})
		if err == nil && strings.Contains(r.Value.(string), "back") {
			break
		}
		if !errors.As(err, &ce) || ce.Outcome != agent.OutcomeShortCircuited || time.Now().After(deadline) {
			t.Fatalf("after the restart: %+v, %v", r, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	for _, s := range a.Snapshot().Abilities {
		if s.Name == "everything.echo" && s.Breaker.State != breaker.Closed {
			t.Errorf("breaker %v after the probe, want closed", s.Breaker.State)
		}
	}
}
