package exporter

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"go.uber.org/goleak"

	"github.com/agentdash/agentdash/internal/agent"
	"github.com/agentdash/agentdash/internal/upstream"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// newAgent returns an agent with a cached ability "echo" and a failing
// ability "fail", after a few calls of each.
func newAgent(t *testing.T) *agent.Agent {
	t.Helper()
	a, err := agent.New(agent.Options{Name: "test"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(a.Close)
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(a.Register(agent.Ability{Name: "echo", CacheTTL: time.Minute,
		Func: func(_ context.Context, args map[string]any) (any, error) { return args["v"], nil }}))
	must(a.Register(agent.Ability{Name: "fail", MaxConcurrent: 2,
		Func: func(context.Context, map[string]any) (any, error) { return nil, errors.New("boom") }}))
	ctx := context.Background()
	for i := 0; i < 3; i++ {
		if _, err := a.Call(ctx, "echo", map[string]any{"v": "x"}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := a.Call(ctx, "fail", nil); err == nil {
		t.Fatal("fail succeeded")
	}
	return a
}

func TestCollectorLintsClean(t *testing.T) {
	a := newAgent(t)
	problems, err := testutil.CollectAndLint(NewCollector(a))
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Errorf("lint %s: %s", p.Metric, p.Text)
	}
}

func TestCollectorValues(t *testing.T) {
	a := newAgent(t)
	c := NewCollector(a)
	want := `
# HELP agentdash_cache_hits_total Calls answered from the result cache.
# TYPE agentdash_cache_hits_total counter
agentdash_cache_hits_total{ability="echo"} 2
# HELP agentdash_cache_misses_total Calls of a cached ability that missed the cache.
# TYPE agentdash_cache_misses_total counter
agentdash_cache_misses_total{ability="echo"} 1
# HELP agentdash_concurrency_limit Global limit on concurrently running calls.
# TYPE agentdash_concurrency_limit gauge
agentdash_concurrency_limit 8
# HELP agentdash_ability_concurrency_limit An ability's own limit on its concurrently running calls (abilities that have one).
# TYPE agentdash_ability_concurrency_limit gauge
agentdash_ability_concurrency_limit{ability="fail"} 2
# HELP agentdash_ability_concurrency_waiting Calls waiting for a slot of their ability's own limit.
# TYPE agentdash_ability_concurrency_waiting gauge
agentdash_ability_concurrency_waiting{ability="fail"} 0
`
	if err := testutil.CollectAndCompare(c, strings.NewReader(want),
		"agentdash_cache_hits_total", "agentdash_cache_misses_total", "agentdash_concurrency_limit",
		"agentdash_ability_concurrency_limit", "agentdash_ability_concurrency_waiting"); err != nil {
		t.Error(err)
	}
	body := scrape(t, Handler(a))
	for _, line := range []string{
		`agentdash_calls_total{ability="echo",outcome="success"} 3`,
		`agentdash_calls_total{ability="fail",outcome="failure"} 1`,
		`agentdash_calls_total{ability="fail",outcome="bad_args"} 0`,
		`agentdash_breaker_state{ability="fail",state="closed"} 1`,
		`agentdash_breaker_state{ability="fail",state="forced-open"} 0`,
		`agentdash_call_duration_seconds_count{ability="echo"} 3`,
		`agentdash_call_duration_seconds_bucket{ability="echo",le="+Inf"} 3`,
	} {
		if !strings.Contains(body, line+"\n") {
			t.Errorf("scrape lacks %q", line)
		}
	}
	if strings.Contains(body, `"x"`) {
		t.Error("scrape leaks call arguments")
	}
}

func TestBreakerStateFollowsTrip(t *testing.T) {
	a := newAgent(t)
	if err := a.Trip("echo"); err != nil {
		t.Fatal(err)
	}
	body := scrape(t, Handler(a))
	for _, line := range []string{
		`agentdash_breaker_state{ability="echo",state="forced-open"} 1`,
		`agentdash_breaker_state{ability="echo",state="closed"} 0`,
		`agentdash_breaker_transitions_total{ability="echo"} 1`,
	} {
		if !strings.Contains(body, line+"\n") {
			t.Errorf("scrape lacks %q", line)
		}
	}
}

func scrape(t *testing.T, h http.Handler) string {
	t.Helper()
	srv := &http.Server{Handler: h}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = srv.Serve(ln) }()
	defer srv.Close()
	resp, err := http.Get("http://" + ln.Addr().String() + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

func TestStartServesAndCloses(t *testing.T) {
	a := newAgent(t)
	s, err := Start("127.0.0.1:0", a)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.Get("http://" + s.Addr() + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	data, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(data), "agentdash_calls_total") {
		t.Fatalf("GET /metrics: %d\n%s", resp.StatusCode, data)
	}
	if err := s.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if _, err := http.Get("http://" + s.Addr() + "/metrics"); err == nil {
		t.Error("server still answers after Close")
	}
}

func TestStartErrors(t *testing.T) {
	a := newAgent(t)
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	tests := []struct {
		addr, want string
		malformed  bool // an *AddressError: the input is wrong
	}{
		{busy.Addr().String(), "port already in use", false},
		{"nonsense", `metrics address "nonsense": want host:port (e.g. 127.0.0.1:9308): missing port in address`, true},
		{"127.0.0.1:99999", `metrics address "127.0.0.1:99999": port "99999" is not a number from 0 to 65535`, true},
		{":notaport", `port "notaport" is not a number`, true},
		{"127.0.0.1:-1", `port "-1" is not a number`, true},
		{"[::1", "want host:port", true},
		{"256.0.0.1:9", `metrics address "256.0.0.1:9": host "256.0.0.1" is not a valid IPv4 address`, true},
		{"1.2.3:9", `host "1.2.3" is not a valid IPv4 address`, true},
		{"bad_host:9", `host "bad_host" is not an IP address or a host name: '_' is not allowed`, true},
		{"-lead.example:9", `host "-lead.example" is not an IP address or a host name`, true},
		{"a..b:9", `host "a..b" is not an IP address`, true},
		{"[::1%]:9", `host "::1%" is not an IP address`, true},
		{"localhost:99999", `port "99999" is not a number`, true},
	}
	for _, tt := range tests {
		s, err := Start(tt.addr, a)
		if err == nil {
			_ = s.Close(context.Background())
			t.Errorf("Start(%q) succeeded", tt.addr)
			continue
		}
		if !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Start(%q) = %v, want it to mention %q", tt.addr, err, tt.want)
		}
		var ae *AddressError
		if errors.As(err, &ae) != tt.malformed {
			t.Errorf("Start(%q) = %v: is an *AddressError = %v, want %v", tt.addr, err, !tt.malformed, tt.malformed)
		}
		if !tt.malformed && !errors.Is(err, syscall.EADDRINUSE) {
			t.Errorf("Start(%q) = %v: does not wrap EADDRINUSE", tt.addr, err)
		}
	}
	if s, err := Start("127.0.0.1:0", nil); err == nil {
		_ = s.Close(context.Background())
		t.Error("Start with a nil Source succeeded (every scrape would fail)")
	}
}

// TestGrafanaDashboardUsesExportedNames keeps assets/grafana-dashboard.json
// in step with the metric names this package exports.
func TestGrafanaDashboardUsesExportedNames(t *testing.T) {
	data, err := os.ReadFile("../../assets/grafana-dashboard.json")
	if err != nil {
		t.Fatal(err)
	}
	body := scrape(t, Handler(newAgent(t)))
	used := regexp.MustCompile(`agentdash_[a-z_]+`).FindAllString(string(data), -1)
	if len(used) == 0 {
		t.Fatal("dashboard uses no agentdash metric")
	}
	for _, name := range used {
		if !strings.Contains(body, "\n"+name) {
			t.Errorf("dashboard uses %s, which the exporter does not export", name)
		}
	}
}

// TestCheckHostAccepts: every form a listen address's host may take passes
// the syntax check (which resolves nothing).
func TestCheckHostAccepts(t *testing.T) {
	for _, host := range []string{"", "localhost", "127.0.0.1", "0.0.0.0", "::", "::1", "fe80::1%eth0",
		"example.com", "example.com.", "my-host", "a1.b2", "metrics.internal", "x"} {
		if reason := checkHost(host); reason != "" {
			t.Errorf("checkHost(%q) = %q, want it accepted", host, reason)
		}
	}
}

// reloading is an agent whose configuration is reloaded live.
type reloading struct {
	*agent.Agent
	ok, failed uint64
	last       time.Time
}

func (r reloading) ReloadStats() (uint64, uint64, time.Time) { return r.ok, r.failed, r.last }

func TestReloadMetrics(t *testing.T) {
	a := newAgent(t)
	src := reloading{Agent: a, ok: 3, failed: 2, last: time.Unix(1_700_000_000, 500_000_000)}
	want := `
# HELP agentdash_config_last_reload_success_timestamp_seconds When the configuration file was last applied (at start or by a reload), in seconds since the epoch.
# TYPE agentdash_config_last_reload_success_timestamp_seconds gauge
agentdash_config_last_reload_success_timestamp_seconds 1.7000000005e+09
# HELP agentdash_config_reloads_total Reloads of the configuration file by result (success, failure).
# TYPE agentdash_config_reloads_total counter
agentdash_config_reloads_total{result="failure"} 2
agentdash_config_reloads_total{result="success"} 3
`
	if err := testutil.CollectAndCompare(NewCollector(src), strings.NewReader(want),
		"agentdash_config_reloads_total", "agentdash_config_last_reload_success_timestamp_seconds"); err != nil {
		t.Error(err)
	}
	if problems, err := testutil.CollectAndLint(NewCollector(src)); err != nil || len(problems) > 0 {
		t.Errorf("lint: %v %v", problems, err)
	}
	if body := scrape(t, Handler(src)); !strings.Contains(body, `agentdash_config_reloads_total{result="success"} 3`+"\n") {
		t.Error("the handler does not serve the reload metrics")
	}
	if body := scrape(t, Handler(a)); strings.Contains(body, "agentdash_config_") {
		t.Error("an agent without reloads exports reload metrics")
	}
	// A source that may get a file later (the dashboard creates one) has
	// none yet: nothing, until it does.
	notYet := reloading{Agent: a}
	if body := scrape(t, Handler(notYet)); strings.Contains(body, "agentdash_config_") {
		t.Error("a source without a file yet exports reload metrics")
	}
}

// A call waiting for a slot of its ability's own limit shows in
// agentdash_ability_concurrency_waiting, and not in the global gauge;
// canceled, it is counted as canceled.
func TestAbilityLimitWaitExported(t *testing.T) {
	a, err := agent.New(agent.Options{MaxWait: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(a.Close)
	release := make(chan struct{})
	if err := a.Register(agent.Ability{Name: "busy", MaxConcurrent: 1,
		Func: func(ctx context.Context, _ map[string]any) (any, error) {
			select {
			case <-release:
			case <-ctx.Done():
			}
			return "ok", nil
		}}); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{}, 2)
	poll := func(what string, cond func(agent.AbilityStats) bool) {
		t.Helper()
		for deadline := time.Now().Add(10 * time.Second); !cond(a.Snapshot().Abilities[0]); time.Sleep(time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("timed out waiting for %s", what)
			}
		}
	}
	go func() { _, _ = a.Call(context.Background(), "busy", nil); done <- struct{}{} }()
	poll("the first call to run", func(st agent.AbilityStats) bool { return st.InFlight == 1 })
	ctx, cancel := context.WithCancel(context.Background())
	go func() { _, _ = a.Call(ctx, "busy", nil); done <- struct{}{} }()
	poll("the second call to wait", func(st agent.AbilityStats) bool { return st.Waiting == 1 })
	body := scrape(t, Handler(a))
	for _, line := range []string{
		`agentdash_ability_concurrency_limit{ability="busy"} 1`,
		`agentdash_ability_concurrency_waiting{ability="busy"} 1`,
		`agentdash_concurrency_waiting 0`,
	} {
		if !strings.Contains(body, line+"\n") {
			t.Errorf("scrape lacks %q", line)
		}
	}
	cancel()
	<-done
	close(release)
	<-done
	if body := scrape(t, Handler(a)); !strings.Contains(body, `agentdash_calls_total{ability="busy",outcome="canceled"} 1`+"\n") ||
		!strings.Contains(body, `agentdash_ability_concurrency_waiting{ability="busy"} 0`+"\n") {
		t.Errorf("after the cancel, the scrape lacks the canceled call or still counts it waiting:\n%s", body)
	}
}

// proxying is an agent that proxies the tools of MCP servers.
type proxying struct {
	*agent.Agent
	st []upstream.Status
}

func (p proxying) Upstreams() []upstream.Status { return p.st }

func TestUpstreamMetrics(t *testing.T) {
	a := newAgent(t)
	src := proxying{Agent: a, st: []upstream.Status{
		{Name: "everything", State: upstream.Connected, Tools: 11, Restarts: 2},
		{Name: "fs", State: upstream.Failed, Restarts: 7, LastError: "boom"},
	}}
	want := `
# HELP agentdash_upstream_connected Whether the upstream MCP server is connected (1) or not (0: connecting, or failed and waiting to retry).
# TYPE agentdash_upstream_connected gauge
agentdash_upstream_connected{server="everything"} 1
agentdash_upstream_connected{server="fs"} 0
# HELP agentdash_upstream_restarts_total Times the upstream MCP server was started or connected again after its first attempt.
# TYPE agentdash_upstream_restarts_total counter
agentdash_upstream_restarts_total{server="everything"} 2
agentdash_upstream_restarts_total{server="fs"} 7
# HELP agentdash_upstream_tools Tools of the upstream MCP server served as abilities.
# TYPE agentdash_upstream_tools gauge
agentdash_upstream_tools{server="everything"} 11
agentdash_upstream_tools{server="fs"} 0
`
	if err := testutil.CollectAndCompare(NewCollector(src), strings.NewReader(want),
		"agentdash_upstream_connected", "agentdash_upstream_restarts_total", "agentdash_upstream_tools"); err != nil {
		t.Error(err)
	}
	if problems, err := testutil.CollectAndLint(NewCollector(src)); err != nil || len(problems) > 0 {
		t.Errorf("lint: %v %v", problems, err)
	}
	if body := scrape(t, Handler(a)); strings.Contains(body, "agentdash_upstream_") {
		t.Error("an agent without upstreams exports upstream metrics")
	}
}
