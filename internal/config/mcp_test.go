package config

import (
	"slices"
	"strings"
	"testing"
)

// mcp_servers: a stdio server and a Streamable HTTP one are read as
// written (a header's ${NAME} unexpanded), and settings under SERVER.TOOL
// are a proxied tool's.
func TestParseMCPServers(t *testing.T) {
	src := `mcp_servers:
  everything:
    command: npx
    args: ["-y", "@modelcontextprotocol/server-everything"]
    env: {LOG_LEVEL: "${LEVEL}"}
  remote:
    url: https://mcp.example.com/mcp
    headers: {Authorization: "Bearer ${REMOTE_TOKEN}"}
abilities:
  everything.echo: {cache_ttl: 1m, breaker: {consecutive_failures: 2}}
  remote.get-page.v2: {timeout: 5s}
`
	cfg, err := Parse("c.yaml", []byte(src), []string{"sum"})
	if err != nil {
		t.Fatal(err)
	}
	ev := cfg.MCPServers["everything"]
	if ev.Command != "npx" || !slices.Equal(ev.Args, []string{"-y", "@modelcontextprotocol/server-everything"}) || ev.Env["LOG_LEVEL"] != "${LEVEL}" {
		t.Errorf("everything: %+v", ev)
	}
	if r := cfg.MCPServers["remote"]; r.URL != "https://mcp.example.com/mcp" || r.Headers["Authorization"] != "Bearer ${REMOTE_TOKEN}" {
		t.Errorf("remote: %+v", r)
	}
	if a := cfg.Abilities["everything.echo"]; a == nil || a.CacheTTL == nil || a.Breaker.ConsecutiveFailures != 2 {
		t.Errorf("everything.echo: %+v", a)
	}
	if p, ok := cfg.KeyPos("abilities.everything.echo.cache_ttl"); !ok || p != (Pos{10, 21}) {
		t.Errorf("KeyPos = %v, %v", p, ok)
	}
}

func TestParseMCPServerErrors(t *testing.T) {
	for _, tc := range []struct {
		name, src string
		want      []string
	}{
		{"neither", "mcp_servers:\n  x: {args: [a]}\n", []string{
			"c.yaml:2:3: mcp_servers.x: a server needs command (a stdio server, such as npx) or url (a Streamable HTTP server)"}},
		{"empty", "mcp_servers:\n  x:\n", []string{
			"c.yaml:2:3: mcp_servers.x: a server needs command (a stdio server, such as npx) or url (a Streamable HTTP server)"}},
		{"both", "mcp_servers:\n  x: {command: a, url: \"http://h/mcp\"}\n", []string{
			"c.yaml:2:19: mcp_servers.x.url: a server has command (stdio) or url (Streamable HTTP), not both"}},
		{"bad name", "mcp_servers:\n  My.Server: {command: a}\n", []string{
			"c.yaml:2:3: mcp_servers.My.Server: invalid server name: " + nameRuleText + " (its tools are abilities named My.Server.TOOL)"}},
		{"unknown key", "mcp_servers:\n  x: {command: a, cwd: /}\n", []string{
			"c.yaml:2:19: mcp_servers.x.cwd: unknown key; allowed: command, args, env, url, headers"}},
		{"headers on stdio", "mcp_servers:\n  x: {command: a, headers: {A: b}}\n", []string{
			"c.yaml:2:19: mcp_servers.x.headers: only for a server with url (a stdio server takes env)"}},
		{"args on http", "mcp_servers:\n  x: {url: \"http://h/mcp\", args: [a]}\n", []string{
			"c.yaml:2:28: mcp_servers.x.args: only for a server with command (stdio)"}},
		{"bad url", "mcp_servers:\n  x: {url: \"ftp://h/mcp\"}\n", []string{
			"c.yaml:2:12: mcp_servers.x.url: want an http:// or https:// URL, such as http://127.0.0.1:8931/mcp"}},
		{"credentials in url", "mcp_servers:\n  x: {url: \"http://u:p@h/mcp\"}\n", []string{
			"c.yaml:2:12: mcp_servers.x.url: the URL holds credentials: give them in headers, from ${NAME}"}},
		{"bad env ref", "mcp_servers:\n  x: {url: \"http://h/mcp\", headers: {A: \"${1X}\"}}\n", []string{
			"c.yaml:2:41: mcp_servers.x.headers.A: ${1X}: a variable name is letters, digits and underscores, not starting with a digit"}},
		{"bad env name", "mcp_servers:\n  x: {command: a, env: {1X: b}}\n", []string{
			"c.yaml:2:25: mcp_servers.x.env.1X: invalid variable name: letters, digits and underscores, not starting with a digit"}},
		{"secret not shown", "mcp_servers:\n  x: {url: \"http://h/mcp\", headers: {Authorization: 987654321}}\n", []string{
			"c.yaml:2:53: mcp_servers.x.headers.Authorization: want a string, got a number (quote it to make it one)"}},
		{"tool of an unknown server", "mcp_servers:\n  x: {command: a}\nabilities:\n  y.echo: {timeout: 1s}\n", []string{
			"c.yaml:4:3: abilities.y.echo: no MCP server is called y: a proxied tool's settings are under SERVER.TOOL, SERVER one of mcp_servers (x)"}},
		{"proxied with kind", "mcp_servers:\n  x: {command: a}\nabilities:\n  x.echo: {kind: command, argv: [a]}\n", []string{
			"c.yaml:4:12: abilities.x.echo.kind: a proxied tool takes only settings: its upstream server gives what it is",
			"c.yaml:4:27: abilities.x.echo.argv: a proxied tool takes only settings: its upstream server gives what it is"}},
		{"proxied bad setting", "mcp_servers:\n  x: {command: a}\nabilities:\n  x.echo: {timeout: -1s}\n", []string{
			"c.yaml:4:21: abilities.x.echo.timeout: -1s: must be positive"}},
		{"proxied name too long", "mcp_servers:\n  x: {command: a}\nabilities:\n  x." + strings.Repeat("a", 127) + ": {}\n", []string{
			"c.yaml:4:3: abilities.x." + strings.Repeat("a", 127) + ": invalid ability name: " + nameRuleText + "; or SERVER.TOOL for a tool of an MCP server (at most 128 characters of [A-Za-z0-9_.-])"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := Parse("c.yaml", []byte(tc.src), []string{"sum"})
			if err == nil {
				t.Fatalf("Parse = %+v, nil; want errors", cfg)
			}
			got := strings.Split(err.Error(), "\n")
			if !slices.Equal(got, tc.want) {
				t.Errorf("errors:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tc.want, "\n"))
			}
		})
	}
}

func TestProxiedName(t *testing.T) {
	for _, tc := range []struct {
		name, server, tool string
		ok                 bool
	}{
		{"everything.echo", "everything", "echo", true},
		{"fs.read_text_file", "fs", "read_text_file", true},
		{"gh.Get-Issue.v2", "gh", "Get-Issue.v2", true},
		{"echo", "", "", false},
		{"Everything.echo", "", "", false},
		{"x.", "", "", false},
		{"x.a b", "", "", false},
		{"x." + strings.Repeat("a", 126), "x", strings.Repeat("a", 126), true},
		{"x." + strings.Repeat("a", 127), "", "", false},
	} {
		s, tool, ok := ProxiedName(tc.name)
		if s != tc.server || tool != tc.tool || ok != tc.ok {
			t.Errorf("ProxiedName(%q) = %q, %q, %v", tc.name, s, tool, ok)
		}
	}
}
