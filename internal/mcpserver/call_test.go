//lint:file-ignore SA1019 the abilities' log messages (a deprecated but current MCP feature) are tested.

package mcpserver_test

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/agentdash/agentdash/internal/agent"
	"github.com/agentdash/agentdash/internal/mcpserver"
)

// agentWith returns a fixture whose agent has only the given abilities.
func agentWith(t *testing.T, abs ...agent.Ability) *fixture {
	t.Helper()
	a, err := agent.New(agent.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(a.Close)
	for _, ab := range abs {
		if err := a.Register(ab); err != nil {
			t.Fatal(err)
		}
	}
	return &fixture{agent: a}
}

func returns(name string, v any) agent.Ability {
	return agent.Ability{Name: name, Description: "Returns a fixed value.",
		Func: func(context.Context, map[string]any) (any, error) { return v, nil }}
}

// TestContentPassesThrough: an ability's MCP content (one item, a list,
// or a whole result) reaches the client as it is.
func TestContentPassesThrough(t *testing.T) {
	png := []byte{0x89, 'P', 'N', 'G'}
	image := &mcp.ImageContent{Data: png, MIMEType: "image/png"}
	resource := &mcp.EmbeddedResource{Resource: &mcp.ResourceContents{URI: "test://r", MIMEType: "text/plain", Text: "body"}}
	whole := &mcp.CallToolResult{Content: []mcp.Content{&mcp.TextContent{Text: "hi"}}, StructuredContent: map[string]any{"k": "v"}}
	f := agentWith(t,
		returns("image", image),
		returns("mixed", []mcp.Content{&mcp.TextContent{Text: "t"}, image, resource}),
		returns("audio", &mcp.AudioContent{Data: []byte("RIFF"), MIMEType: "audio/wav"}),
		returns("whole", whole))
	s := connect(t, newServer(t, f, mcpserver.Options{}).MCP())

	if res := call(t, s, "image", nil); len(res.Content) != 1 {
		t.Errorf("image: %+v", res.Content)
	} else if c, ok := res.Content[0].(*mcp.ImageContent); !ok || string(c.Data) != string(png) || c.MIMEType != "image/png" {
		t.Errorf("image: %#v", res.Content[0])
	}
	res := call(t, s, "mixed", nil)
	var kinds []string
	for _, c := range res.Content {
		data, _ := json.Marshal(c)
		var w struct{ Type string }
		_ = json.Unmarshal(data, &w)
		kinds = append(kinds, w.Type)
	}
	if strings.Join(kinds, ",") != "text,image,resource" {
		t.Errorf("mixed: content types %v", kinds)
	}
	if res := call(t, s, "audio", nil); len(res.Content) != 1 {
		t.Errorf("audio: %+v", res.Content)
	} else if c, ok := res.Content[0].(*mcp.AudioContent); !ok || c.MIMEType != "audio/wav" {
		t.Errorf("audio: %#v", res.Content[0])
	}
	res = call(t, s, "whole", nil)
	if res.IsError || text(t, res) != "hi" {
		t.Errorf("whole: %+v", res)
	}
	if data, _ := json.Marshal(res.StructuredContent); string(data) != `{"k":"v"}` {
		t.Errorf("whole: structuredContent %s", data)
	}
}

// TestAbilityLogsToItsClient: an ability's log messages (Log) reach the
// client that called it, at the level that client set (this SDK's client
// speaks protocol 2026-07-28, where the level comes with each request);
// outside a tools/call Log says there is no client.
func TestAbilityLogsToItsClient(t *testing.T) {
	f := agentWith(t, agent.Ability{Name: "chatty", Description: "Logs while it runs.",
		Func: func(ctx context.Context, _ map[string]any) (any, error) {
			for i, level := range []mcp.LoggingLevel{"debug", "info", "warning"} {
				if err := mcpserver.Log(ctx, &mcp.LoggingMessageParams{Level: level, Logger: "chatty", Data: i}); err != nil {
					return nil, err
				}
			}
			return "done", nil
		}})
	s := connect(t, newServer(t, f, mcpserver.Options{}).MCP())
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	p := &mcp.CallToolParams{Name: "chatty", Meta: mcp.Meta{mcp.MetaKeyLogLevel: "info"}}
	if res, err := s.cs.CallTool(ctx, p); err != nil || res.IsError {
		t.Fatalf("chatty: %v %+v", err, res)
	}
	waitUntil(t, "two log messages", func() bool { return len(s.logged()) >= 2 })
	time.Sleep(50 * time.Millisecond) // a third, below the level, would have arrived by now
	var got []string
	for _, m := range s.logged() {
		got = append(got, string(m.Level))
	}
	if strings.Join(got, ",") != "info,warning" {
		t.Errorf("log levels %v, want info,warning (the client set info)", got)
	}
	if err := mcpserver.Log(context.Background(), &mcp.LoggingMessageParams{Level: "error", Data: "x"}); !errors.Is(err, mcpserver.ErrNoClient) {
		t.Errorf("Log outside a call: %v, want ErrNoClient", err)
	}
}

// TestAbilityProgressReplacesHeartbeat: an ability's own progress reaches
// the client with the call's token, and once it reports, the server's
// heartbeat stops, so the values keep increasing.
func TestAbilityProgressReplacesHeartbeat(t *testing.T) {
	f := agentWith(t, agent.Ability{Name: "steps", Description: "Reports its steps.",
		Func: func(ctx context.Context, _ map[string]any) (any, error) {
			time.Sleep(30 * time.Millisecond) // the heartbeat runs meanwhile
			for _, p := range []float64{1000, 2000, 3000} {
				if err := mcpserver.Progress(ctx, &mcp.ProgressNotificationParams{Progress: p, Total: 3000, Message: "step"}); err != nil {
					return nil, err
				}
				time.Sleep(30 * time.Millisecond)
			}
			return "done", nil
		}})
	s := connect(t, newServer(t, f, mcpserver.Options{Heartbeat: time.Millisecond}).MCP())
	p := &mcp.CallToolParams{Name: "steps"}
	p.SetProgressToken("tok-7")
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	if res, err := s.cs.CallTool(ctx, p); err != nil || res.IsError {
		t.Fatalf("steps: %v %+v", err, res)
	}
	waitUntil(t, "the three steps", func() bool {
		s.mu.Lock()
		defer s.mu.Unlock()
		n := 0
		for _, q := range s.progress {
			if q.Message == "step" {
				n++
			}
		}
		return n == 3
	})
	s.mu.Lock()
	defer s.mu.Unlock()
	own := false
	for i, q := range s.progress {
		if q.ProgressToken != "tok-7" {
			t.Errorf("notification %d: token %v", i, q.ProgressToken)
		}
		if i > 0 && q.Progress <= s.progress[i-1].Progress {
			t.Errorf("progress does not increase: %v after %v", q.Progress, s.progress[i-1].Progress)
		}
		if q.Message == "step" {
			own = true
		} else if own {
			t.Errorf("notification %d: a heartbeat (%q) after the ability's own progress", i, q.Message)
		}
	}
	if err := mcpserver.Progress(context.Background(), &mcp.ProgressNotificationParams{Progress: 1}); !errors.Is(err, mcpserver.ErrNoClient) {
		t.Errorf("Progress outside a call: %v, want ErrNoClient", err)
	}
}

// TestInputSchemaOption: Options.InputSchema's schema is listed verbatim,
// with keywords the agent's schemas lack; nil falls back on the ability's.
func TestInputSchemaOption(t *testing.T) {
	raw := `{"$schema":"https://json-schema.org/draft/2020-12/schema","type":"object","$defs":{"a":{"type":"string"}},"properties":{"x":{"$ref":"#/$defs/a"}},"additionalProperties":false}`
	f := agentWith(t, returns("custom", "c"), returns("plain", "p"))
	srv := newServer(t, f, mcpserver.Options{InputSchema: func(name string) json.RawMessage {
		if name == "custom" {
			return json.RawMessage(raw)
		}
		return nil
	}})
	s := connect(t, srv.MCP())
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	res, err := s.cs.ListTools(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, tool := range res.Tools {
		data, _ := json.Marshal(tool.InputSchema)
		switch tool.Name {
		case "custom":
			if !jsonEqual(t, data, []byte(raw)) {
				t.Errorf("custom: inputSchema %s, want %s", data, raw)
			}
		case "plain":
			if string(data) != `{"type":"object"}` {
				t.Errorf("plain: inputSchema %s", data)
			}
		}
	}
}

// TestCallsNameTheirClient: a call's result event carries the client's
// name (from initialize), for the dashboard.
func TestCallsNameTheirClient(t *testing.T) {
	f := agentWith(t, returns("one", "1"))
	s := connect(t, newServer(t, f, mcpserver.Options{}).MCP())
	sub := f.agent.Subscribe(8)
	defer sub.Close()
	call(t, s, "one", nil)
	select {
	case ev := <-sub.C():
		if ev.Caller != "test" { // the pipe transport has no session ID
			t.Errorf("Caller %q, want the client's name %q", ev.Caller, "test")
		}
	case <-time.After(wait):
		t.Fatal("no event")
	}
}

func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(wait)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestCallerNameBounded: a client's name, its own text kept with every
// call's event, is cut to 64 bytes.
func TestCallerNameBounded(t *testing.T) {
	f := agentWith(t, returns("one", "1"))
	srv := newServer(t, f, mcpserver.Options{})
	ctx := context.Background()
	cp, sp := net.Pipe()
	ss, err := srv.MCP().Connect(ctx, &mcp.IOTransport{Reader: sp, Writer: sp}, nil)
	if err != nil {
		t.Fatal(err)
	}
	long := strings.Repeat("é", 100)
	cs, err := mcp.NewClient(&mcp.Implementation{Name: long}, nil).Connect(ctx, &mcp.IOTransport{Reader: cp, Writer: cp}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = cp.Close(); _ = cs.Close(); _ = ss.Wait() }()
	sub := f.agent.Subscribe(8)
	defer sub.Close()
	if _, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: "one"}); err != nil {
		t.Fatal(err)
	}
	ev := <-sub.C()
	if ev.Caller != strings.Repeat("é", 32) {
		t.Errorf("Caller %q (%d bytes), want the name cut to 64 bytes", ev.Caller, len(ev.Caller))
	}
}
