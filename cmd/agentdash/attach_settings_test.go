package main

import (
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/exp/teatest"

	"github.com/agentdash/agentdash/internal/agent"
	"github.com/agentdash/agentdash/internal/control"
	"github.com/agentdash/agentdash/ui/dashboard"
	"github.com/agentdash/agentdash/ui/pane/panetest"
)

// attachTo serves a's control API as startControl does for a process of
// live configuration lc, and returns a client of it.
func attachTo(t *testing.T, a *agent.Agent, lc *liveConfig, opts control.ClientOptions) *control.Client {
	t.Helper()
	xdg := shortXDG(t)
	env := newEnvironment(nil, strings.NewReader(""), io.Discard, io.Discard, func(k string) string {
		if k == "XDG_RUNTIME_DIR" {
			return xdg
		}
		return ""
	})
	stop, err := startControl(env, &controlFlags{}, a, controlEndpoint{command: "serve", transport: "metrics -", live: lc}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(stop)
	list, err := control.List(control.DefaultDir(env.getenv))
	if err != nil || len(list) != 1 {
		t.Fatalf("control.List = %v, %v", list, err)
	}
	if opts.Retry == 0 {
		opts.Retry = 50 * time.Millisecond
	}
	c, err := control.Dial(t.Context(), control.Target{Socket: list[0].Socket}, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c
}

// TestAttachedSettingsForm: the Breakers pane's settings form of an
// attached dashboard edits the agent's configuration over the socket: an
// apply changes the agent's settings (recorded as made by the attach), a
// wrong value is shown at its field and changes nothing, and w writes the
// agent's file.
func TestAttachedSettingsForm(t *testing.T) {
	dir := chdir(t)
	path := filepath.Join(dir, "agentdash.yaml")
	if err := os.WriteFile(path, []byte(liveFile), 0o640); err != nil {
		t.Fatal(err)
	}
	a, lc := liveAgent(t, path)
	if _, err := lc.watch(); err != nil {
		t.Fatal(err)
	}
	c := attachTo(t, a, lc, control.ClientOptions{Actor: "attach pid 7"})
	sub := a.SubscribeTo(16, agent.EventAction)
	defer sub.Close()

	m := dashboard.New(dashboard.Config{Agent: c, Settings: c.Settings(), Reload: func() {}, NoColor: true})
	t.Cleanup(m.Close)
	tm := teatest.NewTestModel(t, m, teatest.WithInitialTermSize(140, 45))
	var seen strings.Builder
	waitFor := func(what string) {
		t.Helper()
		teatest.WaitFor(t, tm.Output(), func(b []byte) bool {
			seen.Write(b)
			return strings.Contains(seen.String(), what)
		}, teatest.WithDuration(20*time.Second), teatest.WithCheckInterval(10*time.Millisecond))
		seen.Reset()
	}
	waitFor("1 Abilities")
	tm.Send(panetest.Key("2"))
	tm.Send(panetest.Key("e"))
	// The ability the pane selected: its name in the form's title.
	var name string
	re := regexp.MustCompile(`Settings of (\w+) in `)
	teatest.WaitFor(t, tm.Output(), func(b []byte) bool {
		seen.Write(b)
		if mm := re.FindStringSubmatch(seen.String()); mm != nil {
			name = mm[1]
		}
		return name != ""
	}, teatest.WithDuration(20*time.Second), teatest.WithCheckInterval(10*time.Millisecond))
	seen.Reset()
	tm.Send(panetest.Key("ctrl+u")) // the first field: timeout
	for _, msg := range panetest.Type("7s") {
		tm.Send(msg)
	}
	tm.Send(panetest.Key("enter"))
	waitFor(name + ": settings applied; w writes")
	if in := info(t, a, name); in.Timeout != 7*time.Second {
		t.Fatalf("%s in the agent: timeout %v after the attached apply, want 7s", name, in.Timeout)
	}
	if !lc.Unsaved() {
		t.Error("the agent's configuration is not unsaved after the apply")
	}
	if ev := <-sub.C(); ev.Action != "settings timeout=7s" || ev.Ability != name || !strings.HasPrefix(ev.Actor, "attach pid 7 (") {
		t.Errorf("action %+v, want settings timeout=7s on %s by the attach", ev, name)
	}

	tm.Send(panetest.Key("e"))
	waitFor("Settings of " + name)
	tm.Send(panetest.Key("ctrl+u"))
	for _, msg := range panetest.Type("soon") {
		tm.Send(msg)
	}
	tm.Send(panetest.Key("enter"))
	waitFor("✗ timeout: ")
	if in := info(t, a, name); in.Timeout != 7*time.Second {
		t.Fatalf("a refused value changed the agent: timeout %v", in.Timeout)
	}
	tm.Send(panetest.Key("esc"))
	tm.Send(panetest.Key("w"))
	waitFor("settings written to ")
	if b, _ := os.ReadFile(path); !strings.Contains(string(b), "timeout: 7s") {
		t.Errorf("the agent's file after w:\n%s", b)
	}
	tm.Send(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune{'q'}})
	tm.WaitFinished(t, teatest.WithFinalTimeout(10*time.Second))
}
