// Package config loads and checks agentdash's configuration file: the
// agent-wide settings and, per ability, its tuning (timeout, cache, breaker
// rule, …) and, for abilities declared in the file, how to run them (a
// command or an HTTP request).
//
// The file is YAML, read strictly: an unknown key, a wrong type, a
// duplicate key or a bad value is an error naming file:line:column, the key
// path and what is allowed, and every such error is reported, not just the
// first (see [Errors]). A zero field of the structs below means that the
// key is absent: the program's default applies.
package config

import (
	"time"

	"github.com/agentdash/agentdash/internal/breaker"
)

// Config is the whole file.
type Config struct {
	// MaxConcurrent is the global limit on concurrently running calls (at
	// least 1).
	MaxConcurrent int `yaml:"max_concurrent"`
	// MaxWait is how long a call waits for a free slot before it is
	// rejected (positive).
	MaxWait Duration `yaml:"max_wait"`
	// CacheSize is the most results kept in each ability's cache (at
	// least 1).
	CacheSize int `yaml:"cache_size"`
	// Timeout is the default timeout of an ability that sets none.
	Timeout Duration `yaml:"timeout"`
	// Breaker is the default breaker rule; an ability's own breaker keys
	// override it key by key.
	Breaker *Breaker `yaml:"breaker"`
	// MetricsAddr is the listen address (host:port) of the Prometheus
	// exporter.
	MetricsAddr string `yaml:"metrics_addr"`
	// Demo turns the built-in demo abilities on (true, the default) or off.
	Demo *bool `yaml:"demo"`
	// Abilities maps an ability's name to its settings: a built-in's (no
	// kind: only its settings change) or a declared ability's (kind:
	// command or http).
	Abilities map[string]*Ability `yaml:"abilities"`
	// MCPServers maps a name to an upstream MCP server whose tools become
	// abilities named NAME.TOOL; their settings are under that name in
	// Abilities.
	MCPServers map[string]*MCPServer `yaml:"mcp_servers"`

	// File is the path the configuration was read from.
	File string `yaml:"-"`
	// keys holds the position of every key in the file, by key path, so
	// that later checks can say where a value came from.
	keys map[string]Pos
}

// Kinds of declared abilities.
const (
	KindCommand = "command" // runs a program: argv, stdin, env, dir, max_output
	KindHTTP    = "http"    // sends an HTTP request: method, url, headers, body, …
)

// Ability is the settings of one ability.
type Ability struct {
	// Kind is "" for a built-in ability (only its settings change),
	// KindCommand or KindHTTP for one declared here.
	Kind string `yaml:"kind"`
	// Description says what the ability does, in a sentence.
	Description string `yaml:"description"`
	// Schema is the JSON Schema of the arguments, an object schema, kept
	// as decoded (JSON-compatible values) for a full JSON Schema 2020-12
	// validator; Parse checks it against the 2020-12 meta-schema. Its
	// properties are the names placeholders may use.
	Schema JSONSchema `yaml:"schema"`
	// Timeout bounds one execution (positive).
	Timeout Duration `yaml:"timeout"`
	// CacheTTL is how long a successful result is reused for identical
	// arguments; 0s turns the cache off, nil leaves the ability's own.
	CacheTTL *Duration `yaml:"cache_ttl"`
	// Breaker is the ability's breaker rule, over the agent-wide one.
	Breaker *Breaker `yaml:"breaker"`
	// MaxConcurrent limits the ability's concurrently running calls, inside
	// the global limit (at least 1, at most the global max_concurrent).
	MaxConcurrent int `yaml:"max_concurrent"`
	// Isolate runs every execution in a goroutine of its own, so that a
	// caller is released at the timeout even if the ability hangs.
	Isolate *bool `yaml:"isolate"`
	// Fault injects failures and latency, for drills.
	Fault *Fault `yaml:"fault"`
	// Hints describe the ability's effects to clients (MCP tool
	// annotations).
	Hints *Hints `yaml:"hints"`

	// Argv is the program and its arguments (kind command); {{name}}
	// placeholders, each inside one element, are filled from the
	// arguments. The program is never run through a shell.
	Argv []string `yaml:"argv"`
	// Stdin is a template for the program's standard input (kind command);
	// absent, the arguments are written to it as JSON.
	Stdin *string `yaml:"stdin"`
	// Env is what the program's environment holds besides a minimal base
	// (kind command); ${NAME} in a value is expanded at call time.
	Env map[string]string `yaml:"env"`
	// Dir is the program's working directory (kind command).
	Dir string `yaml:"dir"`
	// MaxOutput bounds the program's output (kind command): more is a
	// failure. Default 1 MiB.
	MaxOutput Size `yaml:"max_output"`

	// Method is the HTTP method (kind http), GET by default.
	Method string `yaml:"method"`
	// URL is the request's URL template (kind http): placeholders may
	// fill its path and query, not its scheme or host.
	URL string `yaml:"url"`
	// Headers are the request's headers (kind http). ${NAME} in a value is
	// kept as written here and expanded at call time, so that a secret
	// never sits in the parsed configuration.
	Headers map[string]string `yaml:"headers"`
	// Body is a template for the request body (kind http); absent, the
	// arguments are sent as JSON.
	Body *string `yaml:"body"`
	// AcceptStatus lists the response statuses that are a success (kind
	// http); default any 2xx.
	AcceptStatus []int `yaml:"accept_status"`
	// MaxResponse bounds the response body (kind http): more is a failure.
	MaxResponse Size `yaml:"max_response"`
	// ClientErrors says what a 4xx response other than 429 is (kind http):
	// ClientErrorsBadArgs (the default: the caller's fault, not counted
	// against the breaker) or ClientErrorsFailure.
	ClientErrors string `yaml:"client_errors"`
	// MaxRedirects bounds the redirects followed (kind http); 0 follows
	// none.
	MaxRedirects *int `yaml:"max_redirects"`
}

// MCPServer is an upstream MCP server: stdio (Command) or Streamable
// HTTP (URL), exactly one of them.
type MCPServer struct {
	// Command is the program of a stdio server, run without a shell.
	Command string `yaml:"command"`
	// Args are the program's arguments.
	Args []string `yaml:"args"`
	// Env is what the program's environment holds besides a minimal base;
	// ${NAME} in a value is expanded from agentdash's environment when it
	// starts, and never shown.
	Env map[string]string `yaml:"env"`
	// URL is the endpoint of a Streamable HTTP server (http or https).
	URL string `yaml:"url"`
	// Headers are sent with every request to URL; ${NAME} in a value is
	// kept as written here and expanded when connecting, so that a secret
	// never sits in the parsed configuration.
	Headers map[string]string `yaml:"headers"`
}

// Values of [Ability.ClientErrors].
const (
	ClientErrorsBadArgs = "bad_args"
	ClientErrorsFailure = "failure"
)

// Breaker is a circuit-breaker rule. Absent keys take the agent-wide rule's,
// then the breaker package's defaults.
type Breaker struct {
	// FailureRate trips the breaker when the window's failure rate reaches
	// it: a percentage ("50%") or a fraction (0.5) in (0,1].
	FailureRate *Percent `yaml:"failure_rate"`
	// Window is the number of most recent calls the failure rate is
	// computed over.
	Window int `yaml:"window"`
	// MinCalls is the number of calls the window must hold before the
	// failure rate counts; at most Window.
	MinCalls int `yaml:"min_calls"`
	// ConsecutiveFailures trips the breaker after this many failures in a
	// row.
	ConsecutiveFailures int `yaml:"consecutive_failures"`
	// SlowCallThreshold is the duration past which a call counts as slow
	// (resilience4j's slowCallDurationThreshold); absent, slow calls are
	// not counted.
	SlowCallThreshold Duration `yaml:"slow_call_threshold"`
	// SlowCallRate trips the breaker when the window's rate of slow calls
	// reaches it, in (0,1]; default 100% once SlowCallThreshold is set.
	SlowCallRate *Percent `yaml:"slow_call_rate"`
	// Cooldown is how long the breaker stays open before it lets probes
	// through.
	Cooldown Duration `yaml:"cooldown"`
	// HalfOpenProbes is the most concurrent probe calls when half-open.
	HalfOpenProbes int `yaml:"half_open_probes"`
	// SuccessThreshold is the number of successful probes that close the
	// breaker again.
	SuccessThreshold int `yaml:"success_threshold"`
}

// Settings returns the rule as the breaker package takes it, on top of
// base (the agent-wide rule's settings, or the zero Settings).
func (b *Breaker) Settings(base breaker.Settings) breaker.Settings {
	if b == nil {
		return base
	}
	if b.FailureRate != nil {
		base.FailureRate = float64(*b.FailureRate)
	}
	set(&base.WindowSize, b.Window)
	set(&base.MinCalls, b.MinCalls)
	set(&base.ConsecutiveFailures, b.ConsecutiveFailures)
	set(&base.Cooldown, time.Duration(b.Cooldown))
	set(&base.HalfOpenProbes, b.HalfOpenProbes)
	set(&base.SuccessThreshold, b.SuccessThreshold)
	set(&base.SlowCallThreshold, time.Duration(b.SlowCallThreshold))
	if b.SlowCallRate != nil {
		base.SlowCallRate = float64(*b.SlowCallRate)
	}
	return base
}

// set stores v in *p unless v is zero (the key is absent).
func set[T comparable](p *T, v T) {
	var zero T
	if v != zero {
		*p = v
	}
}

// Fault is a fault injected into an ability, for drills.
type Fault struct {
	// Rate is the probability that a call fails: "10%" or 0.1.
	Rate *Percent `yaml:"rate"`
	// Latency is added to every call (at most an hour).
	Latency Duration `yaml:"latency"`
}

// Hints describe an ability's effects, as MCP's tool annotations do
// (readOnlyHint, idempotentHint, destructiveHint, openWorldHint). An
// absent key leaves the ability's own hint.
type Hints struct {
	// ReadOnly: the ability changes nothing.
	ReadOnly *bool `yaml:"read_only"`
	// Idempotent: calling it again with the same arguments has no further
	// effect.
	Idempotent *bool `yaml:"idempotent"`
	// Destructive: the ability may delete or overwrite.
	Destructive *bool `yaml:"destructive"`
	// OpenWorld: the ability reaches entities outside the agent (the web,
	// another service) rather than a closed domain.
	OpenWorld *bool `yaml:"open_world"`
}

// Pos is a position in the file, 1-based.
type Pos struct {
	Line, Column int
}

// KeyPos returns the position of the key at path (such as
// "abilities.weather.timeout"), and whether the file has it.
func (c *Config) KeyPos(path string) (Pos, bool) {
	p, ok := c.keys[path]
	return p, ok
}
