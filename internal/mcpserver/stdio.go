package mcpserver

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sync"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// DefaultMaxRequestBytes bounds one JSON-RPC message from a client, on
// stdio (one line) and over HTTP (one request body, answered 413): room
// for arguments of DefaultMaxArgBytes and more, so that those get the
// clearer tool error.
const DefaultMaxRequestBytes = 4 << 20

// StdioTransport returns the transport of a session over r and w (a
// process's stdin and stdout), one JSON-RPC message a line as MCP's stdio
// transport has it. Unlike the SDK's, which ends the session at the first
// line that is not a JSON-RPC message, it answers such a line with a
// JSON-RPC error (parse error, invalid request; a line of more than
// maxLine bytes is refused unread) and goes on. maxLine <= 0 means
// DefaultMaxRequestBytes.
//
// The SDK has no hook for this, hence the filter: it checks each line with
// the SDK's own decoder (jsonrpc.DecodeMessage) and passes it on
// unchanged. Its goroutine ends when r ends or the session closes and the
// next line arrives; like the SDK's own reader of stdin, it cannot
// interrupt a read that blocks.
func StdioTransport(r io.Reader, w io.Writer, maxLine int) mcp.Transport {
	if maxLine <= 0 {
		maxLine = DefaultMaxRequestBytes
	}
	pr, pw := io.Pipe()
	out := &syncWriter{w: w}
	g := &lineGuard{r: bufio.NewReaderSize(r, 64<<10), max: maxLine, pass: pw, out: out}
	go g.run()
	return &mcp.IOTransport{Reader: pr, Writer: out}
}

// syncWriter serializes the SDK's messages and the guard's errors: each
// Write is one whole line.
type syncWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}

func (s *syncWriter) Close() error { return nil } // stdout outlives the session

type lineGuard struct {
	r    *bufio.Reader
	max  int
	pass *io.PipeWriter
	out  io.Writer
	buf  []byte
}

func (g *lineGuard) run() {
	for n := 1; ; n++ {
		line, tooLong, err := g.readLine()
		if perr := g.check(n, line, tooLong); perr != nil {
			_ = g.pass.CloseWithError(perr)
			return
		}
		if err != nil {
			_ = g.pass.CloseWithError(err) // io.EOF: the client closed stdin
			return
		}
	}
}

// readLine reads one line, keeping at most max bytes of it.
func (g *lineGuard) readLine() (line []byte, tooLong bool, err error) {
	g.buf = g.buf[:0]
	for {
		chunk, err := g.r.ReadSlice('\n')
		if len(g.buf)+len(chunk) > g.max {
			tooLong = true
		} else if !tooLong {
			g.buf = append(g.buf, chunk...)
		}
		if !errors.Is(err, bufio.ErrBufferFull) {
			return g.buf, tooLong, err
		}
	}
}

// check passes line n on to the SDK if it is a JSON-RPC message or batch,
// and answers it with an error otherwise. A non-nil result is the SDK's
// end of the pipe closing: the session is over.
func (g *lineGuard) check(n int, line []byte, tooLong bool) error {
	if tooLong {
		return g.reply(nil, jsonrpc.CodeInvalidRequest, fmt.Sprintf("Invalid Request: line %d is more than %d bytes; send less data", n, g.max))
	}
	t := bytes.TrimSpace(line)
	if len(t) == 0 {
		return nil
	}
	if msgErr := decodes(t); msgErr != nil {
		var probe struct {
			ID any `json:"id"`
		}
		if err := json.Unmarshal(t, &probe); err != nil && !json.Valid(t) {
			return g.reply(nil, jsonrpc.CodeParseError, fmt.Sprintf("Parse error: line %d is not JSON: %v", n, err))
		}
		switch probe.ID.(type) {
		case string, float64:
		default:
			probe.ID = nil
		}
		return g.reply(probe.ID, jsonrpc.CodeInvalidRequest, fmt.Sprintf("Invalid Request: line %d: %v", n, msgErr))
	}
	_, err := g.pass.Write(append(t, '\n'))
	return err
}

// decodes reports why data is neither a JSON-RPC message nor a non-empty
// batch of them, or nil.
func decodes(data []byte) error {
	if data[0] != '[' {
		_, err := jsonrpc.DecodeMessage(data)
		return err
	}
	var batch []json.RawMessage
	if err := json.Unmarshal(data, &batch); err != nil {
		return err
	}
	if len(batch) == 0 {
		return errors.New("empty batch")
	}
	for _, m := range batch {
		if _, err := jsonrpc.DecodeMessage(m); err != nil {
			return err
		}
	}
	return nil
}

// reply writes a JSON-RPC error response with id (nil: null, as for a
// message whose id cannot be read).
func (g *lineGuard) reply(id any, code int64, msg string) error {
	resp := struct {
		JSONRPC string `json:"jsonrpc"`
		ID      any    `json:"id"`
		Error   struct {
			Code    int64  `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
	}{JSONRPC: "2.0", ID: id}
	resp.Error.Code, resp.Error.Message = code, msg
	data, err := json.Marshal(resp)
	if err != nil {
		return err
	}
	_, err = g.out.Write(append(data, '\n'))
	return err
}
