package main

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// inspectorEnv names the MCP Inspector's CLI entry point
// (@modelcontextprotocol/inspector-cli's build/index.js), which .ci/run
// installs from npm at a pinned version.
const inspectorEnv = "AGENTDASH_INSPECTOR_CLI"

// TestInspectorCLI drives the real binary with a client nobody here
// wrote, the official MCP Inspector's CLI, over stdio and over HTTP: it
// lists the tools, calls one, and sends bad arguments (a tool error, exit
// status 0, where a protocol error would exit 1).
func TestInspectorCLI(t *testing.T) {
	cli := os.Getenv(inspectorEnv)
	if cli == "" {
		t.Skipf("$%s is not set: .ci/run installs @modelcontextprotocol/inspector-cli and sets it", inspectorEnv)
	}
	node, err := exec.LookPath("node")
	if err != nil {
		t.Fatalf("$%s is set but node is not on PATH: %v", inspectorEnv, err)
	}
	bin := buildAgentdash(t)
	root := t.TempDir()
	inspect := func(t *testing.T, target []string, args ...string) map[string]any {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, node, append(append([]string{filepath.Base(cli)}, target...), args...)...)
		cmd.Dir = filepath.Dir(cli) // it must run from its build folder
		out, err := cmd.Output()
		if err != nil {
			var stderr string
			if ee, ok := err.(*exec.ExitError); ok {
				stderr = string(ee.Stderr)
			}
			t.Fatalf("inspector %v: %v\n%s\n%s", args, err, out, stderr)
		}
		var v map[string]any
		if err := json.Unmarshal(out, &v); err != nil {
			t.Fatalf("inspector output is not JSON: %v\n%s", err, out)
		}
		return v
	}
	check := func(t *testing.T, target []string) {
		list := inspect(t, target, "--method", "tools/list")
		data, _ := json.Marshal(list["tools"])
		for _, want := range []string{`"name":"uppercase"`, `"inputSchema"`, `"name":"sum"`} {
			if !strings.Contains(string(data), want) {
				t.Errorf("tools/list lacks %s: %s", want, data)
			}
		}
		res := inspect(t, target, "--method", "tools/call", "--tool-name", "uppercase", "--tool-arg", "text=orfeas")
		if data, _ := json.Marshal(res); res["isError"] == true || !strings.Contains(string(data), `"text":"ORFEAS"`) {
			t.Errorf("call uppercase: %s", data)
		}
		res = inspect(t, target, "--method", "tools/call", "--tool-name", "sum", "--tool-arg", "a=x", "--tool-arg", "b=2")
		if data, _ := json.Marshal(res); res["isError"] != true || !strings.Contains(string(data), "bad arguments") {
			t.Errorf("call sum with bad arguments: %s", data)
		}
	}
	t.Run("stdio", func(t *testing.T) {
		check(t, []string{bin, "mcp", "--root", root})
	})
	t.Run("http", func(t *testing.T) {
		url := startMCPBinary(t, bin, "--root", root)
		check(t, []string{url, "--transport", "http"})
	})
}
