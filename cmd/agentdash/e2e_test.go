package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// The end-to-end test drives the real binary in a real terminal: tmux on a
// private socket plays the terminal, send-keys the user and capture-pane the
// eyes. No library does this for a program outside the test process
// (teatest drives a model in-process), so the small tmux driver below is
// written by hand.

const (
	// e2eStepTimeout bounds every wait for the screen to show something. It
	// is generous because CI runs this under -race on a loaded 2-core
	// machine; a passing run waits for each step only milliseconds.
	e2eStepTimeout = 30 * time.Second
	// e2ePoll is how often the screen is captured while waiting.
	e2ePoll = 50 * time.Millisecond
	// The terminal size the dashboard is driven at.
	e2eWidth, e2eHeight = 120, 40
	// terminalState is the tmux format for the terminal modes a program
	// must restore: alternate screen (1 on), cursor visible (1 shown) and
	// mouse reporting (1 on).
	terminalState = "#{alternate_on} #{cursor_flag} #{mouse_any_flag}"
)

// TestDashboardEndToEnd builds agentdash, opens the dashboard in a 120x40
// tmux terminal and uses it as a person would: it calls uppercase from the
// Abilities pane, trips and resets a breaker, trains a model to completion
// and a second one with more epochs and a third with the momentum
// optimizer, sees them in the run list and overlaid with a legend, calls predict with that model and quits, checking that the process exits
// with status 0 and leaves the terminal as it found it.
func TestDashboardEndToEnd(t *testing.T) {
	needTmux(t)
	dir := t.TempDir()
	bin := buildAgentdash(t)
	work := filepath.Join(dir, "work") // the dashboard's working directory
	if err := os.Mkdir(work, 0o755); err != nil {
		t.Fatal(err)
	}
	term := startTmux(t, bin, work, dir)

	if got := term.display("#{pane_width}x#{pane_height}"); got != fmt.Sprintf("%dx%d", e2eWidth, e2eHeight) {
		t.Fatalf("tmux pane is %s, want %dx%d", got, e2eWidth, e2eHeight)
	}
	term.waitFor("the dashboard on the Abilities pane", onScreen("[1 Abilities]", "uppercase", "q quit"))
	// The dashboard owns the terminal while it runs; checked here so the
	// restore check after quitting is meaningful.
	if got := term.display(terminalState); got != "1 0 1" {
		t.Errorf("while the dashboard runs: alternate screen, cursor visible, mouse = %q, want %q", got, "1 0 1")
	}

	// Abilities: select uppercase with the filter; its arguments are
	// prefilled from the schema example; enter calls it.
	term.filter("uppercase", onScreen("esc cancel"))
	term.waitFor("uppercase selected, arguments prefilled", onScreen(
		"/uppercase · 1 of", "▸ uppercase", `"text": "orfeas"`, "✓ valid · enter calls uppercase"))
	term.keys("Enter")
	// The result is the string's text, not quoted JSON; the call count
	// comes with the next live snapshot, after the result.
	afterCall := term.waitFor("the uppercase result", onScreen("│ ORFEAS ", "#1 ✓ success", "breaker closed · 1 call"))
	t.Logf("screen after calling uppercase:\n%s", afterCall)

	// Breakers: select sum, trip it (with confirmation), reset it.
	term.keys("2")
	term.waitFor("the Breakers pane", onScreen("[2 Breakers]", "STATE", "LAST TRANSITION"))
	term.filter("sum", onScreen("enter apply filter"))
	term.waitFor("sum selected and closed", onScreen("/sum  (esc clears)"), onScreenRE(`(?m)▸ sum\s+\S+ closed\b`))
	term.keys("t")
	term.waitFor("the trip confirmation", onScreen(`Trip breaker "sum"?`))
	term.keys("y")
	term.waitFor("sum forced open", onScreenRE(`(?m)▸ sum\s+\S+ FORCED-OPEN\b`),
		onScreen("closed → forced-open (manual-trip)"))
	term.keys("r")
	term.waitFor("sum closed again", onScreenRE(`(?m)▸ sum\s+\S+ closed\b`),
		onScreen("forced-open → closed (manual-reset)"))

	// Training: the form's defaults train 8 epochs on synthetic data.
	term.keys("4")
	term.waitFor("the Training pane", onScreen("[4 Training]", "✓ valid · enter trains", "checkpoints/model.json"))
	term.keys("Enter")
	afterTrain := term.waitFor("training to complete", onScreen(
		"✓ completed 8 epochs", "saved checkpoints/model.json"))
	t.Logf("screen after training:\n%s", afterTrain)
	if _, err := os.Stat(filepath.Join(work, "checkpoints", "model.json")); err != nil {
		t.Errorf("the dashboard reports a saved checkpoint, but: %v", err)
	}

	// A second run with more epochs: the pane keeps both runs, lists the
	// second with its change, and overlays their curves with a legend.
	term.keys("i", "C-u")
	term.text("12")
	term.keys("Enter")
	term.waitFor("the epochs field changed", onScreen("▸ epochs         12"))
	term.keys("Enter")
	afterSecond := term.waitFor("the second run in the run list", onScreen(
		"✓ completed 12 epochs", "epochs 8 → 12", "─1 #1", "━2 #2"),
		onScreenRE(`(?m)─1 #1 +\S+ .*completed \(first\)`), onScreenRE(`(?m)━2 #2 +\S+ .*completed epochs 8 → 12`))
	t.Logf("screen after the second run:\n%s", afterSecond)

	// A third run with another optimizer, chosen with ←/→ on its field:
	// the run list names the change, and the plot overlays the three runs
	// with a third line style in the legend.
	for range 15 { // from epochs down to optimizer
		term.keys("Down")
	}
	term.waitFor("the optimizer field selected", onScreenRE(`(?m)▸ optimizer +sgd\b`))
	term.keys("Right")
	term.waitFor("momentum chosen", onScreenRE(`(?m)▸ optimizer +momentum\b`))
	term.keys("Enter")
	afterThird := term.waitFor("the third run in the run list, compared and overlaid",
		onScreen("#3 vs #2: optimizer sgd → momentum", "─1 #1  ━2 #2  ═3 #3"),
		onScreenRE(`(?m)═3 #3 +\S+ .*completed optimizer sgd → mom`), // cut to the column's width
		onScreenRE(`┤.*╚═`)) // its curve in the plot, drawn with ═

	t.Logf("screen after the third run:\n%s", afterThird)
	for range 15 { // back to epochs, whose help line leaves room for the view keys
		term.keys("Up")
	}
	term.waitFor("the epochs field selected", onScreen("▸ epochs         12"))
	term.keys("c")
	conv := term.waitFor("the convergence view", onScreen("gap to optimum, log", "1% at", "c loss curve"))
	t.Logf("convergence view:\n%s", conv)
	term.keys("c")
	term.waitFor("the loss curve again", func(s string) bool {
		return strings.Contains(s, "loss, linear") && !strings.Contains(s, "gap to optimum, log")
	})

	// Abilities again: predict serves the model just trained (y = 2x + 1).
	term.keys("1")
	term.waitFor("back on the Abilities pane", onScreen("[1 Abilities]", "/uppercase · 1 of"))
	term.keys("Escape") // clear the uppercase filter
	term.waitFor("the filter cleared", func(s string) bool {
		return !strings.Contains(s, "/uppercase") && strings.Contains(s, "predict")
	})
	term.filter("predict", onScreen("esc cancel"))
	term.waitFor("predict selected, arguments prefilled", onScreen(
		"/predict · 1 of", "▸ predict", `"x": 4`, "✓ valid · enter calls predict"))
	term.keys("Enter")
	screen := term.waitFor("the predict result", onScreenRE(`Result\s+#2 ✓ success`))
	m := regexp.MustCompile(`Result\s+#2 ✓ success[^\n]*\n[^\n│]*│\s*(\S+)`).FindStringSubmatch(screen)
	if m == nil {
		t.Fatalf("no predict value below the result header:\n%s", screen)
	}
	if y, err := strconv.ParseFloat(m[1], 64); err != nil || y < 8.5 || y > 9.5 {
		t.Errorf("predict {\"x\": 4} = %q, want a number near 9 (the model of y = 2x + 1)", m[1])
	}

	// Quit: the process exits with status 0 and the terminal is restored.
	term.keys("q")
	screen = term.waitFor("the process to exit", onScreen("EXIT="))
	if !strings.Contains(screen, "EXIT=0") {
		t.Errorf("agentdash exited with a non-zero status:\n%s", term.scrollback())
	}
	if strings.Contains(screen, "Abilities") {
		t.Errorf("the dashboard is still on the screen after quitting:\n%s", screen)
	}
	// Alternate screen off, cursor shown, mouse reporting off.
	if got := term.display(terminalState); got != "0 1 0" {
		t.Errorf("after quitting: alternate screen, cursor visible, mouse = %q, want %q", got, "0 1 0")
	}
	if reports, _ := filepath.Glob(filepath.Join(dir, "race.*")); len(reports) > 0 {
		for _, r := range reports {
			b, _ := os.ReadFile(r)
			t.Errorf("race detector report %s:\n%s", r, b)
		}
	}
}

// needTmux skips an end-to-end test with -short or without tmux (outside
// CI, which must have it).
func needTmux(t *testing.T) {
	t.Helper()
	if testing.Short() {
		t.Skip("end-to-end test builds and runs the binary; skipped with -short")
	}
	if _, err := exec.LookPath("tmux"); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("tmux is required in CI for the end-to-end test: %v", err)
		}
		t.Skipf("tmux not installed: %v", err)
	}
}

// built is the agentdash binary the end-to-end tests share: building it
// takes longer than most of them run.
var built struct {
	once     sync.Once
	dir, bin string
	err      error
}

// TestMain removes the shared binary after the tests. With
// GO_WANT_HELPER_PROCESS=1 in its environment the test binary is instead
// the program of the command abilities the tests declare, os.Args[1]
// naming what it does (see helper in declared_test.go).
func TestMain(m *testing.M) {
	if os.Getenv("GO_WANT_HELPER_PROCESS") == "1" {
		os.Exit(helper(os.Args[1]))
	}
	code := m.Run()
	if built.dir != "" {
		_ = os.RemoveAll(built.dir)
	}
	os.Exit(code)
}

// buildAgentdash builds the command in the current directory (once per test
// run) and returns the binary's path. A test binary built with -race builds
// agentdash with -race too, so data races in the real program fail the test.
func buildAgentdash(t *testing.T) string {
	t.Helper()
	built.once.Do(func() {
		goBin, err := exec.LookPath("go") // go test puts its own GOROOT/bin first on PATH
		if err != nil {
			built.err = fmt.Errorf("find the go command: %w", err)
			return
		}
		if built.dir, built.err = os.MkdirTemp("", "agentdash-e2e-"); built.err != nil {
			return
		}
		bin := filepath.Join(built.dir, "agentdash")
		args := []string{"build", "-o", bin}
		if raceEnabled() {
			args = append(args, "-race")
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		out, err := exec.CommandContext(ctx, goBin, append(args, ".")...).CombinedOutput()
		if err != nil {
			built.err = fmt.Errorf("go %s: %w\n%s", strings.Join(args, " "), err, out)
			return
		}
		built.bin = bin
	})
	if built.err != nil {
		t.Fatal(built.err)
	}
	return built.bin
}

// raceEnabled reports whether this test binary was built with -race.
func raceEnabled() bool {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return false
	}
	for _, s := range info.Settings {
		if s.Key == "-race" {
			return s.Value == "true"
		}
	}
	return false
}

// tmuxTerm is the dashboard running in a detached tmux session.
type tmuxTerm struct {
	t      *testing.T
	socket string   // private tmux server (-L)
	env    []string // environment of the tmux client and server
}

// startTmux starts a private tmux server whose only pane runs bin in work
// with NO_COLOR set, prints the exit status when bin exits and keeps the
// pane open long enough to read it. The server is killed when the test
// ends. Race reports of a -race binary are written below raceDir.
func startTmux(t *testing.T, bin, work, raceDir string) *tmuxTerm {
	t.Helper()
	// "$0" and "$1" keep paths out of the quoting.
	const script = `NO_COLOR=1 TERM=xterm-256color GORACE="log_path=$1/race" "$0"; echo EXIT=$?; sleep 60`
	return startTmuxScript(t, work, script, bin, raceDir)
}

// startTmuxScript starts a private tmux server whose only pane runs the sh
// script in work, with args as $0, $1, … The server is killed when the
// test ends.
func startTmuxScript(t *testing.T, work, script string, args ...string) *tmuxTerm {
	t.Helper()
	var env []string
	for _, kv := range os.Environ() {
		// Inside a tmux session the test must not talk to the user's server.
		if !strings.HasPrefix(kv, "TMUX=") && !strings.HasPrefix(kv, "TMUX_PANE=") {
			env = append(env, kv)
		}
	}
	term := &tmuxTerm{
		t:      t,
		socket: fmt.Sprintf("agentdash-e2e-%d-%d", os.Getpid(), time.Now().UnixNano()),
		env:    env,
	}
	// Given as several arguments, the command is executed directly, not
	// through the user's shell.
	_, err := term.tmux(append([]string{"-f", os.DevNull, "new-session", "-d", "-s", "e2e", "-c", work,
		"-x", strconv.Itoa(e2eWidth), "-y", strconv.Itoa(e2eHeight),
		"/bin/sh", "-c", script}, args...)...)
	var socketPath string
	if err == nil {
		socketPath, err = term.tmux("display-message", "-p", "#{socket_path}")
		socketPath = strings.TrimSpace(socketPath)
	}
	t.Cleanup(func() {
		// Killing the server hangs up the pane, which ends agentdash (and
		// the sleep) if the test failed before quitting it. The server
		// leaves its socket behind.
		if out, err := term.tmux("kill-server"); err != nil && !strings.Contains(out, "no server running") {
			t.Logf("tmux kill-server: %v", err)
		}
		if socketPath != "" {
			if err := os.Remove(socketPath); err != nil && !errors.Is(err, fs.ErrNotExist) {
				t.Logf("remove the tmux socket: %v", err)
			}
		}
	})
	if err != nil {
		t.Fatalf("start tmux: %v", err)
	}
	return term
}

// tmux runs a tmux command against the private server and returns its
// combined output.
func (term *tmuxTerm) tmux(args ...string) (string, error) {
	cmd := exec.Command("tmux", append([]string{"-L", term.socket}, args...)...)
	cmd.Env = term.env
	out, err := cmd.CombinedOutput()
	if err != nil {
		return string(out), fmt.Errorf("tmux %s: %w: %s", strings.Join(args, " "), err, out)
	}
	return string(out), nil
}

// keys sends tmux key names (e.g. "Enter", "Escape", "q") to the pane.
func (term *tmuxTerm) keys(keys ...string) {
	term.t.Helper()
	if _, err := term.tmux(append([]string{"send-keys", "-t", "e2e"}, keys...)...); err != nil {
		term.t.Fatal(err)
	}
}

// text types s literally.
func (term *tmuxTerm) text(s string) {
	term.t.Helper()
	if _, err := term.tmux("send-keys", "-t", "e2e", "-l", s); err != nil {
		term.t.Fatal(err)
	}
}

// filter opens the focused pane's filter with /, waits until it takes input
// (typing shows), types query, waits for it to be echoed and applies it
// with enter. Each key waits for the previous one to take effect, so no
// two arrive in one read and get merged into one key event.
func (term *tmuxTerm) filter(query string, typing func(string) bool) {
	term.t.Helper()
	term.keys("/")
	term.waitFor("the filter input", typing)
	term.text(query)
	term.waitFor("the filter "+query, onScreen("/"+query))
	term.keys("Enter")
}

// display returns a tmux format (e.g. "#{alternate_on}") for the pane.
func (term *tmuxTerm) display(format string) string {
	term.t.Helper()
	out, err := term.tmux("display-message", "-p", "-t", "e2e", format)
	if err != nil {
		term.t.Fatal(err)
	}
	return strings.TrimSpace(out)
}

// screen returns the pane's visible text.
func (term *tmuxTerm) screen() (string, error) {
	return term.tmux("capture-pane", "-p", "-t", "e2e")
}

// scrollback returns the pane's text including its history, which holds
// whatever agentdash printed after leaving the alternate screen (e.g. a
// panic); for failure messages only.
func (term *tmuxTerm) scrollback() string {
	out, err := term.tmux("capture-pane", "-p", "-t", "e2e", "-S", "-")
	if err != nil {
		return err.Error()
	}
	return strings.TrimRight(out, "\n")
}

// waitFor polls the screen until every check accepts it and returns that
// screen. It fails the test with the last screen when e2eStepTimeout
// passes, and at once if agentdash has exited (unless that was awaited).
func (term *tmuxTerm) waitFor(what string, checks ...func(screen string) bool) string {
	term.t.Helper()
	deadline := time.Now().Add(e2eStepTimeout)
	for {
		s, err := term.screen()
		if err != nil {
			term.t.Fatalf("waiting for %s: %v", what, err)
		}
		ok := true
		for _, c := range checks {
			if !c(s) {
				ok = false
				break
			}
		}
		switch {
		case ok:
			return s
		case strings.Contains(s, "EXIT="):
			term.t.Fatalf("agentdash exited while waiting for %s:\n%s", what, term.scrollback())
		case time.Now().After(deadline):
			term.t.Fatalf("waiting for %s: not on screen after %v; last screen:\n%s", what, e2eStepTimeout, s)
		}
		time.Sleep(e2ePoll)
	}
}

// onScreen accepts a screen holding every one of texts.
func onScreen(texts ...string) func(string) bool {
	return func(s string) bool {
		for _, x := range texts {
			if !strings.Contains(s, x) {
				return false
			}
		}
		return true
	}
}

// onScreenRE accepts a screen matching the regular expression re.
func onScreenRE(re string) func(string) bool {
	r := regexp.MustCompile(re)
	return r.MatchString
}
