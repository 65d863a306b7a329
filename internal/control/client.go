package control

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/agentdash/agentdash/internal/agent"
	"github.com/agentdash/agentdash/internal/load"
	"github.com/agentdash/agentdash/internal/upstream"
)

// Target is the process a Client talks to: a socket in Dir (found again
// by Name after a restart), or a TCP address with its token.
type Target struct {
	// Dir is the per-user directory where Name is looked up again when
	// the process is gone.
	Dir string
	// Name, if set, is how the process is found again: a restarted agent
	// has a new PID, hence a new socket.
	Name string
	// Socket is the Unix socket's path.
	Socket string
	// Addr is host:port of a TCP endpoint, used instead of Socket; Token
	// is its bearer token.
	Addr, Token string
}

// ClientOptions configures a Client.
type ClientOptions struct {
	// Actor is how the client names itself in the agent's action events
	// ("attach"); the agent adds the PID and user the socket tells it.
	Actor string
	// FPS is the rate of frames asked for; 0 means DefaultFPS.
	FPS int
	// Retry is the pause between reconnection attempts; 0 means 1s.
	Retry time.Duration
	// Stall is how long a stream may stay silent before it is taken for
	// dead and reconnected; 0 means 5s.
	Stall time.Duration
	// Callers asks the stream for the results of the calls that name their
	// caller (an MCP client's), which Calls delivers. It costs the agent a
	// result event per call, so it is for agents that serve MCP.
	Callers bool
}

// Client is the Backend of an agent in another process, over its control
// API. It follows the agent's stream in the background and reconnects
// when the process goes away, to the process of the same name when it
// comes back. Close stops it; it never affects the agent.
type Client struct {
	opts ClientOptions
	http *http.Client

	ctx    context.Context
	cancel context.CancelFunc
	done   chan struct{}

	mu        sync.Mutex
	target    Target
	snap      agent.Snapshot
	infos     []agent.Info
	abVersion uint64
	loads     map[string]LoadStatus
	health    error
	frames    uint64
	settings  *SettingsState // nil: the agent does not edit its configuration
	ups       []upstream.Status
	calls     map[chan agent.Event]struct{}
}

// ErrDisconnected is wrapped by Health's error while the agent is away.
var ErrDisconnected = errors.New("disconnected — retrying")

// Dial connects to the agent t names and starts following it. It fails
// if the agent does not answer now.
func Dial(ctx context.Context, t Target, o ClientOptions) (*Client, error) {
	if o.FPS <= 0 {
		o.FPS = DefaultFPS
	}
	if o.Retry <= 0 {
		o.Retry = time.Second
	}
	if o.Stall <= 0 {
		o.Stall = 5 * time.Second
	}
	c := &Client{opts: o, target: t, loads: map[string]LoadStatus{}, done: make(chan struct{}), calls: map[chan agent.Event]struct{}{}}
	tr := &http.Transport{
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			var d net.Dialer
			cur := c.currentTarget()
			if cur.Addr != "" {
				return d.DialContext(ctx, "tcp", cur.Addr)
			}
			return d.DialContext(ctx, "unix", cur.Socket)
		},
		MaxIdleConnsPerHost: 4,
	}
	c.http = &http.Client{Transport: tr}
	c.ctx, c.cancel = context.WithCancel(context.Background())
	if err := c.refresh(ctx); err != nil {
		c.cancel()
		tr.CloseIdleConnections()
		return nil, err
	}
	go c.run()
	return c, nil
}

// Close stops following the agent. The agent is not affected.
func (c *Client) Close() {
	c.cancel()
	<-c.done
	c.http.CloseIdleConnections()
}

func (c *Client) currentTarget() Target {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.target
}

// Target returns the process followed now.
func (c *Client) Target() Target { return c.currentTarget() }

// refresh reads the abilities and a snapshot.
func (c *Client) refresh(ctx context.Context) error {
	var abs []AbilityInfo
	if err := c.do(ctx, http.MethodGet, "/v1/abilities", nil, &abs); err != nil {
		return err
	}
	var snap agent.Snapshot
	if err := c.do(ctx, http.MethodGet, "/v1/snapshot", nil, &snap); err != nil {
		return err
	}
	var st *SettingsState
	if err := c.do(ctx, http.MethodGet, "/v1/settings", nil, &st); err != nil {
		var ae *APIError
		if !errors.As(err, &ae) || ae.Status != http.StatusNotFound {
			return err
		}
		st = nil
	}
	infos := make([]agent.Info, len(abs))
	for i, a := range abs {
		infos[i] = a.info()
	}
	c.mu.Lock()
	c.infos, c.snap, c.settings = infos, snap, st
	c.mu.Unlock()
	return nil
}

// run follows the stream, reconnecting until Close.
func (c *Client) run() {
	defer close(c.done)
	for {
		err := c.follow()
		if c.ctx.Err() != nil {
			return
		}
		c.setHealth(fmt.Errorf("%w: %v", ErrDisconnected, err))
		select {
		case <-c.ctx.Done():
			return
		case <-time.After(c.opts.Retry):
		}
		c.relocate()
	}
}

// relocate finds the process again by name: a restarted one has a new
// socket.
func (c *Client) relocate() {
	t := c.currentTarget()
	if t.Name == "" || t.Addr != "" || t.Dir == "" {
		return
	}
	in, err := Find(t.Dir, t.Name)
	if err != nil {
		return
	}
	c.mu.Lock()
	c.target.Socket = in.Socket
	c.mu.Unlock()
	c.http.CloseIdleConnections()
}

func (c *Client) setHealth(err error) {
	c.mu.Lock()
	c.health = err
	c.mu.Unlock()
}

// follow reads frames until the stream ends or stalls.
func (c *Client) follow() error {
	ctx, cancel := context.WithCancel(c.ctx)
	defer cancel()
	path := "/v1/stream?fps=" + strconv.Itoa(c.opts.FPS)
	if c.opts.Callers {
		path += "&results=callers"
	}
	resp, err := c.open(ctx, http.MethodGet, path, nil)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	stall := time.AfterFunc(c.opts.Stall, cancel)
	defer stall.Stop()
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 64<<20)
	for sc.Scan() {
		data, ok := bytes.CutPrefix(sc.Bytes(), []byte("data: "))
		if !ok {
			continue
		}
		stall.Reset(c.opts.Stall)
		var fr Frame
		if err := json.Unmarshal(data, &fr); err != nil {
			return fmt.Errorf("bad frame: %w", err)
		}
		if err := c.take(ctx, fr); err != nil {
			return err
		}
	}
	if err := sc.Err(); err != nil {
		return err
	}
	return io.ErrUnexpectedEOF
}

// take applies a frame.
func (c *Client) take(ctx context.Context, fr Frame) error {
	c.mu.Lock()
	stale := fr.AbilitiesVersion != c.abVersion || c.health != nil
	c.mu.Unlock()
	if stale {
		if err := c.refresh(ctx); err != nil {
			return err
		}
	}
	loads := make(map[string]LoadStatus, len(fr.Loads))
	for _, l := range fr.Loads {
		loads[l.Ability] = l
	}
	ups := make([]upstream.Status, len(fr.Upstreams))
	for i, u := range fr.Upstreams {
		ups[i] = u.status()
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.snap, c.loads, c.abVersion, c.health = fr.Snapshot, loads, fr.AbilitiesVersion, nil
	c.settings, c.ups = fr.Settings, ups
	c.frames++
	for _, w := range fr.Events {
		if w.Kind != agent.EventResult.String() {
			continue
		}
		ev, err := w.resultEvent()
		if err != nil {
			continue // an outcome this client does not know: not shown
		}
		for ch := range c.calls {
			select {
			case ch <- ev:
			default: // the viewer is behind: dropped, as the agent does
			}
		}
	}
	return nil
}

// Calls implements Backend: the results of the calls that name their
// caller, as the stream brings them (with ClientOptions.Callers; none
// without).
func (c *Client) Calls(buffer int) (<-chan agent.Event, func()) {
	ch := make(chan agent.Event, max(buffer, 1))
	c.mu.Lock()
	c.calls[ch] = struct{}{}
	c.mu.Unlock()
	var once sync.Once
	return ch, func() {
		once.Do(func() {
			c.mu.Lock()
			delete(c.calls, ch)
			c.mu.Unlock()
			close(ch)
		})
	}
}

// Upstreams returns the state of the MCP servers the agent proxies, as
// of the last frame.
func (c *Client) Upstreams() []upstream.Status {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.ups)
}

// Frames counts the frames received.
func (c *Client) Frames() uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.frames
}

func (c *Client) request(ctx context.Context, method, path string, body any) (*http.Request, error) {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return nil, err
		}
		rd = bytes.NewReader(b)
	}
	t := c.currentTarget()
	host := "agentdash"
	if t.Addr != "" {
		host = t.Addr
	}
	req, err := http.NewRequestWithContext(ctx, method, "http://"+host+path, rd)
	if err != nil {
		return nil, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.opts.Actor != "" {
		req.Header.Set("X-Agentdash-Actor", c.opts.Actor)
	}
	if t.Token != "" {
		req.Header.Set("Authorization", "Bearer "+t.Token)
	}
	return req, nil
}

// APIError is a 4xx or 5xx answer of the API.
type APIError struct {
	Status  int
	Message string
}

func (e *APIError) Error() string { return e.Message }

func apiError(resp *http.Response) error {
	var er ErrorResponse
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if json.Unmarshal(b, &er) != nil || er.Error == "" {
		er.Error = strings.TrimSpace(string(b))
	}
	return &APIError{Status: resp.StatusCode, Message: er.Error}
}

// open sends a request and returns the response of a 200, whose body the
// caller closes; any other status is an *APIError.
func (c *Client) open(ctx context.Context, method, path string, body any) (*http.Response, error) {
	req, err := c.request(ctx, method, path, body)
	if err != nil {
		return nil, err
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		defer resp.Body.Close()
		return nil, apiError(resp)
	}
	return resp, nil
}

// do sends a request and decodes a 200's body into out.
func (c *Client) do(ctx context.Context, method, path string, body, out any) error {
	resp, err := c.open(ctx, method, path, body)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if out == nil {
		_, _ = io.Copy(io.Discard, resp.Body)
		return nil
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		return fmt.Errorf("%s %s: bad answer: %w", method, path, err)
	}
	return nil
}

// actionTimeout bounds an action, so that a dashboard key never hangs on
// an agent that went away.
const actionTimeout = 10 * time.Second

func (c *Client) action(method, path string, body any) error {
	ctx, cancel := context.WithTimeout(c.ctx, actionTimeout)
	defer cancel()
	return c.do(ctx, method, path, body, nil)
}

// Snapshot implements Backend: the last one received.
func (c *Client) Snapshot() agent.Snapshot {
	c.mu.Lock()
	defer c.mu.Unlock()
	s := c.snap
	s.Abilities = append([]agent.AbilityStats(nil), s.Abilities...)
	return s
}

// Abilities implements Backend.
func (c *Client) Abilities() []agent.Info {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]agent.Info(nil), c.infos...)
}

// Health implements Backend.
func (c *Client) Health() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.health
}

// Call implements Backend: the call runs in the agent.
func (c *Client) Call(ctx context.Context, name string, args map[string]any) (agent.Result, error) {
	var cr CallResponse
	if err := c.do(ctx, http.MethodPost, "/v1/call", CallRequest{Ability: name, Args: args}, &cr); err != nil {
		var ae *APIError
		if errors.As(err, &ae) && ae.Status == http.StatusNotFound {
			return agent.Result{Outcome: agent.OutcomeBadArgs}, &agent.CallError{Ability: name, Outcome: agent.OutcomeBadArgs,
				Err: &remoteError{msg: ae.Message, sentinel: agent.ErrUnknownAbility}}
		}
		return agent.Result{Outcome: agent.OutcomeFailure}, &agent.CallError{Ability: name, Outcome: agent.OutcomeFailure, Err: err}
	}
	return callResult(name, cr)
}

func abilityPath(prefix, name, suffix string) string {
	return prefix + url.PathEscape(name) + suffix
}

// Trip implements Backend.
func (c *Client) Trip(name string) error {
	return c.action(http.MethodPost, abilityPath("/v1/breakers/", name, "/trip"), nil)
}

// Reset implements Backend.
func (c *Client) Reset(name string) error {
	return c.action(http.MethodPost, abilityPath("/v1/breakers/", name, "/reset"), nil)
}

// ResetAll implements Backend; an agent out of reach is reset by nobody.
func (c *Client) ResetAll() { _ = c.action(http.MethodPost, "/v1/breakers/reset", nil) }

// SetFault implements Backend.
func (c *Client) SetFault(name string, f agent.Fault) error {
	if f == (agent.Fault{}) {
		return c.action(http.MethodDelete, abilityPath("/v1/faults/", name, ""), nil)
	}
	return c.action(http.MethodPut, abilityPath("/v1/faults/", name, ""), FaultRequest{FailureRate: f.FailureRate, Latency: f.Latency.String()})
}

// Reload asks the agent to apply its configuration file again and
// returns what it says.
func (c *Client) Reload() (string, error) {
	ctx, cancel := context.WithTimeout(c.ctx, actionTimeout)
	defer cancel()
	var out map[string]string
	if err := c.do(ctx, http.MethodPost, "/v1/reload", nil, &out); err != nil {
		return "", err
	}
	return out["result"], nil
}

// StartLoad implements Backend: the generator runs in the agent; the
// handle's counters are those of the last frame.
func (c *Client) StartLoad(_ context.Context, s load.Spec) (load.Handle, error) {
	if err := c.putLoad(s.Ability, s.Rate, s.Mode); err != nil {
		return nil, err
	}
	return &remoteLoad{c: c, spec: s}, nil
}

func (c *Client) putLoad(name string, rate float64, mode load.Mode) error {
	return c.action(http.MethodPut, abilityPath("/v1/load/", name, ""), LoadRequest{Rate: rate, Mode: mode.String()})
}

func (c *Client) loadStatus(name string) LoadStatus {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.loads[name]
}

// remoteLoad is a load session running in the agent.
type remoteLoad struct {
	c    *Client
	mu   sync.Mutex
	spec load.Spec
	stop sync.Once
}

func (r *remoteLoad) Spec() load.Spec {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.spec
}

func (r *remoteLoad) Retune(rate float64, mode load.Mode) error {
	name := r.Spec().Ability
	if err := r.c.putLoad(name, rate, mode); err != nil {
		return err
	}
	r.mu.Lock()
	r.spec.Rate, r.spec.Mode = rate, mode
	r.mu.Unlock()
	return nil
}

func (r *remoteLoad) Sent() uint64    { return r.c.loadStatus(r.Spec().Ability).Sent }
func (r *remoteLoad) Skipped() uint64 { return r.c.loadStatus(r.Spec().Ability).Skipped }
func (r *remoteLoad) Failed() uint64  { return r.c.loadStatus(r.Spec().Ability).Failed }

func (r *remoteLoad) Stop() {
	r.stop.Do(func() {
		_ = r.c.action(http.MethodDelete, abilityPath("/v1/load/", r.Spec().Ability, ""), nil)
	})
}

// ReadToken reads a token file written by Listen, refusing one that
// others may read.
func ReadToken(path string) (string, error) {
	st, err := os.Stat(path)
	if err != nil {
		return "", fmt.Errorf("token file: %w", err)
	}
	if st.Mode().Perm()&0o077 != 0 {
		return "", fmt.Errorf("token file %s: mode %04o lets others read it; chmod 600 it", path, st.Mode().Perm())
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("token file: %w", err)
	}
	tok := strings.TrimSpace(string(b))
	if tok == "" {
		return "", fmt.Errorf("token file %s is empty", path)
	}
	return tok, nil
}

// FetchInfo asks the process t names for its description.
func FetchInfo(ctx context.Context, t Target) (Info, error) {
	c := &Client{target: t, http: &http.Client{Transport: &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			var d net.Dialer
			if t.Addr != "" {
				return d.DialContext(ctx, "tcp", t.Addr)
			}
			return d.DialContext(ctx, "unix", t.Socket)
		}}}}
	defer c.http.CloseIdleConnections()
	var in Info
	err := c.do(ctx, http.MethodGet, "/v1/info", nil, &in)
	return in, err
}

var _ Backend = (*Client)(nil)
var _ Backend = (*Local)(nil)
