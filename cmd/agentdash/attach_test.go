package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/agentdash/agentdash/internal/control"
)

// runIn runs agentdash with $XDG_RUNTIME_DIR set to xdg, so that its
// control sockets are the test's own.
func runIn(ctx context.Context, xdg string, args ...string) result {
	var out, errOut bytes.Buffer
	getenv := func(k string) string {
		switch k {
		case "NO_COLOR":
			return "1"
		case "XDG_RUNTIME_DIR":
			return xdg
		}
		return ""
	}
	code := run(ctx, args, strings.NewReader(""), &out, &errOut, getenv)
	return result{code, out.String(), errOut.String()}
}

// shortXDG is a runtime directory with a path short enough for sockets.
func shortXDG(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "xdg")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	return dir
}

func psJSON(t *testing.T, xdg string) []control.Info {
	t.Helper()
	r := runIn(t.Context(), xdg, "ps", "--json")
	if r.code != 0 {
		t.Fatalf("ps --json: %d %s", r.code, r.stderr)
	}
	var list []control.Info
	if err := json.Unmarshal([]byte(r.stdout), &list); err != nil {
		t.Fatalf("ps --json output %q: %v", r.stdout, err)
	}
	return list
}

// TestPsListsRunningProcesses: serve and mcp are listed with what they
// are while they run, and not once they have stopped; attach resolves
// them and explains what it cannot.
func TestPsListsRunningProcesses(t *testing.T) {
	xdg := shortXDG(t)
	if r := runIn(t.Context(), xdg, "ps"); r.code != 0 || r.stdout != "no agentdash process is running\n" {
		t.Fatalf("ps with nothing running: %+v", r)
	}
	if r := runIn(t.Context(), xdg, "attach"); r.code != 2 || !strings.Contains(r.stderr, "no agentdash process to attach to") {
		t.Fatalf("attach with nothing running: %+v", r)
	}
	ctx, cancel := context.WithCancel(t.Context())
	var wg sync.WaitGroup
	defer wg.Wait()
	defer cancel()
	wg.Go(func() { runIn(ctx, xdg, "serve", "--metrics-addr", "127.0.0.1:0") })
	wg.Go(func() { runIn(ctx, xdg, "mcp", "--http", "127.0.0.1:0", "--control-addr", "127.0.0.1:0") })
	var list []control.Info
	deadline := time.Now().Add(60 * time.Second)
	for len(list) < 2 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
		list = psJSON(t, xdg)
	}
	if len(list) != 2 {
		t.Fatalf("ps lists %+v, want serve and mcp", list)
	}
	byCmd := map[string]control.Info{}
	for _, in := range list {
		byCmd[in.Command] = in
	}
	serve, mcp := byCmd["serve"], byCmd["mcp"]
	if serve.PID != os.Getpid() || serve.Name != "demo" || serve.Abilities < 1 || serve.Sessions != nil ||
		serve.Metrics == "" || !strings.HasSuffix(serve.Transport, serve.Metrics) ||
		!strings.HasPrefix(serve.Transport, "metrics 127.0.0.1:") || strings.HasSuffix(serve.Transport, ":0") {
		t.Errorf("serve: %+v", serve)
	}
	if mcp.Sessions == nil || *mcp.Sessions != 0 || mcp.Metrics != "" || !strings.HasPrefix(mcp.Transport, "http 127.0.0.1:") || mcp.TCP == "" || mcp.TokenFile == "" {
		t.Errorf("mcp: %+v", mcp)
	}
	tok, err := control.ReadToken(mcp.TokenFile)
	if err != nil {
		t.Fatal(err)
	}
	text := runIn(t.Context(), xdg, "ps")
	for _, want := range []string{"NAME", "PID", "UPTIME", "ABILITIES", "TRANSPORT", "MCP SESSIONS", "serve", "mcp", mcp.TCP} {
		if !strings.Contains(text.stdout, want) {
			t.Errorf("ps output lacks %q:\n%s", want, text.stdout)
		}
	}
	if strings.Contains(text.stdout, tok) || strings.Contains(psRaw(t, xdg), tok) {
		t.Error("ps shows the token")
	}

	tokenFile := filepath.Join(t.TempDir(), "tok")
	if err := os.WriteFile(tokenFile, []byte(tok), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"attach"}, "2 agentdash processes are running, name one: demo (pid"},
		{[]string{"attach", "demo"}, `2 agentdash processes are named "demo", give a PID`},
		{[]string{"attach", "nosuch"}, `no agentdash process "nosuch" (running: demo`},
		{[]string{"attach", mcp.TCP}, "a TCP target needs --token-file"},
		{[]string{"attach", mcp.TCP, "--token-file", tokenFile}, "lets others read it; chmod 600 it"},
		{[]string{"attach", "demo", "--token-file", tokenFile}, "--token-file applies to a host:port TARGET only"},
		{[]string{"attach", mcp.Socket}, "attach needs a terminal"},
		{[]string{"attach", "a", "b"}, "takes one TARGET at most"},
		{[]string{"serve", "--control-addr", "0.0.0.0:9"}, "not a loopback address: add --control-allow-remote"},
		{[]string{"mcp", "--control-addr", "nohost"}, `--control-addr "nohost": want host:port`},
	} {
		r := runIn(t.Context(), xdg, tc.args...)
		if r.code != 2 {
			t.Errorf("%v: exit %d, want 2 (%s)", tc.args, r.code, r.stderr)
		}
		r.wantOneLine(t, tc.want)
	}

	cancel()
	wg.Wait()
	if list := psJSON(t, xdg); len(list) != 0 {
		t.Fatalf("ps after they stopped: %+v", list)
	}
	if left, _ := os.ReadDir(filepath.Join(xdg, "agentdash")); len(left) != 0 {
		t.Fatalf("files left behind: %v", left)
	}
}

func psRaw(t *testing.T, xdg string) string {
	t.Helper()
	return runIn(t.Context(), xdg, "ps", "--json").stdout
}

// TestPsListsMCPOverStdio: `mcp` on stdio, the way an agent starts it,
// serves the control socket too, its one session counted, and stdout
// carries nothing but the protocol.
func TestPsListsMCPOverStdio(t *testing.T) {
	xdg := shortXDG(t)
	stdinR, stdinW := io.Pipe()
	var stdout, stderr bytes.Buffer
	getenv := func(k string) string {
		if k == "XDG_RUNTIME_DIR" {
			return xdg
		}
		return ""
	}
	done := make(chan int, 1)
	go func() { done <- run(context.Background(), []string{"mcp"}, stdinR, &stdout, &stderr, getenv) }()
	var list []control.Info
	deadline := time.Now().Add(60 * time.Second)
	for len(list) == 0 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
		list = psJSON(t, xdg)
	}
	if len(list) != 1 || list[0].Command != "mcp" || list[0].Transport != "stdio" || list[0].Sessions == nil || *list[0].Sessions != 1 {
		t.Errorf("ps --json = %+v, want the stdio MCP server with its session", list)
	}
	_ = stdinW.Close() // the client goes away: mcp ends
	if code := <-done; code != 0 {
		t.Fatalf("mcp exited %d: %s", code, stderr.String())
	}
	if stdout.Len() != 0 {
		t.Errorf("stdout holds more than the protocol: %q", stdout.String())
	}
	if list := psJSON(t, xdg); len(list) != 0 {
		t.Errorf("ps after mcp ended: %+v", list)
	}
}
