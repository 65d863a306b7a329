package main

import (
	"path/filepath"
	"strings"
	"testing"
)

// innerServer writes a configuration whose MCP server "inner" is the
// built agentdash itself, serving its built-in abilities over stdio.
func innerServer(t *testing.T, extra string) string {
	t.Helper()
	bin := buildAgentdash(t)
	dir := noConfigAround(t)
	return writeFile(t, filepath.Join(dir, "gateway.yaml"),
		"mcp_servers:\n  inner: {command: \""+bin+"\", args: [mcp]}\n"+extra)
}

// The commands that build the agent from the environment proxy the
// configuration's MCP servers: abilities lists their tools as
// SERVER.TOOL with the server as source, and call forwards them, bad
// arguments refused before they are sent.
func TestGatewayCommands(t *testing.T) {
	if testing.Short() {
		t.Skip("builds agentdash")
	}
	cfg := innerServer(t, "abilities:\n  inner.sum: {cache_ttl: 1m}\n")
	env := map[string]string{"AGENTDASH_CONFIG": cfg}
	r := runEnv(t, env, "abilities")
	if r.code != 0 || !strings.Contains(r.stdout, "inner.sum") || !strings.Contains(r.stdout, "mcp:inner") {
		t.Fatalf("abilities: %+v", r)
	}
	r = runEnv(t, env, "abilities", "--json")
	if r.code != 0 || !strings.Contains(r.stdout, `"name":"inner.uppercase"`) || !strings.Contains(r.stdout, `"source":"mcp:inner"`) {
		t.Errorf("abilities --json: %+v", r)
	}
	r = runEnv(t, env, "call", "inner.sum", `{"a": 2, "b": 3}`)
	if r.code != 0 || !strings.Contains(r.stdout, "5") {
		t.Errorf("call inner.sum: %+v", r)
	}
	r = runEnv(t, env, "call", "inner.uppercase", `{"text": 7}`)
	if r.code != 2 {
		t.Errorf("call inner.uppercase with a bad argument: %+v, want exit 2", r)
	}
	r.wantOneLine(t, "inner.uppercase")
}

// A server that cannot start is said on stderr; the other abilities work.
func TestGatewayServerMissing(t *testing.T) {
	dir := noConfigAround(t)
	cfg := writeFile(t, filepath.Join(dir, "gateway.yaml"), "mcp_servers:\n  gone: {command: \""+filepath.Join(dir, "no-such-program")+"\"}\n")
	r := runEnv(t, map[string]string{"AGENTDASH_CONFIG": cfg}, "call", "sum", `{"a": 1, "b": 1}`)
	if r.code != 0 || !strings.Contains(r.stderr, "agentdash: warning: mcp server gone: start ") {
		t.Errorf("call with a server missing: %+v", r)
	}
}
