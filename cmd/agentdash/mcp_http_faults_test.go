package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"
	"go.uber.org/goleak"

	"github.com/agentdash/agentdash/internal/agent"
	"github.com/agentdash/agentdash/internal/mcpserver"
)

// httpFixture is `mcp --http`'s handler in a test server over an agent
// with "echo" and "block" (runs until its context ends).
type httpFixture struct {
	url     string
	srv     *mcpserver.Server
	started chan struct{}
	ended   chan error
}

func newHTTPFixture(t *testing.T, idle time.Duration) *httpFixture {
	t.Helper()
	a, err := agent.New(agent.Options{})
	if err != nil {
		t.Fatal(err)
	}
	f := &httpFixture{started: make(chan struct{}, 1), ended: make(chan error, 1)}
	for _, ab := range []agent.Ability{
		{Name: "echo", Description: "Echoes its arguments.",
			Func: func(_ context.Context, args map[string]any) (any, error) { return args, nil }},
		{Name: "block", Description: "Runs until canceled.", Timeout: time.Hour,
			Func: func(ctx context.Context, _ map[string]any) (any, error) {
				f.started <- struct{}{}
				<-ctx.Done()
				f.ended <- ctx.Err()
				return nil, ctx.Err()
			}},
	} {
		if err := a.Register(ab); err != nil {
			t.Fatal(err)
		}
	}
	if f.srv, err = mcpserver.New(a, mcpserver.Options{}); err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(mcpHandler(f.srv, "", idle))
	f.url = hs.URL + "/mcp"
	t.Cleanup(func() {
		a.Close() // first: it ends the calls that closing a session waits for
		for ss := range f.srv.MCP().Sessions() {
			_ = ss.Close()
		}
		hs.Close()
	})
	return f
}

func (f *httpFixture) sessions() int {
	n := 0
	for range f.srv.MCP().Sessions() {
		n++
	}
	return n
}

// post sends body to url as a client of the Streamable HTTP transport
// would (session sid if not ""), and returns the status, the session ID
// the server gave and the body.
func post(t *testing.T, url, sid, body string) (int, string, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	if sid != "" {
		req.Header.Set("Mcp-Session-Id", sid)
		req.Header.Set("Mcp-Protocol-Version", "2025-06-18")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header.Get("Mcp-Session-Id"), string(data)
}

const initialize = `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"raw","version":"1"}}}`

// openSession initializes a session with raw requests and returns its ID.
func openSession(t *testing.T, url string) string {
	t.Helper()
	code, sid, body := post(t, url, "", initialize)
	if code != http.StatusOK || sid == "" {
		t.Fatalf("initialize: %d %q %s", code, sid, body)
	}
	if code, _, body := post(t, url, sid, `{"jsonrpc":"2.0","method":"notifications/initialized"}`); code != http.StatusAccepted {
		t.Fatalf("initialized: %d %s", code, body)
	}
	return sid
}

// TestMCPHTTPBadInput: over HTTP, a body that is not JSON is refused with
// 400, a body over the request limit with 413, arguments over the
// argument limit get a tool error, an unknown tool a protocol error; the
// session still answers after each.
func TestMCPHTTPBadInput(t *testing.T) {
	f := newHTTPFixture(t, mcpIdleSession)
	sid := openSession(t, f.url)
	ping := `{"jsonrpc":"2.0","id":9,"method":"ping"}`
	alive := func(after string) {
		t.Helper()
		if code, _, body := post(t, f.url, sid, ping); code != http.StatusOK || !strings.Contains(body, `"id":9`) {
			t.Errorf("after %s, ping: %d %s", after, code, body)
		}
	}
	if code, _, body := post(t, f.url, sid, `{"jsonrpc":"2.0","id":2,"method":`); code != http.StatusBadRequest {
		t.Errorf("malformed JSON: %d %s, want 400", code, body)
	}
	alive("malformed JSON")

	big := strings.Repeat("x", mcpserver.DefaultMaxRequestBytes)
	code, _, body := post(t, f.url, sid, `{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"echo","arguments":{"s":"`+big+`"}}}`)
	if code != http.StatusRequestEntityTooLarge {
		t.Errorf("a body over %d bytes: %d %.200s, want 413", mcpserver.DefaultMaxRequestBytes, code, body)
	}
	alive("a body too large")

	args := strings.Repeat("y", mcpserver.DefaultMaxArgBytes)
	code, _, body = post(t, f.url, sid, `{"jsonrpc":"2.0","id":4,"method":"tools/call","params":{"name":"echo","arguments":{"s":"`+args+`"}}}`)
	if code != http.StatusOK || !strings.Contains(body, `"isError":true`) || !strings.Contains(body, fmt.Sprintf("more than the limit of %d", mcpserver.DefaultMaxArgBytes)) {
		t.Errorf("arguments over the limit: %d %.300s, want a tool error", code, body)
	}
	alive("arguments too large")

	code, _, body = post(t, f.url, sid, `{"jsonrpc":"2.0","id":5,"method":"tools/call","params":{"name":"no_such_tool"}}`)
	if code != http.StatusOK || !strings.Contains(body, `"code":-32602`) || !strings.Contains(body, "unknown tool") {
		t.Errorf("unknown tool: %d %s, want a -32602 error", code, body)
	}
	alive("an unknown tool")
}

// noLeaks fails t if, once its cleanups (the fixture's) have run, a
// goroutine that was not there at the call is left.
func noLeaks(t *testing.T) {
	ignore := goleak.IgnoreCurrent()
	t.Cleanup(func() { goleak.VerifyNone(t, ignore) }) // the first cleanup runs last
}

// countingDialer remembers the connections it made, for a test to cut
// them as a client that dies would.
type countingDialer struct {
	mu    sync.Mutex
	conns []net.Conn
}

func (d *countingDialer) dial(ctx context.Context, network, addr string) (net.Conn, error) {
	c, err := (&net.Dialer{}).DialContext(ctx, network, addr)
	if err == nil {
		d.mu.Lock()
		d.conns = append(d.conns, c)
		d.mu.Unlock()
	}
	return c, err
}

func (d *countingDialer) cut() {
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, c := range d.conns {
		_ = c.Close()
	}
}

// TestMCPHTTPDisconnectMidCall: a client whose connections drop while a
// call runs (its process died) has the call's context canceled, and once
// the session is gone no goroutine is left behind.
func TestMCPHTTPDisconnectMidCall(t *testing.T) {
	noLeaks(t)
	f := newHTTPFixture(t, mcpIdleSession)
	d := &countingDialer{}
	tr := &http.Transport{DialContext: d.dial}
	defer tr.CloseIdleConnections()
	client := mcp.NewClient(&mcp.Implementation{Name: "doomed"}, nil)
	cs, err := client.Connect(context.Background(), &mcp.StreamableClientTransport{Endpoint: f.url, HTTPClient: &http.Client{Transport: tr}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	errc := make(chan error, 1)
	go func() {
		_, err := cs.CallTool(context.Background(), &mcp.CallToolParams{Name: "block"})
		errc <- err
	}()
	select {
	case <-f.started:
	case <-time.After(time.Minute):
		t.Fatal("block never started")
	}
	d.cut()
	select {
	case err := <-f.ended:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("the call's context ended with %v, want canceled", err)
		}
	case <-time.After(time.Minute):
		t.Fatal("the dropped connection never canceled the call")
	}
	_ = cs.Close()
	<-errc
	for ss := range f.srv.MCP().Sessions() {
		_ = ss.Close()
	}
}

// TestMCPHTTPSessionsDropped: 100 sessions opened (each with its stream of
// server messages) and dropped, half ended properly (DELETE), half just
// abandoned, leave no session and no goroutine behind once idle sessions
// expire, and the server still answers a new one.
func TestMCPHTTPSessionsDropped(t *testing.T) {
	noLeaks(t)
	f := newHTTPFixture(t, 300*time.Millisecond)
	tr := &http.Transport{}
	defer tr.CloseIdleConnections()
	hc := &http.Client{Transport: tr}
	for i := range 100 {
		sid := openSession(t, f.url)
		// The stream of server messages (GET), opened, then dropped.
		ctx, cancel := context.WithCancel(context.Background())
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, f.url, nil)
		req.Header.Set("Accept", "text/event-stream")
		req.Header.Set("Mcp-Session-Id", sid)
		req.Header.Set("Mcp-Protocol-Version", "2025-06-18")
		resp, err := hc.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("session %d: GET %d", i, resp.StatusCode)
		}
		cancel()
		_ = resp.Body.Close()
		if i%2 == 0 {
			req, _ := http.NewRequest(http.MethodDelete, f.url, nil)
			req.Header.Set("Mcp-Session-Id", sid)
			req.Header.Set("Mcp-Protocol-Version", "2025-06-18")
			if resp, err := hc.Do(req); err != nil {
				t.Fatal(err)
			} else {
				_ = resp.Body.Close()
			}
		}
	}
	deadline := time.Now().Add(time.Minute)
	for f.sessions() > 0 {
		if time.Now().After(deadline) {
			t.Fatalf("%d sessions left a minute after all were dropped", f.sessions())
		}
		time.Sleep(20 * time.Millisecond)
	}
	cs, err := mcp.NewClient(&mcp.Implementation{Name: "after"}, nil).Connect(context.Background(),
		&mcp.StreamableClientTransport{Endpoint: f.url, HTTPClient: hc}, nil)
	if err != nil {
		t.Fatal(err)
	}
	res, err := cs.CallTool(context.Background(), &mcp.CallToolParams{Name: "echo", Arguments: map[string]any{"n": 1}})
	if err != nil || res.IsError {
		t.Fatalf("a call after 100 dropped sessions: %v %+v", err, res)
	}
	data, _ := json.Marshal(res.StructuredContent)
	if string(data) != `{"n":1}` {
		t.Errorf("echo: %s", data)
	}
	_ = cs.Close()
}
