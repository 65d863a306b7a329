// Package declared turns a configuration file into the abilities of an
// agent: the built-in ones tuned by the file's settings (or left out, with
// demo: false) and the ones the file declares (kind: command or http)
// built with the command and httpcall packages.
//
// Checking a file and starting from it take the same path, [Abilities]:
// what would fail at start (a program not found, a template the package
// refuses) is an error at its key's file:line:column in both.
package declared

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"golang.org/x/text/language"
	"golang.org/x/text/message"

	"github.com/agentdash/agentdash/internal/agent"
	"github.com/agentdash/agentdash/internal/command"
	"github.com/agentdash/agentdash/internal/config"
	"github.com/agentdash/agentdash/internal/httpcall"
	"github.com/agentdash/agentdash/internal/schema"
)

// Env is what declared abilities take from the process.
type Env struct {
	// LookupEnv expands ${NAME} in http headers at call time; nil finds
	// nothing.
	LookupEnv func(string) (string, bool)
	// Client sends http abilities' requests; nil means a client of
	// httpcall's own.
	Client *http.Client
}

// Ability is an ability to register and the fault it starts with.
type Ability struct {
	agent.Ability
	// Fault is injected once the ability is registered; nil injects none.
	Fault *agent.Fault
}

// Options returns base with the file's agent-wide settings that the agent
// takes as options. cfg may be nil (no file).
func Options(cfg *config.Config, base agent.Options) agent.Options {
	if cfg == nil {
		return base
	}
	if cfg.MaxConcurrent > 0 {
		base.MaxConcurrent = cfg.MaxConcurrent
	}
	if cfg.MaxWait > 0 {
		base.MaxWait = time.Duration(cfg.MaxWait)
	}
	if cfg.CacheSize > 0 {
		base.CacheSize = cfg.CacheSize
	}
	if cfg.Timeout > 0 {
		base.DefaultTimeout = time.Duration(cfg.Timeout)
	}
	return base
}

// Abilities returns the abilities an agent built from cfg has: builtins,
// whose start faults are faults, unless the file turns them off
// (demo: false), then the declared ones, each with the file's settings
// applied. cfg nil (no file) returns the built-ins as they are. The error
// is a config.Errors, each at the key of the ability it is about.
// warnings name settings the agent cannot apply (none today).
func Abilities(cfg *config.Config, builtins []agent.Ability, faults map[string]agent.Fault, env Env) (abs []Ability, warnings []string, err error) {
	on := cfg == nil || cfg.Demo == nil || *cfg.Demo
	if on {
		for _, ab := range builtins {
			out := Ability{Ability: ab}
			if f, ok := faults[ab.Name]; ok {
				out.Fault = &f
			}
			abs = append(abs, out)
		}
	}
	if cfg == nil {
		return abs, nil, nil
	}
	byName := make(map[string]int, len(abs))
	for i, ab := range abs {
		byName[ab.Name] = i
	}
	var errs config.Errors
	for _, name := range sortedNames(cfg.Abilities) {
		set := cfg.Abilities[name]
		if set == nil {
			set = &config.Ability{}
		}
		i, builtin := byName[name]
		if set.Kind == "" && !builtin {
			continue // a built-in's settings while the built-ins are off
		}
		var ab Ability
		if builtin {
			ab = abs[i]
		} else {
			fn, err := build(cfg, name, set, env)
			if err != nil {
				errs = append(errs, err)
				continue
			}
			ab.Ability = agent.Ability{Name: name, Func: fn, Source: source(cfg, name)}
			if s, ok := FastSchema(set.Schema); ok {
				ab.Schema = s
			}
		}
		ab.Definition = definition(set)
		if err := tune(&ab, cfg, set); err != nil {
			errs = append(errs, at(cfg, "abilities."+name+".schema", err.Error()))
			continue
		}
		if builtin {
			abs[i] = ab
		} else {
			abs = append(abs, ab)
		}
	}
	if len(errs) > 0 {
		return nil, warnings, errs
	}
	return abs, warnings, nil
}

// Tune applies the file's settings of ab, if it has any, and the
// agent-wide breaker rule, as for the abilities the file lists: for an
// ability made elsewhere (a tool of an MCP server). cfg nil changes
// nothing.
func Tune(cfg *config.Config, ab *Ability) error {
	if cfg == nil {
		return nil
	}
	set := cfg.Abilities[ab.Name]
	if set == nil {
		set = &config.Ability{}
	}
	return tune(ab, cfg, set)
}

// definition identifies what an ability's function computes, for
// agent.Apply to keep its cache across a reload: the file's settings that
// build the function (the kind's, and the schema the full validator
// checks), without those the agent applies (timeout, TTL, breaker...).
// "" for a built-in the file only tunes.
func definition(set *config.Ability) string {
	d := *set
	d.Description, d.Timeout, d.CacheTTL, d.Breaker, d.MaxConcurrent = "", 0, nil, nil, 0
	d.Isolate, d.Fault, d.Hints = nil, nil, nil
	if d.Kind == "" && d.Schema == nil {
		return ""
	}
	data, err := json.Marshal(d)
	if err != nil {
		return "" // not expected: the file's values are JSON values
	}
	sum := sha256.Sum256(data) // a digest: a header may hold a secret written as is
	return hex.EncodeToString(sum[:])
}

// tune applies an ability's settings from the file, and the agent-wide
// breaker rule, over what the ability has.
func tune(ab *Ability, cfg *config.Config, set *config.Ability) error {
	if set.Description != "" {
		ab.Description = set.Description
	}
	if set.Timeout > 0 {
		ab.Timeout = time.Duration(set.Timeout)
	}
	if set.CacheTTL != nil {
		ab.CacheTTL = time.Duration(*set.CacheTTL)
	}
	ab.Breaker = set.Breaker.Settings(cfg.Breaker.Settings(ab.Breaker))
	if set.Isolate != nil {
		ab.Isolate = *set.Isolate
	}
	if set.MaxConcurrent > 0 {
		ab.MaxConcurrent = set.MaxConcurrent
	}
	if h := set.Hints; h != nil {
		ab.Hints = hints(ab.Hints, h)
	}
	if f := set.Fault; f != nil {
		fault := agent.Fault{Latency: time.Duration(f.Latency)}
		if f.Rate != nil {
			fault.FailureRate = float64(*f.Rate)
		}
		ab.Fault = &fault
	}
	if set.Schema != nil {
		full, err := set.Schema.Compile()
		if err != nil {
			return err
		}
		ab.Func = Validated(full, ab.Func)
	}
	return nil
}

// hints returns the ability's hints with the file's over them, key by key.
func hints(own agent.Hints, file *config.Hints) agent.Hints {
	for _, h := range []struct {
		dst **bool
		src *bool
	}{
		{&own.ReadOnly, file.ReadOnly}, {&own.Idempotent, file.Idempotent},
		{&own.Destructive, file.Destructive}, {&own.OpenWorld, file.OpenWorld},
	} {
		if h.src != nil {
			*h.dst = h.src
		}
	}
	return own
}

// build returns the function of a declared ability.
func build(cfg *config.Config, name string, set *config.Ability, env Env) (agent.Func, *config.Error) {
	path := "abilities." + name
	switch set.Kind {
	case config.KindCommand:
		fn, err := command.New(command.Spec{Argv: set.Argv, Stdin: set.Stdin, Env: set.Env, Dir: set.Dir,
			MaxOutput: int64(set.MaxOutput)})
		if err != nil {
			return nil, at(cfg, commandKey(path, err), err.Error())
		}
		return fn, nil
	case config.KindHTTP:
		spec := httpcall.Spec{Method: set.Method, URL: set.URL, Headers: set.Headers, Body: set.Body,
			AcceptStatus: set.AcceptStatus, MaxResponse: int64(set.MaxResponse),
			ClientErrors: httpcall.ClientErrors(set.ClientErrors), LookupEnv: env.LookupEnv}
		if set.MaxRedirects != nil { // the file's 0 follows none; httpcall's 0 is its default
			spec.MaxRedirects = *set.MaxRedirects
			if spec.MaxRedirects == 0 {
				spec.MaxRedirects = -1
			}
		}
		fn, err := httpcall.New(spec, env.Client)
		if err != nil {
			return nil, at(cfg, path, err.Error())
		}
		return fn, nil
	}
	return nil, at(cfg, path+".kind", fmt.Sprintf("%q: want command or http", set.Kind))
}

// commandKey returns the key a command.New error is about, from the
// prefix its messages start with: the package reports a missing program
// as `command "x" not found`, a bad directory as "dir ...".
func commandKey(path string, err error) string {
	msg := err.Error()
	switch {
	case strings.HasPrefix(msg, "dir"):
		return path + ".dir"
	case strings.HasPrefix(msg, "env"):
		return path + ".env"
	case strings.HasPrefix(msg, "stdin"):
		return path + ".stdin"
	}
	return path + ".argv"
}

// Validated returns fn behind a check of the arguments against the full
// JSON Schema: a call it refuses is the caller's fault (agent.ErrBadArgs),
// not counted against the breaker. The agent's own schema (the fast
// subset) has checked them before, when the file's schema fits it.
func Validated(full *jsonschema.Schema, fn agent.Func) agent.Func {
	return func(ctx context.Context, args map[string]any) (any, error) {
		if err := full.Validate(map[string]any(args)); err != nil {
			return nil, fmt.Errorf("%w: %s", agent.ErrBadArgs, schemaError(err))
		}
		return fn(ctx, args)
	}
}

// english prints the validator's messages.
var english = message.NewPrinter(language.English)

// schemaError says what is wrong with the arguments, in a line: each
// innermost problem at its place in them ("/city: want string, but got
// number").
func schemaError(err error) string {
	var verr *jsonschema.ValidationError
	if !errors.As(err, &verr) {
		return err.Error()
	}
	var parts []string
	var walk func(e *jsonschema.ValidationError)
	walk = func(e *jsonschema.ValidationError) {
		if len(e.Causes) == 0 {
			where := "/" + strings.Join(e.InstanceLocation, "/")
			parts = append(parts, where+": "+e.ErrorKind.LocalizedString(english))
			return
		}
		for _, c := range e.Causes {
			walk(c)
		}
	}
	walk(verr)
	return "arguments do not match the schema: " + strings.Join(parts, "; ")
}

// FastSchema returns a JSON Schema as the agent's fast subset, when it
// fits (see Covered): then the agent validates with it, applies its
// defaults and shows its properties, and its verdict on any arguments is
// the full validator's. One beyond the subset is checked by the full
// validator only.
func FastSchema(s config.JSONSchema) (*schema.Schema, bool) {
	if s == nil || !Covered(s) {
		return nil, false
	}
	if _, ok := s["$schema"]; ok {
		s = maps.Clone(s)
		delete(s, "$schema")
	}
	data, err := json.Marshal(map[string]any(s))
	if err != nil {
		return nil, false
	}
	dec := json.NewDecoder(strings.NewReader(string(data)))
	dec.DisallowUnknownFields()
	var out schema.Schema
	if err := dec.Decode(&out); err != nil || out.Check() != nil {
		return nil, false
	}
	return &out, true
}

// source is where the file declares the ability: "file:line".
func source(cfg *config.Config, name string) string {
	p, _ := cfg.KeyPos("abilities." + name)
	return fmt.Sprintf("%s:%d", cfg.File, p.Line)
}

// at returns an error at the key path, or at the closest enclosing key
// the file has.
func at(cfg *config.Config, path, msg string) *config.Error {
	for key := path; ; {
		if p, ok := cfg.KeyPos(key); ok {
			return &config.Error{File: cfg.File, Pos: p, Path: path, Msg: msg}
		}
		i := strings.LastIndexByte(key, '.')
		if i < 0 {
			return &config.Error{File: cfg.File, Pos: config.Pos{Line: 1, Column: 1}, Path: path, Msg: msg}
		}
		key = key[:i]
	}
}

func sortedNames(m map[string]*config.Ability) []string {
	names := make([]string, 0, len(m))
	for k := range m {
		names = append(names, k)
	}
	sort.Strings(names)
	return names
}

// Live applies the abilities of successive configurations to one agent
// (see agent.Apply). A fault the file sets is injected when the ability
// appears or the file's fault changes, and removed when the file no longer
// sets it; a fault set otherwise (a --fault flag, the dashboard) stays.
//
// Abilities made elsewhere, which change on their own (the tools of MCP
// servers), join the file's through SetExtra: each Apply and Refresh
// applies the file's abilities and the extra ones together, one at a time.
type Live struct {
	a      *agent.Agent
	mu     sync.Mutex
	faults map[string]agent.Fault // as the last applied file sets them
	file   []Ability              // the last applied file's abilities
	extra  func() []Ability       // nil: none
}

// NewLive returns a Live for a, whose abilities were registered from abs.
func NewLive(a *agent.Agent, abs []Ability) *Live {
	return &Live{a: a, faults: fileFaults(abs), file: abs}
}

// SetExtra makes every later Apply and Refresh add extra()'s abilities
// to the file's; extra is called under the Live's lock, so that the
// latest set is applied last.
func (l *Live) SetExtra(extra func() []Ability) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.extra = extra
}

// Refresh applies the last file's abilities again with the extra ones as
// they are now.
func (l *Live) Refresh() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.apply(l.file)
}

// Apply replaces a's abilities with abs (and the extra ones) in one step,
// then updates the faults the file sets. On an error nothing has changed.
func (l *Live) Apply(abs []Ability) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if err := l.apply(abs); err != nil {
		return err
	}
	l.file = abs
	return nil
}

func (l *Live) apply(abs []Ability) error {
	if l.extra != nil {
		abs = append(slices.Clip(abs), l.extra()...)
	}
	plain := make([]agent.Ability, len(abs))
	for i, ab := range abs {
		plain[i] = ab.Ability
	}
	if err := l.a.Apply(plain); err != nil {
		return err
	}
	next := fileFaults(abs)
	var errs []error
	for name, f := range next {
		if prev, ok := l.faults[name]; !ok || prev != f {
			errs = append(errs, l.a.SetFault(name, f))
		}
	}
	for name := range l.faults {
		if _, ok := next[name]; !ok {
			if _, registered := l.a.Lookup(name); registered {
				errs = append(errs, l.a.SetFault(name, agent.Fault{}))
			}
		}
	}
	l.faults = next
	return errors.Join(errs...)
}

func fileFaults(abs []Ability) map[string]agent.Fault {
	m := map[string]agent.Fault{}
	for _, ab := range abs {
		if ab.Fault != nil {
			m[ab.Name] = *ab.Fault
		}
	}
	return m
}

// Register registers abs in a and injects their faults.
func Register(a *agent.Agent, abs []Ability) error {
	for _, ab := range abs {
		if err := a.Register(ab.Ability); err != nil {
			return err
		}
		if ab.Fault != nil {
			if err := a.SetFault(ab.Name, *ab.Fault); err != nil {
				return err
			}
		}
	}
	return nil
}

// Keywords of the fast subset (package schema), spelled exactly: the
// decoding into schema.Schema matches names regardless of case, where
// JSON Schema would ignore "Minimum".
var (
	topKeywords      = keywords("type", "properties", "required", "additionalProperties")
	propertyKeywords = keywords("type", "description", "default", "examples", "enum",
		"minimum", "maximum", "minLength", "maxLength", "items", "minItems", "maxItems",
		"properties", "required", "additionalProperties")
)

// Drafts whose meaning of the subset's keywords is 2020-12's. Draft 4's
// integer excludes 1.0, which the fast subset accepts.
var sameDrafts = keywords(
	"https://json-schema.org/draft/2020-12/schema", "https://json-schema.org/draft/2019-09/schema",
	"http://json-schema.org/draft-07/schema#", "http://json-schema.org/draft-07/schema",
	"http://json-schema.org/draft-06/schema#", "http://json-schema.org/draft-06/schema")

func keywords(names ...string) map[string]bool {
	m := make(map[string]bool, len(names))
	for _, n := range names {
		m[n] = true
	}
	return m
}

// Covered reports whether a JSON Schema uses only keywords of the fast
// subset, spelled exactly, at every level (and at the top a "$schema" of
// a draft that means the same by them): then the fast validator alone
// decides as the full one would, and a call need not be checked twice.
// It is a conservative static check: an unknown keyword, even one JSON
// Schema ignores ("title", "$comment"), makes it false.
func Covered(s config.JSONSchema) bool {
	for k, v := range s {
		if k == "$schema" {
			if d, ok := v.(string); !ok || !sameDrafts[d] {
				return false
			}
			continue
		}
		if !topKeywords[k] || !coveredMember(k, v, 0) {
			return false
		}
	}
	return true
}

// coveredProperty reports whether a property's schema is covered.
func coveredProperty(v any, depth int) bool {
	p, ok := v.(map[string]any)
	if !ok || depth > 64 {
		return false // a boolean schema, or nested past any real tool's
	}
	for k, w := range p {
		if !propertyKeywords[k] || !coveredMember(k, w, depth) {
			return false
		}
	}
	return true
}

// coveredMember checks the subschemas under keyword k; the other
// keywords' values are checked by FastSchema's decoding and Check.
func coveredMember(k string, v any, depth int) bool {
	switch k {
	case "items":
		return coveredProperty(v, depth+1)
	case "properties":
		props, ok := v.(map[string]any)
		if !ok {
			return false
		}
		for _, p := range props {
			if !coveredProperty(p, depth+1) {
				return false
			}
		}
	}
	return true
}
