package control

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/agentdash/agentdash/internal/agent"
	"github.com/agentdash/agentdash/internal/breaker"
	"github.com/agentdash/agentdash/internal/load"
	"github.com/agentdash/agentdash/internal/schema"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func newTestAgent(t testing.TB) *agent.Agent {
	t.Helper()
	a, err := agent.New(agent.Options{Name: "demo"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(a.Close)
	num := &schema.Property{Type: schema.TypeNumber}
	for _, ab := range []agent.Ability{
		{Name: "sum", Description: "adds", Schema: &schema.Schema{Type: "object", Required: []string{"a", "b"},
			Properties: map[string]*schema.Property{"a": num, "b": num}},
			Func: func(_ context.Context, args map[string]any) (any, error) {
				return args["a"].(float64) + args["b"].(float64), nil
			}},
		{Name: "echo", Func: func(_ context.Context, args map[string]any) (any, error) { return args, nil }},
	} {
		if err := a.Register(ab); err != nil {
			t.Fatal(err)
		}
	}
	return a
}

// shortDir is a per-test directory with a path short enough for a socket.
func shortDir(t testing.TB) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "ctl")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	return filepath.Join(dir, "agentdash")
}

type fixture struct {
	a   *agent.Agent
	srv *Server
	ep  *Endpoint
	dir string
	hc  *http.Client
}

func start(t testing.TB, a *agent.Agent, dir string, pid int, lo ListenOptions, so ServerOptions) *fixture {
	t.Helper()
	so.Agent = a
	so.Info = Info{Name: "demo", PID: pid, Started: time.Now(), Command: "serve", Transport: "metrics 127.0.0.1:0"}
	srv := NewServer(so)
	lo.Dir = dir
	ep, err := Listen(srv, lo)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(ep.Close)
	socket := ep.Info().Socket
	hc := &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, "unix", socket)
	}}}
	t.Cleanup(hc.CloseIdleConnections)
	return &fixture{a: a, srv: srv, ep: ep, dir: dir, hc: hc}
}

func (f *fixture) req(t testing.TB, method, path, body string, hdr ...string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, "http://agentdash"+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := f.hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var er ErrorResponse
	if resp.StatusCode >= 400 && json.Unmarshal(b, &er) == nil {
		return resp.StatusCode, er.Error
	}
	return resp.StatusCode, string(b)
}

func stateOf(t testing.TB, a *agent.Agent, name string) breaker.State {
	t.Helper()
	for _, s := range a.Snapshot().Abilities {
		if s.Name == name {
			return s.Breaker.State
		}
	}
	t.Fatalf("no ability %s", name)
	return 0
}

// TestAPIErrors: every bad request is a clear 4xx and changes nothing.
func TestAPIErrors(t *testing.T) {
	f := start(t, newTestAgent(t), shortDir(t), 101, ListenOptions{}, ServerOptions{})
	big := `{"ability":"echo","args":{"x":"` + strings.Repeat("a", MaxBodyBytes) + `"}}`
	for _, tc := range []struct {
		name, method, path, body string
		code                     int
		want                     string
	}{
		{"bad JSON", "POST", "/v1/call", `{"ability":`, 400, "bad JSON body"},
		{"not an object", "POST", "/v1/call", `[1]`, 400, "bad JSON body"},
		{"unknown field", "POST", "/v1/call", `{"ability":"sum","argz":{}}`, 400, `unknown field "argz"`},
		{"trailing data", "POST", "/v1/call", `{"ability":"sum"} {}`, 400, "more than one JSON value"},
		{"empty body", "PUT", "/v1/faults/sum", ``, 400, "empty body"},
		{"no ability", "POST", "/v1/call", `{"args":{}}`, 400, `"ability" is missing`},
		{"unknown ability", "POST", "/v1/call", `{"ability":"nope"}`, 404, `unknown ability "nope" (known: echo, sum)`},
		{"trip unknown", "POST", "/v1/breakers/nope/trip", ``, 404, `unknown ability "nope"`},
		{"fault unknown", "PUT", "/v1/faults/nope", `{"failure_rate":1}`, 404, `unknown ability "nope"`},
		{"fault rate", "PUT", "/v1/faults/sum", `{"failure_rate":2}`, 400, "outside [0, 1]"},
		{"fault latency", "PUT", "/v1/faults/sum", `{"failure_rate":0.5,"latency":"soon"}`, 400, `latency "soon"`},
		{"oversized", "POST", "/v1/call", big, 413, "larger than 1048576 bytes"},
		{"load rate", "PUT", "/v1/load/sum", `{"rate":0}`, 400, "not in (0, 100000]"},
		{"load mode", "PUT", "/v1/load/sum", `{"rate":1,"mode":"wild"}`, 400, `load mode "wild"`},
		{"load off none", "DELETE", "/v1/load/sum", ``, 404, `no load running on "sum"`},
		{"no reload", "POST", "/v1/reload", ``, 409, "without a configuration file"},
		{"bad fps", "GET", "/v1/stream?fps=0", ``, 400, "fps"},
		{"no endpoint", "GET", "/v2/snapshot", ``, 404, "not found"},
		{"wrong method", "GET", "/v1/call", ``, 405, "Method Not Allowed"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, body := f.req(t, tc.method, tc.path, tc.body)
			if code != tc.code || !strings.Contains(body, tc.want) {
				t.Fatalf("%s %s = %d %s, want %d containing %q", tc.method, tc.path, code, body, tc.code, tc.want)
			}
		})
	}
	snap := f.a.Snapshot()
	for _, s := range snap.Abilities {
		if s.Calls != 0 || s.Breaker.State != breaker.Closed || s.Fault != (agent.Fault{}) {
			t.Fatalf("a bad request changed %s: %+v", s.Name, s)
		}
	}
	if n := len(f.srv.loadStatuses()); n != 0 {
		t.Fatalf("%d load sessions after bad requests", n)
	}
}

// TestAPIActions: the actions act, and each is an action event naming
// who did it, with the PID the socket vouches for.
func TestAPIActions(t *testing.T) {
	a := newTestAgent(t)
	sub := a.SubscribeTo(64, agent.EventAction)
	defer sub.Close()
	f := start(t, a, shortDir(t), 102, ListenOptions{}, ServerOptions{Reload: func() (string, error) { return "reloaded (api)", nil }})
	actor := []string{"X-Agentdash-Actor", "attach"}

	code, body := f.req(t, "POST", "/v1/call", `{"ability":"sum","args":{"a":1,"b":2}}`)
	if code != 200 || !strings.Contains(body, `"outcome":"success"`) || !strings.Contains(body, `"value":3`) {
		t.Fatalf("call = %d %s", code, body)
	}
	code, body = f.req(t, "POST", "/v1/call", `{"ability":"sum","args":{"a":"x","b":2}}`)
	if code != 200 || !strings.Contains(body, `"outcome":"bad_args"`) || !strings.Contains(body, `argument \"a\"`) {
		t.Fatalf("bad args call = %d %s", code, body)
	}
	if code, body = f.req(t, "POST", "/v1/breakers/sum/trip", "", actor...); code != 200 || !strings.Contains(body, `"forced-open"`) {
		t.Fatalf("trip = %d %s", code, body)
	}
	if s := stateOf(t, a, "sum"); s != breaker.ForcedOpen {
		t.Fatalf("after trip the breaker is %v", s)
	}
	code, body = f.req(t, "POST", "/v1/call", `{"ability":"sum","args":{"a":1,"b":2}}`)
	if code != 200 || !strings.Contains(body, `"outcome":"short_circuited"`) {
		t.Fatalf("call through a tripped breaker = %d %s", code, body)
	}
	if code, _ = f.req(t, "POST", "/v1/breakers/sum/reset", "", actor...); code != 200 || stateOf(t, a, "sum") != breaker.Closed {
		t.Fatalf("reset = %d, state %v", code, stateOf(t, a, "sum"))
	}
	if code, _ = f.req(t, "PUT", "/v1/faults/echo", `{"failure_rate":0.5,"latency":"1ms"}`, actor...); code != 200 {
		t.Fatalf("fault = %d", code)
	}
	if fl, _ := a.Fault("echo"); fl != (agent.Fault{FailureRate: 0.5, Latency: time.Millisecond}) {
		t.Fatalf("fault = %+v", fl)
	}
	if code, _ = f.req(t, "DELETE", "/v1/faults/echo", ``, actor...); code != 200 {
		t.Fatalf("clear fault = %d", code)
	}
	if fl, _ := a.Fault("echo"); fl != (agent.Fault{}) {
		t.Fatalf("fault after clear = %+v", fl)
	}
	if code, body = f.req(t, "PUT", "/v1/load/echo", `{"rate":200,"mode":"repeat"}`, actor...); code != 200 || !strings.Contains(body, `"mode":"repeat"`) {
		t.Fatalf("load on = %d %s", code, body)
	}
	if code, body = f.req(t, "PUT", "/v1/load/echo", `{"rate":100,"mode":"vary"}`, actor...); code != 200 || !strings.Contains(body, `"rate":100`) {
		t.Fatalf("load retune = %d %s", code, body)
	}
	deadline := time.Now().Add(30 * time.Second)
	for f.srv.loadStatuses()[0].Sent < 3 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if code, _ = f.req(t, "DELETE", "/v1/load/echo", ``, actor...); code != 200 {
		t.Fatalf("load off = %d", code)
	}
	if code, body = f.req(t, "POST", "/v1/breakers/reset", ``, actor...); code != 200 {
		t.Fatalf("reset all = %d %s", code, body)
	}
	if code, body = f.req(t, "POST", "/v1/reload", ``, actor...); code != 200 || !strings.Contains(body, "reloaded (api)") {
		t.Fatalf("reload = %d %s", code, body)
	}

	want := []string{"trip sum", "reset sum", "fault 50%/1ms echo", "clear fault echo", "load 200/s repeat echo",
		"load 100/s vary echo", "load off echo", "reset all ", "reload "}
	for _, w := range want {
		ev := <-sub.C()
		if got := ev.Action + " " + ev.Ability; got != w {
			t.Fatalf("action event %q, want %q", got, w)
		}
		wantActor := "attach (unix socket)"
		if runtime.GOOS == "linux" {
			wantActor = fmt.Sprintf("attach (pid %d, uid %d)", os.Getpid(), os.Getuid())
		}
		if ev.Actor != wantActor {
			t.Fatalf("actor %q, want %q", ev.Actor, wantActor)
		}
	}
}

// TestTCPToken: on TCP a request needs the token of the 0600 file;
// missing and wrong ones change nothing.
func TestTCPToken(t *testing.T) {
	a := newTestAgent(t)
	f := start(t, a, shortDir(t), 103, ListenOptions{TCPAddr: "127.0.0.1:0"}, ServerOptions{})
	in := f.ep.Info()
	st, err := os.Stat(in.TokenFile)
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("token file %s: %v, mode %v", in.TokenFile, err, st.Mode())
	}
	token, err := ReadToken(in.TokenFile)
	if err != nil || len(token) != 64 {
		t.Fatalf("token %q, %v: want 256 bits in hex", token, err)
	}
	side, _ := os.ReadFile(filepath.Join(f.dir, fileBase("demo", 103)+".json"))
	if strings.Contains(string(side), token) {
		t.Fatal("the sidecar holds the token")
	}
	do := func(auth string) (int, string) {
		req, _ := http.NewRequest("POST", "http://"+in.TCP+"/v1/breakers/sum/trip", nil)
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, body := do(""); code != 401 || !strings.Contains(body, "missing bearer token") {
		t.Fatalf("no token: %d %s", code, body)
	}
	if code, body := do("Bearer " + strings.Repeat("0", 64)); code != 403 || !strings.Contains(body, "wrong bearer token") || strings.Contains(body, token) {
		t.Fatalf("wrong token: %d %s", code, body)
	}
	if s := stateOf(t, a, "sum"); s != breaker.Closed {
		t.Fatalf("refused requests changed the breaker: %v", s)
	}
	if code, body := do("Bearer " + token); code != 200 {
		t.Fatalf("right token: %d %s", code, body)
	}
	if s := stateOf(t, a, "sum"); s != breaker.ForcedOpen {
		t.Fatalf("the right token did not trip: %v", s)
	}

	// A client with the token works over TCP too.
	c, err := Dial(t.Context(), Target{Addr: in.TCP, Token: token}, ClientOptions{Actor: "attach"})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Reset("sum"); err != nil {
		t.Fatal(err)
	}
	if _, err := Dial(t.Context(), Target{Addr: in.TCP, Token: "x"}, ClientOptions{}); err == nil || !strings.Contains(err.Error(), "wrong bearer token") {
		t.Fatalf("Dial with a wrong token: %v", err)
	}
}

func TestNonLoopbackNeedsConsent(t *testing.T) {
	srv := NewServer(ServerOptions{Agent: newTestAgent(t), Info: Info{Name: "demo", PID: 104}})
	defer srv.Close()
	_, err := Listen(srv, ListenOptions{Dir: shortDir(t), TCPAddr: "0.0.0.0:0"})
	if err == nil || !strings.Contains(err.Error(), "not loopback") {
		t.Fatalf("Listen on 0.0.0.0 without AllowRemote: %v", err)
	}
}

// TestFilesAndStale: the socket is 0600 in a 0700 directory; a dead
// process's files are removed by the next List; Close removes its own.
func TestFilesAndStale(t *testing.T) {
	dir := shortDir(t)
	f := start(t, newTestAgent(t), dir, 105, ListenOptions{}, ServerOptions{})
	st, err := os.Stat(f.ep.Info().Socket)
	if err != nil {
		t.Fatal(err)
	}
	if runtime.GOOS != "windows" {
		if st.Mode().Perm() != 0o600 {
			t.Fatalf("socket mode %v", st.Mode().Perm())
		}
		if dst, _ := os.Stat(dir); dst.Mode().Perm() != 0o700 {
			t.Fatalf("directory mode %v", dst.Mode().Perm())
		}
	}
	// A process that died without cleaning up: its socket answers nobody.
	dead := filepath.Join(dir, fileBase("demo", 999999))
	ln, err := net.Listen("unix", dead+".sock")
	if err != nil {
		t.Fatal(err)
	}
	ln.(*net.UnixListener).SetUnlinkOnClose(false)
	_ = ln.Close()
	if err := writeSidecar(dead+".json", Info{Name: "demo", PID: 999999}); err != nil {
		t.Fatal(err)
	}
	list, err := List(dir)
	if err != nil || len(list) != 1 || list[0].PID != 105 {
		t.Fatalf("List = %+v, %v; want the live one only", list, err)
	}
	for _, ext := range []string{".sock", ".json"} {
		if _, err := os.Stat(dead + ext); !errors.Is(err, os.ErrNotExist) {
			t.Fatalf("stale %s left: %v", ext, err)
		}
	}
	if in, err := Find(dir, ""); err != nil || in.PID != 105 {
		t.Fatalf("Find(\"\") = %+v, %v", in, err)
	}
	if _, err := Find(dir, "other"); err == nil || !strings.Contains(err.Error(), `no agentdash process "other" (running: demo (pid 105, serve))`) {
		t.Fatalf("Find(other): %v", err)
	}
	f.ep.Close()
	if list, _ := List(dir); len(list) != 0 {
		t.Fatalf("after Close List = %+v", list)
	}
	if _, err := os.Stat(f.ep.Info().Socket); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("socket left after Close: %v", err)
	}
}

func TestFindAmbiguous(t *testing.T) {
	dir := shortDir(t)
	a := newTestAgent(t)
	start(t, a, dir, 201, ListenOptions{}, ServerOptions{})
	start(t, a, dir, 202, ListenOptions{}, ServerOptions{})
	if _, err := Find(dir, ""); err == nil || !strings.Contains(err.Error(), "2 agentdash processes are running, name one") {
		t.Fatalf("Find(\"\"): %v", err)
	}
	if _, err := Find(dir, "demo"); err == nil || !strings.Contains(err.Error(), `named "demo", give a PID`) {
		t.Fatalf("Find(demo): %v", err)
	}
	if in, err := Find(dir, "202"); err != nil || in.PID != 202 {
		t.Fatalf("Find(202) = %+v, %v", in, err)
	}
}

func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestFourViewers: four clients see the same state, and an action by one
// is seen by all; closing them leaves the agent as it was.
func TestFourViewers(t *testing.T) {
	a := newTestAgent(t)
	f := start(t, a, shortDir(t), 106, ListenOptions{}, ServerOptions{})
	var clients []*Client
	for range 4 {
		c, err := Dial(t.Context(), Target{Socket: f.ep.Info().Socket}, ClientOptions{Actor: "attach", FPS: 30})
		if err != nil {
			t.Fatal(err)
		}
		clients = append(clients, c)
	}
	if err := clients[0].Trip("sum"); err != nil {
		t.Fatal(err)
	}
	if _, err := clients[1].Call(t.Context(), "echo", map[string]any{"x": 1.0}); err != nil {
		t.Fatal(err)
	}
	for i, c := range clients {
		waitFor(t, fmt.Sprintf("viewer %d to see the trip and the call", i), func() bool {
			s := c.Snapshot()
			return len(s.Abilities) == 2 && s.Abilities[1].Name == "sum" && s.Abilities[1].Breaker.State == breaker.ForcedOpen &&
				s.Abilities[0].Calls == 1
		})
		if names := len(c.Abilities()); names != 2 || c.Health() != nil {
			t.Fatalf("viewer %d: %d abilities, health %v", i, names, c.Health())
		}
	}
	for _, c := range clients {
		c.Close()
	}
	waitFor(t, "the streams to end", func() bool { return f.srv.Viewers() == 0 })
	if s := stateOf(t, a, "sum"); s != breaker.ForcedOpen {
		t.Fatalf("closing the viewers changed the breaker: %v", s)
	}
	if _, err := a.Call(t.Context(), "echo", nil); err != nil {
		t.Fatalf("the agent after the viewers left: %v", err)
	}
}

// TestClientCall: a remote call's result and error are those of a local
// one, sentinels included.
func TestClientCall(t *testing.T) {
	a := newTestAgent(t)
	f := start(t, a, shortDir(t), 107, ListenOptions{}, ServerOptions{})
	c, err := Dial(t.Context(), Target{Socket: f.ep.Info().Socket}, ClientOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	res, err := c.Call(t.Context(), "sum", map[string]any{"a": 1, "b": 2.5})
	if err != nil || res.Value != 3.5 || res.Outcome != agent.OutcomeSuccess {
		t.Fatalf("Call = %+v, %v", res, err)
	}
	_, lerr := a.Call(t.Context(), "sum", map[string]any{"a": "x", "b": 1})
	res, err = c.Call(t.Context(), "sum", map[string]any{"a": "x", "b": 1})
	if !errors.Is(err, agent.ErrBadArgs) || res.Outcome != agent.OutcomeBadArgs || err.Error() != lerr.Error() {
		t.Fatalf("bad args: %+v, %v; want %v", res, err, lerr)
	}
	_ = c.Trip("sum")
	if _, err = c.Call(t.Context(), "sum", map[string]any{"a": 1, "b": 1}); !errors.Is(err, agent.ErrOpen) {
		t.Fatalf("open breaker: %v", err)
	}
	if _, err = c.Call(t.Context(), "nope", nil); !errors.Is(err, agent.ErrUnknownAbility) {
		t.Fatalf("unknown: %v", err)
	}
	if err := c.SetFault("echo", agent.Fault{FailureRate: 1}); err != nil {
		t.Fatal(err)
	}
	if _, err = c.Call(t.Context(), "echo", nil); err == nil || !strings.Contains(err.Error(), "injected fault") {
		t.Fatalf("fault: %v", err)
	}
	if err := c.SetFault("echo", agent.Fault{FailureRate: 3}); err == nil || !strings.Contains(err.Error(), "outside [0, 1]") {
		t.Fatalf("bad fault: %v", err)
	}
	h, err := c.StartLoad(t.Context(), load.Spec{Ability: "sum", Rate: 100, Mode: load.Repeat})
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the load counters to arrive", func() bool { return h.Sent() > 2 && h.Failed() > 0 }) // sum is tripped
	if err := h.Retune(50, load.Vary); err != nil || h.Spec().Rate != 50 {
		t.Fatalf("Retune: %v, %+v", err, h.Spec())
	}
	h.Stop()
	if n := len(f.srv.loadStatuses()); n != 0 {
		t.Fatalf("%d sessions after Stop", n)
	}
	if ex := c.Abilities()[1].ExampleArgs(); ex == nil {
		t.Fatal("no example args")
	}
}

// TestReconnect: the agent goes away, the client says so and finds the new
// process of the same name.
func TestReconnect(t *testing.T) {
	dir := shortDir(t)
	a := newTestAgent(t)
	f := start(t, a, dir, 301, ListenOptions{}, ServerOptions{})
	c, err := Dial(t.Context(), Target{Dir: dir, Name: "demo", Socket: f.ep.Info().Socket},
		ClientOptions{Retry: 20 * time.Millisecond, FPS: 30})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	f.ep.Close()
	waitFor(t, "the client to see the agent gone", func() bool { return errors.Is(c.Health(), ErrDisconnected) })
	if !strings.Contains(c.Health().Error(), "disconnected — retrying") {
		t.Fatalf("health: %v", c.Health())
	}
	b := newTestAgent(t)
	if err := b.Trip("echo"); err != nil {
		t.Fatal(err)
	}
	g := start(t, b, dir, 302, ListenOptions{}, ServerOptions{})
	waitFor(t, "the client to reconnect", func() bool {
		return c.Health() == nil && c.Target().Socket == g.ep.Info().Socket
	})
	waitFor(t, "the new agent's state", func() bool { return c.Snapshot().Abilities[0].Breaker.State == breaker.ForcedOpen })
}

// TestStalledViewer: a viewer that stops reading neither slows the agent
// nor makes it hold more memory; it is dropped after the write timeout.
func TestStalledViewer(t *testing.T) {
	a := newTestAgent(t)
	f := start(t, a, shortDir(t), 401, ListenOptions{}, ServerOptions{WriteTimeout: time.Second})
	conn, err := net.Dial("unix", f.ep.Info().Socket)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := fmt.Fprintf(conn, "GET /v1/stream?fps=60&results=true HTTP/1.1\r\nHost: agentdash\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReader(conn)
	if line, err := br.ReadString('\n'); err != nil || !strings.Contains(line, "200") {
		t.Fatalf("stream answer %q, %v", line, err)
	}
	// From here on the viewer reads nothing.
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	args := map[string]any{"x": strings.Repeat("y", 100)}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := 0; i < 50_000; i++ {
			_, _ = a.Call(context.Background(), "echo", args)
		}
	}()
	select {
	case <-done:
	case <-time.After(2 * time.Minute):
		t.Fatal("calls blocked behind a stalled viewer")
	}
	waitFor(t, "the stalled viewer to be dropped", func() bool { return f.srv.Viewers() == 0 })
	runtime.GC()
	runtime.ReadMemStats(&after)
	if grew := int64(after.HeapAlloc) - int64(before.HeapAlloc); grew > 8<<20 {
		t.Fatalf("the heap grew by %d bytes with a stalled viewer", grew)
	}
}

// TestFrameJSON: a frame survives the trip through JSON, breaker states
// by name.
func TestFrameJSON(t *testing.T) {
	a := newTestAgent(t)
	_ = a.Trip("sum")
	_, _ = a.Call(t.Context(), "echo", nil)
	fr := Frame{Snapshot: wireSnapshot(a.Snapshot())}
	b, err := json.Marshal(fr)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), `"State":"forced-open"`) {
		t.Fatalf("no forced-open in %s", b)
	}
	var back Frame
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if back.Snapshot.Abilities[1].Breaker.State != breaker.ForcedOpen || back.Snapshot.Abilities[0].Calls != 1 {
		t.Fatalf("round trip: %+v", back.Snapshot.Abilities)
	}
}

// TestSamePIDTwice: two endpoints of one process, started at once, get
// files of their own, and closing one leaves the other's; a socket being
// set up (no sidecar yet) is not taken for stale.
func TestSamePIDTwice(t *testing.T) {
	dir := shortDir(t)
	a := newTestAgent(t)
	var wg sync.WaitGroup
	fs := make([]*fixture, 2)
	for i := range fs {
		wg.Go(func() { fs[i] = start(t, a, dir, 601, ListenOptions{}, ServerOptions{}) })
	}
	wg.Wait()
	if fs[0].ep.Info().Socket == fs[1].ep.Info().Socket {
		t.Fatalf("both endpoints on %s", fs[0].ep.Info().Socket)
	}
	if list, _ := List(dir); len(list) != 2 {
		t.Fatalf("List = %+v, want both", list)
	}
	fs[0].ep.Close()
	if list, _ := List(dir); len(list) != 1 || list[0].Socket != fs[1].ep.Info().Socket {
		t.Fatalf("after closing one, List = %+v", list)
	}
	young := filepath.Join(dir, "demo-602.sock")
	ln, err := net.Listen("unix", young)
	if err != nil {
		t.Fatal(err)
	}
	ln.(*net.UnixListener).SetUnlinkOnClose(false)
	_ = ln.Close()
	_, _ = List(dir)
	if _, err := os.Stat(young); err != nil {
		t.Fatalf("a socket without its sidecar yet was removed: %v", err)
	}
}

// TestLocalRecords: the local backend acts on the agent and records every
// change as made by its actor, load sessions included.
func TestLocalRecords(t *testing.T) {
	a := newTestAgent(t)
	sub := a.SubscribeTo(16, agent.EventAction)
	defer sub.Close()
	l := NewLocal(a, "local dashboard")
	if err := l.Trip("sum"); err != nil || stateOf(t, a, "sum") != breaker.ForcedOpen {
		t.Fatalf("Trip: %v, %v", err, stateOf(t, a, "sum"))
	}
	if err := l.Trip("nope"); err == nil {
		t.Fatal("Trip(nope) succeeded")
	}
	_ = l.Reset("sum")
	l.ResetAll()
	_ = l.SetFault("echo", agent.Fault{FailureRate: 0.25})
	h, err := l.StartLoad(t.Context(), load.Spec{Ability: "echo", Rate: 10, Mode: load.Repeat})
	if err != nil {
		t.Fatal(err)
	}
	_ = h.Retune(20, load.Vary)
	h.Stop()
	h.Stop()
	for _, want := range []string{"trip sum", "reset sum", "reset all ", "fault 25%/0s echo", "load 10/s repeat echo", "load 20/s vary echo", "load off echo"} {
		ev := <-sub.C()
		if got := ev.Action + " " + ev.Ability; got != want || ev.Actor != "local dashboard" {
			t.Fatalf("action %q by %q, want %q by the local dashboard", got, ev.Actor, want)
		}
	}
	if len(sub.C()) != 0 {
		t.Fatalf("%d more actions (a failed trip or a second stop recorded?)", len(sub.C()))
	}
	if l.Health() != nil || len(l.Abilities()) != 2 || l.Snapshot().Name != "demo" {
		t.Fatal("Local does not report the agent")
	}
}
