package config

import (
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/agentdash/agentdash/internal/breaker"
)

// The issue's example, as written, is accepted and means what it says.
func TestParseIssueExample(t *testing.T) {
	cfg, _, err := Load("testdata/issue15.yaml", nil)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.MaxConcurrent != 16 || cfg.Demo == nil || !*cfg.Demo || len(cfg.Abilities) != 3 {
		t.Fatalf("agent-wide settings: %+v", cfg)
	}
	sum := cfg.Abilities["sum"]
	if sum.Kind != "" || *sum.CacheTTL != Duration(5*time.Minute) {
		t.Errorf("sum: %+v", sum)
	}
	w := cfg.Abilities["weather"]
	if w.Kind != KindHTTP || w.Method != "GET" || w.URL != "http://127.0.0.1:8089/weather?city={{city}}" ||
		w.Timeout != Duration(2*time.Second) || *w.CacheTTL != Duration(time.Minute) {
		t.Errorf("weather: %+v", w)
	}
	if got := w.Headers["Authorization"]; got != "Bearer ${WEATHER_TOKEN}" {
		t.Errorf("header kept as %q, want it unexpanded", got)
	}
	if !reflect.DeepEqual(w.Schema.Properties(), map[string]bool{"city": true}) ||
		!reflect.DeepEqual(w.Schema["required"], []any{"city"}) {
		t.Errorf("weather schema: %#v", w.Schema)
	}
	want := breaker.Settings{FailureRate: 0.5, WindowSize: 20, MinCalls: 10, ConsecutiveFailures: 5,
		Cooldown: 5 * time.Second, HalfOpenProbes: 1}
	if got := w.Breaker.Settings(breaker.Settings{}); got != want {
		t.Errorf("weather breaker: %+v, want %+v", got, want)
	}
	wc := cfg.Abilities["word_count"]
	if wc.Kind != KindCommand || !slices.Equal(wc.Argv, []string{"wc", "-w"}) || wc.Stdin == nil || *wc.Stdin != "{{text}}" ||
		wc.Timeout != Duration(time.Second) {
		t.Errorf("word_count: %+v", wc)
	}
	if p, ok := cfg.KeyPos("abilities.weather.breaker.cooldown"); !ok || p != (Pos{18, 86}) {
		t.Errorf("KeyPos(cooldown) = %v, %v; want 18:86", p, ok)
	}
}

// An ability's breaker keys override the agent-wide rule's key by key.
func TestBreakerSettingsOverBase(t *testing.T) {
	cfg, err := Parse("c.yaml", []byte("breaker: {window: 50, cooldown: 30s}\nabilities:\n  sum:\n    breaker: {cooldown: 1s}\n"), nil)
	if err != nil {
		t.Fatal(err)
	}
	got := cfg.Abilities["sum"].Breaker.Settings(cfg.Breaker.Settings(breaker.Settings{}))
	if want := (breaker.Settings{WindowSize: 50, Cooldown: time.Second}); got != want {
		t.Errorf("got %+v, want %+v", got, want)
	}
}

func TestParseValues(t *testing.T) {
	cfg, err := Parse("c.yaml", []byte(`max_wait: 1m30s
abilities:
  x:
    kind: command
    argv: [cat]
    max_output: 512KiB
    cache_ttl: 0s
    fault: {rate: 0.25, latency: 50ms}
    hints: {read_only: true}
  y:
    kind: http
    url: https://example.com/a
    max_response: 1000
    body: |
      {"a": 1}
    breaker: {failure_rate: 12.5%}
`), nil)
	if err != nil {
		t.Fatal(err)
	}
	x, y := cfg.Abilities["x"], cfg.Abilities["y"]
	switch {
	case cfg.MaxWait != Duration(90*time.Second):
		t.Errorf("max_wait %v", cfg.MaxWait)
	case x.MaxOutput != 512<<10:
		t.Errorf("max_output %d", x.MaxOutput)
	case x.CacheTTL == nil || *x.CacheTTL != 0 || y.CacheTTL != nil:
		t.Errorf("cache_ttl: 0s is %v, absent is %v; want 0 and nil", x.CacheTTL, y.CacheTTL)
	case *x.Fault.Rate != 0.25 || x.Fault.Latency != Duration(50*time.Millisecond):
		t.Errorf("fault %+v", x.Fault)
	case !*x.Hints.ReadOnly || x.Hints.Idempotent != nil:
		t.Errorf("hints %+v", x.Hints)
	case y.MaxResponse != 1000 || *y.Body != "{\"a\": 1}\n" || *y.Breaker.FailureRate != 0.125:
		t.Errorf("y %+v", y)
	}
}

// An empty file, or one of comments only, is today's defaults.
func TestParseEmpty(t *testing.T) {
	for _, src := range []string{"", "# nothing\n", "---\n"} {
		cfg, err := Parse("c.yaml", []byte(src), nil)
		if err != nil || cfg.MaxConcurrent != 0 || cfg.Abilities != nil {
			t.Errorf("%q: %+v, %v", src, cfg, err)
		}
	}
}

// Brackets in comments and quoted strings do not count towards the
// nesting limit; 60 real levels are fine.
func TestParseNesting(t *testing.T) {
	src := "# [[[[[[[[\nabilities: {sum: {schema: {a: '" + strings.Repeat("[", 100) + "', b: \"\\\"" + strings.Repeat("{", 100) +
		"\", c: " + strings.Repeat("[", 60) + strings.Repeat("]", 60) + "}}}\n"
	cfg, err := Parse("c.yaml", []byte(src), nil)
	if err != nil {
		t.Fatal(err)
	}
	if b := cfg.Abilities["sum"].Schema["b"]; b != "\""+strings.Repeat("{", 100) {
		t.Errorf("b = %q", b)
	}
}

// A schema may refer to its own parts.
func TestParseSchemaRef(t *testing.T) {
	src := "abilities:\n  sum:\n    schema: {properties: {a: {$ref: \"#/$defs/x\"}}, $defs: {x: {type: string}}}\n"
	if _, err := Parse("c.yaml", []byte(src), nil); err != nil {
		t.Errorf("a $ref inside the schema: %v", err)
	}
}

// Every kind of error names file:line:column, the key path and what is
// allowed, and every error of a file is reported.
func TestParseErrors(t *testing.T) {
	for _, tc := range []struct {
		name, src string
		want      []string
	}{
		{"syntax", "a: [1\n", []string{
			"c.yaml:1:4: invalid YAML: sequence end token ']' not found"}},
		{"unknown key", "max_concurent: 4\n", []string{
			"c.yaml:1:1: max_concurent: unknown key; allowed: max_concurrent, max_wait, cache_size, timeout, breaker, metrics_addr, demo, abilities, mcp_servers"}},
		{"unknown nested key", "abilities:\n  sum:\n    breaker: {cooldwn: 5s}\n", []string{
			"c.yaml:3:15: abilities.sum.breaker.cooldwn: unknown key; allowed: failure_rate, window, min_calls, consecutive_failures, slow_call_threshold, slow_call_rate, cooldown, half_open_probes, success_threshold"}},
		{"duplicate key", "demo: true\ndemo: false\n", []string{
			"c.yaml:2:1: demo: duplicate key (first at line 1)"}},
		{"duplicate ability", "abilities:\n  sum: {}\n  sum: {}\n", []string{
			"c.yaml:3:3: abilities.sum: duplicate key (first at line 2)"}},
		{"duplicate in schema", "abilities:\n  sum:\n    schema: {type: object, type: object}\n", []string{
			"c.yaml:3:28: abilities.sum.schema.type: duplicate key (first at line 3)"}},
		{"wrong type int", "max_concurrent: many\n", []string{
			`c.yaml:1:17: max_concurrent: want a whole number, got the string "many"`}},
		{"wrong type float", "cache_size: 1.5\n", []string{
			"c.yaml:1:13: cache_size: want a whole number, got the number 1.5"}},
		{"wrong type bool", "demo: yes please\n", []string{
			`c.yaml:1:7: demo: want true or false, got the string "yes please"`}},
		{"wrong type string", "metrics_addr: 9400\n", []string{
			"c.yaml:1:15: metrics_addr: want a string, got the number 9400 (quote it to make it one)"}},
		{"secret not shown", "abilities:\n  x: {kind: http, url: \"http://h/\", headers: {Authorization: 123456789}}\n", []string{
			"c.yaml:2:62: abilities.x.headers.Authorization: want a string, got a number (quote it to make it one)"}},
		{"wrong type mapping", "abilities: [sum]\n", []string{
			"c.yaml:1:12: abilities: want a mapping (key: value), got a list"}},
		{"wrong type list", "abilities:\n  x:\n    kind: command\n    argv: wc -w\n", []string{
			`c.yaml:4:11: abilities.x.argv: want a list, got the string "wc -w"`}},
		{"empty scalar", "max_wait:\n", []string{
			"c.yaml:1:11: max_wait: want a duration such as 250ms, 5s or 1m30s, got nothing"}},
		{"out of range", "max_concurrent: 99999999999\n", []string{
			"c.yaml:1:17: max_concurrent: 99999999999 is out of range"}},
		{"duration without unit", "max_wait: 5\n", []string{
			"c.yaml:1:11: max_wait: 5 has no unit: want a duration such as 250ms, 5s or 1m30s"}},
		{"bad duration", "abilities:\n  sum:\n    breaker: {cooldown: soon}\n", []string{
			`c.yaml:3:25: abilities.sum.breaker.cooldown: "soon" is not a duration such as 250ms, 5s or 1m30s`}},
		{"negative duration", "max_wait: -1s\n", []string{
			"c.yaml:1:11: max_wait: -1s: must be positive"}},
		{"negative ttl", "abilities:\n  sum: {cache_ttl: -1m}\n", []string{
			"c.yaml:2:20: abilities.sum.cache_ttl: -1m0s: must not be negative (0s turns the cache off)"}},
		{"percent over 100", "breaker: {failure_rate: 150%}\n", []string{
			`c.yaml:1:25: breaker.failure_rate: "150%" is outside 0% to 100%`}},
		{"fraction over 1", "breaker: {failure_rate: 50}\n", []string{
			"c.yaml:1:25: breaker.failure_rate: 50 is outside 0 to 1 (or write a percentage: 50%)"}},
		{"bad percent", "breaker: {slow_call_rate: half}\n", []string{
			`c.yaml:1:27: breaker.slow_call_rate: "half" is not a percentage such as 50% or a fraction such as 0.5`}},
		{"slow rate without threshold", "breaker: {slow_call_rate: 50%}\n", []string{
			"c.yaml:1:27: breaker.slow_call_rate: set without slow_call_threshold (here or in the agent-wide breaker): no call would count as slow"}},
		{"contradicting hints", "abilities:\n  sum: {hints: {read_only: true, destructive: true}}\n", []string{
			"c.yaml:2:47: abilities.sum.hints.destructive: true contradicts read_only: true (a read-only ability changes nothing)"}},
		{"zero rate", "breaker: {failure_rate: 0%}\n", []string{
			"c.yaml:1:25: breaker.failure_rate: 0%: must be more than 0% (up to 100%)"}},
		{"bad size", "abilities:\n  x:\n    kind: command\n    argv: [cat]\n    max_output: lots\n", []string{
			`c.yaml:5:17: abilities.x.max_output: "lots" is not a size such as 512KiB or 1MiB, or a number of bytes`}},
		{"too small", "max_concurrent: 0\ncache_size: -1\n", []string{
			"c.yaml:1:17: max_concurrent: 0: must be at least 1",
			"c.yaml:2:13: cache_size: -1: must be at least 1"}},
		{"metrics addr", "metrics_addr: localhost\n", []string{
			`c.yaml:1:15: metrics_addr: "localhost" is not host:port (such as 127.0.0.1:9400)`}},
		{"window", "breaker: {window: 0}\n", []string{
			"c.yaml:1:19: breaker.window: 0: must be 1 to 10000"}},
		{"min calls over window", "breaker: {window: 5, min_calls: 10}\n", []string{
			"c.yaml:1:33: breaker.min_calls: 10 is more than the window (5): the failure rate would never count"}},
		{"min calls over base window", "breaker: {window: 5}\nabilities:\n  sum:\n    breaker: {min_calls: 6}\n", []string{
			"c.yaml:4:26: abilities.sum.breaker.min_calls: 6 is more than the window (5): the failure rate would never count"}},
		{"ability name", "abilities:\n  Word-Count: {}\n", []string{
			"c.yaml:2:3: abilities.Word-Count: invalid ability name: a name is 1 to 64 characters: a lowercase letter, then lowercase letters, digits or underscores"}},
		{"per-ability limit", "max_concurrent: 4\nabilities:\n  sum: {max_concurrent: 8}\n", []string{
			"c.yaml:3:25: abilities.sum.max_concurrent: 8 is more than the global max_concurrent (4)"}},
		{"kind", "abilities:\n  x: {kind: grpc}\n", []string{
			`c.yaml:2:13: abilities.x.kind: "grpc": want command or http (or no kind, for a built-in ability)`}},
		{"key of another kind", "abilities:\n  x:\n    kind: http\n    url: http://h/\n    argv: [a]\n", []string{
			"c.yaml:5:5: abilities.x.argv: only for kind: command (this ability is kind: http)"}},
		{"kind key on a built-in", "abilities:\n  sum: {url: http://h/}\n", []string{
			"c.yaml:2:9: abilities.sum.url: only for kind: http (a built-in ability (no kind) takes only settings)"}},
		{"command without argv", "abilities:\n  x: {kind: command}\n", []string{
			"c.yaml:2:3: abilities.x: a command ability needs argv: the program and its arguments, such as [wc, -w]"}},
		{"empty argv", "abilities:\n  x: {kind: command, argv: []}\n", []string{
			"c.yaml:2:28: abilities.x.argv: the program (argv[0]) is missing"}},
		{"program placeholder", "abilities:\n  x:\n    kind: command\n    argv: [\"{{p}}\"]\n    schema: {properties: {p: {type: string}}}\n", []string{
			"c.yaml:4:12: abilities.x.argv[0]: the program must not be a placeholder: the arguments would choose what runs"}},
		{"unknown placeholder", "abilities:\n  x:\n    kind: command\n    argv: [echo, \"{{txt}}\"]\n    schema: {properties: {text: {type: string}}}\n", []string{
			"c.yaml:4:18: abilities.x.argv[1]: placeholder {{txt}} names no property of the schema (properties: text)"}},
		{"placeholder without schema", "abilities:\n  x:\n    kind: command\n    argv: [cat]\n    stdin: \"{{text}}\"\n", []string{
			"c.yaml:5:12: abilities.x.stdin: placeholder {{text}} names no property of the schema (it has none)"}},
		{"placeholder across argv", "abilities:\n  x:\n    kind: command\n    argv: [echo, \"{{te\", \"xt}}\"]\n    schema: {properties: {text: {}}}\n", []string{
			`c.yaml:4:18: abilities.x.argv[1]: unclosed placeholder "{{te": write {{name}}; a placeholder lies inside one argv element`}},
		{"malformed placeholder", "abilities:\n  x:\n    kind: http\n    url: \"http://h/?q={{ q }}\"\n    schema: {properties: {q: {}}}\n", []string{
			`c.yaml:4:10: abilities.x.url: malformed placeholder "{{ q }}": write {{name}}, a name of letters, digits and underscores`}},
		{"placeholder in host", "abilities:\n  x:\n    kind: http\n    url: \"http://{{h}}/\"\n    schema: {properties: {h: {}}}\n", []string{
			"c.yaml:4:10: abilities.x.url: placeholders may fill the path and the query, not the scheme or host"}},
		{"http without url", "abilities:\n  x: {kind: http}\n", []string{
			`c.yaml:2:3: abilities.x: an http ability needs url, such as "http://127.0.0.1:8089/weather?city={{city}}"`}},
		{"url scheme", "abilities:\n  x: {kind: http, url: \"ftp://h/\"}\n", []string{
			"c.yaml:2:24: abilities.x.url: want an http:// or https:// URL"}},
		{"method", "abilities:\n  x: {kind: http, url: \"http://h/\", method: get}\n", []string{
			`c.yaml:2:45: abilities.x.method: "get": want one of GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS`}},
		{"header", "abilities:\n  x:\n    kind: http\n    url: http://h/\n    headers: {\"Bad Name\": x, Auth: \"${TOKEN\", X: \"${1A}\"}\n", []string{
			`c.yaml:5:15: abilities.x.headers.Bad Name: invalid header name`,
			`c.yaml:5:36: abilities.x.headers.Auth: unclosed ${: write ${NAME}`,
			`c.yaml:5:50: abilities.x.headers.X: ${1A}: a variable name is letters, digits and underscores, not starting with a digit`}},
		{"status", "abilities:\n  x: {kind: http, url: \"http://h/\", accept_status: [200, 99]}\n", []string{
			"c.yaml:2:58: abilities.x.accept_status[1]: 99: an HTTP status is 100 to 599"}},
		{"client errors", "abilities:\n  x: {kind: http, url: \"http://h/\", client_errors: ignore}\n", []string{
			`c.yaml:2:52: abilities.x.client_errors: "ignore": want bad_args (the caller's fault) or failure (counts against the breaker)`}},
		{"redirects", "abilities:\n  x: {kind: http, url: \"http://h/\", max_redirects: -1}\n", []string{
			"c.yaml:2:52: abilities.x.max_redirects: -1: must not be negative (0 follows none)"}},
		{"env name", "abilities:\n  x: {kind: command, argv: [env], env: {1X: a}}\n", []string{
			"c.yaml:2:41: abilities.x.env.1X: invalid variable name: letters, digits and underscores, not starting with a digit"}},
		{"schema type", "abilities:\n  sum: {schema: {type: array}}\n", []string{
			"c.yaml:2:24: abilities.sum.schema.type: array: the arguments are an object: want type: object"}},
		{"schema not a mapping", "abilities:\n  sum: {schema: object}\n", []string{
			`c.yaml:2:17: abilities.sum.schema: want a JSON Schema object (type: object, properties: …), got the string "object"`}},
		{"schema key", "abilities:\n  sum:\n    schema: {1: x}\n", []string{
			"c.yaml:3:14: abilities.sum.schema: a key must be a string, got the number 1"}},
		{"invalid JSON Schema", "abilities:\n  sum:\n    schema: {type: object, properties: {city: {type: strin}}}\n", []string{
			"c.yaml:3:54: abilities.sum.schema.properties.city.type: not a valid JSON Schema: value must be one of 'array', 'boolean', 'integer', 'null', 'number', 'object', 'string'"}},
		{"invalid JSON Schema keyword", "abilities:\n  sum:\n    schema: {required: city}\n", []string{
			"c.yaml:3:24: abilities.sum.schema.required: not a valid JSON Schema: got string, want array"}},
		{"outside $ref", "abilities:\n  sum:\n    schema: {properties: {a: {$ref: \"file:///etc/passwd\"}}}\n", []string{
			"c.yaml:3:13: abilities.sum.schema: $ref file:///etc/passwd: only references inside the schema (such as #/$defs/name) are allowed"}},
		{"fault latency", "abilities:\n  sum: {fault: {latency: 2h}}\n", []string{
			"c.yaml:2:26: abilities.sum.fault.latency: 2h0m0s: must be 0s to 1h0m0s"}},
		{"alias", "a: &x 1\nmax_concurrent: *x\n", []string{
			"c.yaml:1:1: a: unknown key; allowed: max_concurrent, max_wait, cache_size, timeout, breaker, metrics_addr, demo, abilities, mcp_servers",
			"c.yaml:2:17: max_concurrent: aliases (*name) are not supported: write the value out"}},
		{"tag", "max_concurrent: !!int 4\n", []string{
			"c.yaml:1:17: max_concurrent: tags such as !!int are not supported: write the value plainly"}},
		{"merge key", "abilities:\n  sum:\n    <<: {timeout: 1s}\n", []string{
			"c.yaml:3:5: abilities.sum: merge keys (<<) are not supported: write the keys out"}},
		{"two documents", "demo: true\n---\ndemo: false\n", []string{
			"c.yaml:3:5: the file holds more than one YAML document (---): want one"}},
		{"too deep", "abilities: {sum: {schema: {a: " + strings.Repeat("[", 100_000) + strings.Repeat("]", 100_000) + "}}}\n", []string{
			"c.yaml:1:92: brackets nested more than 64 levels deep"}},
		{"block nesting on one line", "abilities:\n  sum:\n    schema:\n      a: " + strings.Repeat("- ", 100_000) + "x\n", []string{
			"c.yaml:4:137: more than 64 collections opened on one line"}},
		{"deep indentation", "abilities:\n" + strings.Repeat(" ", 300) + "x: 1\n", []string{
			"c.yaml:2:257: indented more than 256 columns"}},
		{"schema too deep", "abilities:\n  sum:\n    schema:\n      a:\n        " + strings.Repeat("- ", 30) + strings.Repeat("[", 40) + strings.Repeat("]", 40) + "\n", []string{
			"c.yaml:5:103: abilities.sum.schema.a" + strings.Repeat("[0]", 64) + ": nested more than 64 levels deep"}},
		{"not a mapping", "- a\n", []string{
			"c.yaml:1:1: want a mapping (key: value), got a list"}},
		{"every error", "max_concurrent: 0\nmax_wait: x\nabilities:\n  x: {kind: command}\n  y: {colour: red}\n", []string{
			"c.yaml:1:17: max_concurrent: 0: must be at least 1",
			`c.yaml:2:11: max_wait: "x" is not a duration such as 250ms, 5s or 1m30s`,
			"c.yaml:4:3: abilities.x: a command ability needs argv: the program and its arguments, such as [wc, -w]",
			"c.yaml:5:7: abilities.y.colour: unknown key; allowed: kind, description, schema, timeout, cache_ttl, breaker, max_concurrent, isolate, fault, hints, argv, stdin, env, dir, max_output, method, url, headers, body, accept_status, max_response, client_errors, max_redirects"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := Parse("c.yaml", []byte(tc.src), nil)
			var errs Errors
			if !errors.As(err, &errs) {
				t.Fatalf("Parse = %+v, %v; want Errors", cfg, err)
			}
			got := strings.Split(errs.Error(), "\n")
			if !slices.Equal(got, tc.want) {
				t.Errorf("errors:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tc.want, "\n"))
			}
		})
	}
}

// Every breaker key reaches the breaker's settings, an ability's over the
// agent-wide rule's.
func TestBreakerSettings(t *testing.T) {
	src := "breaker: {slow_call_threshold: 1s, cooldown: 9s, success_threshold: 3}\n" +
		"abilities:\n  sum:\n    breaker: {failure_rate: 40%, window: 30, min_calls: 12, consecutive_failures: 7,\n" +
		"      slow_call_rate: 60%, half_open_probes: 2}\n"
	cfg, err := Parse("c.yaml", []byte(src), []string{"sum"})
	if err != nil {
		t.Fatal(err)
	}
	got := cfg.Abilities["sum"].Breaker.Settings(cfg.Breaker.Settings(breaker.Settings{}))
	want := breaker.Settings{WindowSize: 30, MinCalls: 12, FailureRate: 0.4, ConsecutiveFailures: 7,
		Cooldown: 9 * time.Second, HalfOpenProbes: 2, SuccessThreshold: 3,
		SlowCallThreshold: time.Second, SlowCallRate: 0.6}
	if got != want {
		t.Errorf("Settings =\n%+v, want\n%+v", got, want)
	}
}

// Abilities without a kind are built-ins' settings; declared abilities do
// not take a built-in's name while the built-ins are on.
func TestParseBuiltins(t *testing.T) {
	builtins := []string{"sum", "uppercase"}
	for _, tc := range []struct {
		name, src, want string
	}{
		{"settings of a built-in", "abilities:\n  sum: {cache_ttl: 1m}\n", ""},
		{"no such built-in", "abilities:\n  summ: {cache_ttl: 1m}\n",
			"c.yaml:2:3: abilities.summ: no built-in ability is called summ (built-in: sum, uppercase); to declare one, give it kind: command or kind: http"},
		{"declared with a built-in's name", "abilities:\n  sum: {kind: command, argv: [cat]}\n",
			"c.yaml:2:3: abilities.sum: sum is a built-in ability: choose another name for this one, or turn the built-ins off (demo: false)"},
		{"built-ins off", "demo: false\nabilities:\n  sum: {kind: command, argv: [cat]}\n", ""},
		{"with other errors", "max_wait: x\nabilities:\n  summ: {}\n",
			`c.yaml:1:11: max_wait: "x" is not a duration such as 250ms, 5s or 1m30s` + "\n" +
				"c.yaml:3:3: abilities.summ: no built-in ability is called summ (built-in: sum, uppercase); to declare one, give it kind: command or kind: http"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse("c.yaml", []byte(tc.src), builtins)
			if got := errString(err); got != tc.want {
				t.Errorf("Parse = %q, want %q", got, tc.want)
			}
		})
	}
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}
