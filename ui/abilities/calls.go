package abilities

import (
	"github.com/charmbracelet/x/ansi"

	"github.com/agentdash/agentdash/internal/agent"
	"github.com/agentdash/agentdash/ui/pane"
)

// CallsMsg carries calls made outside the dashboard by the clients of a
// server in the same process (an MCP client of `--mcp-http`): the agent's
// result events that name their caller (agent.WithCaller). They join the
// history with their caller; events without one are the dashboard's own
// calls, already there, and are ignored.
type CallsMsg struct{ Events []agent.Event }

// maxCallerWidth bounds the caller shown: a client names itself.
const maxCallerWidth = 40

func (m *Model) addCalls(evs []agent.Event) {
	for _, ev := range evs {
		if ev.Kind != agent.EventResult || ev.Caller == "" {
			continue
		}
		m.seq++
		m.push(&record{
			seq: m.seq, ability: ev.Ability, outcome: ev.Outcome.String(), latency: pane.Duration(ev.Latency),
			cached: ev.Cached, shared: ev.Shared, err: ev.Err,
			// The name is the client's own: made safe for the terminal.
			caller: ansi.Truncate(displayText(ev.Caller), maxCallerWidth, "…"),
		})
	}
}
