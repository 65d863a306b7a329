//go:build unix

package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestDashboardReloadsConfig runs the dashboard in tmux with
// ./agentdash.yaml and edits the file: a new ability appears and the
// footer says the file was reloaded; a wrong file keeps the abilities and
// the footer says why, at its line and column.
func TestDashboardReloadsConfig(t *testing.T) {
	needTmux(t)
	dir := t.TempDir()
	bin := buildAgentdash(t)
	work := filepath.Join(dir, "work")
	if err := os.Mkdir(work, 0o755); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(work, "agentdash.yaml")
	saveFile(t, path, "abilities:\n  sum:\n    cache_ttl: 5m\n")
	term := startTmux(t, bin, work, dir)
	term.waitFor("the dashboard", onScreen("[1 Abilities]", "uppercase", "q quit"))

	saveFile(t, path, "abilities:\n  sum:\n    cache_ttl: 5m\n  word_count:\n    kind: command\n"+
		"    description: Count the words.\n    argv: [wc, -w]\n    stdin: \"{{text}}\"\n"+
		"    schema: {type: object, properties: {text: {type: string}}, required: [text]}\n")
	term.waitFor("the new ability", onScreen("word_count", "config reloaded (file)"))

	saveFile(t, path, "abilities:\n  sum:\n    cache_ttl: soon\n")
	term.waitFor("the reload error", onScreen("config not reloaded: agentdash.yaml:3:16"))
	term.waitFor("the abilities kept", onScreen("word_count"))

	saveFile(t, path, "abilities:\n  sum:\n    cache_ttl: 1m\n")
	term.waitFor("word_count gone", func(s string) bool {
		return strings.Contains(s, "config reloaded (file)") && !strings.Contains(s, "word_count")
	})
	term.keys("F5")
	term.waitFor("the reload by key", onScreen("config reloaded (key)"))

	term.keys("q")
	if screen := term.waitFor("the exit", onScreen("EXIT=")); !strings.Contains(screen, "EXIT=0") {
		t.Errorf("agentdash exited with a non-zero status:\n%s", term.scrollback())
	}
	checkRaceReports(t, dir)
}
