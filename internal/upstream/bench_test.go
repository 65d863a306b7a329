package upstream

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/agentdash/agentdash/internal/agent"
	"github.com/agentdash/agentdash/internal/benchpair"
	"github.com/agentdash/agentdash/internal/config"
	"github.com/agentdash/agentdash/internal/declared"
	"github.com/agentdash/agentdash/internal/mcpserver"
)

// echoIn is the arguments of the benchmark upstream's tool, a typed Go
// tool as an SDK server would write it: the SDK checks them against the
// schema it infers.
type echoIn struct {
	Message string `json:"message" jsonschema:"the text to echo"`
}

// benchUpstream is an in-process upstream MCP server with one tool, echo.
func benchUpstream() *mcp.Server {
	srv := mcp.NewServer(&mcp.Implementation{Name: "bench", Version: "1"}, nil)
	mcp.AddTool(srv, &mcp.Tool{Name: "echo", Description: "Echo the message."},
		func(_ context.Context, _ *mcp.CallToolRequest, in echoIn) (*mcp.CallToolResult, any, error) {
			return &mcp.CallToolResult{Content: []mcp.Content{&mcp.TextContent{Text: "Echo: " + in.Message}}}, nil, nil
		})
	return srv
}

// connect returns a client session to srv over the SDK's in-memory
// transports.
func connect(b *testing.B, srv *mcp.Server) *mcp.ClientSession {
	b.Helper()
	ctx := context.Background()
	ct, st := mcp.NewInMemoryTransports()
	ss, err := srv.Connect(ctx, st, nil)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = ss.Close() })
	cs, err := mcp.NewClient(&mcp.Implementation{Name: "bench", Version: "1"}, nil).Connect(ctx, ct, nil)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = cs.Close() })
	return cs
}

// benchGateway returns a client of agentdash's MCP adapter (as agentdash
// mcp serves it) whose agent proxies up, with the file's settings src,
// all over in-memory transports.
func benchGateway(b *testing.B, up *mcp.Server, src string) *mcp.ClientSession {
	b.Helper()
	cfg, err := config.Parse("bench.yaml", []byte("mcp_servers:\n  up: {command: bench}\n"+src), nil)
	if err != nil {
		b.Fatal(err)
	}
	a, err := agent.New(agent.Options{})
	if err != nil {
		b.Fatal(err)
	}
	live := declared.NewLive(a, nil)
	g := New(Options{Transport: func(string, *config.MCPServer) (mcp.Transport, error) {
		ct, st := mcp.NewInMemoryTransports()
		if _, err := up.Connect(context.Background(), st, nil); err != nil {
			return nil, err
		}
		return ct, nil
	}, OnChange: func() { _ = live.Refresh() }})
	live.SetExtra(g.Abilities)
	b.Cleanup(func() { g.Close(); a.Close() })
	g.Update(cfg)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	g.Ready(ctx)
	if err := live.Refresh(); err != nil {
		b.Fatal(err)
	}
	srv, err := mcpserver.New(a, mcpserver.Options{Upstream: g.Tool})
	if err != nil {
		b.Fatal(err)
	}
	return connect(b, srv.MCP())
}

func call(cs *mcp.ClientSession, name string) func() error {
	params := &mcp.CallToolParams{Name: name, Arguments: map[string]any{"message": "hello"}}
	return func() error {
		res, err := cs.CallTool(context.Background(), params)
		if err != nil {
			return err
		}
		if res.IsError || len(res.Content) != 1 || res.Content[0].(*mcp.TextContent).Text != "Echo: hello" {
			return errors.New("unexpected result")
		}
		return nil
	}
}

// BenchmarkGatewayCall: one tools/call of an upstream tool through
// agentdash (its MCP adapter, the agent's pipeline, the forwarding) and
// the same call straight to the upstream, interleaved, each over the
// SDK's in-memory transport; added-p50-ns is agentdash's own cost.
func BenchmarkGatewayCall(b *testing.B) {
	up := benchUpstream()
	via, direct := benchGateway(b, up, ""), connect(b, up)
	o, t := benchpair.Medians(b, call(via, "up.echo"), call(direct, "echo"))
	b.ReportMetric(float64(o), "gateway-p50-ns")
	b.ReportMetric(float64(t), "direct-p50-ns")
	b.ReportMetric(float64(o-t), "added-p50-ns")
}

// BenchmarkGatewayCacheHit: the same call through agentdash with the
// tool's results cached (every call a hit), against the direct call.
func BenchmarkGatewayCacheHit(b *testing.B) {
	up := benchUpstream()
	via, direct := benchGateway(b, up, "abilities:\n  up.echo: {cache_ttl: 1h}\n"), connect(b, up)
	o, t := benchpair.Medians(b, call(via, "up.echo"), call(direct, "echo"))
	b.ReportMetric(float64(o), "hit-p50-ns")
	b.ReportMetric(float64(t), "direct-p50-ns")
	b.ReportMetric(float64(o)/float64(t), "ratio")
}

// forwarder is the least an MCP gateway can be: an SDK server whose one
// tool hands its raw arguments to one upstream session and returns the
// upstream's result, nothing else (no validation, breaker, limit, cache,
// metrics).
func forwarder(b *testing.B, up *mcp.Server) *mcp.ClientSession {
	b.Helper()
	upstream := connect(b, up)
	srv := mcp.NewServer(&mcp.Implementation{Name: "forwarder", Version: "1"}, nil)
	srv.AddTool(&mcp.Tool{Name: "up.echo", InputSchema: json.RawMessage(`{"type":"object"}`)},
		func(ctx context.Context, req *mcp.CallToolRequest) (*mcp.CallToolResult, error) {
			return upstream.CallTool(ctx, &mcp.CallToolParams{Name: "echo", Arguments: req.Params.Arguments})
		})
	return connect(b, srv)
}

// BenchmarkGatewayVsForwarder: a call through agentdash against the same
// call through the minimal forwarder, interleaved, both over in-memory
// transports: over-forwarder-p50-ns is what agentdash's pipeline costs
// beyond the extra MCP hop that any gateway adds.
func BenchmarkGatewayVsForwarder(b *testing.B) {
	up := benchUpstream()
	via, fwd := benchGateway(b, up, ""), forwarder(b, up)
	o, t := benchpair.Medians(b, call(via, "up.echo"), call(fwd, "up.echo"))
	b.ReportMetric(float64(o), "gateway-p50-ns")
	b.ReportMetric(float64(t), "forwarder-p50-ns")
	b.ReportMetric(float64(o-t), "over-forwarder-p50-ns")
}

// BenchmarkGatewayHop: a call through agentdash, through the minimal
// forwarder and straight to the upstream, the three interleaved. The
// forwarder's added p50 is the floor of any gateway built on the SDK
// here: one more client and server of the same in-memory hop;
// pipeline-p50-ns is what agentdash adds beyond it.
func BenchmarkGatewayHop(b *testing.B) {
	up := benchUpstream()
	via, fwd, direct := benchGateway(b, up, ""), forwarder(b, up), connect(b, up)
	m := benchpair.MediansOf(b, call(via, "up.echo"), call(fwd, "up.echo"), call(direct, "echo"))
	b.ReportMetric(float64(m[2]), "direct-p50-ns")
	b.ReportMetric(float64(m[0]-m[2]), "agentdash-added-p50-ns")
	b.ReportMetric(float64(m[1]-m[2]), "forwarder-added-p50-ns")
	b.ReportMetric(float64(m[0]-m[1]), "pipeline-p50-ns")
}
