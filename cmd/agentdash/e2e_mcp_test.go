//go:build unix

package main

import (
	"context"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// TestDashboardMCPHTTP runs `agentdash --mcp-http` in tmux: an MCP client's
// call shows in the Abilities history with the client's name and session;
// the breaker tripped in the Breakers pane makes the client's next call a
// tool error saying the circuit is open.
func TestDashboardMCPHTTP(t *testing.T) {
	needTmux(t)
	dir := t.TempDir()
	bin := buildAgentdash(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0") // a free port, for the command line
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	_ = ln.Close()
	const script = `NO_COLOR=1 TERM=xterm-256color GORACE="log_path=$1/race" "$0" --mcp-http "$2"; echo EXIT=$?; sleep 60`
	term := startTmuxScript(t, t.TempDir(), script, bin, dir, addr)
	term.waitFor("the dashboard", onScreen("[1 Abilities]", "uppercase", "mcp http://"+addr+"/mcp"))

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	client := mcp.NewClient(&mcp.Implementation{Name: "e2e-agent", Version: "v1"}, nil)
	cs, err := client.Connect(ctx, &mcp.StreamableClientTransport{Endpoint: "http://" + addr + "/mcp"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer cs.Close()
	upper := &mcp.CallToolParams{Name: "uppercase", Arguments: map[string]any{"text": "orfeas"}}
	res, err := cs.CallTool(ctx, upper)
	if err != nil || res.IsError {
		t.Fatalf("uppercase: %v %+v", err, res)
	}
	session := "by e2e-agent " + cs.ID()[:8]
	term.waitFor("the client's call in the history", onScreen("History", session), onScreenRE(`uppercase\s+✓ success`))

	term.keys("2")
	term.waitFor("the Breakers pane", onScreen("[2 Breakers]", "STATE"))
	term.filter("uppercase", onScreen("enter apply filter"))
	term.waitFor("uppercase selected", onScreenRE(`(?m)▸ uppercase\s+\S+ closed\b`))
	term.keys("t")
	term.waitFor("the trip confirmation", onScreen(`Trip breaker "uppercase"?`))
	term.keys("y")
	term.waitFor("uppercase forced open", onScreenRE(`(?m)▸ uppercase\s+\S+ FORCED-OPEN\b`))

	res, err = cs.CallTool(ctx, upper)
	if err != nil {
		t.Fatalf("uppercase with its breaker open: protocol error %v, want a tool result", err)
	}
	if text := res.Content[0].(*mcp.TextContent).Text; !res.IsError || !strings.Contains(text, "circuit breaker is open") || !strings.Contains(text, "forced open") {
		t.Errorf("uppercase with its breaker open: isError %v, %q", res.IsError, text)
	}
	term.keys("1")
	term.waitFor("the refused call in the history", onScreen(session), onScreenRE(`uppercase\s+✗ short_circuited`))

	term.keys("q")
	if screen := term.waitFor("the exit", onScreen("EXIT=")); !strings.Contains(screen, "EXIT=0") {
		t.Errorf("agentdash exited with a non-zero status:\n%s", term.scrollback())
	}
	checkRaceReports(t, filepath.Clean(dir))
}
