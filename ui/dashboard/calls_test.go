package dashboard

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/agentdash/agentdash/internal/agent"
	"github.com/agentdash/agentdash/internal/control"
	"github.com/agentdash/agentdash/ui/abilities"
	"github.com/agentdash/agentdash/ui/pane"
	"github.com/agentdash/agentdash/ui/pane/panetest"
)

// TestForwardCallsBatchesCallersOnly: the calls that name a caller reach
// the pane in a batch; the others (the dashboard's own) do not.
func TestForwardCallsBatchesCallersOnly(t *testing.T) {
	a, err := agent.New(agent.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	if err := a.Register(agent.Ability{Name: "one", Func: func(context.Context, map[string]any) (any, error) { return 1, nil }}); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var got []agent.Event
	stop := forwardCalls(control.NewLocal(a, "test"), func(msg tea.Msg) {
		mu.Lock()
		defer mu.Unlock()
		got = append(got, msg.(abilities.CallsMsg).Events...)
	})
	defer stop()
	_, _ = a.Call(context.Background(), "one", nil)
	_, _ = a.Call(agent.WithCaller(context.Background(), "cursor 0a1b2c3d"), "one", nil)
	deadline := time.Now().Add(30 * time.Second)
	for {
		mu.Lock()
		n := len(got)
		mu.Unlock()
		if n > 0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	time.Sleep(3 * callsEvery) // a wrongly forwarded event would have come by now
	mu.Lock()
	defer mu.Unlock()
	if len(got) != 1 || got[0].Caller != "cursor 0a1b2c3d" {
		t.Fatalf("forwarded %+v, want the one call with a caller", got)
	}
}

// TestHeaderShowsMCPAndClientCalls: with an MCP server beside it, the
// header names its URL, and a client's call reaches the Abilities history
// through the root model with who made it.
func TestHeaderShowsMCPAndClientCalls(t *testing.T) {
	clock := panetest.NewClock(panetest.Epoch)
	a := panetest.NewAgent(t, clock, 0)
	m := New(Config{Agent: control.NewLocal(a, "test"), NoColor: true, MCPAddr: "http://127.0.0.1:8765/mcp", Callers: true})
	t.Cleanup(m.Close)
	m.Update(tea.WindowSizeMsg{Width: 140, Height: 40})
	m.Update(pane.SnapshotMsg{Snap: panetest.Snapshot(0)})
	send(t, m, abilities.CallsMsg{Events: []agent.Event{{Kind: agent.EventResult, Ability: "echo",
		Outcome: agent.OutcomeSuccess, Latency: time.Millisecond, Caller: "claude-code 3f2a9c1b"}}})
	v := m.View()
	if head := strings.SplitN(v, "\n", 2)[0]; !strings.Contains(head, "mcp http://127.0.0.1:8765/mcp") {
		t.Errorf("header %q lacks the MCP URL", head)
	}
	if !strings.Contains(v, "#1 echo  ✓ success 1ms  by claude-code") {
		t.Errorf("the client's call is not in the view:\n%s", v)
	}
}
