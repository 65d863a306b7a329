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

// fileSettings is a breakers.Settings whose file appears when created.
type fileSettings struct{ file string }

func (s *fileSettings) Values(string, []string) (map[string]string, error) { return nil, nil }
func (s *fileSettings) Apply(string, map[string]string) error              { return nil }
func (s *fileSettings) Unsaved() bool                                      { return false }
func (s *fileSettings) File() string                                       { return s.file }
func (s *fileSettings) Write() error                                       { return nil }
func (s *fileSettings) CreatePath() string                                 { return "/work/agentdash.yaml" }
func (s *fileSettings) Create() error                                      { s.file = s.CreatePath(); return nil }

// TestReloadKeyFollowsTheFile: without a file, f5 is off; once the
// settings form creates one, the next frame turns it on.
func TestReloadKeyFollowsTheFile(t *testing.T) {
	a := panetest.NewAgent(t, panetest.NewClock(panetest.Epoch), 0)
	st := &fileSettings{}
	reloads := 0
	m := New(Config{Agent: control.NewLocal(a, "local dashboard"), NoColor: true, Settings: st, Reload: func() { reloads++ }})
	t.Cleanup(m.Close)
	m.Update(tea.WindowSizeMsg{Width: 120, Height: 60})
	if _, cmd := m.Update(tea.KeyMsg{Type: tea.KeyF5}); cmd != nil {
		cmd()
	}
	if reloads != 0 || m.keys.Reload.Enabled() {
		t.Fatalf("without a file: f5 enabled %v, %d reloads", m.keys.Reload.Enabled(), reloads)
	}
	if err := st.Create(); err != nil {
		t.Fatal(err)
	}
	m.frame()
	_, cmd := m.Update(tea.KeyMsg{Type: tea.KeyF5})
	if cmd == nil {
		t.Fatal("f5 does nothing after the file was created")
	}
	cmd()
	if reloads != 1 {
		t.Fatalf("%d reloads after f5 with a created file, want 1", reloads)
	}
}
