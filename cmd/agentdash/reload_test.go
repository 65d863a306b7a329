package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// lockedBuffer is a bytes.Buffer safe for the goroutines of a command.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// waitOutput waits until out holds want, n times, failing after 15 s.
func waitOutput(t *testing.T, out *lockedBuffer, want string, n int) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for strings.Count(out.String(), want) < n {
		if time.Now().After(deadline) {
			t.Fatalf("no %d× %q in:\n%s", n, want, out.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func saveFile(t *testing.T, path, content string) {
	t.Helper()
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
}

// TestServeReloadsConfig runs serve with a configuration file under load
// and changes the file: a valid one is applied (the new ability answers),
// an invalid one is logged at its line and column and changes nothing,
// SIGHUP reloads, and the exporter counts the reloads.
func TestServeReloadsConfig(t *testing.T) {
	chdir(t)
	path := filepath.Join(t.TempDir(), "agentdash.yaml")
	saveFile(t, path, "abilities:\n  sum:\n    cache_ttl: 5m\n")
	var stderr lockedBuffer
	env := newEnvironment([]string{"serve", "--config", path, "--metrics-addr", "127.0.0.1:0",
		"--load", "50", "--load-ability", "sum,uppercase"},
		strings.NewReader(""), io.Discard, &stderr, func(string) string { return "" })
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	code := make(chan int, 1)
	go func() { code <- env.run(ctx) }()
	waitOutput(t, &stderr, "serving metrics on", 1)
	addr := regexp.MustCompile(`http://(\S+)/metrics`).FindStringSubmatch(stderr.String())[1]

	saveFile(t, path, "abilities:\n  sum:\n    cache_ttl: 5m\n    description: Add them up.\n")
	waitOutput(t, &stderr, "reloaded (file)", 1)
	saveFile(t, path, "abilities:\n  sum:\n    cache_ttl: 5m\n    timeout: soon\n")
	waitOutput(t, &stderr, "reload failed, the running configuration stays: config: 1 error: "+path+":4:14", 1)
	if !env.hangup() {
		t.Fatal("SIGHUP does not reload serve's configuration")
	}
	waitOutput(t, &stderr, "reload failed", 2) // the file is still wrong

	saveFile(t, path, "max_concurrent: 3\nabilities:\n  sum:\n    cache_ttl: 5m\n")
	waitOutput(t, &stderr, "reloaded (file)", 2)
	waitOutput(t, &stderr, "max_concurrent changed: it applies at the next start", 1)

	resp, err := http.Get("http://" + addr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, line := range []string{`agentdash_config_reloads_total{result="success"} 2`,
		`agentdash_config_reloads_total{result="failure"} 2`, `agentdash_config_last_reload_success_timestamp_seconds `} {
		if !strings.Contains(string(body), line) {
			t.Errorf("metrics lack %q", line)
		}
	}
	cancel()
	if c := <-code; c != 0 {
		t.Fatalf("serve: exit %d, stderr:\n%s", c, stderr.String())
	}
	if regexp.MustCompile(`\d+ (failure|timeout|rejected|bad_args)`).MatchString(stderr.String()) {
		t.Errorf("calls failed during the reloads:\n%s", stderr.String())
	}
}

// TestAwaitForceReloadsOnHangup: a hangup the command takes (serve with a
// configuration file) reloads instead of stopping; the next other signal
// stops, and the one after forces the exit.
func TestAwaitForceReloadsOnHangup(t *testing.T) {
	signals := make(chan os.Signal, 4)
	for _, s := range []os.Signal{syscall.SIGHUP, syscall.SIGHUP, syscall.SIGTERM, os.Interrupt} {
		signals <- s
	}
	reloads, stops := 0, 0
	got := awaitForce(signals, func() { stops++ }, func() bool { reloads++; return true })
	if reloads != 2 || stops != 1 || got != os.Interrupt {
		t.Fatalf("%d reloads, %d stops, forced by %v; want 2, 1, interrupt", reloads, stops, got)
	}
}

// TestHangupWithoutReloadStops: with no configuration file, SIGHUP is
// not taken and stops the command, as for a closed terminal.
func TestHangupWithoutReloadStops(t *testing.T) {
	env := newEnvironment(nil, strings.NewReader(""), io.Discard, io.Discard, func(string) string { return "" })
	if env.hangup() {
		t.Fatal("SIGHUP taken with no reload")
	}
}
