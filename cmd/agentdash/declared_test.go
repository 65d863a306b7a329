package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
)

// helper is the test binary run as a command ability's program.
func helper(mode string) int {
	switch mode {
	case "word_count": // as wc -w: the words of stdin
		sc := bufio.NewScanner(os.Stdin)
		sc.Split(bufio.ScanWords)
		n := 0
		for sc.Scan() {
			n++
		}
		fmt.Println(n)
		return 0
	}
	fmt.Fprintf(os.Stderr, "unknown helper mode %q\n", mode)
	return 2
}

// weatherServer is the http ability's service: /weather?city=NAME answers
// {"city": NAME, "temp_c": 21} to a request with the right token, and
// counts the requests.
func weatherServer(t *testing.T) (*httptest.Server, *atomic.Int32) {
	t.Helper()
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		if r.URL.Path != "/weather" || r.Header.Get("Authorization") != "Bearer s3cret" {
			http.Error(w, "no", http.StatusUnauthorized)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{"city": r.URL.Query().Get("city"), "temp_c": 21})
	}))
	t.Cleanup(srv.Close)
	return srv, &hits
}

// exampleConfig is the example, its http ability pointed at url and
// its command ability running the test binary as wc -w; extra goes at the
// top of the file.
func exampleConfig(t *testing.T, dir, url, extra string) string {
	t.Helper()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	data := extra + `max_concurrent: 16
demo: true
abilities:
  sum:                      # a built-in: only its settings change
    cache_ttl: 5m
  weather:
    kind: http
    description: Current weather for a city.
    method: GET
    url: "` + url + `/weather?city={{city}}"
    headers: {Authorization: "Bearer ${WEATHER_TOKEN}"}
    schema:
      type: object
      properties: {city: {type: string}}
      required: [city]
    timeout: 2s
    cache_ttl: 1m
    breaker: {failure_rate: 50%, window: 20, min_calls: 10, consecutive_failures: 5, cooldown: 5s, half_open_probes: 1}
  word_count:
    kind: command
    description: Count the words of a text.
    argv: [` + fmt.Sprintf("%q", self) + `, word_count]
    env: {GO_WANT_HELPER_PROCESS: "1"}
    stdin: "{{text}}"
    schema: {type: object, properties: {text: {type: string}}, required: [text]}
    timeout: 10s
`
	return writeFile(t, filepath.Join(dir, "agentdash.yaml"), data)
}

func TestDeclaredAbilitiesCall(t *testing.T) {
	dir := noConfigAround(t)
	srv, hits := weatherServer(t)
	path := exampleConfig(t, dir, srv.URL, "")
	env := map[string]string{"WEATHER_TOKEN": "s3cret"}

	r := runEnv(t, env, "--config", path, "call", "weather", `{"city":"x"}`)
	if r.code != 0 || strings.TrimSpace(r.stdout) != `{"city":"x","temp_c":21}` {
		t.Errorf("call weather: %+v", r)
	}
	if hits.Load() != 1 {
		t.Errorf("the weather service got %d requests, want 1", hits.Load())
	}
	r = runEnv(t, env, "--config", path, "call", "word_count", `{"text":"one two three"}`)
	if r.code != 0 || strings.TrimSpace(r.stdout) != "3" {
		t.Errorf("call word_count: %+v", r)
	}
	// The arguments are checked against the file's schema.
	r = runEnv(t, env, "--config", path, "call", "word_count", `{}`)
	if r.code != exitUsage || !strings.Contains(r.stderr, "text") {
		t.Errorf("call word_count without text: %+v", r)
	}
	// Found as ./agentdash.yaml too.
	r = runEnv(t, env, "call", "word_count", `{"text":"a b"}`)
	if r.code != 0 || strings.TrimSpace(r.stdout) != "2" {
		t.Errorf("call word_count with ./agentdash.yaml: %+v", r)
	}
}

func TestConfigSettingsApplied(t *testing.T) {
	dir := noConfigAround(t)
	srv, _ := weatherServer(t)
	path := exampleConfig(t, dir, srv.URL, "timeout: 3s\nbreaker: {cooldown: 9s}\n")

	r := runEnv(t, nil, "--config", path, "abilities", "--json")
	if r.code != 0 {
		t.Fatalf("abilities --json: %+v", r)
	}
	var got []abilityJSON
	if err := json.Unmarshal([]byte(r.stdout), &got); err != nil {
		t.Fatal(err)
	}
	by := map[string]abilityJSON{}
	for _, a := range got {
		by[a.Name] = a
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	line := func(key string) string { // file:line of the key
		i := strings.Index(string(data), "\n  "+key+":")
		return fmt.Sprintf("%s:%d", path, strings.Count(string(data[:i+1]), "\n")+1)
	}
	w := by["weather"]
	wantBreaker := breakerJSON{WindowSize: 20, MinCalls: 10, FailureRate: 0.5, ConsecutiveFailures: 5,
		CooldownSeconds: 5, HalfOpenProbes: 1, SuccessThreshold: w.Breaker.SuccessThreshold}
	if w.Source != line("weather") || w.Description != "Current weather for a city." || w.TimeoutSeconds != 2 ||
		w.CacheTTLSeconds != 60 || w.Breaker != wantBreaker || w.InputSchema == nil || w.InputSchema.Properties["city"] == nil {
		t.Errorf("weather: %+v", w)
	}
	if wc := by["word_count"]; wc.Source != line("word_count") || wc.TimeoutSeconds != 10 || wc.CacheTTLSeconds != 0 || wc.Breaker.CooldownSeconds != 9 {
		t.Errorf("word_count: %+v", wc)
	}
	// A built-in: the file's cache_ttl; the agent-wide timeout where it sets
	// none of its own, and the agent-wide breaker rule.
	if s := by["sum"]; s.Source != "built-in" || s.CacheTTLSeconds != 300 || s.Breaker.CooldownSeconds != 9 {
		t.Errorf("sum: %+v", s)
	}
	if u := by["uppercase"]; u.TimeoutSeconds != 3 {
		t.Errorf("uppercase: the agent-wide timeout is not applied: %+v", u)
	}

	r = runEnv(t, nil, "--config", path, "abilities")
	if r.code != 0 || !strings.Contains(r.stdout, "SOURCE") ||
		!regexpMatch(`(?m)^weather +`+regexpQuote(line("weather"))+` +2s +1m0s +- +- +city:string +Current weather`, r.stdout) ||
		!regexpMatch(`(?m)^sum +built-in +`, r.stdout) {
		t.Errorf("abilities:\n%s", r.stdout)
	}
}

func TestConfigSchemaBeyondTheSubset(t *testing.T) {
	dir := noConfigAround(t)
	srv, hits := weatherServer(t)
	path := writeFile(t, filepath.Join(dir, "c.yaml"), `abilities:
  weather:
    kind: http
    url: "`+srv.URL+`/weather?city={{city}}"
    headers: {Authorization: "Bearer s3cret"}
    schema:
      type: object
      properties: {city: {type: string, pattern: "^[a-z]+$"}}
      required: [city]
  uppercase:
    schema: {type: object, properties: {text: {maxLength: 3}}}
`)
	r := runEnv(t, nil, "--config", path, "call", "weather", `{"city":"X1"}`)
	if r.code != exitUsage || !strings.Contains(r.stderr, "/city") || hits.Load() != 0 {
		t.Errorf("an argument the pattern refuses: %+v (requests: %d)", r, hits.Load())
	}
	if r = runEnv(t, nil, "--config", path, "call", "weather", `{"city":"paris"}`); r.code != 0 {
		t.Errorf("an argument the pattern allows: %+v", r)
	}
	// A built-in's schema in the file narrows its own.
	if r = runEnv(t, nil, "--config", path, "call", "uppercase", `{"text":"abcd"}`); r.code != exitUsage {
		t.Errorf("uppercase with a text longer than the file allows: %+v", r)
	}
	if r = runEnv(t, nil, "--config", path, "call", "uppercase", `{"text":"abc"}`); r.code != 0 || strings.TrimSpace(r.stdout) != `"ABC"` {
		t.Errorf("uppercase: %+v", r)
	}
}

func TestConfigDemoFalseHidesBuiltins(t *testing.T) {
	dir := noConfigAround(t)
	srv, _ := weatherServer(t)
	path := exampleConfig(t, dir, srv.URL, "")
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	noDemo := strings.Replace(string(data), "demo: true", "demo: false", 1)
	noDemo = strings.Replace(noDemo, "  sum:                      # a built-in: only its settings change\n    cache_ttl: 5m\n", "", 1)
	writeFile(t, path, noDemo)

	r := runEnv(t, nil, "--config", path, "abilities", "--json")
	var got []abilityJSON
	if err := json.Unmarshal([]byte(r.stdout), &got); err != nil || r.code != 0 {
		t.Fatalf("abilities --json: %+v", r)
	}
	var names []string
	for _, a := range got {
		names = append(names, a.Name)
	}
	if strings.Join(names, " ") != "weather word_count" {
		t.Errorf("with demo: false the abilities are %v, want only the declared ones", names)
	}
	r = runEnv(t, nil, "--config", path, "call", "sum", `{"a":1,"b":2}`)
	if r.code != exitUsage || !strings.Contains(r.stderr, "known: weather, word_count") {
		t.Errorf("call sum with demo: false: %+v", r)
	}
}

func TestConfigBadDeclaredAbility(t *testing.T) {
	dir := noConfigAround(t)
	for _, tc := range []struct {
		name, file, want string
	}{
		{"program not found", "abilities:\n  x:\n    kind: command\n    argv: [no-such-program-agentdash, -w]\n",
			`:4:5: abilities.x.argv: command "no-such-program-agentdash" not found in PATH`},
		{"placeholder without a property", "abilities:\n  x:\n    kind: command\n    argv: [echo, \"{{a}}\"]\n    schema: {type: object, properties: {b: {type: string}}}\n",
			`:4:18: abilities.x.argv[1]: placeholder {{a}} names no property of the schema (properties: b)`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := writeFile(t, filepath.Join(dir, "bad.yaml"), tc.file)
			check := runEnv(t, nil, "config", "check", path)
			if check.code != exitUsage || !strings.Contains(check.stderr, path+tc.want) {
				t.Errorf("config check: %+v", check)
			}
			for _, args := range [][]string{{"call", "x"}, {"abilities"}} {
				r := runEnv(t, nil, append([]string{"--config", path}, args...)...)
				if r.code != exitUsage || !strings.Contains(r.stderr, path+tc.want) || strings.Count(r.stderr, "\n") != 1 {
					t.Errorf("%v: %+v", args, r)
				}
			}
		})
	}
}

func regexpMatch(pattern, s string) bool { return regexp.MustCompile(pattern).MatchString(s) }

func regexpQuote(s string) string { return regexp.QuoteMeta(s) }

func TestDemoCommandNeedsTheBuiltins(t *testing.T) {
	dir := noConfigAround(t)
	path := writeFile(t, filepath.Join(dir, "c.yaml"), "demo: false\n")
	r := runEnv(t, nil, "--config", path, "demo")
	r.wantOneLine(t, "demo: the built-in abilities it calls are off (demo: false in "+path+")")
	if r.code != exitUsage {
		t.Errorf("demo with demo: false: %+v", r)
	}
}
