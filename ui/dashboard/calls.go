package dashboard

import (
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/agentdash/agentdash/internal/agent"
	"github.com/agentdash/agentdash/internal/control"
	"github.com/agentdash/agentdash/ui/abilities"
)

// callsEvery is how often the calls of a server's clients reach the
// Abilities pane: batched, so that heavy traffic costs the UI loop at most
// ten messages a second.
const callsEvery = 100 * time.Millisecond

// maxCallsBatch bounds a batch: the history shows no more.
const maxCallsBatch = 50

// forwardCalls sends the result events of b that name a caller to the
// Abilities pane (abilities.CallsMsg) through send, in batches, until stop
// is called; stop waits for its goroutine to end. b is the agent here or
// in another process (an attached dashboard): the events come the same.
func forwardCalls(b control.Backend, send func(tea.Msg)) (stop func()) {
	events, unsubscribe := b.Calls(1024)
	done := make(chan struct{})
	go func() {
		defer close(done)
		tick := time.NewTicker(callsEvery)
		defer tick.Stop()
		var batch []agent.Event
		for {
			select {
			case ev, ok := <-events:
				if !ok {
					return
				}
				if ev.Kind != agent.EventResult || ev.Caller == "" {
					continue
				}
				if len(batch) == maxCallsBatch {
					batch = append(batch[:0], batch[1:]...)
				}
				batch = append(batch, ev)
			case <-tick.C:
				if len(batch) > 0 {
					send(abilities.CallsMsg{Events: batch})
					batch = nil
				}
			}
		}
	}()
	return func() {
		unsubscribe()
		<-done
	}
}
