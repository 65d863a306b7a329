package upstream

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os/exec"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/agentdash/agentdash/internal/command"
	"github.com/agentdash/agentdash/internal/config"
)

// State is a server's connection state.
type State string

// States of a server.
const (
	Connecting State = "connecting"
	Connected  State = "connected"
	Failed     State = "failed" // waiting to try again
)

// Status is the state of a server, for people and metrics.
type Status struct {
	Name      string
	Transport string // "stdio" or "http"
	State     State
	// Since is when the state began.
	Since time.Time
	// Tools counts the abilities of its tools.
	Tools int
	// Restarts counts the starts (or connections) after the first.
	Restarts int
	// LastError is the latest error: why it failed, or which tools were
	// left out; "" for none.
	LastError string
	// Stderr holds the last lines a stdio server wrote on stderr.
	Stderr []string
	// PID is the process of a connected stdio server, 0 for none.
	PID int
}

// server is one upstream server and the goroutine that keeps it
// connected.
type server struct {
	g      *Gateway
	name   string
	cfg    config.MCPServer
	ready  chan struct{} // closed after the first attempt
	relist chan struct{} // the tool list changed (buffered, one)
	cancel context.CancelFunc
	done   chan struct{} // closed when the goroutine has returned
	stderr *tail

	mu        sync.Mutex
	state     State
	since     time.Time
	sess      *mcp.ClientSession // nil unless connected
	tools     map[string]tool    // by ability name; kept while disconnected
	restarts  int
	lastError string
	pid       int // of the stdio server's process while connected
}

func newServer(g *Gateway, name string, cfg config.MCPServer) *server {
	return &server{g: g, name: name, cfg: cfg, ready: make(chan struct{}), relist: make(chan struct{}, 1),
		done: make(chan struct{}), stderr: newTail(stderrLines), state: Connecting, since: time.Now()}
}

func (s *server) start() {
	ctx, cancel := context.WithCancel(context.Background())
	s.cancel = cancel
	go s.run(ctx)
}

// stop ends the server's goroutine, closing its session (a stdio server
// is sent EOF, then SIGTERM), and waits for it.
func (s *server) stop() {
	s.cancel()
	<-s.done
}

// run connects, serves until the connection ends, and connects again
// after a backoff, until ctx ends.
func (s *server) run(ctx context.Context) {
	defer close(s.done)
	var readyOnce sync.Once
	ready := func() { readyOnce.Do(func() { close(s.ready) }) }
	defer ready()
	failures := 0
	for {
		s.setState(Connecting, "")
		cs, err := s.connect(ctx)
		if err == nil {
			err = s.list(ctx, cs)
			if err != nil {
				_ = cs.Close()
			}
		}
		if err == nil {
			ready()
			began := time.Now()
			err = s.serve(ctx, cs)
			if time.Since(began) >= stableAfter {
				failures = 0
			}
		}
		if ctx.Err() != nil {
			return
		}
		failures++
		wait := s.g.backoff(failures)
		s.setState(Failed, fmt.Sprintf("%v (retrying in %s)", err, wait.Round(time.Millisecond)))
		ready() // after the state says why
		s.g.log.Warn("mcp server failed", "server", s.name, "error", err, "retry_in", wait)
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
		s.mu.Lock()
		s.restarts++
		s.mu.Unlock()
	}
}

// serve waits until the session ends, listing the tools again when they
// change. It closes cs.
func (s *server) serve(ctx context.Context, cs *mcp.ClientSession) error {
	ended := make(chan error, 1)
	go func() { ended <- cs.Wait() }()
	defer func() {
		s.mu.Lock()
		s.sess, s.pid = nil, 0
		s.mu.Unlock()
		_ = cs.Close()
		<-ended
	}()
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case err := <-ended:
			ended <- err // for the deferred wait
			if err == nil {
				err = errors.New("the server closed the connection")
			}
			return s.exitError(err)
		case <-s.relist:
			if err := s.list(ctx, cs); err != nil {
				return err
			}
		}
	}
}

// exitError says how a session ended: a stdio server's last stderr line
// helps more than "EOF".
func (s *server) exitError(err error) error {
	if s.cfg.Command != "" {
		if last := s.stderr.last(); last != "" {
			return fmt.Errorf("the server exited or closed its output (%v); its last stderr line: %s", err, last)
		}
		return fmt.Errorf("the server exited or closed its output (%v)", err)
	}
	return fmt.Errorf("disconnected: %w", err)
}

// sessionProtocol is the protocol version the gateway asks its upstreams
// for. From 2026-07-28 on, every request carries the client's version,
// name and capabilities in _meta, which the SDK server decodes again on
// every call (some 85 KB of garbage per call with go-sdk v1.8.0); the
// gateway uses tools only, which 2025-11-25 serves alike. A server that
// answers with a later version is still spoken to in it.
const sessionProtocol = "2025-11-25"

// connect starts or reaches the server and initializes a session.
func (s *server) connect(ctx context.Context) (*mcp.ClientSession, error) {
	t, err := s.transport()
	if err != nil {
		return nil, err
	}
	client := mcp.NewClient(&mcp.Implementation{Name: "agentdash", Version: version()}, &mcp.ClientOptions{
		Logger:       s.g.log,
		Capabilities: &mcp.ClientCapabilities{},
		ToolListChangedHandler: func(context.Context, *mcp.ToolListChangedRequest) {
			select {
			case s.relist <- struct{}{}:
			default: // a relist is pending already
			}
		},
	})
	cctx, cancel := context.WithTimeout(ctx, s.g.opts.ConnectTimeout)
	defer cancel()
	cs, err := client.Connect(cctx, t, &mcp.ClientSessionOptions{ProtocolVersion: sessionProtocol})
	if err != nil {
		if ctx.Err() == nil && cctx.Err() != nil {
			err = fmt.Errorf("no answer to initialize within %s", s.g.opts.ConnectTimeout)
		}
		return nil, s.connectError(err)
	}
	if ct, ok := t.(*mcp.CommandTransport); ok && ct.Command.Process != nil {
		s.mu.Lock()
		s.pid = ct.Command.Process.Pid
		s.mu.Unlock()
	}
	return cs, nil
}

func (s *server) connectError(err error) error {
	if s.cfg.Command != "" {
		if last := s.stderr.last(); last != "" {
			return fmt.Errorf("start %s: %w; its last stderr line: %s", s.cfg.Command, err, last)
		}
		return fmt.Errorf("start %s: %w", s.cfg.Command, err)
	}
	return fmt.Errorf("connect: %w", err)
}

// list lists the tools, every page, and makes them the server's
// abilities; the session then serves calls.
func (s *server) list(ctx context.Context, cs *mcp.ClientSession) error {
	lctx, cancel := context.WithTimeout(ctx, s.g.opts.ConnectTimeout)
	defer cancel()
	var listed []*mcp.Tool
	for t, err := range cs.Tools(lctx, nil) {
		if err != nil {
			return fmt.Errorf("list tools: %w", err)
		}
		listed = append(listed, t)
	}
	tools, err := s.abilities(listed)
	msg := ""
	if err != nil {
		msg = strings.ReplaceAll(err.Error(), "\n", "; ")
		s.g.log.Warn("mcp server: tools left out", "server", s.name, "error", msg)
	}
	s.mu.Lock()
	s.tools, s.sess = tools, cs
	s.state, s.since = Connected, time.Now()
	if msg != "" {
		s.lastError = msg
	}
	s.mu.Unlock()
	s.g.changed()
	return nil
}

// transport returns how to reach the server.
func (s *server) transport() (mcp.Transport, error) {
	if s.g.opts.Transport != nil {
		return s.g.opts.Transport(s.name, &s.cfg)
	}
	if s.cfg.Command != "" {
		extra := make(map[string]string, len(s.cfg.Env))
		for k, v := range s.cfg.Env {
			x, err := s.expand(v)
			if err != nil {
				return nil, fmt.Errorf("env %s: %w", k, err)
			}
			extra[k] = x
		}
		env, err := command.Environ(extra)
		if err != nil {
			return nil, err
		}
		cmd := exec.Command(s.cfg.Command, s.cfg.Args...)
		cmd.Env = env
		cmd.Stderr = s.stderr
		return &mcp.CommandTransport{Command: cmd, TerminateDuration: terminateGrace}, nil
	}
	headers := make(http.Header, len(s.cfg.Headers))
	for k, v := range s.cfg.Headers {
		x, err := s.expand(v)
		if err != nil {
			return nil, fmt.Errorf("header %s: %w", k, err)
		}
		headers.Set(k, x)
	}
	client := &http.Client{Transport: &headerTransport{base: http.DefaultTransport, headers: headers}}
	return &mcp.StreamableClientTransport{Endpoint: s.cfg.URL, HTTPClient: client}, nil
}

var envRef = regexp.MustCompile(`\$\{([A-Za-z_][A-Za-z0-9_]*)\}`)

// expand replaces the ${NAME} references of v; a variable that is not
// set is an error naming it (never its value).
func (s *server) expand(v string) (string, error) {
	var missing []string
	out := envRef.ReplaceAllStringFunc(v, func(ref string) string {
		name := ref[2 : len(ref)-1]
		x, ok := s.g.opts.LookupEnv(name)
		if !ok {
			missing = append(missing, name)
		}
		return x
	})
	if len(missing) > 0 {
		return "", fmt.Errorf("$%s is not set", strings.Join(missing, ", $"))
	}
	return out, nil
}

// headerTransport adds the configured headers to every request.
type headerTransport struct {
	base    http.RoundTripper
	headers http.Header
}

func (t *headerTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	req = req.Clone(req.Context())
	for k, v := range t.headers {
		req.Header[k] = v
	}
	return t.base.RoundTrip(req)
}

// session returns the connected session, or an error saying why there is
// none: the call fails, and counts against its breaker.
func (s *server) session() (*mcp.ClientSession, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.sess != nil {
		return s.sess, nil
	}
	msg := fmt.Sprintf("mcp server %s is not connected (%s", s.name, s.state)
	if s.lastError != "" {
		msg += ": " + s.lastError
	}
	return nil, errors.New(msg + ")")
}

func (s *server) setState(st State, lastError string) {
	s.mu.Lock()
	s.state, s.since = st, time.Now()
	if lastError != "" {
		s.lastError = lastError
	}
	s.mu.Unlock()
}

func (s *server) status() Status {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := Status{Name: s.name, Transport: "http", State: s.state, Since: s.since, Tools: len(s.tools),
		Restarts: s.restarts, LastError: s.lastError, PID: s.pid}
	if s.cfg.Command != "" {
		st.Transport = "stdio"
		st.Stderr = s.stderr.lines()
	}
	return st
}
