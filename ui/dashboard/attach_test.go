package dashboard

import (
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/exp/teatest"

	"github.com/agentdash/agentdash/internal/agent"
	"github.com/agentdash/agentdash/internal/breaker"
	"github.com/agentdash/agentdash/internal/control"
	"github.com/agentdash/agentdash/internal/upstream"
	"github.com/agentdash/agentdash/ui/abilities"
	"github.com/agentdash/agentdash/ui/pane/panetest"
)

// TestAttachedProgram: the same dashboard on an agent of another process
// (a control.Client over its socket): a call and a trip made in the
// panes happen in that agent; when it goes away the header says so; and
// quitting leaves the agent as it was.
func TestAttachedProgram(t *testing.T) {
	base, err := os.MkdirTemp("", "dash")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(base) })
	dir := filepath.Join(base, "agentdash")
	a := panetest.NewAgent(t, panetest.NewClock(panetest.Epoch), 0)
	srv := control.NewServer(control.ServerOptions{Agent: a, Info: control.Info{Name: "testagent", PID: 1, Command: "serve"}})
	ep, err := control.Listen(srv, control.ListenOptions{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(ep.Close)
	c, err := control.Dial(t.Context(), control.Target{Socket: ep.Info().Socket}, control.ClientOptions{Actor: "attach", Retry: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	sub := a.SubscribeTo(8, agent.EventAction)
	defer sub.Close()

	m := New(Config{Agent: c, NoColor: true})
	t.Cleanup(m.Close)
	tm := teatest.NewTestModel(t, m, teatest.WithInitialTermSize(120, 40))
	waitFor := func(what string) {
		t.Helper()
		teatest.WaitFor(t, tm.Output(), func(b []byte) bool { return strings.Contains(string(b), what) },
			teatest.WithDuration(20*time.Second), teatest.WithCheckInterval(10*time.Millisecond))
	}
	waitFor("1 Abilities")
	tm.Send(panetest.Key("enter")) // call echo, in the agent
	waitFor("#1")
	tm.Send(panetest.Key("2"))
	tm.Send(panetest.Key("t"))
	waitFor("Trip breaker")
	tm.Send(panetest.Key("y"))
	waitFor("FORCED-OPEN") // from the stream
	if st := a.Snapshot().Abilities[0]; st.Calls != 1 || st.Breaker.State != breaker.ForcedOpen {
		t.Errorf("echo in the agent: %d calls, breaker %v", st.Calls, st.Breaker.State)
	}
	if ev := <-sub.C(); ev.Action != "trip" || !strings.HasPrefix(ev.Actor, "attach (") {
		t.Errorf("action event %+v, want a trip by attach", ev)
	}
	ep.Close()
	waitFor("disconnected — retrying")
	tm.Send(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune{'q'}})
	tm.WaitFinished(t, teatest.WithFinalTimeout(10*time.Second))
	if st := a.Snapshot().Abilities[0]; st.Breaker.State != breaker.ForcedOpen {
		t.Errorf("quitting changed the agent's breaker: %v", st.Breaker.State)
	}
}

// TestAttachedCallsAndUpstreams: an attached dashboard lists the calls
// of the agent's MCP clients with who made them (from the stream, in
// batches), and counts the agent's upstream MCP servers in its header.
func TestAttachedCallsAndUpstreams(t *testing.T) {
	base, err := os.MkdirTemp("", "dash")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(base) })
	a := panetest.NewAgent(t, panetest.NewClock(panetest.Epoch), 0)
	ups := []upstream.Status{{Name: "fs", Transport: "stdio", State: upstream.Connected, Tools: 2},
		{Name: "web", Transport: "http", State: upstream.Failed, LastError: "connection refused"}}
	srv := control.NewServer(control.ServerOptions{Agent: a, Info: control.Info{Name: "testagent", PID: 1, Command: "mcp"},
		Upstreams: func() []upstream.Status { return ups }})
	ep, err := control.Listen(srv, control.ListenOptions{Dir: filepath.Join(base, "agentdash")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(ep.Close)
	c, err := control.Dial(t.Context(), control.Target{Socket: ep.Info().Socket}, control.ClientOptions{Callers: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)

	var mu sync.Mutex
	var got []agent.Event
	stop := forwardCalls(c, func(msg tea.Msg) {
		mu.Lock()
		defer mu.Unlock()
		got = append(got, msg.(abilities.CallsMsg).Events...)
	})
	defer stop()
	// The stream subscribes before its first frame: calls before it are
	// not the viewer's.
	deadline := time.Now().Add(30 * time.Second)
	for c.Frames() == 0 {
		if time.Now().After(deadline) {
			t.Fatal("no frame from the agent")
		}
		time.Sleep(10 * time.Millisecond)
	}
	_, _ = a.Call(t.Context(), "echo", nil)
	_, _ = a.Call(agent.WithCaller(t.Context(), "claude-code 5e6f7a8b"), "echo", nil)
	deadline = time.Now().Add(30 * time.Second)
	for {
		mu.Lock()
		n := len(got)
		mu.Unlock()
		if n > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no call of a client reached the pane from the attached agent")
		}
		time.Sleep(10 * time.Millisecond)
	}
	mu.Lock()
	if got[0].Caller != "claude-code 5e6f7a8b" || got[0].Ability != "echo" {
		t.Errorf("forwarded %+v, want the client's call", got[0])
	}
	mu.Unlock()

	m := New(Config{Agent: c, Upstreams: c.Upstreams, NoColor: true})
	t.Cleanup(m.Close)
	tm := teatest.NewTestModel(t, m, teatest.WithInitialTermSize(120, 40))
	teatest.WaitFor(t, tm.Output(), func(b []byte) bool { return strings.Contains(string(b), "mcp 1/2 up") },
		teatest.WithDuration(20*time.Second), teatest.WithCheckInterval(10*time.Millisecond))
	tm.Send(panetest.Key("u"))
	teatest.WaitFor(t, tm.Output(), func(b []byte) bool { return strings.Contains(string(b), "last error: connection refused") },
		teatest.WithDuration(20*time.Second), teatest.WithCheckInterval(10*time.Millisecond))
	tm.Send(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune{'q'}})
	tm.WaitFinished(t, teatest.WithFinalTimeout(10*time.Second))
}
