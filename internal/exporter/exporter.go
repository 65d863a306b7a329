// Package exporter exposes an agent's in-memory metrics to Prometheus.
//
// The agent keeps its metrics itself (the dashboard reads them directly);
// this package only translates an agent.Snapshot into Prometheus metrics at
// scrape time, through a prometheus.Collector, and serves them over HTTP.
// Every metric carries the prefix "agentdash_" and only the labels ability,
// outcome, state and server — never call arguments.
package exporter

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/agentdash/agentdash/internal/agent"
	"github.com/agentdash/agentdash/internal/breaker"
	"github.com/agentdash/agentdash/internal/upstream"
)

// DefaultAddr is the default listen address: the port of the original tool,
// on loopback so that metrics are not exposed beyond the machine unless the
// user asks for it.
const DefaultAddr = "127.0.0.1:9308"

// Source is what the collector reads: *agent.Agent satisfies it.
type Source interface {
	Snapshot() agent.Snapshot
}

// ReloadSource is what a Source may also be when the agent's
// configuration is reloaded live (a *reload.Reloader has the method): the
// collector then exports agentdash_config_reloads_total{result} and
// agentdash_config_last_reload_success_timestamp_seconds, as Prometheus
// names them for its own configuration.
// A zero lastSuccess says there is no file (yet): nothing is exported.
type ReloadSource interface {
	ReloadStats() (successes, failures uint64, lastSuccess time.Time)
}

func (c *Collector) reloadStats() (uint64, uint64, time.Time) {
	if c.reloads == nil {
		return 0, 0, time.Time{}
	}
	return c.reloads.ReloadStats()
}

// UpstreamSource is what a Source may also be when the agent proxies the
// tools of MCP servers: the collector then exports
// agentdash_upstream_connected{server}, agentdash_upstream_tools{server}
// and agentdash_upstream_restarts_total{server}.
type UpstreamSource interface {
	Upstreams() []upstream.Status
}

// Collector is a prometheus.Collector over an agent's snapshot.
type Collector struct {
	src       Source
	reloads   ReloadSource   // nil unless src is one
	upstreams UpstreamSource // nil unless src is one

	upConnected *prometheus.Desc
	upTools     *prometheus.Desc
	upRestarts  *prometheus.Desc

	reloadsTotal *prometheus.Desc
	lastReload   *prometheus.Desc

	calls       *prometheus.Desc
	inFlight    *prometheus.Desc
	duration    *prometheus.Desc
	cacheHits   *prometheus.Desc
	cacheMisses *prometheus.Desc
	cacheEvict  *prometheus.Desc
	cacheSize   *prometheus.Desc
	state       *prometheus.Desc
	transitions *prometheus.Desc
	cooldown    *prometheus.Desc
	limit       *prometheus.Desc
	inUse       *prometheus.Desc
	waiting     *prometheus.Desc
	abLimit     *prometheus.Desc
	abWaiting   *prometheus.Desc
}

// states lists every breaker state, exported as one 0/1 series each so that
// a dashboard can show the current state with a plain sum by (state).
var states = [...]breaker.State{breaker.Closed, breaker.Open, breaker.HalfOpen, breaker.ForcedOpen}

// NewCollector returns a collector that reads src at every scrape.
func NewCollector(src Source) *Collector {
	ab := []string{"ability"}
	reloads, _ := src.(ReloadSource)
	upstreams, _ := src.(UpstreamSource)
	server := []string{"server"}
	return &Collector{
		src:       src,
		reloads:   reloads,
		upstreams: upstreams,
		upConnected: prometheus.NewDesc("agentdash_upstream_connected",
			"Whether the upstream MCP server is connected (1) or not (0: connecting, or failed and waiting to retry).", server, nil),
		upTools: prometheus.NewDesc("agentdash_upstream_tools",
			"Tools of the upstream MCP server served as abilities.", server, nil),
		upRestarts: prometheus.NewDesc("agentdash_upstream_restarts_total",
			"Times the upstream MCP server was started or connected again after its first attempt.", server, nil),
		reloadsTotal: prometheus.NewDesc("agentdash_config_reloads_total",
			"Reloads of the configuration file by result (success, failure).", []string{"result"}, nil),
		lastReload: prometheus.NewDesc("agentdash_config_last_reload_success_timestamp_seconds",
			"When the configuration file was last applied (at start or by a reload), in seconds since the epoch.", nil, nil),
		calls: prometheus.NewDesc("agentdash_calls_total",
			"Ability calls by outcome (success, failure, timeout, rejected, short_circuited, bad_args, canceled).",
			[]string{"ability", "outcome"}, nil),
		inFlight: prometheus.NewDesc("agentdash_calls_in_flight",
			"Ability calls currently running.", ab, nil),
		duration: prometheus.NewDesc("agentdash_call_duration_seconds",
			"Latency of ability calls, including cache hits.", ab, nil),
		cacheHits: prometheus.NewDesc("agentdash_cache_hits_total",
			"Calls answered from the result cache.", ab, nil),
		cacheMisses: prometheus.NewDesc("agentdash_cache_misses_total",
			"Calls of a cached ability that missed the cache.", ab, nil),
		cacheEvict: prometheus.NewDesc("agentdash_cache_evictions_total",
			"Entries evicted from the result cache (size bound or expiry).", ab, nil),
		cacheSize: prometheus.NewDesc("agentdash_cache_entries",
			"Entries currently in the result cache.", ab, nil),
		state: prometheus.NewDesc("agentdash_breaker_state",
			"Circuit breaker state: 1 for the current state, 0 for the others.",
			[]string{"ability", "state"}, nil),
		transitions: prometheus.NewDesc("agentdash_breaker_transitions_total",
			"Circuit breaker state transitions.", ab, nil),
		cooldown: prometheus.NewDesc("agentdash_breaker_cooldown_remaining_seconds",
			"Time until an open breaker lets a probe through; 0 when not open.", ab, nil),
		limit: prometheus.NewDesc("agentdash_concurrency_limit",
			"Global limit on concurrently running calls.", nil, nil),
		inUse: prometheus.NewDesc("agentdash_concurrency_in_use",
			"Concurrency slots in use.", nil, nil),
		waiting: prometheus.NewDesc("agentdash_concurrency_waiting",
			"Calls waiting for a global concurrency slot.", nil, nil),
		abLimit: prometheus.NewDesc("agentdash_ability_concurrency_limit",
			"An ability's own limit on its concurrently running calls (abilities that have one).", ab, nil),
		abWaiting: prometheus.NewDesc("agentdash_ability_concurrency_waiting",
			"Calls waiting for a slot of their ability's own limit.", ab, nil),
	}
}

// Describe implements prometheus.Collector.
func (c *Collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.calls, c.inFlight, c.duration, c.cacheHits,
		c.cacheMisses, c.cacheEvict, c.cacheSize, c.state, c.transitions, c.cooldown,
		c.limit, c.inUse, c.waiting, c.abLimit, c.abWaiting} {
		ch <- d
	}
	if c.reloads != nil {
		ch <- c.reloadsTotal
		ch <- c.lastReload
	}
	if c.upstreams != nil {
		ch <- c.upConnected
		ch <- c.upTools
		ch <- c.upRestarts
	}
}

// Collect implements prometheus.Collector.
func (c *Collector) Collect(ch chan<- prometheus.Metric) {
	snap := c.src.Snapshot()
	gauge := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
	}
	counter := func(d *prometheus.Desc, v uint64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, float64(v), labels...)
	}
	gauge(c.limit, float64(snap.Limit))
	gauge(c.inUse, float64(snap.InUse))
	gauge(c.waiting, float64(snap.Waiting))
	// A zero lastSuccess: no file yet (the process may create one later).
	if ok, failed, last := c.reloadStats(); !last.IsZero() {
		counter(c.reloadsTotal, ok, "success")
		counter(c.reloadsTotal, failed, "failure")
		gauge(c.lastReload, float64(last.UnixNano())/1e9)
	}
	if c.upstreams != nil {
		for _, st := range c.upstreams.Upstreams() {
			connected := 0.0
			if st.State == upstream.Connected {
				connected = 1
			}
			gauge(c.upConnected, connected, st.Name)
			gauge(c.upTools, float64(st.Tools), st.Name)
			counter(c.upRestarts, uint64(st.Restarts), st.Name)
		}
	}

	for _, ab := range snap.Abilities {
		name := ab.Name
		for o := agent.Outcome(0); o < agent.NumOutcomes; o++ {
			counter(c.calls, ab.Outcomes[o], name, o.String())
		}
		gauge(c.inFlight, float64(ab.InFlight), name)
		if ab.Limit > 0 {
			gauge(c.abLimit, float64(ab.Limit), name)
			gauge(c.abWaiting, float64(ab.Waiting), name)
		}
		if ab.Cached {
			counter(c.cacheHits, ab.CacheHits, name)
			counter(c.cacheMisses, ab.CacheMisses, name)
			counter(c.cacheEvict, ab.CacheEvictions, name)
			gauge(c.cacheSize, float64(ab.CacheEntries), name)
		}
		// The buckets and the summary come from one reading of the
		// histogram, so the count agrees with the last bucket. The +Inf
		// bucket is implied by the count.
		buckets := make(map[float64]uint64, len(ab.LatencyBuckets))
		for _, b := range ab.LatencyBuckets {
			if !math.IsInf(b.UpperBound, +1) {
				buckets[b.UpperBound] = b.Count
			}
		}
		ch <- prometheus.MustNewConstHistogram(c.duration, ab.Latency.Count, ab.Latency.Sum.Seconds(), buckets, name)
		for _, s := range states {
			v := 0.0
			if ab.Breaker.State == s {
				v = 1
			}
			gauge(c.state, v, name, s.String())
		}
		counter(c.transitions, ab.Breaker.Transitions, name)
		gauge(c.cooldown, ab.Breaker.CooldownRemaining.Seconds(), name)
	}
}

// Handler returns an HTTP handler serving the agent's metrics, plus the Go
// runtime and process collectors, in the Prometheus exposition format.
func Handler(src Source) http.Handler {
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(
		NewCollector(src),
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	)
	return promhttp.HandlerFor(reg, promhttp.HandlerOpts{})
}

// Server serves /metrics for one agent. Start it with Start; Close stops it.
type Server struct {
	srv  *http.Server
	ln   net.Listener
	done chan struct{}
	err  error
	once sync.Once
}

// AddressError reports a malformed listen address: the caller's input is
// wrong, as opposed to a well-formed address that cannot be listened on (a
// port in use), which Start reports with other errors.
type AddressError struct {
	Addr   string
	Reason string
}

// Error says which address is malformed and how.
func (e *AddressError) Error() string {
	return fmt.Sprintf("metrics address %q: %s", e.Addr, e.Reason)
}

// checkAddr checks that addr is host:port with a port from 0 to 65535 (or
// a service name the system knows, as net.Listen accepts) and a host that
// is empty (every interface), a literal IP address or a syntactically
// valid host name, without resolving it: a malformed host is the user's
// input, not something to look up.
func checkAddr(addr string) error {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		var ae *net.AddrError
		reason := err.Error()
		if errors.As(err, &ae) {
			reason = ae.Err
		}
		return &AddressError{Addr: addr, Reason: fmt.Sprintf("want host:port (e.g. %s): %s", DefaultAddr, reason)}
	}
	if reason := checkHost(host); reason != "" {
		return &AddressError{Addr: addr, Reason: fmt.Sprintf("host %q %s", host, reason)}
	}
	if _, err := net.LookupPort("tcp", port); err != nil {
		return &AddressError{Addr: addr, Reason: fmt.Sprintf("port %q is not a number from 0 to 65535", port)}
	}
	return nil
}

// checkHost says what is wrong with host ("" if nothing): it must be empty,
// an IP address or a host name of RFC 1123 labels (letters, digits and
// hyphens, 1 to 63 each, no hyphen at either end; 253 characters at most).
// A name whose last label is all digits can only be meant as an IPv4
// address, as no top-level domain is numeric (RFC 3696). Written by hand:
// the standard library resolves names but has no syntax check of its own,
// and these few rules do not warrant a validation library.
func checkHost(host string) string {
	if host == "" {
		return ""
	}
	if _, err := netip.ParseAddr(host); err == nil {
		return ""
	}
	const notHost = "is not an IP address or a host name"
	name := strings.TrimSuffix(host, ".")
	if name == "" || len(name) > 253 {
		return notHost
	}
	labels := strings.Split(name, ".")
	for _, l := range labels {
		if l == "" || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' {
			return notHost
		}
		for _, r := range l {
			if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-') {
				return fmt.Sprintf("%s: %q is not allowed in a host name", notHost, r)
			}
		}
	}
	if strings.Trim(labels[len(labels)-1], "0123456789") == "" {
		return "is not a valid IPv4 address (each of its 4 numbers is 0 to 255)"
	}
	return ""
}

// Start binds addr at once, so that a port in use is reported to the caller
// rather than discovered later, and serves /metrics in a goroutine owned by
// the returned Server.
func Start(addr string, src Source) (*Server, error) {
	if src == nil {
		return nil, errors.New("exporter: Start needs a Source (an *agent.Agent)")
	}
	if addr == "" {
		addr = DefaultAddr
	}
	if err := checkAddr(addr); err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		if errors.Is(err, syscall.EADDRINUSE) {
			return nil, fmt.Errorf("metrics address %s: port already in use: %w", addr, syscall.EADDRINUSE)
		}
		return nil, fmt.Errorf("metrics address %s: %w", addr, err)
	}
	mux := http.NewServeMux()
	mux.Handle("/metrics", Handler(src))
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/" {
			http.NotFound(w, r)
			return
		}
		fmt.Fprintln(w, "agentdash metrics exporter: see /metrics")
	})
	s := &Server{
		srv: &http.Server{
			Handler:           mux,
			ReadHeaderTimeout: 5 * time.Second,
		},
		ln:   ln,
		done: make(chan struct{}),
	}
	go func() {
		defer close(s.done)
		if err := s.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.err = err
		}
	}()
	return s, nil
}

// Addr returns the address the server listens on (with the real port when
// the requested port was 0).
func (s *Server) Addr() string { return s.ln.Addr().String() }

// Close shuts the server down gracefully, waiting for in-flight scrapes
// until ctx ends, and waits for the serving goroutine to exit.
func (s *Server) Close(ctx context.Context) error {
	var err error
	s.once.Do(func() {
		err = s.srv.Shutdown(ctx)
		if err != nil {
			_ = s.srv.Close()
		}
	})
	<-s.done
	if err != nil {
		return fmt.Errorf("stop metrics server: %w", err)
	}
	if s.err != nil {
		return fmt.Errorf("metrics server: %w", s.err)
	}
	return nil
}
