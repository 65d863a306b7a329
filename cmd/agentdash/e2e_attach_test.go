package main

import (
	"bufio"
	"context"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// agentProc is `agentdash mcp --http` run as a separate process.
type agentProc struct {
	cmd             *exec.Cmd
	mcpURL, metrics string
	stderrDone      chan struct{}
}

// startAgentProc starts bin as `mcp --http 127.0.0.1:0 --metrics-addr
// 127.0.0.1:0 --config cfg` with its control socket below xdg, and
// returns once it serves both.
func startAgentProc(t *testing.T, bin, xdg, cfg string) *agentProc {
	t.Helper()
	cmd := exec.Command(bin, "mcp", "--http", "127.0.0.1:0", "--metrics-addr", "127.0.0.1:0", "--config", cfg)
	cmd.Env = append(os.Environ(), "XDG_RUNTIME_DIR="+xdg)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &agentProc{cmd: cmd, stderrDone: make(chan struct{})}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-p.stderrDone
		_ = cmd.Wait()
	})
	mcpRE := regexp.MustCompile(`serving MCP on (http://\S+/mcp)`)
	metricsRE := regexp.MustCompile(`serving metrics on (http://\S+/metrics)`)
	found := make(chan [2]string, 1)
	urlsc := found
	go func() {
		defer close(p.stderrDone)
		sc := bufio.NewScanner(stderr)
		var urls [2]string
		for sc.Scan() {
			if m := mcpRE.FindStringSubmatch(sc.Text()); m != nil {
				urls[0] = m[1]
			}
			if m := metricsRE.FindStringSubmatch(sc.Text()); m != nil {
				urls[1] = m[1]
			}
			if urls[0] != "" && urls[1] != "" && found != nil {
				found <- urls
				found = nil // once
			}
		}
		_, _ = io.Copy(io.Discard, stderr)
	}()
	select {
	case urls := <-urlsc:
		p.mcpURL, p.metrics = urls[0], urls[1]
	case <-time.After(time.Minute):
		t.Fatal("agentdash mcp --http did not start")
	}
	return p
}

// TestAttachEndToEnd: an MCP client calls uppercase on `agentdash mcp
// --http`; `agentdash attach` in a tmux terminal lists its calls with who
// made them and trips its breaker, and
// the client's next call is the "circuit open" tool error while /metrics
// says forced-open; killing the agent shows "disconnected — retrying",
// starting it again reconnects the dashboard.
func TestAttachEndToEnd(t *testing.T) {
	needTmux(t)
	bin, xdg, cfg := attachSetup(t)
	dir := filepath.Dir(cfg) // the race reports and the tmux session's work directory
	agentA := startAgentProc(t, bin, xdg, cfg)

	// The MCP client's load: uppercase every 20 ms, the last outcome kept.
	ctx, cancel := context.WithCancel(t.Context())
	client := mcp.NewClient(&mcp.Implementation{Name: "e2e"}, nil)
	cs, err := client.Connect(ctx, &mcp.StreamableClientTransport{Endpoint: agentA.mcpURL}, nil)
	if err != nil {
		t.Fatal(err)
	}
	var last atomic.Pointer[string]
	var calls atomic.Int64
	var wg sync.WaitGroup
	wg.Go(func() {
		for ctx.Err() == nil {
			res, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: "uppercase", Arguments: map[string]any{"text": "orfeas"}})
			text := ""
			switch {
			case err != nil:
				text = "error: " + err.Error()
			case res.IsError:
				text = "isError: " + res.Content[0].(*mcp.TextContent).Text
			default:
				text = "ok: " + res.Content[0].(*mcp.TextContent).Text
			}
			last.Store(&text)
			calls.Add(1)
			time.Sleep(20 * time.Millisecond)
		}
	})
	stopLoad := func() {
		cancel()
		wg.Wait()
		_ = cs.Close()
	}
	defer stopLoad()

	const script = `XDG_RUNTIME_DIR="$1" NO_COLOR=1 TERM=xterm-256color GORACE="log_path=$2/race" "$0" attach demo; echo EXIT=$?; sleep 60`
	term := startTmuxScript(t, dir, script, bin, xdg, dir)
	metricsHost := strings.TrimSuffix(strings.TrimPrefix(agentA.metrics, "http://"), "/metrics")
	term.waitFor("the attached dashboard, with the agent's metrics address", onScreen("[1 Abilities]", "uppercase", "q quit", "metrics "+metricsHost))
	// The agent's MCP client's calls, with who made them, as a local
	// --mcp-http dashboard shows them.
	term.waitFor("the MCP client's calls in the attached history", onScreen("History", "by e2e "+cs.ID()[:8]), onScreenRE(`uppercase\s+✓ success`))
	term.keys("2")
	term.waitFor("the Breakers pane", onScreen("[2 Breakers]", "STATE"))
	term.filter("uppercase", onScreen("enter apply filter"))
	term.waitFor("uppercase selected and closed", onScreenRE(`(?m)▸ uppercase\s+\S+ closed\b`))
	term.keys("t")
	term.waitFor("the trip confirmation", onScreen(`Trip breaker "uppercase"?`))
	term.keys("y")
	term.waitFor("uppercase forced open", onScreenRE(`(?m)▸ uppercase\s+\S+ FORCED-OPEN\b`))

	// The client's next call is refused with the circuit-open tool error.
	deadline := time.Now().Add(e2eStepTimeout)
	for {
		if p := last.Load(); p != nil && strings.HasPrefix(*p, "isError: ") && strings.Contains(*p, "circuit breaker is open") {
			break
		}
		if time.Now().After(deadline) {
			p := last.Load()
			t.Fatalf("the MCP client's calls after the trip: last %v (%d calls)", *p, calls.Load())
		}
		time.Sleep(20 * time.Millisecond)
	}
	resp, err := http.Get(agentA.metrics)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(body), `agentdash_breaker_state{ability="uppercase",state="forced-open"} 1`) {
		t.Errorf("/metrics does not say uppercase is forced-open:\n%s", grepLines(string(body), "agentdash_breaker_state"))
	}
	stopLoad()

	// The agent is killed: the dashboard says so and keeps trying.
	_ = agentA.cmd.Process.Kill()
	term.waitFor("the dashboard to see the agent gone", onScreen("disconnected — retrying"))
	// A new process of the same name: the dashboard follows it (its
	// uppercase breaker starts closed).
	startAgentProc(t, bin, xdg, cfg)
	term.waitFor("the dashboard reconnected", func(s string) bool {
		return !strings.Contains(s, "disconnected") && regexp.MustCompile(`(?m)▸ uppercase\s+\S+ closed\b`).MatchString(s)
	})
	term.keys("q")
	screen := term.waitFor("attach to exit", onScreen("EXIT="))
	if !strings.Contains(screen, "EXIT=0") {
		t.Errorf("attach exited with a non-zero status:\n%s", term.scrollback())
	}
	if reports, _ := filepath.Glob(filepath.Join(dir, "race.*")); len(reports) > 0 {
		for _, r := range reports {
			b, _ := os.ReadFile(r)
			t.Errorf("race detector report %s:\n%s", r, b)
		}
	}
}

func grepLines(s, sub string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

// TestAttachChooserEndToEnd: with two agents running, attach without a
// target in a terminal lists them; q leaves with exit 0, and down then
// enter attaches to the second row's agent (its metrics address in the
// header says which).
func TestAttachChooserEndToEnd(t *testing.T) {
	needTmux(t)
	bin, xdg, cfg := attachSetup(t)
	dir := filepath.Dir(cfg) // the race reports and the tmux session's work directory
	procs := map[string]*agentProc{}
	for range 2 {
		p := startAgentProc(t, bin, xdg, cfg)
		procs[strconv.Itoa(p.cmd.Process.Pid)] = p
	}
	const script = `export XDG_RUNTIME_DIR="$1" NO_COLOR=1 TERM=xterm-256color GORACE="log_path=$2/race"; "$0" attach; echo EXIT1=$?; "$0" attach; echo EXIT2=$?; sleep 60`
	term := startTmuxScript(t, dir, script, bin, xdg, dir)
	term.waitFor("the chooser", onScreen("2 agentdash processes are running; attach to which?", "TRANSPORT", "q/esc leave"))
	term.keys("q")
	screen := term.waitFor("the first attach to leave", onScreen("EXIT1="))
	if !strings.Contains(screen, "EXIT1=0") {
		t.Fatalf("leaving the chooser: not exit 0:\n%s", term.scrollback())
	}
	screen = term.waitFor("the chooser again", onScreen("attach to which?"))
	rows := regexp.MustCompile(`(?m)^\s*demo\s+(\d+)\s`).FindAllStringSubmatch(screen, -1)
	if len(rows) != 2 || procs[rows[1][1]] == nil {
		t.Fatalf("the chooser's rows %q, want the two agents:\n%s", rows, screen)
	}
	second := procs[rows[1][1]]
	term.keys("Down")
	term.keys("Enter")
	host := strings.TrimSuffix(strings.TrimPrefix(second.metrics, "http://"), "/metrics")
	term.waitFor("the dashboard on the second agent", onScreen("[1 Abilities]", "metrics "+host))
	term.keys("q")
	screen = term.waitFor("attach to exit", onScreen("EXIT2="))
	if !strings.Contains(screen, "EXIT2=0") {
		t.Errorf("attach exited with a non-zero status:\n%s", term.scrollback())
	}
	if reports, _ := filepath.Glob(filepath.Join(dir, "race.*")); len(reports) > 0 {
		for _, r := range reports {
			b, _ := os.ReadFile(r)
			t.Errorf("race detector report %s:\n%s", r, b)
		}
	}
}

// attachSetup builds agentdash and returns it, a short $XDG_RUNTIME_DIR
// for the agents' sockets and a configuration file for them.
func attachSetup(t *testing.T) (bin, xdg, cfg string) {
	t.Helper()
	bin, xdg = buildAgentdash(t), shortXDG(t)
	cfg = filepath.Join(t.TempDir(), "agentdash.yaml")
	if err := os.WriteFile(cfg, []byte("abilities:\n  sum:\n    cache_ttl: 5m\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return bin, xdg, cfg
}
