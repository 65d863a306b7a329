package chooser

import (
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/ansi"

	"github.com/agentdash/agentdash/internal/control"
	"github.com/agentdash/agentdash/ui/pane/panetest"
	"github.com/agentdash/agentdash/ui/theme"
)

var now = time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)

func processes() []control.Info {
	return []control.Info{
		{Name: "demo", PID: 4242, Started: now.Add(-90 * time.Second), Command: "serve", Transport: "metrics 127.0.0.1:9464"},
		{Name: "cursor-tools", PID: 777, Started: now.Add(-2 * time.Hour), Command: "mcp", Transport: "stdio"},
		{Name: "demo", PID: 4343, Started: now.Add(-5 * time.Second), Command: "dashboard", Transport: "terminal"},
	}
}

func send(m *Model, msgs ...tea.Msg) tea.Cmd {
	var cmd tea.Cmd
	for _, msg := range msgs {
		_, cmd = m.Update(msg)
	}
	return cmd
}

func isQuit(cmd tea.Cmd) bool {
	if cmd == nil {
		return false
	}
	_, ok := cmd().(tea.QuitMsg)
	return ok
}

// TestChooserView: a row per process with its name, PID, uptime, command
// and transport, the first selected, and the keys.
func TestChooserView(t *testing.T) {
	m := New(processes(), theme.Ascii(), now)
	v := ansi.Strip(m.View())
	for _, want := range []string{"3 agentdash processes are running; attach to which?", "NAME", "PID", "UPTIME", "COMMAND", "TRANSPORT",
		"demo", "4242", "1m30s", "serve", "metrics 127.0.0.1:9464", "cursor-tools", "777", "2h", "mcp", "stdio",
		"4343", "dashboard", "terminal", "enter attach", "q/esc leave"} {
		if !strings.Contains(v, want) {
			t.Errorf("view lacks %q:\n%s", want, v)
		}
	}
}

// TestChooserChooses: the arrows move the selection, enter chooses the
// selected process and quits; the view is then blank.
func TestChooserChooses(t *testing.T) {
	for _, tc := range []struct {
		name string
		keys []string
		pid  int
	}{
		{"first", nil, 4242},
		{"down", []string{"down"}, 777},
		{"down twice, j past the end", []string{"down", "j", "j"}, 4343},
		{"down and up", []string{"down", "down", "up"}, 777},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := New(processes(), theme.Ascii(), now)
			for _, k := range tc.keys {
				send(m, panetest.Key(k))
			}
			if cmd := send(m, panetest.Key("enter")); !isQuit(cmd) {
				t.Fatal("enter does not quit")
			}
			got, ok := m.Chosen()
			if !ok || got.PID != tc.pid {
				t.Fatalf("chosen %+v %v, want pid %d", got, ok, tc.pid)
			}
			if m.View() != "" {
				t.Errorf("view after the choice: %q", m.View())
			}
		})
	}
}

// TestChooserLeaves: q, esc and ctrl+c quit without a choice.
func TestChooserLeaves(t *testing.T) {
	for _, k := range []string{"q", "esc", "ctrl+c"} {
		m := New(processes(), theme.Ascii(), now)
		send(m, panetest.Key("down"))
		if cmd := send(m, panetest.Key(k)); !isQuit(cmd) {
			t.Fatalf("%s does not quit", k)
		}
		if got, ok := m.Chosen(); ok {
			t.Fatalf("%s chose %+v", k, got)
		}
	}
}
