package config

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"golang.org/x/text/language"
	"golang.org/x/text/message"

	"github.com/agentdash/agentdash/internal/breaker"
)

// maxFaultLatency bounds a fault's latency: beyond it every call would only
// time out.
const maxFaultLatency = time.Hour

// nameRule is the rule for ability names, the agent's: a lowercase letter,
// then lowercase letters, digits or underscores, 64 at most.
var nameRule = regexp.MustCompile(`^[a-z][a-z0-9_]{0,63}$`)

const nameRuleText = "a name is 1 to 64 characters: a lowercase letter, then lowercase letters, digits or underscores"

// envName is the rule for ${NAME} references and env keys.
var envName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// commandKeys and httpKeys are the keys of each kind; the other keys of an
// Ability apply to every ability.
var (
	commandKeys = []string{"argv", "stdin", "env", "dir", "max_output"}
	httpKeys    = []string{"method", "url", "headers", "body", "accept_status", "max_response", "client_errors", "max_redirects"}
)

// httpMethods are the methods an http ability may send.
var httpMethods = []string{"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"}

// check reports the values that decode but are not allowed, and what
// depends on more than one key.
func (d *decoder) check(c *Config) {
	if d.has("max_concurrent") && c.MaxConcurrent < 1 {
		d.bad("max_concurrent", "%d: must be at least 1", c.MaxConcurrent)
	}
	d.positive("max_wait", c.MaxWait)
	if d.has("cache_size") && c.CacheSize < 1 {
		d.bad("cache_size", "%d: must be at least 1", c.CacheSize)
	}
	d.positive("timeout", c.Timeout)
	if d.has("metrics_addr") {
		if _, _, err := net.SplitHostPort(c.MetricsAddr); err != nil {
			d.bad("metrics_addr", "%q is not host:port (such as 127.0.0.1:9400)", c.MetricsAddr)
		}
	}
	d.checkBreaker("breaker", c.Breaker, nil)
	d.checkMCPServers(c)
	names := make([]string, 0, len(c.Abilities))
	for name := range c.Abilities {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		d.checkAbility(c, name, c.Abilities[name])
	}
}

// has reports whether the file sets path to a value that decoded.
func (d *decoder) has(path string) bool {
	_, ok := d.keys[path]
	return ok && !d.failed[path]
}

// bad records an error about the value at path.
func (d *decoder) bad(path, format string, args ...any) {
	p, ok := d.vals[path]
	if !ok {
		p = d.keys[path]
	}
	d.failAt(p, path, format, args...)
	d.failed[path] = true
}

// badKey records an error about the key at path (rather than its value).
func (d *decoder) badKey(path, format string, args ...any) {
	d.failAt(d.keys[path], path, format, args...)
	d.failed[path] = true
}

// positive checks that the duration at path, if set, is positive.
func (d *decoder) positive(path string, v Duration) {
	if d.has(path) && v <= 0 {
		d.bad(path, "%v: must be positive", v)
	}
}

// atLeast checks that the number at path, if set, is at least lo.
func (d *decoder) atLeast(path string, v, lo int) {
	if d.has(path) && v < lo {
		d.bad(path, "%d: must be at least %d", v, lo)
	}
}

// checkBreaker checks a breaker rule, on top of base (the agent-wide one).
func (d *decoder) checkBreaker(path string, b, base *Breaker) {
	if b == nil {
		return
	}
	p := func(key string) string { return path + "." + key }
	for key, rate := range map[string]*Percent{"failure_rate": b.FailureRate, "slow_call_rate": b.SlowCallRate} {
		if d.has(p(key)) && *rate == 0 {
			d.bad(p(key), "0%%: must be more than 0%% (up to 100%%)")
		}
	}
	if d.has(p("window")) && (b.Window < 1 || b.Window > breaker.MaxWindowSize) {
		d.bad(p("window"), "%d: must be 1 to %d", b.Window, breaker.MaxWindowSize)
	}
	d.atLeast(p("min_calls"), b.MinCalls, 1)
	d.atLeast(p("consecutive_failures"), b.ConsecutiveFailures, 1)
	d.atLeast(p("half_open_probes"), b.HalfOpenProbes, 1)
	d.atLeast(p("success_threshold"), b.SuccessThreshold, 1)
	d.positive(p("cooldown"), b.Cooldown)
	d.positive(p("slow_call_threshold"), b.SlowCallThreshold)
	s := b.Settings(base.Settings(breaker.Settings{})).WithDefaults()
	if d.has(p("min_calls")) && !d.failed[p("window")] {
		if s.MinCalls > s.WindowSize {
			d.bad(p("min_calls"), "%d is more than the window (%d): the failure rate would never count", s.MinCalls, s.WindowSize)
		}
	}
	if d.has(p("slow_call_rate")) && s.SlowCallThreshold == 0 {
		d.bad(p("slow_call_rate"), "set without slow_call_threshold (here or in the agent-wide breaker): no call would count as slow")
	}
}

// checkAbility checks the settings of the ability name.
func (d *decoder) checkAbility(c *Config, name string, a *Ability) {
	path := "abilities." + name
	proxied := strings.Contains(name, ".") && d.checkProxied(c, name, a)
	switch {
	case proxied || nameRule.MatchString(name):
	case strings.Contains(name, "."):
		d.failAt(d.keys[path], path, "invalid ability name: %s; or SERVER.TOOL for a tool of an MCP server (at most %d characters of [A-Za-z0-9_.-])", nameRuleText, MaxToolName)
	default:
		d.failAt(d.keys[path], path, "invalid ability name: %s", nameRuleText)
	}
	d.checkSettings(c, path, a)
	if a == nil || proxied {
		return
	}
	d.checkSchema(path+".schema", a.Schema)
	switch a.Kind {
	case "":
		d.onlyFor(path, "", a)
	case KindCommand:
		d.onlyFor(path, KindCommand, a)
		d.checkCommand(path, a)
	case KindHTTP:
		d.onlyFor(path, KindHTTP, a)
		d.checkHTTP(path, a)
	default:
		if d.has(path + ".kind") {
			d.bad(path+".kind", "%q: want command or http (or no kind, for a built-in ability)", a.Kind)
		}
	}
}

// checkSettings checks the settings every ability takes.
func (d *decoder) checkSettings(c *Config, path string, a *Ability) {
	if a == nil {
		return
	}
	p := func(key string) string { return path + "." + key }
	d.positive(p("timeout"), a.Timeout)
	if d.has(p("cache_ttl")) && *a.CacheTTL < 0 {
		d.bad(p("cache_ttl"), "%v: must not be negative (0s turns the cache off)", *a.CacheTTL)
	}
	d.atLeast(p("max_concurrent"), a.MaxConcurrent, 1)
	if d.has(p("max_concurrent")) && c.MaxConcurrent > 0 && a.MaxConcurrent > c.MaxConcurrent {
		d.bad(p("max_concurrent"), "%d is more than the global max_concurrent (%d)", a.MaxConcurrent, c.MaxConcurrent)
	}
	d.checkBreaker(p("breaker"), a.Breaker, c.Breaker)
	if h := a.Hints; h != nil && h.ReadOnly != nil && *h.ReadOnly && h.Destructive != nil && *h.Destructive {
		d.bad(p("hints.destructive"), "true contradicts read_only: true (a read-only ability changes nothing)")
	}
	if a.Fault != nil && d.has(p("fault.latency")) && (a.Fault.Latency < 0 || time.Duration(a.Fault.Latency) > maxFaultLatency) {
		d.bad(p("fault.latency"), "%v: must be 0s to %v", a.Fault.Latency, maxFaultLatency)
	}
}

// onlyFor refuses the keys of the other kinds than kind in an ability.
func (d *decoder) onlyFor(path, kind string, a *Ability) {
	what := "a built-in ability (no kind) takes only settings"
	if kind != "" {
		what = "this ability is kind: " + kind
	}
	for _, k := range []struct {
		kind string
		keys []string
	}{{KindCommand, commandKeys}, {KindHTTP, httpKeys}} {
		if k.kind == kind {
			continue
		}
		for _, key := range k.keys {
			if _, ok := d.keys[path+"."+key]; ok {
				d.badKey(path+"."+key, "only for kind: %s (%s)", k.kind, what)
			}
		}
	}
}

// checkSchema checks what the file needs of an ability's schema: an object
// schema whose properties are a mapping. The rest is for a JSON Schema
// validator.
func (d *decoder) checkSchema(path string, s JSONSchema) {
	if s == nil || d.failed[path] {
		return
	}
	if t, ok := s["type"]; ok && t != "object" {
		d.bad(path+".type", "%v: the arguments are an object: want type: object", t)
	}
	if props, ok := s["properties"]; ok {
		if _, ok := props.(map[string]any); !ok {
			d.bad(path+".properties", "want a mapping of property names to schemas")
			return
		}
	}
	d.compileSchema(path, s)
}

// schemaURL names an ability's schema while it is compiled.
const schemaURL = "mem:///schema.json"

// addError is a schema that the compiler would not even take in.
type addError struct{ err error }

func (e *addError) Error() string { return e.err.Error() }

// Compile compiles the schema with a full JSON Schema 2020-12 validator,
// the one that checks calls' arguments. A $ref outside the schema is an
// error: nothing is loaded from files or the network.
func (s JSONSchema) Compile() (*jsonschema.Schema, error) {
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	c.UseLoader(jsonschema.SchemeURLLoader{})
	if err := c.AddResource(schemaURL, map[string]any(s)); err != nil {
		return nil, &addError{err}
	}
	return c.Compile(schemaURL)
}

// compileSchema checks s against the JSON Schema 2020-12 meta-schema, with
// the full validator that will check calls' arguments, and reports the
// first problem at its key. A $ref outside the schema is refused: reading
// a file or a URL while loading the configuration would be a surprise.
func (d *decoder) compileSchema(path string, s JSONSchema) {
	_, err := s.Compile()
	if err == nil {
		return
	}
	var add *addError
	if errors.As(err, &add) {
		d.bad(path, "not a JSON Schema: %v", add.err)
		return
	}
	var invalid *jsonschema.SchemaValidationError
	var verr *jsonschema.ValidationError
	if errors.As(err, &invalid) && errors.As(invalid.Err, &verr) {
		for len(verr.Causes) > 0 {
			verr = verr.Causes[0]
		}
		at := path
		for _, key := range verr.InstanceLocation {
			if i, err := strconv.Atoi(key); err == nil {
				at = fmt.Sprintf("%s[%d]", at, i)
			} else {
				at += "." + key
			}
		}
		d.bad(at, "not a valid JSON Schema: %s", verr.ErrorKind.LocalizedString(message.NewPrinter(language.English)))
		return
	}
	var load *jsonschema.LoadURLError
	if errors.As(err, &load) {
		d.bad(path, "$ref %s: only references inside the schema (such as #/$defs/name) are allowed", load.URL)
		return
	}
	msg := strings.ReplaceAll(err.Error(), schemaURL, "the schema")
	d.bad(path, "not a valid JSON Schema: %s", msg)
}

func (d *decoder) checkCommand(path string, a *Ability) {
	p := func(key string) string { return path + "." + key }
	if _, ok := d.keys[p("argv")]; !ok {
		d.failAt(d.keys[path], path, "a command ability needs argv: the program and its arguments, such as [wc, -w]")
	} else if !d.failed[p("argv")] {
		if len(a.Argv) == 0 || a.Argv[0] == "" {
			d.bad(p("argv"), "the program (argv[0]) is missing")
		} else if strings.Contains(a.Argv[0], "{{") {
			d.bad(p("argv[0]"), "the program must not be a placeholder: the arguments would choose what runs")
		}
	}
	for i, arg := range a.Argv {
		d.placeholders(fmt.Sprintf("%s[%d]", p("argv"), i), arg, a, "argv element")
	}
	if a.Stdin != nil {
		d.placeholders(p("stdin"), *a.Stdin, a, "")
	}
	for _, k := range sortedKeys(a.Env) {
		if !envName.MatchString(k) {
			d.badKey(p("env."+k), "invalid variable name: letters, digits and underscores, not starting with a digit")
		}
		d.envRefs(p("env."+k), a.Env[k])
	}
	if d.has(p("max_output")) && a.MaxOutput < 1 {
		d.bad(p("max_output"), "%d: must be at least 1 byte", a.MaxOutput)
	}
}

func (d *decoder) checkHTTP(path string, a *Ability) {
	p := func(key string) string { return path + "." + key }
	if d.has(p("method")) && !slices.Contains(httpMethods, a.Method) {
		d.bad(p("method"), "%q: want one of %s", a.Method, strings.Join(httpMethods, ", "))
	}
	if _, ok := d.keys[p("url")]; !ok {
		d.failAt(d.keys[path], path, "an http ability needs url, such as \"http://127.0.0.1:8089/weather?city={{city}}\"")
	} else if !d.failed[p("url")] {
		d.checkURL(p("url"), a.URL)
		d.placeholders(p("url"), a.URL, a, "")
	}
	for _, k := range sortedKeys(a.Headers) {
		if k == "" || strings.ContainsFunc(k, func(r rune) bool { return r <= ' ' || r >= 0x7f || r == ':' }) {
			d.badKey(p("headers."+k), "invalid header name")
		}
		d.envRefs(p("headers."+k), a.Headers[k])
		d.placeholders(p("headers."+k), a.Headers[k], a, "")
	}
	if a.Body != nil {
		d.placeholders(p("body"), *a.Body, a, "")
	}
	for i, s := range a.AcceptStatus {
		if s < 100 || s > 599 {
			d.bad(fmt.Sprintf("%s[%d]", p("accept_status"), i), "%d: an HTTP status is 100 to 599", s)
		}
	}
	if d.has(p("max_response")) && a.MaxResponse < 1 {
		d.bad(p("max_response"), "%d: must be at least 1 byte", a.MaxResponse)
	}
	if d.has(p("client_errors")) && a.ClientErrors != ClientErrorsBadArgs && a.ClientErrors != ClientErrorsFailure {
		d.bad(p("client_errors"), "%q: want bad_args (the caller's fault) or failure (counts against the breaker)", a.ClientErrors)
	}
	if a.MaxRedirects != nil && d.has(p("max_redirects")) && *a.MaxRedirects < 0 {
		d.bad(p("max_redirects"), "%d: must not be negative (0 follows none)", *a.MaxRedirects)
	}
}

// checkURL checks a URL template: absolute http or https, with
// placeholders only after the host.
func (d *decoder) checkURL(path, tmpl string) {
	const mark = "agentdash-placeholder-7f3a"
	filled := placeholderRE.ReplaceAllString(tmpl, mark)
	u, err := url.Parse(filled)
	switch {
	case err != nil:
		d.bad(path, "not a URL: %v", err.(*url.Error).Err)
	case u.Scheme != "http" && u.Scheme != "https":
		d.bad(path, "want an http:// or https:// URL")
	case u.Host == "":
		d.bad(path, "the URL has no host")
	case strings.Contains(u.Host, mark) || u.User != nil && strings.Contains(u.User.String(), mark):
		d.bad(path, "placeholders may fill the path and the query, not the scheme or host")
	}
}

// placeholderRE matches a well-formed placeholder.
var placeholderRE = regexp.MustCompile(`\{\{([A-Za-z_][A-Za-z0-9_]*)\}\}`)

// placeholders checks the {{name}} placeholders of a template: each
// well-formed, closed within the template, and naming a schema property.
func (d *decoder) placeholders(path, tmpl string, a *Ability, what string) {
	props := a.Schema.Properties()
	rest := tmpl
	for {
		i := strings.Index(rest, "{{")
		if i < 0 {
			return
		}
		rest = rest[i:]
		m := placeholderRE.FindStringSubmatch(rest)
		if m == nil || !strings.HasPrefix(rest, m[0]) {
			end := strings.Index(rest, "}}")
			if end < 0 {
				hint := ""
				if what != "" {
					hint = "; a placeholder lies inside one " + what
				}
				d.bad(path, "unclosed placeholder %q: write {{name}}%s", rest, hint)
			} else {
				d.bad(path, "malformed placeholder %q: write {{name}}, a name of letters, digits and underscores", rest[:end+2])
			}
			return
		}
		if !props[m[1]] {
			d.bad(path, "placeholder {{%s}} names no property of the schema%s", m[1], known(props))
		}
		rest = rest[len(m[0]):]
	}
}

// known lists a schema's properties for an error message.
func known(props map[string]bool) string {
	if len(props) == 0 {
		return " (it has none)"
	}
	return " (properties: " + strings.Join(sortedKeys(props), ", ") + ")"
}

// envRefs checks the ${NAME} references of a value, which are expanded at
// call time.
func (d *decoder) envRefs(path, v string) {
	rest := v
	for {
		i := strings.Index(rest, "${")
		if i < 0 {
			return
		}
		rest = rest[i+2:]
		end := strings.IndexByte(rest, '}')
		if end < 0 {
			d.bad(path, "unclosed ${: write ${NAME}")
			return
		}
		if !envName.MatchString(rest[:end]) {
			d.bad(path, "${%s}: a variable name is letters, digits and underscores, not starting with a digit", rest[:end])
		}
		rest = rest[end+1:]
	}
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// checkBuiltins checks the abilities against the names of the built-in
// ones: an ability without a kind must be a built-in, and, while the
// built-ins are on (demo), a declared ability must not take a built-in's
// name.
func (d *decoder) checkBuiltins(c *Config, builtins []string) {
	demo := c.Demo == nil || *c.Demo
	for _, name := range sortedKeys(c.Abilities) {
		a := c.Abilities[name]
		path := "abilities." + name
		builtin := slices.Contains(builtins, name)
		if strings.Contains(name, ".") {
			continue // never a built-in: checked against mcp_servers
		}
		switch {
		case d.failed[path] || d.failed[path+".kind"]:
		case (a == nil || a.Kind == "") && !builtin:
			d.badKey(path, "no built-in ability is called %s (built-in: %s); to declare one, give it kind: command or kind: http",
				name, strings.Join(builtins, ", "))
		case a != nil && a.Kind != "" && builtin && demo:
			d.badKey(path, "%s is a built-in ability: choose another name for this one, or turn the built-ins off (demo: false)", name)
		}
	}
}
