//lint:file-ignore SA1019 MCP logging is deprecated from protocol 2026-07-28 but is how clients of the earlier versions, most of them today, see server events.

package mcpserver

import (
	"context"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/agentdash/agentdash/internal/agent"
	"github.com/agentdash/agentdash/internal/breaker"
)

// Watch sends the agent's breaker transitions to every connected client as
// log messages (MCP's logging capability), until ctx ends or the agent is
// closed. A client receives only messages at or above the level it set
// with logging/setLevel, and none before it sets one (the SDK's rule).
// Run calls Watch itself; a caller serving HTTP runs it beside the
// handler.
func (s *Server) Watch(ctx context.Context) {
	sub := s.agent.SubscribeTo(0, agent.EventTransition) // only these: calls then build no result event
	defer sub.Close()
	for {
		select {
		case <-ctx.Done():
			return
		case ev, ok := <-sub.C():
			if !ok {
				return
			}
			if ev.Kind != agent.EventTransition {
				continue
			}
			s.log.Info("breaker " + ev.Transition.String())
			s.broadcast(ctx, transitionMessage(ev.Transition))
		}
	}
}

// broadcast sends p to every session, each bounded by logSendTimeout.
func (s *Server) broadcast(ctx context.Context, p *mcp.LoggingMessageParams) {
	for ss := range s.srv.Sessions() {
		sctx, cancel := context.WithTimeout(ctx, logSendTimeout)
		if err := ss.Log(sctx, p); err != nil && ctx.Err() == nil {
			s.log.Debug("log message not sent", "session", ss.ID(), "error", err)
		}
		cancel()
	}
}

// transitionMessage is the log message of a breaker transition: a warning
// when calls start to be refused, a notice when probes are let through,
// info when the breaker closes.
func transitionMessage(t breaker.Transition) *mcp.LoggingMessageParams {
	level := mcp.LoggingLevel("info")
	switch t.To {
	case breaker.Open, breaker.ForcedOpen:
		level = "warning"
	case breaker.HalfOpen:
		level = "notice"
	}
	return &mcp.LoggingMessageParams{
		Level:  level,
		Logger: "agentdash.breaker",
		Data: map[string]any{
			"event":   "breaker_transition",
			"tool":    t.Name,
			"from":    t.From.String(),
			"to":      t.To.String(),
			"reason":  string(t.Reason),
			"detail":  t.Detail,
			"at":      t.At,
			"message": "breaker " + t.String(),
		},
	}
}

// Reloaded tells every connected client that the configuration was
// applied again (err nil: info, the tools may have changed) or that a new
// version of it was refused (err: error, the previous one still serves),
// at the level each client set. trigger says what started the reload
// ("file", "signal", "key").
func (s *Server) Reloaded(ctx context.Context, trigger string, err error) {
	p := &mcp.LoggingMessageParams{Level: "info", Logger: "agentdash.config",
		Data: map[string]any{"event": "config_reload", "trigger": trigger, "ok": true,
			"message": "configuration reloaded (" + trigger + ")"}}
	if err != nil {
		p.Level = "error"
		p.Data = map[string]any{"event": "config_reload", "trigger": trigger, "ok": false, "error": err.Error(),
			"message": "configuration reload failed (" + trigger + "), the previous one still serves: " + err.Error()}
	}
	s.broadcast(ctx, p)
}
