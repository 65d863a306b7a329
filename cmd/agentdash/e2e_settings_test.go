//go:build unix

package main

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestDashboardLiveConfigUnderLoad runs the dashboard in tmux with a file
// declaring an http ability (served here on loopback) and a command
// ability (this test binary as helper), sends load to the http ability,
// and edits the file while it runs: a timeout changed, an ability added, the
// file made wrong (the footer shows the error at file:line:column) and
// right again. No call fails: the load's "not ok" count and the metrics
// say so. Then the Breakers pane's form changes weather's cooldown, and w
// writes it into the file, its comments kept; the added command ability
// answers a call.
func TestDashboardLiveConfigUnderLoad(t *testing.T) {
	needTmux(t)
	dir := t.TempDir()
	bin := buildAgentdash(t)
	work := filepath.Join(dir, "work")
	if err := os.Mkdir(work, 0o755); err != nil {
		t.Fatal(err)
	}
	srv, hits := weatherServer(t)
	path := exampleConfig(t, work, srv.URL, "# edited by TestDashboardLiveConfigUnderLoad\n")
	orig, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("WEATHER_TOKEN", "s3cret") // the dashboard's environment is the test's
	addr := freeAddr(t)
	const script = `NO_COLOR=1 TERM=xterm-256color GORACE="log_path=$1/race" "$0" --metrics-addr "$2"; echo EXIT=$?; sleep 60`
	term := startTmuxScript(t, work, script, bin, dir, addr)
	term.waitFor("the dashboard", onScreen("[1 Abilities]", "weather", "word_count", "q quit"))

	// Load on weather, with varied arguments: every call reaches the
	// service.
	term.keys("3")
	term.waitFor("the Cache & latency pane", onScreen("[3 Cache & latency]", "l sends it to"))
	term.filter("weather", onScreen("esc cancel"))
	term.waitFor("weather selected", onScreen("▸ weather"))
	term.keys("l")
	term.waitFor("load running", onScreenRE(`load ▶ \S+ repeat → weather`))
	term.keys("m")
	term.waitFor("varied arguments", onScreenRE(`load ▶ \S+ vary → weather`))
	waitUntil(t, "requests reaching the weather service", func() bool { return hits.Load() > 20 })

	reloads := func(result string) int { return metric(t, addr, `agentdash_config_reloads_total{result="`+result+`"}`) }
	edit := func(what, content string, result string, n int) {
		t.Helper()
		saveFile(t, path, content)
		waitUntil(t, what, func() bool { return reloads(result) >= n })
	}
	text := string(orig)
	text = strings.Replace(text, "    timeout: 2s\n", "    timeout: 3s\n", 1)
	edit("the timeout changed", text, "success", 1)

	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	withNew := text + `  shout:
    kind: command
    description: Count the words, loudly.
    argv: [` + strconv.Quote(self) + `, word_count]
    env: {GO_WANT_HELPER_PROCESS: "1"}
    schema: {type: object, properties: {text: {type: string}}}
`
	edit("an ability added", withNew, "success", 2)
	term.keys("Escape") // the filter off: every ability listed
	term.waitFor("the new ability", onScreen("shout", "word_count", "config reloaded (file)"))

	wrong := strings.Replace(withNew, "    timeout: 3s\n", "    timeout: soon\n", 1)
	line := 1 + strings.Count(wrong[:strings.Index(wrong, "timeout: soon")], "\n")
	edit("the file made wrong", wrong, "failure", 1)
	term.waitFor("the error at its line and column", onScreen(fmt.Sprintf("config not reloaded: agentdash.yaml:%d:14", line)))
	edit("the file right again", withNew, "success", 3)
	term.waitFor("the abilities kept", onScreen("shout", "config reloaded (file)"))

	// The form: weather's cooldown from 5s to 7s, applied, then written.
	term.keys("2")
	term.waitFor("the Breakers pane", onScreen("[2 Breakers]"))
	term.filter("weather", onScreen("esc cancel"))
	term.waitFor("weather selected", onScreen("▸ weather     ● closed"))
	term.keys("e")
	term.waitFor("the settings form", onScreen("Settings of weather in", "› timeout", "3s"))
	for range 9 {
		term.keys("Tab")
	}
	term.waitFor("the cooldown field", onScreen("› breaker.cooldown"))
	term.keys("C-u")
	term.text("7s")
	term.waitFor("7s typed", onScreenRE(`› breaker\.cooldown\s+7s\s+• changed`))
	term.keys("Enter")
	term.waitFor("the cooldown applied", onScreen("cooldown 7s", "unsaved: w writes", "weather: settings applied"))
	if got, _ := os.ReadFile(path); string(got) != withNew {
		t.Fatalf("the file changed before w:\n%s", got)
	}
	term.keys("w")
	term.waitFor("the settings written", onScreen("cooldown 7s"), func(s string) bool { return !strings.Contains(s, "unsaved") })
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	want := strings.Replace(withNew, "cooldown: 5s,", "cooldown: 7s,", 1)
	if string(got) != want {
		t.Errorf("the file after w:\n%s\nwant:\n%s", got, want)
	}
	waitUntil(t, "the reload the write brings", func() bool { return reloads("success") >= 4 })

	// No call failed: neither in the load's counts nor in the metrics.
	term.keys("3")
	screen := term.waitFor("the load still running", onScreenRE(`load ▶ .* not ok 0 ·`))
	if ok := metric(t, addr, `agentdash_calls_total{ability="weather",outcome="success"}`); ok < 20 {
		t.Errorf("%d weather calls succeeded, want the load's", ok)
	}
	if failed := failedCalls(t, addr, "weather"); failed != "" {
		t.Errorf("weather calls that did not succeed: %s\n%s", failed, screen)
	}
	term.keys("l")

	// The command ability the file added runs.
	term.keys("1")
	term.waitFor("the Abilities pane", onScreen("[1 Abilities]"))
	term.filter("shout", onScreen("esc cancel"))
	term.waitFor("shout selected", onScreen("▸ shout", "✓ valid · enter calls shout"))
	term.keys("Enter")
	term.waitFor("the shout result", onScreen("#1 ✓ success"))
	term.keys("q")
	if screen := term.waitFor("the exit", onScreen("EXIT=")); !strings.Contains(screen, "EXIT=0") {
		t.Errorf("agentdash exited with a non-zero status:\n%s", term.scrollback())
	}
	checkRaceReports(t, dir)
}

// freeAddr returns a loopback address no one listens on now.
func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

// waitUntil polls ok until it holds, failing the test after e2eStepTimeout.
func waitUntil(t *testing.T, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(e2eStepTimeout)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("waiting for %s: not after %v", what, e2eStepTimeout)
		}
		time.Sleep(e2ePoll)
	}
}

// scrape returns the exporter's metrics at addr ("" while it does not
// answer yet).
func scrape(t *testing.T, addr string) string {
	t.Helper()
	resp, err := http.Get("http://" + addr + "/metrics")
	if err != nil {
		return ""
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return ""
	}
	return string(body)
}

// metric returns the value of the series named (with its labels) as
// given, 0 when absent.
func metric(t *testing.T, addr, series string) int {
	t.Helper()
	m := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(series) + ` (\S+)$`).FindStringSubmatch(scrape(t, addr))
	if m == nil {
		return 0
	}
	v, _ := strconv.ParseFloat(m[1], 64)
	return int(v)
}

// failedCalls lists the ability's calls counted under an outcome other
// than success, "" if none.
func failedCalls(t *testing.T, addr, ability string) string {
	t.Helper()
	var bad []string
	re := regexp.MustCompile(`(?m)^agentdash_calls_total\{ability="` + ability + `",outcome="(\w+)"\} (\S+)$`)
	for _, m := range re.FindAllStringSubmatch(scrape(t, addr), -1) {
		if m[1] != "success" && m[2] != "0" {
			bad = append(bad, m[1]+"="+m[2])
		}
	}
	return strings.Join(bad, ", ")
}
