package agent

import "context"

// callerKey is the context key of WithCaller.
type callerKey struct{}

// WithCaller returns a copy of ctx that says who makes the calls made
// with it: a client of a server (an MCP client's name and session, say).
// The agent only reports it, in the result events' Caller, so that a
// dashboard can show whose calls it sees.
func WithCaller(ctx context.Context, caller string) context.Context {
	return context.WithValue(ctx, callerKey{}, caller)
}

// Caller returns the caller that ctx carries (WithCaller), or "".
func Caller(ctx context.Context) string {
	s, _ := ctx.Value(callerKey{}).(string)
	return s
}
