//lint:file-ignore SA1019 the reload log messages (MCP logging, deprecated but current) are tested.

package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime/debug"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// syncBuffer is a bytes.Buffer safe for a writer and a reader at once.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// mcpClientChecks lists the tools, calls one and sends it bad arguments.
func mcpClientChecks(t *testing.T, cs *mcp.ClientSession) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	tools, err := cs.ListTools(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, tool := range tools.Tools {
		names = append(names, tool.Name)
	}
	if !strings.Contains(strings.Join(names, ","), "uppercase") {
		t.Fatalf("tools %v lack uppercase", names)
	}
	res, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: "uppercase", Arguments: map[string]any{"text": "orfeas"}})
	if err != nil {
		t.Fatal(err)
	}
	if res.IsError || len(res.Content) != 1 || res.Content[0].(*mcp.TextContent).Text != "ORFEAS" {
		t.Errorf("uppercase: %+v", res)
	}
	res, err = cs.CallTool(ctx, &mcp.CallToolParams{Name: "uppercase", Arguments: map[string]any{"text": 7}})
	if err != nil {
		t.Fatalf("bad arguments: protocol error %v, want a tool result", err)
	}
	if !res.IsError || !strings.Contains(res.Content[0].(*mcp.TextContent).Text, "bad arguments") {
		t.Errorf("bad arguments: %+v", res)
	}
}

// mcpStdio is `agentdash mcp` run in this process on pipes: the test
// writes its stdin and reads its stdout.
type mcpStdio struct {
	in     *io.PipeWriter
	out    *io.PipeReader
	code   chan int
	stderr syncBuffer
}

// runMCPStdio starts `agentdash mcp --root TMP` on pipes.
func runMCPStdio(t *testing.T) *mcpStdio {
	t.Helper()
	inR, inW := io.Pipe()
	outR, outW := io.Pipe()
	m := &mcpStdio{in: inW, out: outR, code: make(chan int, 1)}
	go func() {
		c := run(context.Background(), []string{"mcp", "--root", t.TempDir()}, inR, outW, &m.stderr, func(string) string { return "" })
		_ = outW.Close()
		m.code <- c
	}()
	return m
}

// ended checks that the server ended with exit 0 once its stdin was
// closed.
func (m *mcpStdio) ended(t *testing.T) {
	t.Helper()
	select {
	case c := <-m.code:
		if c != exitOK {
			t.Errorf("exit %d, stderr: %s", c, m.stderr.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatal("mcp did not end at the end of its input")
	}
}

func TestMCPStdio(t *testing.T) {
	m := runMCPStdio(t)
	inW, outR, stderr := m.in, m.out, &m.stderr
	client := mcp.NewClient(&mcp.Implementation{Name: "test"}, nil)
	cs, err := client.Connect(context.Background(), &mcp.IOTransport{Reader: outR, Writer: inW}, nil)
	if err != nil {
		t.Fatal(err)
	}
	mcpClientChecks(t, cs)
	_ = cs.Close() // closes stdin: the server ends as at EOF
	m.ended(t)
	if !strings.Contains(stderr.String(), "serving") || !strings.Contains(stderr.String(), "stdio") {
		t.Errorf("stderr: %q", stderr.String())
	}
}

var servingRE = regexp.MustCompile(`serving MCP on (http://\S+/mcp)`)

// runMCPHTTP runs `agentdash mcp --http` with args and returns its URL
// and the channel of its exit status; canceling ctx stops it.
func runMCPHTTP(t *testing.T, ctx context.Context, getenv func(string) string, args ...string) (string, <-chan int, *syncBuffer) {
	t.Helper()
	stderr := &syncBuffer{}
	code := make(chan int, 1)
	go func() {
		code <- run(ctx, append([]string{"mcp", "--root", t.TempDir()}, args...), strings.NewReader(""), io.Discard, stderr, getenv)
	}()
	deadline := time.Now().Add(30 * time.Second)
	for {
		if m := servingRE.FindStringSubmatch(stderr.String()); m != nil {
			return m[1], code, stderr
		}
		select {
		case c := <-code:
			t.Fatalf("mcp exited %d: %s", c, stderr.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("mcp --http did not start: %s", stderr.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func stopMCP(t *testing.T, cancel context.CancelFunc, code <-chan int, stderr *syncBuffer) {
	t.Helper()
	cancel()
	select {
	case c := <-code:
		if c != exitOK {
			t.Errorf("exit %d after a stop, stderr: %s", c, stderr.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatal("mcp --http did not stop")
	}
}

func TestMCPHTTP(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	url, code, stderr := runMCPHTTP(t, ctx, func(string) string { return "" }, "--http", "127.0.0.1:0")
	client := mcp.NewClient(&mcp.Implementation{Name: "test"}, nil)
	cs, err := client.Connect(context.Background(), &mcp.StreamableClientTransport{Endpoint: url}, nil)
	if err != nil {
		t.Fatal(err)
	}
	mcpClientChecks(t, cs)
	_ = cs.Close()

	// DNS rebinding: a loopback request naming another host is refused.
	req, _ := http.NewRequest(http.MethodPost, url, strings.NewReader(`{"jsonrpc":"2.0","id":1,"method":"ping"}`))
	req.Host = "evil.example"
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("Host evil.example: status %d, want 403", resp.StatusCode)
	}
	stopMCP(t, cancel, code, stderr)
}

func TestMCPHTTPToken(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	getenv := func(k string) string {
		if k == tokenEnv {
			return "s3cret"
		}
		return ""
	}
	url, code, stderr := runMCPHTTP(t, ctx, getenv, "--http", "127.0.0.1:0")
	client := mcp.NewClient(&mcp.Implementation{Name: "test"}, nil)
	if _, err := client.Connect(context.Background(), &mcp.StreamableClientTransport{Endpoint: url}, nil); err == nil {
		t.Error("a client without the token connected")
	}
	hc := &http.Client{Transport: bearer{"s3cret"}}
	cs, err := client.Connect(context.Background(), &mcp.StreamableClientTransport{Endpoint: url, HTTPClient: hc}, nil)
	if err != nil {
		t.Fatalf("with the token: %v", err)
	}
	mcpClientChecks(t, cs)
	_ = cs.Close()
	stopMCP(t, cancel, code, stderr)
}

type bearer struct{ token string }

func (b bearer) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("Authorization", "Bearer "+b.token)
	return http.DefaultTransport.RoundTrip(r)
}

func TestMCPRefusals(t *testing.T) {
	dir := t.TempDir()
	open := filepath.Join(dir, "open-token")
	if err := os.WriteFile(open, []byte("tok\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(open, 0o644); err != nil { // whatever the umask
		t.Fatal(err)
	}
	tests := []struct {
		name string
		args []string
		want []string
	}{
		{"non-loopback without a token", []string{"--http", "0.0.0.0:0"}, []string{"not a loopback address", "--token-file", tokenEnv}},
		{"all interfaces without a token", []string{"--http", ":0"}, []string{"not a loopback address"}},
		{"token file others can read", []string{"--http", "0.0.0.0:0", "--token-file", open}, []string{"chmod 600"}},
		{"malformed address", []string{"--http", "nowhere"}, []string{"--http", "host:port"}},
		{"token file without http", []string{"--token-file", open}, []string{"--http only"}},
		// The dashboard's --mcp-http follows the same rules.
		{"dashboard: non-loopback without a token", []string{"--mcp-http", "0.0.0.0:0"}, []string{"--mcp-http 0.0.0.0:0 is not a loopback address", "--mcp-token-file"}},
		{"dashboard: token file others can read", []string{"--mcp-http", "0.0.0.0:0", "--mcp-token-file", open}, []string{"--mcp-token-file", "chmod 600"}},
		{"dashboard: token file without http", []string{"--mcp-token-file", open}, []string{"--mcp-http only"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := append([]string{"mcp", "--root", dir}, tt.args...)
			if strings.HasPrefix(tt.args[0], "--mcp-") {
				args = append([]string{"--root", dir}, tt.args...)
			}
			r := runCmd(t, "", args...)
			if r.code != exitUsage {
				t.Fatalf("exit %d, want %d; stderr %s", r.code, exitUsage, r.stderr)
			}
			r.wantOneLine(t, tt.want...)
		})
	}
}

func TestMCPLogFile(t *testing.T) {
	dir := t.TempDir()
	logPath := filepath.Join(dir, "mcp.log")
	r := runCmd(t, "", "mcp", "--root", dir, "--log", logPath) // empty input: the client left at once
	if r.code != exitOK || r.stderr != "" || r.stdout != "" {
		t.Fatalf("exit %d, stdout %q, stderr %q; want 0 and nothing on either", r.code, r.stdout, r.stderr)
	}
	data, err := os.ReadFile(logPath)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(data), "serving") {
		t.Errorf("log file: %q", data)
	}
}

// TestMCPReloadListsNewTools: with a configuration file, an ability the
// file gains is a new tool, and connected clients are told so.
func TestMCPReloadListsNewTools(t *testing.T) {
	if _, err := exec.LookPath("wc"); err != nil {
		t.Skip("needs wc on PATH")
	}
	path := filepath.Join(t.TempDir(), "agentdash.yaml")
	if err := os.WriteFile(path, []byte("demo: true\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	url, code, stderr := runMCPHTTP(t, ctx, func(string) string { return "" }, "--config", path, "--http", "127.0.0.1:0")
	changed := make(chan struct{}, 1)
	reloads := make(chan *mcp.LoggingMessageParams, 16)
	client := mcp.NewClient(&mcp.Implementation{Name: "test"}, &mcp.ClientOptions{
		ToolListChangedHandler: func(context.Context, *mcp.ToolListChangedRequest) {
			select {
			case changed <- struct{}{}:
			default:
			}
		},
		LoggingMessageHandler: func(_ context.Context, r *mcp.LoggingMessageRequest) {
			if r.Params.Logger == "agentdash.config" {
				select {
				case reloads <- r.Params:
				default:
				}
			}
		},
	})
	cs, err := client.Connect(context.Background(), &mcp.StreamableClientTransport{Endpoint: url}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer cs.Close()
	if err := cs.SetLoggingLevel(context.Background(), &mcp.SetLoggingLevelParams{Level: "info"}); err != nil {
		t.Fatal(err)
	}
	reloaded := func(level mcp.LoggingLevel, want string) {
		t.Helper()
		timeout := time.After(30 * time.Second)
		for { // an editor's write can be two reloads: skip the other level's
			select {
			case m := <-reloads:
				if m.Level != level {
					continue
				}
				if data, _ := json.Marshal(m.Data); !strings.Contains(string(data), want) {
					t.Errorf("reload message %s %s, want %s", m.Level, data, want)
				}
				return
			case <-timeout:
				t.Fatalf("no %s reload message; stderr: %s", level, stderr.String())
			}
		}
	}
	word := `demo: true
abilities:
  word_count:
    kind: command
    description: Count the words of a text.
    argv: ["wc", "-w"]
    stdin: "{{text}}"
    schema: {type: object, properties: {text: {type: string}}, required: [text]}
    timeout: 5s
`
	if err := os.WriteFile(path, []byte(word), 0o600); err != nil {
		t.Fatal(err)
	}
	select {
	case <-changed:
	case <-time.After(30 * time.Second):
		t.Fatalf("no tools/list_changed after the file gained an ability; stderr: %s", stderr.String())
	}
	callCtx, stop := context.WithTimeout(context.Background(), 30*time.Second)
	defer stop()
	res, err := cs.CallTool(callCtx, &mcp.CallToolParams{Name: "word_count", Arguments: map[string]any{"text": "one two three"}})
	if err != nil {
		t.Fatal(err)
	}
	if res.IsError || len(res.Content) != 1 || strings.TrimSpace(res.Content[0].(*mcp.TextContent).Text) != "3" {
		t.Errorf("word_count: %+v", res)
	}
	reloaded("info", `"event":"config_reload"`)
	// A reload that changes only the hints replaces the tool: the client
	// is told, and lists the new annotations.
	select {
	case <-changed: // a late notification of the first reload
	default:
	}
	if err := os.WriteFile(path, []byte(word+"    hints: {read_only: true, open_world: false}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	select {
	case <-changed:
	case <-time.After(30 * time.Second):
		t.Fatalf("no tools/list_changed after the hints changed; stderr: %s", stderr.String())
	}
	tools, err := cs.ListTools(callCtx, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, tool := range tools.Tools {
		if tool.Name != "word_count" {
			continue
		}
		if an := tool.Annotations; an == nil || !an.ReadOnlyHint || an.OpenWorldHint == nil || *an.OpenWorldHint {
			t.Errorf("word_count's annotations after the reload: %+v", an)
		}
	}
	// A broken file is refused, and the clients are told at "error".
	if err := os.WriteFile(path, []byte("abilities: [\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	reloaded("error", `"ok":false`)
	stopMCP(t, cancel, code, stderr)
}

// `agentdash mcp` sets the collector's target to mcpGCPercent, unless
// $GOGC sets one.
func TestMCPGCPercent(t *testing.T) {
	prev := debug.SetGCPercent(100)
	t.Cleanup(func() { debug.SetGCPercent(prev) })
	for _, tc := range []struct {
		gogc string
		want int
	}{{"", mcpGCPercent}, {"100", 100}} {
		debug.SetGCPercent(100)
		getenv := func(k string) string {
			if k == "GOGC" {
				return tc.gogc
			}
			return ""
		}
		var stderr syncBuffer
		if c := run(context.Background(), []string{"mcp", "--root", t.TempDir()}, strings.NewReader(""), io.Discard, &stderr, getenv); c != exitOK {
			t.Fatalf("GOGC=%q: exit %d: %s", tc.gogc, c, stderr.String())
		}
		if got := debug.SetGCPercent(100); got != tc.want {
			t.Errorf("GOGC=%q: the collector's target is %d, want %d", tc.gogc, got, tc.want)
		}
	}
}
