package abilities

import (
	"strings"
	"testing"
	"time"

	"github.com/agentdash/agentdash/internal/agent"
)

// TestCallsFromClientsShowTheirCaller: calls made by a server's clients
// join the history with who made them, a refused one with its outcome; a
// caller's control characters are made harmless; events without a caller
// (the dashboard's own calls) and transitions are not added.
func TestCallsFromClientsShowTheirCaller(t *testing.T) {
	m, _ := newTest(t)
	send(t, m, CallsMsg{Events: []agent.Event{
		{Kind: agent.EventResult, Ability: "echo", Outcome: agent.OutcomeSuccess, Latency: 3 * time.Millisecond, Caller: "claude-code 3f2a9c1b"},
		{Kind: agent.EventResult, Ability: "echo", Outcome: agent.OutcomeSuccess, Latency: time.Millisecond},
		{Kind: agent.EventTransition, Ability: "echo"},
		{Kind: agent.EventResult, Ability: "echo", Outcome: agent.OutcomeShortCircuited, Err: "circuit open", Caller: "evil\x1b[2Jclient 77aa01bc"},
	}})
	if len(m.history) != 2 {
		t.Fatalf("history has %d records, want the 2 calls with a caller", len(m.history))
	}
	v := m.View()
	_, hist, ok := strings.Cut(v, "History")
	if !ok {
		t.Fatalf("no history in:\n%s", v)
	}
	for _, want := range []string{"#1 echo  ✓ success", "by claude-code 3f2a9c1b", "✗ short_circuited", "by evil␛[2Jclient 77aa01bc"} {
		if !strings.Contains(hist, want) {
			t.Errorf("history lacks %q:\n%s", want, hist)
		}
	}
	if strings.Contains(v, "\x1b[2J") {
		t.Error("a caller's escape sequence reached the view")
	}
	if strings.Index(hist, "#2") > strings.Index(hist, "#1") {
		t.Errorf("history not newest first:\n%s", hist)
	}
}
