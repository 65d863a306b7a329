package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"

	"github.com/agentdash/agentdash/assets"
	"github.com/agentdash/agentdash/internal/config"
)

// runEnv runs agentdash with args and the environment variables env.
func runEnv(t *testing.T, env map[string]string, args ...string) result {
	t.Helper()
	var out, errOut bytes.Buffer
	code := run(context.Background(), args, strings.NewReader(""), &out, &errOut, func(k string) string { return env[k] })
	return result{code, out.String(), errOut.String()}
}

// noConfigAround runs the rest of the test where agentdash finds no
// configuration file of the user's: a fresh working directory and user
// config dir.
func noConfigAround(t *testing.T) string {
	t.Helper()
	dir := chdir(t)
	t.Setenv("XDG_CONFIG_HOME", filepath.Join(dir, "xdg"))
	t.Setenv("HOME", filepath.Join(dir, "home"))
	return dir
}

func writeFile(t *testing.T, path, data string) string {
	t.Helper()
	if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

const issueExample = "../../internal/config/testdata/issue15.yaml"

const badConfig = "max_concurrent: 0\nabilities:\n  summ: {}\n  x: {kind: command, argv: [echo, \"{{a}}\"]}\n"

func TestConfigCheck(t *testing.T) {
	example, err := filepath.Abs(issueExample)
	if err != nil {
		t.Fatal(err)
	}
	dir := noConfigAround(t)
	r := runCmd(t, "", "config", "check", example)
	if r.code != 0 || r.stdout != example+": ok (3 abilities)\n" || r.stderr != "" {
		t.Errorf("check the issue's example: %+v", r)
	}

	bad := writeFile(t, filepath.Join(dir, "bad.yaml"), badConfig)
	r = runCmd(t, "", "config", "check", bad)
	want := "agentdash: config check: " + bad + ": 3 errors\n" +
		bad + ":1:17: max_concurrent: 0: must be at least 1\n" +
		bad + ":3:3: abilities.summ: no built-in ability is called summ (built-in: flaky, predict, read_file, sleep, sum, uppercase); to declare one, give it kind: command or kind: http\n" +
		bad + ":4:35: abilities.x.argv[1]: placeholder {{a}} names no property of the schema (it has none)\n"
	if r.code != 2 || r.stdout != "" || r.stderr != want {
		t.Errorf("check a bad file: exit %d, stdout %q, stderr:\n%s\nwant:\n%s", r.code, r.stdout, r.stderr, want)
	}

	r = runCmd(t, "", "config", "check", "--json", bad)
	var out checkJSON
	if err := json.Unmarshal([]byte(r.stdout), &out); err != nil {
		t.Fatalf("check --json: %v: %q", err, r.stdout)
	}
	if r.code != 2 || r.stderr != "" || out.OK || out.Path != bad || len(out.Errors) != 3 ||
		out.Errors[0] != (checkErrorJSON{File: bad, Line: 1, Column: 17, Key: "max_concurrent", Message: "0: must be at least 1"}) {
		t.Errorf("check --json a bad file: exit %d, stderr %q, %+v", r.code, r.stderr, out)
	}
	r = runCmd(t, "", "config", "check", "--json", example)
	if r.code != 0 || r.stdout != `{"path":"`+example+`","ok":true,"abilities":3,"errors":[],"warnings":[]}`+"\n" {
		t.Errorf("check --json the issue's example: %+v", r)
	}

	r = runCmd(t, "", "config", "check", filepath.Join(dir, "missing.yaml"))
	if r.code != 2 {
		t.Errorf("check a missing file: exit %d", r.code)
	}
	r.wantOneLine(t, "config check: config "+filepath.Join(dir, "missing.yaml"))

	r = runCmd(t, "", "config", "check")
	if r.code != 2 {
		t.Errorf("check without a file: exit %d", r.code)
	}
	r.wantOneLine(t, "no configuration file found")

	// Without PATH, the file agentdash would read: $AGENTDASH_CONFIG, then
	// --config over it.
	r = runEnv(t, map[string]string{config.EnvVar: bad}, "config", "check")
	if r.code != 2 || !strings.HasPrefix(r.stderr, "agentdash: config check: "+bad+": 3 errors\n") {
		t.Errorf("check $%s: %+v", config.EnvVar, r)
	}
	r = runEnv(t, map[string]string{config.EnvVar: bad}, "--config", example, "config", "check")
	if r.code != 0 || r.stdout != example+": ok (3 abilities)\n" {
		t.Errorf("check --config: %+v", r)
	}

	r = runCmd(t, "", "config", "chek")
	if r.code != 2 {
		t.Errorf("config chek: exit %d", r.code)
	}
	r.wantOneLine(t, `unknown command "chek"`)
}

// --config loads and checks the file for every command: a bad one is a
// usage error listing its errors on one line.
func TestConfigFlagEveryCommand(t *testing.T) {
	example, err := filepath.Abs(issueExample)
	if err != nil {
		t.Fatal(err)
	}
	dir := noConfigAround(t)
	bad := writeFile(t, filepath.Join(dir, "bad.yaml"), badConfig)
	for _, args := range [][]string{
		{"--config", bad, "abilities"},
		{"abilities", "--config", bad},
		{"call", "--config", bad, "sum", `{"a":1,"b":2}`},
		{"--config", filepath.Join(dir, "missing.yaml"), "abilities"},
	} {
		r := runCmd(t, "", args...)
		if r.code != 2 || r.stdout != "" {
			t.Errorf("%q: exit %d, stdout %q", args, r.code, r.stdout)
		}
		r.wantOneLine(t, "config")
		if !strings.Contains(args[1], "missing") && !strings.Contains(r.stderr, "config: 3 errors: "+bad+":1:17: max_concurrent: 0: must be at least 1; ") {
			t.Errorf("%q: stderr %q does not list the errors", args, r.stderr)
		}
	}
	// $AGENTDASH_CONFIG and ./agentdash.yaml are found too.
	r := runEnv(t, map[string]string{config.EnvVar: bad}, "abilities")
	if r.code != 2 {
		t.Errorf("$%s: exit %d", config.EnvVar, r.code)
	}
	r = runEnv(t, map[string]string{config.EnvVar: filepath.Join(dir, "missing.yaml")}, "abilities")
	if r.code != 2 {
		t.Errorf("$%s naming a missing file: exit %d", config.EnvVar, r.code)
	}
	r.wantOneLine(t, "missing.yaml", "(found as $"+config.EnvVar+")")
	writeFile(t, filepath.Join(dir, config.LocalFile), badConfig)
	r = runCmd(t, "", "abilities")
	if r.code != 2 || !strings.Contains(r.stderr, config.LocalFile+":1:17") {
		t.Errorf("./%s: %+v", config.LocalFile, r)
	}
	// Help and completion work whatever the file.
	for _, args := range [][]string{{"completion", "bash"}, {"help", "abilities"}, {"abilities", "--help"}} {
		if r := runCmd(t, "", args...); r.code != 0 {
			t.Errorf("%q with a bad ./%s: exit %d: %s", args, config.LocalFile, r.code, r.stderr)
		}
	}
	// A good file: the command runs.
	r = runCmd(t, "", "--config", example, "call", "sum", `{"a":1,"b":2}`)
	if r.code != 0 {
		t.Errorf("call with the issue's example: exit %d: %s", r.code, r.stderr)
	}
}

// A world-writable file is warned about on stderr, and still used.
func TestConfigWarning(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no Unix modes")
	}
	dir := noConfigAround(t)
	path := writeFile(t, filepath.Join(dir, "c.yaml"), "max_concurrent: 4\n")
	if err := os.Chmod(path, 0o666); err != nil {
		t.Fatal(err)
	}
	r := runCmd(t, "", "--config", path, "abilities")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	r.wantOneLine(t, "agentdash: warning: config "+path+" is writable by anyone (mode 0666)")
}

// The file's agent-wide settings fill the flags the command line leaves
// alone; flags override them.
func TestApplyConfig(t *testing.T) {
	cfg, err := config.Parse("c.yaml", []byte("max_concurrent: 16\nmax_wait: 3s\ncache_size: 7\nmetrics_addr: 127.0.0.1:9999\n"), nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		args     []string
		wantMax  int
		wantWait time.Duration
	}{
		{nil, 16, 3 * time.Second},
		{[]string{"--max-concurrent", "2"}, 2, 3 * time.Second},
		{[]string{"--max-wait", "1s"}, 16, time.Second},
	} {
		var af agentFlags
		var addr string
		cmd := &cobra.Command{}
		af.register(cmd.Flags())
		cmd.Flags().StringVar(&addr, "metrics-addr", "", "")
		if err := cmd.Flags().Parse(tc.args); err != nil {
			t.Fatal(err)
		}
		if err := applyConfig(cmd.Flags(), cfg); err != nil {
			t.Fatal(err)
		}
		if af.maxConcurrent != tc.wantMax || af.maxWait != tc.wantWait || af.cacheSize != 7 || addr != "127.0.0.1:9999" {
			t.Errorf("%q: max %d, wait %v, cache %d, addr %q", tc.args, af.maxConcurrent, af.maxWait, af.cacheSize, addr)
		}
	}
}

func TestConfigInit(t *testing.T) {
	dir := noConfigAround(t)
	r := runCmd(t, "", "config", "init")
	if r.code != 0 || r.stderr != "" {
		t.Fatalf("init: %+v", r)
	}
	got, err := os.ReadFile(config.LocalFile)
	if err != nil || !bytes.Equal(got, assets.ExampleConfig()) {
		t.Fatalf("./%s is not the example: %v", config.LocalFile, err)
	}
	// The file it wrote is found and valid.
	r = runCmd(t, "", "config", "check")
	if r.code != 0 || r.stdout != config.LocalFile+": ok (3 abilities)\n" {
		t.Errorf("check after init: %+v", r)
	}
	// An existing file is kept, unless --force.
	path := writeFile(t, filepath.Join(dir, "mine.yaml"), "demo: false\n")
	r = runCmd(t, "", "config", "init", path)
	if r.code != 2 {
		t.Errorf("init over a file: exit %d", r.code)
	}
	r.wantOneLine(t, "config init: "+path+" exists: keeping it (--force overwrites it)")
	if got, _ := os.ReadFile(path); string(got) != "demo: false\n" {
		t.Errorf("the file was changed: %q", got)
	}
	r = runCmd(t, "", "config", "init", "--force", path)
	if got, _ := os.ReadFile(path); r.code != 0 || !bytes.Equal(got, assets.ExampleConfig()) {
		t.Errorf("init --force: %+v", r)
	}
	if leftovers, _ := filepath.Glob(filepath.Join(dir, ".mine.yaml.*")); len(leftovers) > 0 {
		t.Errorf("temporary files left: %v", leftovers)
	}
	r = runCmd(t, "", "config", "init", filepath.Join(dir, "no", "such", "dir.yaml"))
	if r.code != 2 {
		t.Errorf("init into a missing directory: exit %d", r.code)
	}
	r.wantOneLine(t, "config init: ")
}

func TestConfigSchema(t *testing.T) {
	r := runCmd(t, "", "config", "schema")
	if r.code != 0 || r.stdout != string(assets.ConfigSchema()) || !json.Valid([]byte(r.stdout)) {
		t.Errorf("config schema: exit %d, stderr %q", r.code, r.stderr)
	}
}

// The file's max_concurrent, hints and slow-call rule show in
// `abilities`, as the agent applies them.
func TestAbilitiesShowFileSettings(t *testing.T) {
	path := writeFile(t, filepath.Join(t.TempDir(), "c.yaml"),
		"abilities:\n  sum:\n    max_concurrent: 2\n    hints: {read_only: false, idempotent: true, destructive: false}\n"+
			"    breaker: {slow_call_threshold: 1500ms, slow_call_rate: 60%}\n")
	r := runCmd(t, "", "--config", path, "abilities", "--json")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	var out []abilityJSON
	if err := json.Unmarshal([]byte(r.stdout), &out); err != nil {
		t.Fatal(err)
	}
	var sum *abilityJSON
	for i := range out {
		if out[i].Name == "sum" {
			sum = &out[i]
		}
	}
	switch {
	case sum == nil:
		t.Fatalf("no sum in %s", r.stdout)
	case sum.MaxConcurrent != 2:
		t.Errorf("max_concurrent %d, want 2", sum.MaxConcurrent)
	case sum.Breaker.SlowCallThresholdSeconds != 1.5 || sum.Breaker.SlowCallRate != 0.6:
		t.Errorf("breaker %+v", sum.Breaker)
	case !strings.Contains(r.stdout, `"hints":{"read_only":false,"idempotent":true,"destructive":false,"open_world":false}`):
		t.Errorf("sum's hints (the file's over the built-in's) not in\n%s", r.stdout)
	}
	r = runCmd(t, "", "--config", path, "abilities")
	if !regexp.MustCompile(`(?m)^sum +built-in +10s +1m0s +2 +idempotent,additive,closed `).MatchString(r.stdout) {
		t.Errorf("abilities: sum's row lacks its limit and hints:\n%s", r.stdout)
	}
}

// config check reads mcp_servers strictly too, and counts them; a
// header's value is never printed.
func TestConfigCheckMCPServers(t *testing.T) {
	dir := noConfigAround(t)
	good := writeFile(t, filepath.Join(dir, "good.yaml"), "mcp_servers:\n  everything: {command: npx, args: [\"-y\", \"@modelcontextprotocol/server-everything\"]}\n"+
		"  remote: {url: \"http://127.0.0.1:1/mcp\", headers: {Authorization: \"Bearer ${T}\"}}\nabilities:\n  everything.echo: {cache_ttl: 1m}\n")
	r := runCmd(t, "", "config", "check", good)
	if r.code != 0 || r.stdout != good+": ok (1 ability, 2 MCP servers)\n" || r.stderr != "" {
		t.Errorf("check: %+v", r)
	}
	r = runCmd(t, "", "config", "check", "--json", good)
	if r.code != 0 || !strings.Contains(r.stdout, `"abilities":1,"mcp_servers":2,`) {
		t.Errorf("check --json: %+v", r)
	}
	bad := writeFile(t, filepath.Join(dir, "bad.yaml"), "mcp_servers:\n  remote: {url: \"http://127.0.0.1:1/mcp\", headers: {Authorization: 31415926535}}\nabilities:\n  other.echo: {}\n")
	r = runCmd(t, "", "config", "check", bad)
	want := "agentdash: config check: " + bad + ": 2 errors\n" +
		bad + ":2:68: mcp_servers.remote.headers.Authorization: want a string, got a number (quote it to make it one)\n" +
		bad + ":4:3: abilities.other.echo: no MCP server is called other: a proxied tool's settings are under SERVER.TOOL, SERVER one of mcp_servers (remote)\n"
	if r.code != 2 || r.stderr != want || strings.Contains(r.stderr, "31415926535") {
		t.Errorf("check a bad file: exit %d, stderr:\n%s\nwant:\n%s", r.code, r.stderr, want)
	}
}
