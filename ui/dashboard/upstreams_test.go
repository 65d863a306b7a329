package dashboard

import (
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/agentdash/agentdash/internal/control"
	"github.com/agentdash/agentdash/internal/upstream"
	"github.com/agentdash/agentdash/ui/pane"
	"github.com/agentdash/agentdash/ui/pane/panetest"
)

// TestUpstreams: with Config.Upstreams, the header counts the MCP servers
// up and u shows each one's state, restarts, last error and last stderr
// lines; u closes it. Without, the header says nothing of them and u does
// nothing.
func TestUpstreams(t *testing.T) {
	clock := panetest.NewClock(panetest.Epoch)
	a := panetest.NewAgent(t, clock, 0)
	st := []upstream.Status{
		{Name: "everything", Transport: "stdio", State: upstream.Connected, Since: time.Now(), Tools: 11, Restarts: 1,
			Stderr: []string{"line 1", "line 2", "starting", "Secure MCP server running on stdio"}},
		{Name: "remote", Transport: "http", State: upstream.Failed, Since: time.Now(), Restarts: 4,
			LastError: "connect: connection refused (retrying in 3.2s)"},
	}
	m := New(Config{Agent: control.NewLocal(a, "test"), NoColor: true, Upstreams: func() []upstream.Status { return st }})
	t.Cleanup(m.Close)
	m.Update(tea.WindowSizeMsg{Width: 160, Height: 50})
	m.Update(pane.SnapshotMsg{Snap: panetest.Snapshot(0)})
	send(t, m, panetest.Key("?"))
	if !strings.Contains(m.View(), "mcp servers") {
		t.Error("the help does not list u")
	}
	send(t, m, panetest.Key("?"))
	view := m.View()
	if !strings.Contains(view, "mcp 1/2 up") {
		t.Errorf("the header does not count the servers up:\n%s", view)
	}
	send(t, m, panetest.Key("u"))
	view = m.View()
	for _, want := range []string{"MCP servers", "everything stdio  connected", "11 tools · 1 restarts",
		"remote http  failed", "4 restarts", "last error: connect: connection refused (retrying in 3.2s)",
		"stderr: Secure MCP server running on stdio", "stderr: starting", "stderr: line 2"} {
		if !strings.Contains(view, want) {
			t.Errorf("the overlay lacks %q:\n%s", want, view)
		}
	}
	if strings.Contains(view, "stderr: line 1") {
		t.Error("the overlay shows more than the last 3 stderr lines")
	}
	send(t, m, panetest.Key("u"))
	if strings.Contains(m.View(), "last error:") {
		t.Error("u does not close the overlay")
	}

	plain, _, _ := newTest(t, 160, 50, 0)
	send(t, plain, panetest.Key("u"))
	if v := plain.View(); strings.Contains(v, "MCP servers") || strings.Contains(v, "mcp ") {
		t.Errorf("without Upstreams: %s", v)
	}
}
