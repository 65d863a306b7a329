// Package panetest has helpers for testing dashboard panes: key messages,
// running commands to completion, a fixed clock, a test agent and a
// deterministic snapshot for golden tests.
package panetest

import (
	"reflect"
	"sync"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
)

// Key returns the key message for a key name as key.Binding spells it:
// "enter", "esc", "tab", "shift+tab", "up", "down", "ctrl+c", "ctrl+j",
// "alt+enter", or literal text ("t", "R", "{}").
func Key(s string) tea.KeyMsg {
	switch s {
	case "enter":
		return tea.KeyMsg{Type: tea.KeyEnter}
	case "alt+enter":
		return tea.KeyMsg{Type: tea.KeyEnter, Alt: true}
	case "esc":
		return tea.KeyMsg{Type: tea.KeyEsc}
	case "tab":
		return tea.KeyMsg{Type: tea.KeyTab}
	case "shift+tab":
		return tea.KeyMsg{Type: tea.KeyShiftTab}
	case "up":
		return tea.KeyMsg{Type: tea.KeyUp}
	case "down":
		return tea.KeyMsg{Type: tea.KeyDown}
	case "pgdown":
		return tea.KeyMsg{Type: tea.KeyPgDown}
	case "pgup":
		return tea.KeyMsg{Type: tea.KeyPgUp}
	case "backspace":
		return tea.KeyMsg{Type: tea.KeyBackspace}
	case "ctrl+c":
		return tea.KeyMsg{Type: tea.KeyCtrlC}
	case "ctrl+j":
		return tea.KeyMsg{Type: tea.KeyCtrlJ}
	case "ctrl+r":
		return tea.KeyMsg{Type: tea.KeyCtrlR}
	case "ctrl+u":
		return tea.KeyMsg{Type: tea.KeyCtrlU}
	case "ctrl+k":
		return tea.KeyMsg{Type: tea.KeyCtrlK}
	case " ":
		return tea.KeyMsg{Type: tea.KeySpace, Runes: []rune{' '}}
	}
	return tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune(s)}
}

// Type returns one key message per rune of s, as if typed.
func Type(s string) []tea.Msg {
	msgs := make([]tea.Msg, 0, len(s))
	for _, r := range s {
		if r == '\n' {
			msgs = append(msgs, tea.KeyMsg{Type: tea.KeyCtrlJ})
			continue
		}
		msgs = append(msgs, Key(string(r)))
	}
	return msgs
}

// Updater is a pane or model reduced to its Update method.
type Updater func(tea.Msg) tea.Cmd

// Send delivers msgs in order, running every returned command to
// completion and feeding its messages back (see Run). It returns all
// messages the commands produced.
func Send(t testing.TB, update Updater, msgs ...tea.Msg) []tea.Msg {
	t.Helper()
	var out []tea.Msg
	for _, msg := range msgs {
		out = append(out, Run(t, update, update(msg))...)
	}
	return out
}

// cmdTimeout bounds one command. The panes under test start no timers
// (cursors do not blink), so a command that takes this long is a bug.
const cmdTimeout = 10 * time.Second

// Run executes cmd and every command produced by feeding its messages back
// to update, breadth first, and returns the messages (tea.BatchMsg is
// expanded, tea.QuitMsg is returned but not fed back). It fails the test if
// a command does not finish within 10 s or more than 1000 messages flow.
func Run(t testing.TB, update Updater, cmd tea.Cmd) []tea.Msg {
	t.Helper()
	var out []tea.Msg
	queue := []tea.Cmd{cmd}
	for len(queue) > 0 {
		c := queue[0]
		queue = queue[1:]
		if c == nil {
			continue
		}
		msg := runOne(t, c)
		switch msg := msg.(type) {
		case nil:
			continue
		case tea.BatchMsg:
			queue = append(queue, msg...)
			continue
		case tea.QuitMsg:
			out = append(out, msg)
			continue
		}
		if isSequence(msg) {
			// tea.Sequence: run the inner commands in order.
			v := reflect.ValueOf(msg)
			for i := range v.Len() {
				queue = append(queue, v.Index(i).Interface().(tea.Cmd))
			}
			continue
		}
		out = append(out, msg)
		if len(out) > 1000 {
			t.Fatal("panetest.Run: more than 1000 messages; a command loop never settles")
		}
		queue = append(queue, update(msg))
	}
	return out
}

func isSequence(msg tea.Msg) bool {
	v := reflect.ValueOf(msg)
	return v.Kind() == reflect.Slice && v.Type().Elem() == reflect.TypeOf(tea.Cmd(nil))
}

func runOne(t testing.TB, c tea.Cmd) tea.Msg {
	t.Helper()
	done := make(chan tea.Msg, 1)
	go func() { done <- c() }()
	select {
	case msg := <-done:
		return msg
	case <-time.After(cmdTimeout):
		t.Fatalf("panetest.Run: command did not finish within %v", cmdTimeout)
		return nil
	}
}

// Clock is a manual clock for agents and breakers. It is safe for
// concurrent use.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// NewClock returns a clock reading t.
func NewClock(t time.Time) *Clock { return &Clock{t: t} }

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Advance moves the clock forward by d.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// Epoch is the fixed start time of test clocks.
var Epoch = time.Date(2025, 3, 14, 9, 26, 53, 0, time.UTC)
