package main

import (
	"bufio"
	"encoding/json"
	"io"
	"strings"
	"testing"
	"time"
)

// TestMCPStdioMalformed: on stdio, a line that is not JSON, or JSON that
// is not a JSON-RPC message, gets a JSON-RPC error (parse error -32700,
// invalid request -32600) and the session goes on: the requests after it
// are answered and `mcp` ends with status 0 at the end of its input.
func TestMCPStdioMalformed(t *testing.T) {
	in := strings.Join([]string{
		`this is not json`,
		`{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}`,
		`{"jsonrpc":"2.0","method":"notifications/initialized"}`,
		`{"id":5,"method":"ping"}`,
		`[]`,
		`{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"no_such_tool"}}`,
		`{"jsonrpc":"2.0","id":3,"method":"ping"}`,
	}, "\n") + "\n"
	m := runMCPStdio(t)
	inW, outR := m.in, m.out
	go func() { _, _ = io.WriteString(inW, in) }()
	// A missing answer would block the reading below: end the input.
	defer time.AfterFunc(time.Minute, func() { _ = inW.Close() }).Stop()
	type response struct {
		ID    any
		Error *struct {
			Code    int
			Message string
		}
		Result json.RawMessage
	}
	const answers = 6 // every line but the notification
	var got []response
	var out strings.Builder
	sc := bufio.NewScanner(outR)
	for len(got) < answers && sc.Scan() {
		out.WriteString(sc.Text() + "\n")
		var r response
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatalf("stdout line %q is not JSON: %v", sc.Text(), err)
		}
		got = append(got, r)
	}
	_ = inW.Close()
	go func() { _, _ = io.Copy(io.Discard, outR) }()
	m.ended(t)
	want := []struct {
		id   any
		code int
		text string
	}{
		{nil, -32700, "line 1 is not JSON"},
		{float64(1), 0, ""},
		{float64(5), -32600, "line 4"},
		{nil, -32600, "empty batch"},
		{float64(2), -32602, "unknown tool"},
		{float64(3), 0, ""},
	}
	if len(got) != len(want) {
		t.Fatalf("%d responses, want %d:\n%s", len(got), len(want), out.String())
	}
	// The guard's errors and the SDK's answers interleave: match, in any order.
	used := make([]bool, len(got))
	for _, w := range want {
		found := false
		for i, r := range got {
			if used[i] || r.ID != w.id {
				continue
			}
			ok := r.Error == nil
			if w.code != 0 {
				ok = r.Error != nil && r.Error.Code == w.code && strings.Contains(r.Error.Message, w.text)
			}
			if ok {
				used[i], found = true, true
				break
			}
		}
		if !found {
			t.Errorf("no response with id %v, code %d, %q in:\n%s", w.id, w.code, w.text, out.String())
		}
	}
}
