package main

import (
	"bufio"
	"os"
	"os/exec"
	"regexp"
	"testing"
	"time"
)

// startMCPBinary starts the built binary bin as `mcp --http 127.0.0.1:0`
// with args and returns the URL it serves. Cleanup stops it with SIGINT
// and fails the test unless it exits cleanly.
func startMCPBinary(t *testing.T, bin string, args ...string) string {
	t.Helper()
	srv := exec.Command(bin, append(append([]string{"mcp"}, args...), "--http", "127.0.0.1:0")...)
	stderr, err := srv.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	urls := make(chan string, 1)
	lines := make(chan struct{})
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(stderr)
		re := regexp.MustCompile(`serving MCP on (http://\S+/mcp)`)
		for sc.Scan() {
			if m := re.FindStringSubmatch(sc.Text()); m != nil {
				urls <- m[1]
			}
		}
	}()
	t.Cleanup(func() {
		if err := srv.Process.Signal(os.Interrupt); err != nil {
			t.Error(err)
		}
		<-lines // until it closes stderr
		if err := srv.Wait(); err != nil {
			t.Errorf("mcp --http after SIGINT: %v", err)
		}
	})
	select {
	case url := <-urls:
		return url
	case <-time.After(time.Minute):
		_ = srv.Process.Kill()
		t.Fatal("mcp --http did not start")
		return ""
	}
}
