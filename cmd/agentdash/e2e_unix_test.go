//go:build unix

package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// checkRestored fails the test unless the terminal is as it was before the
// dashboard: main screen, cursor shown, no mouse reporting.
func (term *tmuxTerm) checkRestored(what string) {
	term.t.Helper()
	if got := term.display(terminalState); got != "0 1 0" {
		term.t.Errorf("%s: alternate screen, cursor visible, mouse = %q, want %q", what, got, "0 1 0")
	}
}

// checkRaceReports fails the test for each race report of a -race agentdash
// below dir.
func checkRaceReports(t *testing.T, dir string) {
	t.Helper()
	reports, _ := filepath.Glob(filepath.Join(dir, "race.*"))
	for _, r := range reports {
		b, _ := os.ReadFile(r)
		t.Errorf("race detector report %s:\n%s", r, b)
	}
}

// TestDashboardQuitAfterGrowing quits the dashboard after its terminal grew
// from 120x40 to 160x48: the shell's screen is as it was before the
// dashboard, with no part of the dashboard on it or in its scrollback.
func TestDashboardQuitAfterGrowing(t *testing.T) {
	needTmux(t)
	bin := buildAgentdash(t)
	dir := t.TempDir()
	const script = `printf 'shell line %s\n' 1 2 3
read -r _
NO_COLOR=1 TERM=xterm-256color GORACE="log_path=$1/race" "$0"
echo EXIT=$?
sleep 60`
	term := startTmuxScript(t, dir, script, bin, dir)
	t.Cleanup(func() { checkRaceReports(t, dir) })
	before := term.waitFor("the shell's lines", onScreen("shell line 3"))
	term.keys("Enter")
	term.waitFor("the dashboard", onScreen("[1 Abilities]", "q quit"))
	if _, err := term.tmux("resize-window", "-t", "e2e", "-x", "160", "-y", "48"); err != nil {
		t.Fatal(err)
	}
	// From 140 columns the panes are a 2x2 grid.
	term.waitFor("the dashboard redrawn at 160x48", onScreenRE(`\[1 Abilities\][^\n]*2 Breakers`))
	if got := term.display("#{pane_width}x#{pane_height}"); got != "160x48" {
		t.Fatalf("tmux pane is %s after resize-window, want 160x48", got)
	}
	term.keys("q")
	term.waitFor("the process to exit", onScreen("EXIT="))
	term.checkRestored("after quitting")

	var want []string
	for _, l := range strings.Split(before, "\n") {
		if l = strings.TrimRight(l, " "); l != "" {
			want = append(want, l)
		}
	}
	want = append(want, "EXIT=0")
	var got []string
	for _, l := range strings.Split(term.scrollback(), "\n") {
		if l = strings.TrimRight(l, " "); l != "" {
			got = append(got, l)
		}
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("the shell's screen and scrollback after quitting:\n%s\nwant (blank lines left out):\n%s",
			strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
