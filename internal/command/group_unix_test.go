//go:build unix

package command

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// gone reports whether the process has ended: no such process, or (Linux)
// a zombie waiting for init to reap it.
func gone(pid int) bool {
	if err := syscall.Kill(pid, 0); errors.Is(err, syscall.ESRCH) {
		return true
	}
	if runtime.GOOS == "linux" {
		stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
		if err != nil {
			return true
		}
		// The state follows the command name in parentheses.
		s := string(stat)
		if i := strings.LastIndexByte(s, ')'); i >= 0 && strings.HasPrefix(s[i+1:], " Z") {
			return true
		}
	}
	return false
}

// grandchild waits for the helper to write its grandchild's pid to
// pidFile and returns it.
func grandchild(t *testing.T, pidFile string) int {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		b, err := os.ReadFile(pidFile)
		if pid, perr := strconv.Atoi(string(b)); err == nil && perr == nil {
			return pid
		}
		if time.Now().After(deadline) {
			t.Fatalf("the helper wrote no grandchild pid to %s: %v", pidFile, err)
		}
	}
}

func waitGone(t *testing.T, pid int) {
	t.Helper()
	for deadline := time.Now().Add(20 * time.Second); !gone(pid); {
		if time.Now().After(deadline) {
			_ = syscall.Kill(pid, syscall.SIGKILL)
			t.Fatalf("grandchild %d survived the run", pid)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestTimeoutKillsTheProcessGroup: the program starts a grandchild and
// sleeps; the timeout must end both.
func TestTimeoutKillsTheProcessGroup(t *testing.T) {
	pidFile := filepath.Join(t.TempDir(), "pid")
	f := mustNew(t, helperSpec("spawn", pidFile))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() {
		_, err := f(ctx, nil)
		done <- err
	}()
	pid := grandchild(t, pidFile)
	if gone(pid) {
		t.Fatalf("grandchild %d is not running before the cancel", pid)
	}
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("err = %v, want context.Canceled", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the call did not return after its context ended")
	}
	waitGone(t, pid)
}

// TestExitKillsWhatTheProgramLeft: a program that exits leaving a
// background process holding stdout gets its result, and the process is
// killed.
func TestExitKillsWhatTheProgramLeft(t *testing.T) {
	pidFile := filepath.Join(t.TempDir(), "pid")
	got, err := call(t, mustNew(t, helperSpec("spawn-exit", pidFile)), nil)
	if err != nil || got != "spawned" {
		t.Fatalf("got %#v, %v", got, err)
	}
	waitGone(t, grandchild(t, pidFile))
}
