package mcpserver

import (
	"context"
	"net/http"
	"strconv"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// requestHeader carries, from CancelOnDisconnect to the tool handler, the
// key of the HTTP request a call came in. Any value a client sends is
// replaced.
const requestHeader = "X-Agentdash-Request"

// CancelOnDisconnect wraps the SDK's Streamable HTTP handler so that a
// call's context ends when the HTTP request that carries it ends first:
// the client went away (its process died, its connection dropped), and
// the result could no longer reach it. The SDK does so itself only for
// clients of protocol 2026-07-28 and later; for the others a call would
// run on to its timeout. With no event store there is no resuming of a
// stream, so a call whose request is gone is lost anyway.
//
// The SDK hands a tool handler the request's headers but not its context,
// hence the header: a key the handler looks the request's context up by.
func (s *Server) CancelOnDisconnect(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			r.Header.Del(requestHeader)
			next.ServeHTTP(w, r)
			return
		}
		key := strconv.FormatUint(s.reqSeq.Add(1), 36)
		r.Header.Set(requestHeader, key)
		s.reqs.Store(key, r.Context())
		defer s.reqs.Delete(key)
		next.ServeHTTP(w, r)
	})
}

// tieToRequest returns ctx, ended too when the HTTP request that carried
// req ends (CancelOnDisconnect), and the function that releases it.
func (s *Server) tieToRequest(ctx context.Context, req *mcp.CallToolRequest) (context.Context, func()) {
	if req.Extra == nil || req.Extra.Header == nil {
		return ctx, func() {}
	}
	v, ok := s.reqs.Load(req.Extra.Header.Get(requestHeader))
	if !ok {
		return ctx, func() {}
	}
	ctx, cancel := context.WithCancel(ctx)
	stop := context.AfterFunc(v.(context.Context), cancel)
	return ctx, func() {
		stop()
		cancel()
	}
}
