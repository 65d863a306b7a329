//lint:file-ignore SA1019 MCP logging is deprecated from protocol 2026-07-28 but is how clients of the earlier versions, most of them today, see a tool's messages.

package mcpserver

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// ErrNoClient is returned by Log and Progress for a context that is not
// the one of a tools/call this package serves (a call from the dashboard,
// say), and by Progress when the client asked for no progress.
var ErrNoClient = errors.New("no MCP client asked for this")

// callKey is the context key of the tools/call an ability runs for.
type callKey struct{}

// call is what an ability's context carries of the tools/call it serves:
// the client's session and the call's progress token.
type call struct {
	ss  *mcp.ServerSession
	tok any // nil: the client asked for no progress

	mu  sync.Mutex // serializes the progress notifications
	own bool       // the ability reports progress itself: no heartbeat from then on, under mu
}

func withCall(ctx context.Context, c *call) context.Context {
	return context.WithValue(ctx, callKey{}, c)
}

func callOf(ctx context.Context) *call {
	c, _ := ctx.Value(callKey{}).(*call)
	return c
}

// Log sends p to the MCP client whose tools/call ctx belongs to, if that
// client set a logging level at or below p's (the SDK's rule): an
// ability uses it to tell the model what it does while it runs. It
// returns ErrNoClient when ctx is not a tools/call's.
func Log(ctx context.Context, p *mcp.LoggingMessageParams) error {
	c := callOf(ctx)
	if c == nil {
		return ErrNoClient
	}
	return c.ss.Log(ctx, p)
}

// Progress reports the progress of the tools/call ctx belongs to, with the
// call's progress token (p.ProgressToken is set here). From the first
// report on, the server's own heartbeat stops, so that the values the
// client sees are the ability's, increasing as the protocol requires. It
// returns ErrNoClient when ctx is not a tools/call's or the client asked
// for no progress.
func Progress(ctx context.Context, p *mcp.ProgressNotificationParams) error {
	c := callOf(ctx)
	if c == nil || c.tok == nil {
		return ErrNoClient
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.own = true
	q := *p
	q.ProgressToken = c.tok
	return c.ss.NotifyProgress(ctx, &q)
}

// heartbeat reports progress on the call's token every interval until
// stop is called (which waits for the reporting goroutine to end) or the
// ability reports progress itself.
func (s *Server) heartbeat(ctx context.Context, c *call, name string) (stop func()) {
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	start := time.Now()
	go func() {
		defer close(done)
		tick := time.NewTicker(s.opts.Heartbeat)
		defer tick.Stop()
		for n := 1; ; n++ {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
			if !s.beat(ctx, c, name, float64(n), start) {
				return
			}
		}
	}()
	return func() {
		cancel()
		<-done
	}
}

// beat sends one heartbeat unless the ability now reports progress
// itself, and says whether to go on.
func (s *Server) beat(ctx context.Context, c *call, name string, n float64, start time.Time) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.own {
		return false
	}
	msg := fmt.Sprintf("%s running for %s", name, time.Since(start).Round(time.Second))
	if err := c.ss.NotifyProgress(ctx, &mcp.ProgressNotificationParams{ProgressToken: c.tok, Progress: n, Message: msg}); err != nil && ctx.Err() == nil {
		s.log.Debug("progress notification failed", "tool", name, "error", err)
	}
	return true
}

// maxClientName bounds the client's name in a caller, in bytes.
const maxClientName = 64

// callerOf names the client of a session for the dashboard: its name
// (from initialize) and the first 8 characters of the session's ID, which
// tell two sessions of the same client apart (stdio has no ID: one
// session per process).
func callerOf(ss *mcp.ServerSession) string {
	name := "mcp-client"
	if p := ss.InitializeParams(); p != nil && p.ClientInfo != nil && p.ClientInfo.Name != "" {
		name = p.ClientInfo.Name
	}
	if len(name) > maxClientName { // the client's own text, kept with every call's event
		name = strings.ToValidUTF8(name[:maxClientName], "")
	}
	id := ss.ID()
	if len(id) > 8 {
		id = id[:8]
	}
	if id == "" {
		return name
	}
	return name + " " + id
}
