package dashboard

import (
	"strings"
	"testing"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/agentdash/agentdash/internal/control"
	"github.com/agentdash/agentdash/ui/pane"
	"github.com/agentdash/agentdash/ui/pane/panetest"
)

// TestReloadKey: with Config.Reload, f5 calls it (off the event loop, in
// the command it returns) and the help lists it; without, f5 does nothing.
func TestReloadKey(t *testing.T) {
	clock := panetest.NewClock(panetest.Epoch)
	a := panetest.NewAgent(t, clock, 0)
	reloads := 0
	m := New(Config{Agent: control.NewLocal(a, "local dashboard"), NoColor: true, Reload: func() { reloads++ }})
	t.Cleanup(m.Close)
	m.Update(tea.WindowSizeMsg{Width: 120, Height: 60})
	m.Update(pane.SnapshotMsg{Snap: panetest.Snapshot(0)})
	_, cmd := m.Update(tea.KeyMsg{Type: tea.KeyF5})
	if cmd == nil || reloads != 0 {
		t.Fatalf("f5: command %v, %d reloads before it runs; want a command that reloads", cmd != nil, reloads)
	}
	cmd()
	if reloads != 1 {
		t.Fatalf("%d reloads after f5's command, want 1", reloads)
	}
	send(t, m, panetest.Key("?"))
	if !strings.Contains(m.View(), "reload config") {
		t.Error("the help does not list f5")
	}

	plain, _, _ := newTest(t, 120, 60, 0)
	if _, cmd := plain.Update(tea.KeyMsg{Type: tea.KeyF5}); cmd != nil {
		if msg := cmd(); msg != nil {
			t.Errorf("f5 without Reload: %#v", msg)
		}
	}
	send(t, plain, panetest.Key("?"))
	if strings.Contains(plain.View(), "reload config") {
		t.Error("the help lists f5 without Reload")
	}
}
