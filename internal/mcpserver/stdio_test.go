package mcpserver

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"strings"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
)

// guard runs a lineGuard over in and returns what it passed on and what
// it answered.
func guard(in string, max int) (passed, answered string) {
	pr, pw := io.Pipe()
	var out bytes.Buffer
	g := &lineGuard{r: bufio.NewReaderSize(strings.NewReader(in), 16), max: max, pass: pw, out: &out}
	done := make(chan []byte)
	go func() {
		data, _ := io.ReadAll(pr)
		done <- data
	}()
	g.run()
	return string(<-done), out.String()
}

// TestLineGuardTooLong: a line over the limit is refused with an invalid
// request error and the lines after it still pass.
func TestLineGuardTooLong(t *testing.T) {
	ok := `{"jsonrpc":"2.0","id":1,"method":"ping"}`
	passed, answered := guard(strings.Repeat("x", 200)+"\n"+ok+"\n", 100)
	if passed != ok+"\n" {
		t.Errorf("passed %q, want %q", passed, ok)
	}
	if !strings.Contains(answered, `"code":-32600`) || !strings.Contains(answered, "line 1 is more than 100 bytes") {
		t.Errorf("answered %q", answered)
	}
	// The last line needs no newline.
	if passed, _ := guard(ok, 100); passed != ok+"\n" {
		t.Errorf("a last line without newline: passed %q", passed)
	}
}

// FuzzLineGuard: whatever the input, every line passed on is a JSON-RPC
// message or batch the SDK decodes, and every answer is a JSON-RPC error
// response.
func FuzzLineGuard(f *testing.F) {
	for _, s := range []string{
		`{"jsonrpc":"2.0","id":1,"method":"ping"}`, "not json", `[]`, `[{"jsonrpc":"2.0","method":"x"}]`,
		`{"jsonrpc":"2.0","id":{"a":1},"method":"ping"}`, `{"jsonrpc":"1.0","id":"x"}`, "\n\n\r\n", `{"id":1}` + "\n" + `[1,2`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		passed, answered := guard(in, 64)
		for line := range strings.Lines(passed) {
			line = strings.TrimSuffix(line, "\n")
			if err := decodes([]byte(line)); err != nil {
				t.Fatalf("passed %q: %v", line, err)
			}
			if len(line) > 64 {
				t.Fatalf("passed a line of %d bytes, over the limit", len(line))
			}
		}
		for line := range strings.Lines(answered) {
			msg, err := jsonrpc.DecodeMessage([]byte(strings.TrimSuffix(line, "\n")))
			var v map[string]any
			if jerr := json.Unmarshal([]byte(line), &v); jerr != nil || v["error"] == nil {
				t.Fatalf("answered %q: not an error response (%v %v %v)", line, msg, err, jerr)
			}
		}
	})
}
