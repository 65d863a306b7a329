package train

import (
	"bufio"
	"context"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// TestHelperLockHolder is not a test: run as a subprocess by holdLock, it
// locks the checkpoint named by its environment, says so on stdout and
// holds the lock until its stdin closes (or it is killed).
func TestHelperLockHolder(t *testing.T) {
	path := os.Getenv("AGENTDASH_TEST_LOCK")
	if path == "" {
		t.Skip("run by holdLock")
	}
	unlock, err := LockCheckpoint(path)
	if err != nil {
		t.Fatal(err)
	}
	defer unlock()
	os.Stdout.WriteString("locked\n")
	io.Copy(io.Discard, os.Stdin)
}

// holdLock starts a process that locks the checkpoint at path and returns
// it once the lock is taken. Closing stdin makes it unlock and exit.
func holdLock(t *testing.T, path string) (*exec.Cmd, io.WriteCloser) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperLockHolder$", "-test.count=1")
	cmd.Env = append(os.Environ(), "AGENTDASH_TEST_LOCK="+path)
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		stdin.Close()
		cmd.Process.Kill()
		cmd.Wait()
	})
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if line != "locked\n" {
		t.Fatalf("lock holder said %q (%v)", line, err)
	}
	return cmd, stdin
}

// TestLockCheckpointSecondWriter: while another process writes a
// checkpoint, a second writer is refused with an error naming that
// process; once it is done, the lock is free and its lock file gone.
func TestLockCheckpointSecondWriter(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "sub", "model.json") // the directory is created
	holder, stdin := holdLock(t, path)
	_, err := LockCheckpoint(path)
	var le *LockedError
	if !errors.As(err, &le) || !errors.Is(err, ErrLocked) {
		t.Fatalf("second lock: %v, want a *LockedError", err)
	}
	if le.PID != holder.Process.Pid || le.Path != path {
		t.Errorf("LockedError %+v, want PID %d and path %s", le, holder.Process.Pid, path)
	}
	want := "checkpoint " + path + " is being written by another training run (process " + strconv.Itoa(holder.Process.Pid) + ")"
	if got := err.Error(); !strings.Contains(got, want) {
		t.Errorf("message %q lacks %q", got, want)
	}

	// Train and Start take the lock too, before loading any data.
	cfg := DefaultConfig()
	cfg.Checkpoint = path
	if _, err := Train(context.Background(), cfg, nil); !errors.As(err, &le) || le.PID != holder.Process.Pid {
		t.Errorf("Train: %v, want the holder's *LockedError", err)
	}
	if _, err := Start(context.Background(), cfg); !errors.As(err, &le) {
		t.Errorf("Start: %v, want a *LockedError", err)
	}

	stdin.Close()
	if err := holder.Wait(); err != nil {
		t.Fatalf("lock holder: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "sub", ".model.json.lock")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("lock file after unlock: %v, want it removed", err)
	}
	unlock, err := LockCheckpoint(path)
	if err != nil {
		t.Fatalf("lock after the holder ended: %v", err)
	}
	unlock()
}

// TestLockCheckpointStale: a lock file left by a killed run, or holding
// the ID of a process that is gone, does not block the next run.
func TestLockCheckpointStale(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "model.json")
	holder, _ := holdLock(t, path)
	if err := holder.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	holder.Wait()
	lockFile := filepath.Join(dir, ".model.json.lock")
	if _, err := os.Stat(lockFile); err != nil {
		t.Fatalf("a killed holder should leave its lock file: %v", err)
	}
	unlock, err := LockCheckpoint(path)
	if err != nil {
		t.Fatalf("lock file of a killed run: %v", err)
	}
	if pid := lockPID(lockFile); pid != os.Getpid() {
		t.Errorf("lock file holds PID %d, want %d", pid, os.Getpid())
	}
	unlock()

	if err := os.WriteFile(lockFile, []byte("\n"+strconv.Itoa(deadPID(t))+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	unlock, err = LockCheckpoint(path)
	if err != nil {
		t.Fatalf("lock file naming a dead process: %v", err)
	}
	unlock()
}

// TestLockCheckpointRemovesStaleTemporaryFiles: taking the lock removes the
// temporary files that dead processes left beside the checkpoint and
// keeps those of live ones, this one included, and other files.
func TestLockCheckpointRemovesStaleTemporaryFiles(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "model.json")
	dead := strconv.Itoa(deadPID(t))
	live := strconv.Itoa(os.Getppid())
	self := strconv.Itoa(os.Getpid())
	stale := []string{".model.json.tmp-" + dead + "-42", ".model.json.tmp-" + dead + "-7"}
	keep := []string{
		"model.json", ".model.json.tmp-" + live + "-1", ".model.json.tmp-" + self + "-2",
		".other.json.tmp-" + dead + "-3", ".model.json.tmp-x-4", ".model.json.tmp-" + dead,
	}
	writeFiles(t, dir, slices.Concat(stale, keep)...)
	unlock, err := LockCheckpoint(path)
	if err != nil {
		t.Fatal(err)
	}
	unlock()
	dirHolds(t, dir, keep)
}

// TestTrainLeavesNoLockFile: a run's lock file is gone when it is done,
// whether it trained or failed on its data.
func TestTrainLeavesNoLockFile(t *testing.T) {
	dir := t.TempDir()
	cfg := DefaultConfig()
	cfg.Checkpoint = filepath.Join(dir, "model.json")
	if _, err := Train(context.Background(), cfg, nil); err != nil {
		t.Fatal(err)
	}
	cfg.Dataset = filepath.Join(dir, "missing.csv")
	if _, err := Train(context.Background(), cfg, nil); err == nil {
		t.Fatal("Train of a missing file succeeded")
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 || entries[0].Name() != "model.json" {
		t.Errorf("directory holds %v, want only model.json", entries)
	}
}

// deadPID returns the ID of a process that has exited.
func deadPID(t *testing.T) int {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	if processAlive(cmd.Process.Pid) {
		t.Skipf("process %d still alive after exiting (its ID reused?)", cmd.Process.Pid)
	}
	return cmd.Process.Pid
}

// TestStartHoldsLockUntilDone: a run started in the background (as the
// dashboard starts them) holds the checkpoint's lock until it is done.
func TestStartHoldsLockUntilDone(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Checkpoint = filepath.Join(t.TempDir(), "model.json")
	cfg.Epochs = 1 << 30
	r, err := Start(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	second := cfg
	second.Epochs = 8
	_, err = Train(context.Background(), second, nil)
	var le *LockedError
	if !errors.As(err, &le) || le.PID != os.Getpid() {
		t.Errorf("Train during a Start run: %v, want a *LockedError naming this process", err)
	}
	r.Stop()
	if _, err := r.Result(); err != nil {
		t.Fatal(err)
	}
	if _, err := Train(context.Background(), second, nil); err != nil {
		t.Errorf("Train after the Start run was done: %v", err)
	}
}
