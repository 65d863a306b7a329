package main

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"runtime/debug"
	"strings"
	"sync"
	"time"

	"github.com/modelcontextprotocol/go-sdk/auth"
	"github.com/modelcontextprotocol/go-sdk/mcp"
	"github.com/spf13/cobra"

	"github.com/agentdash/agentdash/internal/control"
	"github.com/agentdash/agentdash/internal/mcpserver"
	"github.com/agentdash/agentdash/internal/reload"
)

// tokenEnv holds the bearer token of `mcp --http` when --token-file is
// not given.
const tokenEnv = "AGENTDASH_MCP_TOKEN"

// mcpShutdownGrace bounds the wait for HTTP requests still running at
// shutdown.
const mcpShutdownGrace = 2 * time.Second

// mcpGCPercent is the garbage collector's target of `agentdash mcp` when
// $GOGC does not set one. The SDK's JSON layer (go-sdk v1.8.0) allocates a
// 32 KiB buffer for each of the several decodes of a message: a proxied
// call leaves hundreds of KB of garbage against a live heap of a few MB,
// and at Go's default of 100 a collection ran every few calls and took
// much of a call's time (README, Performance).
const mcpGCPercent = 400

// tuneGC sets the collector's target of a long-running MCP server, unless
// $GOGC says otherwise.
func tuneGC(getenv func(string) string) {
	if getenv("GOGC") == "" {
		debug.SetGCPercent(mcpGCPercent)
	}
}

type mcpFlags struct {
	agent     agentFlags
	control   controlFlags
	http      string
	tokenFile string
	logFile   string
	metrics   string
}

func newMCPCmd(env *environment) *cobra.Command {
	var f mcpFlags
	cmd := &cobra.Command{
		Use:   "mcp",
		Short: "Serve every ability as a Model Context Protocol tool (stdio or HTTP)",
		Long: `Serve every ability as an MCP tool, for agents such as Claude Code, Claude
Desktop or Cursor. By default it speaks MCP over standard input and output, as
a client that starts it expects: stdout then carries only the protocol, and
every log line goes to stderr, or to --log FILE.

With --http ADDR it serves Streamable HTTP at http://ADDR/mcp instead, with
sessions. Listen on loopback (127.0.0.1:PORT): requests that arrive there with
a Host header that is not a loopback name are refused (DNS rebinding). A non-loopback
address needs a bearer token, from --token-file (a file only its owner may
read, mode 0600) or $` + tokenEnv + `; without one it is refused.

Every call goes through the agent's pipeline; a failure (bad arguments, an
open breaker, a timeout, a rejection) is a tool result with isError set and a
message saying what to do. Arguments larger than 1 MiB are refused that way;
a request (a stdio line, an HTTP body) over 4 MiB gets a protocol error (HTTP
413), and an HTTP session idle for an hour is closed.

With a configuration file that lists mcp_servers, the tools of those MCP
servers are served too, as SERVER.TOOL, through the same pipeline; clients
are told with tools/list_changed when they come or go.
SIGINT/SIGTERM stop it gracefully. 'agentdash attach' opens the dashboard on
it from another terminal ('agentdash ps' lists what runs).`,
		Example: `  agentdash mcp
  agentdash mcp --log /tmp/agentdash-mcp.log
  agentdash mcp --http 127.0.0.1:8765
  AGENTDASH_MCP_TOKEN=secret agentdash mcp --http 0.0.0.0:8765`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runMCP(cmd.Context(), env, &f)
		},
	}
	f.agent.register(cmd.Flags())
	f.control.register(cmd.Flags())
	cmd.Flags().StringVar(&f.http, "http", "", "serve Streamable HTTP at http://ADDR/mcp instead of stdio (e.g. 127.0.0.1:8765)")
	cmd.Flags().StringVar(&f.tokenFile, "token-file", "", "file holding the bearer token HTTP clients must send (mode 0600; default $"+tokenEnv+")")
	cmd.Flags().StringVar(&f.logFile, "log", "", "append log lines to this file instead of stderr")
	cmd.Flags().StringVar(&f.metrics, "metrics-addr", "", "also export Prometheus metrics on this address (e.g. 127.0.0.1:9464); off by default")
	return cmd
}

func runMCP(ctx context.Context, env *environment, f *mcpFlags) error {
	tuneGC(env.getenv)
	var token string
	if f.http != "" {
		var err error
		if token, err = httpToken(env, "--http", f.http, "--token-file", f.tokenFile); err != nil {
			return usage(err)
		}
	} else if f.tokenFile != "" {
		return usage(errors.New("mcp: --token-file applies to --http only"))
	}
	if err := f.control.check(); err != nil {
		return usage(err)
	}
	logw, closeLog, err := openLog(env, f.logFile)
	if err != nil {
		return usage(err)
	}
	defer closeLog()
	a, err := f.agent.newAgent(env)
	if err != nil {
		return err
	}
	defer f.agent.closeAgent(a)
	logger := slog.New(slog.NewTextHandler(logw, &slog.HandlerOptions{Level: slog.LevelInfo}))
	opts := mcpserver.Options{Logger: logger}
	if gw := f.agent.gateway; gw != nil {
		opts.Upstream = gw.Tool
	}
	srv, err := mcpserver.New(a, opts)
	if err != nil {
		return err
	}
	// The tools of the file's MCP servers come and go with them.
	resync := func() {
		if err := srv.Sync(); err != nil {
			fmt.Fprintf(logw, "agentdash: mcp: %v\n", err)
		}
	}
	f.agent.onTools.Store(&resync)
	defer f.agent.onTools.Store(nil)
	// With a configuration file, its edits reach the agent and, through
	// Sync, the clients (notifications/tools/list_changed), which are also
	// told of each reload as a log message.
	lc, _, err := startReload(env, &f.agent, a, logw, func(ev reload.Event) {
		if ev.Err == nil {
			if err := srv.Sync(); err != nil {
				fmt.Fprintf(logw, "agentdash: mcp: %v\n", err)
			}
		}
		srv.Reloaded(ctx, ev.Trigger, ev.Err)
	})
	if err != nil {
		return err
	}
	defer lc.close()
	var metrics string
	if f.metrics != "" {
		msrv, stop, err := startExporter(f.metrics, metricsSource(a, lc, f.agent.gateway))
		if err != nil {
			return err
		}
		defer stop()
		metrics = msrv.Addr()
		fmt.Fprintf(logw, "agentdash: serving metrics on http://%s/metrics\n", metrics)
	}
	ce := controlEndpoint{command: "mcp", transport: "stdio", metrics: metrics, live: lc, gateway: f.agent.gateway, sessions: func() int { return countSessions(srv) }}
	if f.http != "" {
		ln, err := net.Listen("tcp", f.http)
		if err != nil {
			return fmt.Errorf("mcp: --http: %w", err)
		}
		ce.transport = "http " + ln.Addr().String()
		stopControl, err := startControl(env, &f.control, a, ce, logw)
		if err != nil {
			_ = ln.Close()
			return err
		}
		defer stopControl()
		return serveMCPHTTP(ctx, logw, srv, ln, token)
	}
	stopControl, err := startControl(env, &f.control, a, ce, logw)
	if err != nil {
		return err
	}
	defer stopControl()
	fmt.Fprintf(logw, "agentdash: serving %d tools over MCP on stdio\n", len(a.Abilities()))
	t := mcpserver.StdioTransport(env.stdin, env.stdout, 0)
	if err := srv.Run(ctx, t); err != nil && !errors.Is(err, io.EOF) {
		return fmt.Errorf("mcp: %w", err)
	}
	return nil
}

// openLog returns where log lines go: the --log file, appended to, or
// stderr. Never stdout, which carries the protocol in stdio mode.
func openLog(env *environment, path string) (io.Writer, func(), error) {
	if path == "" {
		return env.stderr, func() {}, nil
	}
	file, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, nil, fmt.Errorf("mcp: --log: %w", err)
	}
	return &lockedWriter{w: file}, func() { _ = file.Close() }, nil
}

// lockedWriter serializes the writes to the --log file: the logger's,
// from the sessions' goroutines, and the start and stop lines.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// httpToken returns the bearer token HTTP clients must send, "" for none:
// from the token file (flag tokenFlag), else $AGENTDASH_MCP_TOKEN. A
// non-loopback address (flag addrFlag) without a token is refused: anyone
// who can reach it could run the abilities.
func httpToken(env *environment, addrFlag, addr, tokenFlag, tokenFile string) (string, error) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return "", fmt.Errorf("%s %q: %w (want host:port, e.g. 127.0.0.1:8765)", addrFlag, addr, err)
	}
	var token string
	if tokenFile != "" {
		st, err := os.Stat(tokenFile)
		if err != nil {
			return "", fmt.Errorf("%s: %w", tokenFlag, err)
		}
		if st.Mode().Perm()&0o077 != 0 {
			return "", fmt.Errorf("%s %s: mode %04o lets others read it; chmod 600 it", tokenFlag, tokenFile, st.Mode().Perm())
		}
		data, err := os.ReadFile(tokenFile)
		if err != nil {
			return "", fmt.Errorf("%s: %w", tokenFlag, err)
		}
		if token = strings.TrimSpace(string(data)); token == "" {
			return "", fmt.Errorf("%s %s is empty", tokenFlag, tokenFile)
		}
	} else {
		token = strings.TrimSpace(env.getenv(tokenEnv))
	}
	if token == "" && !control.IsLoopback(host) {
		return "", fmt.Errorf("%s %s is not a loopback address: give a bearer token with %s or $%s, or listen on 127.0.0.1", addrFlag, addr, tokenFlag, tokenEnv)
	}
	return token, nil
}

// mcpIdleSession is how long an HTTP session may make no request before it
// is closed: a client that goes away without ending its session (DELETE)
// would otherwise hold it for ever. A client that comes back later gets
// 404 and starts a new session, as the protocol has it.
const mcpIdleSession = time.Hour

// mcpHandler is the HTTP handler of `mcp --http`: the SDK's Streamable
// HTTP handler (stateful sessions closed after idle of no request, its
// loopback Host check against DNS rebinding, bodies over
// mcpserver.DefaultMaxRequestBytes answered 413, a call canceled when its
// request's connection drops) at /mcp, behind cross-origin protection
// and, with a token, a bearer check.
func mcpHandler(srv *mcpserver.Server, token string, idle time.Duration) http.Handler {
	var h http.Handler = mcp.NewStreamableHTTPHandler(func(*http.Request) *mcp.Server { return srv.MCP() },
		&mcp.StreamableHTTPOptions{
			SessionTimeout:               idle,
			MaxRequestBodyBytes:          mcpserver.DefaultMaxRequestBytes,
			PropagateRequestCancellation: true,
		})
	h = srv.CancelOnDisconnect(h)
	h = http.NewCrossOriginProtection().Handler(h)
	if token != "" {
		verify := func(_ context.Context, got string, _ *http.Request) (*auth.TokenInfo, error) {
			if subtle.ConstantTimeCompare([]byte(got), []byte(token)) != 1 {
				return nil, auth.ErrInvalidToken
			}
			return &auth.TokenInfo{Expiration: time.Now().Add(time.Hour)}, nil
		}
		h = auth.RequireBearerToken(verify, nil)(h)
	}
	mux := http.NewServeMux()
	mux.Handle("/mcp", h)
	return mux
}

// mcpHTTP is a running Streamable HTTP server of an mcpserver.Server.
type mcpHTTP struct {
	srv    *mcpserver.Server
	hs     *http.Server
	ln     net.Listener
	served chan error // the result of hs.Serve
	cancel context.CancelFunc
	wg     sync.WaitGroup // the event watch
}

// startMCPHTTP serves srv at http://ln/mcp (mcpHandler) and sends the
// agent's events to its clients, until stop.
func startMCPHTTP(srv *mcpserver.Server, ln net.Listener, token string) *mcpHTTP {
	m := &mcpHTTP{srv: srv, ln: ln, served: make(chan error, 1),
		hs: &http.Server{Handler: mcpHandler(srv, token, mcpIdleSession), ReadHeaderTimeout: 10 * time.Second}}
	ctx, cancel := context.WithCancel(context.Background())
	m.cancel = cancel
	m.wg.Go(func() { srv.Watch(ctx) })
	go func() { m.served <- m.hs.Serve(ln) }()
	return m
}

// URL is where the server answers.
func (m *mcpHTTP) URL() string { return "http://" + m.ln.Addr().String() + "/mcp" }

// stop closes the sessions, which hold streams open, lets the requests
// end (mcpShutdownGrace at most) and stops the watch.
func (m *mcpHTTP) stop() {
	for ss := range m.srv.MCP().Sessions() {
		_ = ss.Close()
	}
	sctx, scancel := context.WithTimeout(context.Background(), mcpShutdownGrace)
	defer scancel()
	if err := m.hs.Shutdown(sctx); err != nil {
		_ = m.hs.Close()
	}
	<-m.served
	m.cancel()
	m.wg.Wait()
}

// serveMCPHTTP serves srv at http://ln/mcp until ctx ends.
func serveMCPHTTP(ctx context.Context, logw io.Writer, srv *mcpserver.Server, ln net.Listener, token string) error {
	m := startMCPHTTP(srv, ln, token)
	fmt.Fprintf(logw, "agentdash: serving MCP on %s (Ctrl-C to stop)\n", m.URL())
	select {
	case err := <-m.served:
		m.served <- err // for stop
		m.stop()
		return fmt.Errorf("mcp: %w", err)
	case <-ctx.Done():
	}
	fmt.Fprintln(logw, "agentdash: shutting down")
	m.stop()
	return nil
}

// countSessions counts the MCP sessions open on srv.
func countSessions(srv *mcpserver.Server) int {
	n := 0
	for range srv.MCP().Sessions() {
		n++
	}
	return n
}
