//go:build unix

package demo

import (
	"errors"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/agentdash/agentdash/internal/agent"
)

// A named pipe is refused as not a regular file, at once: opening it would
// wait for a writer forever.
func TestReadFileRefusesPipe(t *testing.T) {
	root := t.TempDir()
	if err := syscall.Mkfifo(filepath.Join(root, "fifo"), 0o644); err != nil {
		t.Skip("mkfifo:", err)
	}
	done := make(chan error, 1)
	go func() {
		_, err := readFile(root, "fifo", 1<<20)
		done <- err
	}()
	select {
	case err := <-done:
		if !errors.Is(err, agent.ErrBadArgs) || !strings.Contains(err.Error(), "not a regular file") {
			t.Fatalf("error %v, want bad arguments: not a regular file", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("read_file on a named pipe is still waiting after 5s")
	}
}
