package main

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/agentdash/agentdash/internal/mcpserver"
	"github.com/agentdash/agentdash/internal/upstream"
)

// everythingCommand returns a command that starts server-everything on
// stdio, or skips the benchmark when it is not installed.
func everythingCommand(b *testing.B) (node, script string) {
	b.Helper()
	script = os.Getenv(everythingEnv)
	if script == "" {
		b.Skipf("$%s is not set (.ci/run sets it)", everythingEnv)
	}
	node = os.Getenv(nodeEnv)
	if node == "" {
		node = "node"
	}
	return node, script
}

// stdioSession starts server-everything and returns a client session on
// its stdio.
func stdioSession(b *testing.B, node, script string) *mcp.ClientSession {
	b.Helper()
	cs, err := mcp.NewClient(&mcp.Implementation{Name: "bench", Version: "1"}, nil).
		Connect(context.Background(), &mcp.CommandTransport{Command: exec.Command(node, script, "stdio")}, nil)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = cs.Close() })
	return cs
}

// httpSessions opens n client sessions over Streamable HTTP to url.
func httpSessions(b *testing.B, url string, n int) []*mcp.ClientSession {
	b.Helper()
	out := make([]*mcp.ClientSession, n)
	for i := range out {
		cs, err := mcp.NewClient(&mcp.Implementation{Name: "bench", Version: "1"}, nil).
			Connect(context.Background(), &mcp.StreamableClientTransport{Endpoint: url, DisableStandaloneSSE: true}, nil)
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { _ = cs.Close() })
		out[i] = cs
	}
	return out
}

// agentdashHTTP serves, as `agentdash mcp --http` does, an agent whose one
// MCP server is server-everything, and returns its URL.
func agentdashHTTP(b *testing.B, node, script string) string {
	b.Helper()
	dir := b.TempDir()
	cfg := filepath.Join(dir, "gateway.yaml")
	if err := os.WriteFile(cfg, []byte("demo: false\nmax_concurrent: 16\nmcp_servers:\n  everything: {command: \""+node+"\", args: [\""+script+"\", stdio]}\n"), 0o600); err != nil {
		b.Fatal(err)
	}
	env := newEnvironment(nil, strings.NewReader(""), &bytes.Buffer{}, &bytes.Buffer{}, os.Getenv)
	var err error
	if env.config, err = loadConfig(env, cfg); err != nil {
		b.Fatal(err)
	}
	f := &agentFlags{root: dir, maxConcurrent: 16, maxWait: 10 * time.Second, cacheSize: 100}
	a, err := f.newAgent(env)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { f.closeAgent(a) })
	if st := f.gateway.Status(); len(st) != 1 || st[0].State != upstream.Connected {
		b.Fatalf("server-everything: %+v", st)
	}
	srv, err := mcpserver.New(a, mcpserver.Options{Upstream: f.gateway.Tool})
	if err != nil {
		b.Fatal(err)
	}
	ts := httptest.NewServer(mcpHandler(srv, "", mcpIdleSession))
	b.Cleanup(ts.Close)
	return ts.URL + "/mcp"
}

// forwarderHTTP serves the least gateway there is: an SDK server over
// Streamable HTTP whose one tool hands its arguments to one stdio session
// of server-everything, nothing else.
func forwarderHTTP(b *testing.B, node, script string) string {
	b.Helper()
	up := stdioSession(b, node, script)
	srv := mcp.NewServer(&mcp.Implementation{Name: "forwarder", Version: "1"}, nil)
	srv.AddTool(&mcp.Tool{Name: "everything.echo", InputSchema: map[string]any{"type": "object"}},
		func(ctx context.Context, req *mcp.CallToolRequest) (*mcp.CallToolResult, error) {
			return up.CallTool(ctx, &mcp.CallToolParams{Name: "echo", Arguments: req.Params.Arguments})
		})
	ts := httptest.NewServer(mcp.NewStreamableHTTPHandler(func(*http.Request) *mcp.Server { return srv }, nil))
	b.Cleanup(ts.Close)
	return ts.URL + "/mcp"
}

func echo(cs *mcp.ClientSession, name string) error {
	res, err := cs.CallTool(context.Background(), &mcp.CallToolParams{Name: name, Arguments: map[string]any{"message": "hello"}})
	if err == nil && (res.IsError || !strings.Contains(res.Content[0].(*mcp.TextContent).Text, "hello")) {
		err = errUnexpected
	}
	return err
}

var errUnexpected = errors.New("echo: unexpected result")

// BenchmarkMCPHTTPGateway: a Go client calling server-everything's echo
// over Streamable HTTP through agentdash, through the minimal forwarder,
// and on the upstream's stdio directly, the three interleaved in one loop;
// agentdash-added and forwarder-added are the p50s less the direct call's.
func BenchmarkMCPHTTPGateway(b *testing.B) {
	node, script := everythingCommand(b)
	direct := stdioSession(b, node, script)
	via := httpSessions(b, agentdashHTTP(b, node, script), 1)[0]
	fwd := httpSessions(b, forwarderHTTP(b, node, script), 1)[0]
	var tv, tf, td []time.Duration
	for b.Loop() {
		t0 := time.Now()
		if err := echo(via, "everything.echo"); err != nil {
			b.Fatal(err)
		}
		t1 := time.Now()
		if err := echo(fwd, "everything.echo"); err != nil {
			b.Fatal(err)
		}
		t2 := time.Now()
		if err := echo(direct, "echo"); err != nil {
			b.Fatal(err)
		}
		t3 := time.Now()
		tv, tf, td = append(tv, t1.Sub(t0)), append(tf, t2.Sub(t1)), append(td, t3.Sub(t2))
	}
	v, f, d := p50(tv), p50(tf), p50(td)
	b.ReportMetric(float64(v), "agentdash-p50-ns")
	b.ReportMetric(float64(f), "forwarder-p50-ns")
	b.ReportMetric(float64(d), "direct-p50-ns")
	b.ReportMetric(float64(v-d), "agentdash-added-ns")
	b.ReportMetric(float64(f-d), "forwarder-added-ns")
	b.ReportMetric(float64(v-d)/float64(f-d), "added-ratio")
}

// BenchmarkMCPHTTPGatewayRotated is BenchmarkMCPHTTPGateway with the
// three calls' order rotated every iteration, so that each takes each
// place in turn: here the call that follows the direct one is slower,
// whichever gateway it goes through, and in BenchmarkMCPHTTPGateway that
// is always agentdash's.
func BenchmarkMCPHTTPGatewayRotated(b *testing.B) {
	node, script := everythingCommand(b)
	direct := stdioSession(b, node, script)
	via := httpSessions(b, agentdashHTTP(b, node, script), 1)[0]
	fwd := httpSessions(b, forwarderHTTP(b, node, script), 1)[0]
	calls := []func() error{
		func() error { return echo(via, "everything.echo") },
		func() error { return echo(fwd, "everything.echo") },
		func() error { return echo(direct, "echo") },
	}
	times := make([][]time.Duration, len(calls))
	n := 0
	for b.Loop() {
		for k := range calls {
			i := (n + k) % len(calls)
			start := time.Now()
			if err := calls[i](); err != nil {
				b.Fatal(err)
			}
			times[i] = append(times[i], time.Since(start))
		}
		n++
	}
	v, f, d := p50(times[0]), p50(times[1]), p50(times[2])
	b.ReportMetric(float64(v-d), "agentdash-added-ns")
	b.ReportMetric(float64(f-d), "forwarder-added-ns")
	b.ReportMetric(float64(v-d)/float64(f-d), "added-ratio")
}

func p50(d []time.Duration) time.Duration {
	slices.Sort(d)
	return d[len(d)/2]
}

// BenchmarkMCPHTTPThroughput16: 16 client sessions calling echo at once
// over Streamable HTTP, through agentdash and through the minimal
// forwarder (each to its own server-everything), in alternating rounds of
// 4 calls per session, so that both see the same load; each side's
// calls/s is its calls over the time of its own rounds.
func BenchmarkMCPHTTPThroughput16(b *testing.B) {
	node, script := everythingCommand(b)
	const sessions, perRound = 16, 4
	via := httpSessions(b, agentdashHTTP(b, node, script), sessions)
	fwd := httpSessions(b, forwarderHTTP(b, node, script), sessions)
	round := func(css []*mcp.ClientSession) time.Duration {
		start := time.Now()
		var wg sync.WaitGroup
		for _, cs := range css {
			wg.Go(func() {
				for range perRound {
					if err := echo(cs, "everything.echo"); err != nil {
						b.Error(err)
						return
					}
				}
			})
		}
		wg.Wait()
		return time.Since(start)
	}
	var tv, tf time.Duration
	n := 0
	for b.Loop() {
		if n%2 == 0 { // each side first every other round
			tv += round(via)
			tf += round(fwd)
		} else {
			tf += round(fwd)
			tv += round(via)
		}
		n++
	}
	calls := float64(n * sessions * perRound)
	b.ReportMetric(calls/tv.Seconds(), "agentdash-calls/s")
	b.ReportMetric(calls/tf.Seconds(), "forwarder-calls/s")
	b.ReportMetric(tf.Seconds()/tv.Seconds(), "ratio")
}
