package control

import (
	"encoding/json"
	"errors"
	"maps"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/agentdash/agentdash/internal/agent"
	"github.com/agentdash/agentdash/internal/config"
	"github.com/agentdash/agentdash/internal/upstream"
)

// memSettings is a Settings in memory that checks timeouts as the file's
// check does: a wrong value is a config.Errors at its key path.
type memSettings struct {
	mu      sync.Mutex
	vals    map[string]map[string]string
	file    string
	unsaved bool
	writes  int
}

func (m *memSettings) Values(ability string, keys []string) (map[string]string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := map[string]string{}
	for _, k := range keys {
		if v, ok := m.vals[ability][k]; ok {
			out[k] = v
		}
	}
	return out, nil
}

func (m *memSettings) Apply(ability string, values map[string]string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	var errs config.Errors
	for _, k := range []string{"timeout", "breaker.cooldown"} {
		if v, ok := values[k]; ok {
			if _, err := time.ParseDuration(v); err != nil {
				errs = append(errs, &config.Error{File: m.file, Pos: config.Pos{Line: 3, Column: 14},
					Path: "abilities." + ability + "." + k, Msg: "want a duration such as 5s"})
			}
		}
	}
	if errs != nil {
		return errs
	}
	if m.vals[ability] == nil {
		m.vals[ability] = map[string]string{}
	}
	maps.Copy(m.vals[ability], values)
	m.unsaved = true
	return nil
}

func (m *memSettings) Unsaved() bool { m.mu.Lock(); defer m.mu.Unlock(); return m.unsaved }
func (m *memSettings) File() string  { m.mu.Lock(); defer m.mu.Unlock(); return m.file }
func (m *memSettings) Write() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.file == "" {
		return errors.New("no configuration file")
	}
	m.unsaved = false
	m.writes++
	return nil
}
func (m *memSettings) CreatePath() string { return "/work/agentdash.yaml" }
func (m *memSettings) Create() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.file != "" {
		return errors.New("the configuration file " + m.file + " exists")
	}
	m.file, m.unsaved = "/work/agentdash.yaml", false
	return nil
}

func (m *memSettings) snapshot() map[string]map[string]string {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := map[string]map[string]string{}
	for k, v := range m.vals {
		out[k] = maps.Clone(v)
	}
	return out
}

// TestSettingsAPIErrors: bad requests are clear 4xx and change nothing;
// a wrong value is a 422 naming its key.
func TestSettingsAPIErrors(t *testing.T) {
	ms := &memSettings{vals: map[string]map[string]string{"sum": {"timeout": "2s"}}, file: "/etc/agentdash.yaml"}
	f := start(t, newTestAgent(t), shortDir(t), 131, ListenOptions{}, ServerOptions{Settings: ms})
	sub := f.a.SubscribeTo(16, agent.EventAction)
	defer sub.Close()
	for _, tc := range []struct {
		name, method, path, body string
		code                     int
		want                     string
	}{
		{"bad JSON", "POST", "/v1/settings/sum", `{"timeout":`, 400, "bad JSON body"},
		{"not strings", "POST", "/v1/settings/sum", `{"timeout":5}`, 400, "bad JSON body"},
		{"empty object", "POST", "/v1/settings/sum", `{}`, 400, "one key at least"},
		{"unknown ability", "POST", "/v1/settings/nope", `{"timeout":"1s"}`, 404, `unknown ability "nope"`},
		{"values unknown", "GET", "/v1/settings/nope?keys=timeout", ``, 404, `unknown ability "nope"`},
		{"values no keys", "GET", "/v1/settings/sum", ``, 400, "keys: want a comma-separated list"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, body := f.req(t, tc.method, tc.path, tc.body)
			if code != tc.code || !strings.Contains(body, tc.want) {
				t.Fatalf("%s %s = %d %s, want %d containing %q", tc.method, tc.path, code, body, tc.code, tc.want)
			}
		})
	}
	resp, err := f.hc.Post("http://agentdash/v1/settings/sum", "application/json", strings.NewReader(`{"timeout":"soon","cache_ttl":"1m"}`))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var ser SettingsErrorResponse
	if err := json.NewDecoder(resp.Body).Decode(&ser); err != nil || resp.StatusCode != 422 {
		t.Fatalf("wrong value = %d %+v (%v), want 422", resp.StatusCode, ser, err)
	}
	if ser.Error != "/etc/agentdash.yaml:3:14: abilities.sum.timeout: want a duration such as 5s" {
		t.Fatalf("422 error = %q", ser.Error)
	}
	if len(ser.Errors) != 1 || ser.Errors[0].Key != "timeout" || ser.Errors[0].Path != "abilities.sum.timeout" ||
		ser.Errors[0].Message != "want a duration such as 5s" || ser.Errors[0].Line != 3 {
		t.Fatalf("422 errors = %+v", ser.Errors)
	}
	if got := ms.snapshot(); !maps.Equal(got["sum"], map[string]string{"timeout": "2s"}) || ms.Unsaved() {
		t.Fatalf("bad requests changed the settings: %v unsaved %v", got, ms.Unsaved())
	}
	for _, ev := range drainActions(sub) {
		t.Fatalf("a bad request was recorded: %+v", ev)
	}
}

// drainActions returns the action events sub holds now.
func drainActions(sub *agent.Subscription) []agent.Event {
	var out []agent.Event
	for len(sub.C()) > 0 {
		out = append(out, <-sub.C())
	}
	return out
}

// TestSettingsAPI: values are read, applied, written and created through
// the API, each change recorded with who made it; without a Settings the
// endpoints say so.
func TestSettingsAPI(t *testing.T) {
	ms := &memSettings{vals: map[string]map[string]string{"sum": {"timeout": "2s"}}}
	f := start(t, newTestAgent(t), shortDir(t), 132, ListenOptions{}, ServerOptions{Settings: ms})
	sub := f.a.SubscribeTo(16, agent.EventAction)
	defer sub.Close()
	if code, body := f.req(t, "GET", "/v1/settings/sum?keys=timeout,cache_ttl", ""); code != 200 || strings.TrimSpace(body) != `{"timeout":"2s"}` {
		t.Fatalf("values = %d %s", code, body)
	}
	if code, body := f.req(t, "POST", "/v1/settings/sum", `{"timeout":"5s"}`, "X-Agentdash-Actor", "curl"); code != 200 || !strings.Contains(body, `"unsaved":true`) {
		t.Fatalf("apply = %d %s", code, body)
	}
	if got := ms.snapshot()["sum"]["timeout"]; got != "5s" {
		t.Fatalf("timeout = %q after apply", got)
	}
	if code, body := f.req(t, "POST", "/v1/settings/write", ""); code != 409 || !strings.Contains(body, "no configuration file") {
		t.Fatalf("write without a file = %d %s", code, body)
	}
	if code, body := f.req(t, "POST", "/v1/settings/create", ""); code != 200 || !strings.Contains(body, `"file":"/work/agentdash.yaml"`) {
		t.Fatalf("create = %d %s", code, body)
	}
	if code, body := f.req(t, "POST", "/v1/settings/create", ""); code != 409 || !strings.Contains(body, "exists") {
		t.Fatalf("create again = %d %s", code, body)
	}
	if code, body := f.req(t, "GET", "/v1/settings", ""); code != 200 || !strings.Contains(body, `"file":"/work/agentdash.yaml","unsaved":false`) {
		t.Fatalf("state = %d %s", code, body)
	}
	var actions []string
	for _, ev := range drainActions(sub) {
		actions = append(actions, ev.Actor+": "+ev.Action+" "+ev.Ability)
	}
	if len(actions) != 2 || !strings.HasPrefix(actions[0], "curl (") || !strings.HasSuffix(actions[0], ": settings timeout=5s sum") ||
		!strings.HasSuffix(actions[1], ": create /work/agentdash.yaml ") {
		t.Fatalf("actions = %q", actions)
	}

	bare := start(t, newTestAgent(t), shortDir(t), 133, ListenOptions{}, ServerOptions{})
	if code, body := bare.req(t, "POST", "/v1/settings/sum", `{"timeout":"5s"}`); code != 404 || !strings.Contains(body, "does not edit its configuration") {
		t.Fatalf("no settings = %d %s", code, body)
	}
}

// TestClientSettings: the remote Settings applies in the agent, brings a
// wrong value back as the config.Errors the form shows at its field, and
// follows the file and unsaved state.
func TestClientSettings(t *testing.T) {
	ms := &memSettings{vals: map[string]map[string]string{}, file: "/etc/agentdash.yaml"}
	f := start(t, newTestAgent(t), shortDir(t), 134, ListenOptions{}, ServerOptions{Settings: ms})
	c, err := Dial(t.Context(), Target{Socket: f.ep.Info().Socket}, ClientOptions{Actor: "attach pid 1"})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	s := c.Settings()
	if s == nil || s.File() != "/etc/agentdash.yaml" || s.Unsaved() {
		t.Fatalf("settings = %v", s)
	}
	err = s.Apply("sum", map[string]string{"breaker.cooldown": "later"})
	var errs config.Errors
	if !errors.As(err, &errs) || len(errs) != 1 || errs[0].Path != "abilities.sum.breaker.cooldown" || errs[0].Msg != "want a duration such as 5s" {
		t.Fatalf("wrong value: %v", err)
	}
	if err := s.Apply("sum", map[string]string{"breaker.cooldown": "45s"}); err != nil {
		t.Fatal(err)
	}
	if !s.Unsaved() || ms.snapshot()["sum"]["breaker.cooldown"] != "45s" {
		t.Fatalf("after apply: unsaved %v, agent %v", s.Unsaved(), ms.snapshot())
	}
	if vals, err := s.Values("sum", []string{"breaker.cooldown", "timeout"}); err != nil || !maps.Equal(vals, map[string]string{"breaker.cooldown": "45s"}) {
		t.Fatalf("Values = %v, %v", vals, err)
	}
	if err := s.Write(); err != nil || s.Unsaved() || ms.writes != 1 {
		t.Fatalf("Write: %v, unsaved %v, writes %d", err, s.Unsaved(), ms.writes)
	}
	if err := s.Create(); err == nil || !strings.Contains(err.Error(), "exists") {
		t.Fatalf("Create with a file: %v", err)
	}

	bare := start(t, newTestAgent(t), shortDir(t), 135, ListenOptions{}, ServerOptions{})
	c2, err := Dial(t.Context(), Target{Socket: bare.ep.Info().Socket}, ClientOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Close()
	if c2.Settings() != nil {
		t.Fatal("a client of an agent without settings has a Settings")
	}
}

// TestClientCallsAndUpstreams: with Callers, the stream brings the
// results of the calls that name their caller, not the others; the
// upstream servers' state comes with every frame.
func TestClientCallsAndUpstreams(t *testing.T) {
	a := newTestAgent(t)
	since := time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)
	ups := []upstream.Status{{Name: "fs", Transport: "stdio", State: upstream.Connected, Since: since, Tools: 3, PID: 77},
		{Name: "web", Transport: "http", State: upstream.Failed, Since: since, LastError: "connection refused", Restarts: 2}}
	f := start(t, a, shortDir(t), 136, ListenOptions{}, ServerOptions{Upstreams: func() []upstream.Status { return ups }})
	c, err := Dial(t.Context(), Target{Socket: f.ep.Info().Socket}, ClientOptions{Callers: true})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	events, stop := c.Calls(16)
	defer stop()
	waitFor(t, "the upstreams", func() bool { return len(c.Upstreams()) == 2 })
	if got := c.Upstreams(); got[0].Name != "fs" || got[0].State != upstream.Connected || got[0].Tools != 3 || got[0].PID != 77 ||
		!got[0].Since.Equal(since) || got[1].LastError != "connection refused" || got[1].Restarts != 2 {
		t.Fatalf("upstreams = %+v", got)
	}
	if code, body := f.req(t, "GET", "/v1/upstreams", ""); code != 200 || !strings.Contains(body, `"name":"web","transport":"http","state":"failed"`) {
		t.Fatalf("GET /v1/upstreams = %d %s", code, body)
	}
	// A call with no caller first: only the other one may come.
	_, _ = a.Call(t.Context(), "sum", map[string]any{"a": 1.0, "b": 2.0})
	_, _ = a.Call(agent.WithCaller(t.Context(), "cursor 0a1b2c3d"), "sum", map[string]any{"a": 1.0, "b": 2.0})
	select {
	case ev := <-events:
		if ev.Caller != "cursor 0a1b2c3d" || ev.Ability != "sum" || ev.Outcome != agent.OutcomeSuccess || ev.Kind != agent.EventResult {
			t.Fatalf("first call event = %+v, want the call with a caller", ev)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("no call event")
	}
	stop()
	if _, ok := <-events; ok {
		t.Fatal("events after stop")
	}
}

// TestRecordSettings: the local dashboard's settings changes are action
// events by it, as its trips are; a refused one is not.
func TestRecordSettings(t *testing.T) {
	a := newTestAgent(t)
	sub := a.SubscribeTo(8, agent.EventAction)
	defer sub.Close()
	ms := &memSettings{vals: map[string]map[string]string{}, file: "/etc/agentdash.yaml"}
	s := RecordSettings(a, "local dashboard", ms)
	if err := s.Apply("sum", map[string]string{"timeout": "never"}); err == nil {
		t.Fatal("a wrong value was applied")
	}
	if err := s.Apply("sum", map[string]string{"timeout": "4s", "cache_ttl": "1m"}); err != nil {
		t.Fatal(err)
	}
	if err := s.Write(); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, ev := range drainActions(sub) {
		got = append(got, ev.Actor+": "+ev.Action+" "+ev.Ability)
	}
	want := []string{"local dashboard: settings cache_ttl=1m timeout=4s sum", "local dashboard: write settings to /etc/agentdash.yaml "}
	if !slices.Equal(got, want) {
		t.Fatalf("actions %q, want %q", got, want)
	}
}
