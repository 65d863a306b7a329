//go:build unix

package train

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// A named pipe is refused, not replaced by a regular file.
func TestAtomicWriteRefusesPipe(t *testing.T) {
	path := filepath.Join(t.TempDir(), "fifo")
	if err := syscall.Mkfifo(path, 0o644); err != nil {
		t.Skip("mkfifo:", err)
	}
	err := writeFileAtomic(path, func(w io.Writer) error { _, err := io.WriteString(w, "{}"); return err })
	if !errors.Is(err, ErrPath) {
		t.Fatalf("error = %v, want ErrPath", err)
	}
	if fi, _ := os.Lstat(path); fi.Mode()&os.ModeNamedPipe == 0 {
		t.Fatalf("the pipe was replaced: mode %v", fi.Mode())
	}
	if err := checkWritable(path); !errors.Is(err, ErrPath) {
		t.Fatalf("checkWritable error = %v, want ErrPath", err)
	}
}

// A new checkpoint gets 0666 less the umask, as os.Create gives; an
// existing one keeps its permissions.
func TestAtomicWritePermissions(t *testing.T) {
	old := syscall.Umask(0o077)
	t.Cleanup(func() { syscall.Umask(old) })
	dir := t.TempDir()
	path := filepath.Join(dir, "new.json")
	write := func(w io.Writer) error { _, err := io.WriteString(w, "{}"); return err }
	if err := writeFileAtomic(path, write); err != nil {
		t.Fatal(err)
	}
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o600 {
		t.Errorf("new file under umask 077: mode %v, want -rw-------", fi.Mode().Perm())
	}
	syscall.Umask(0o022)
	kept := filepath.Join(dir, "kept.json")
	if err := os.WriteFile(kept, nil, 0o640); err != nil {
		t.Fatal(err)
	}
	os.Chmod(kept, 0o640)
	if err := writeFileAtomic(kept, write); err != nil {
		t.Fatal(err)
	}
	if fi, _ := os.Stat(kept); fi.Mode().Perm() != 0o640 {
		t.Errorf("rewritten file: mode %v, want its old -rw-r-----", fi.Mode().Perm())
	}
}

// LoadCheckpoint refuses what it could read forever or without end: a pipe
// (which would block) and a file over MaxCheckpointBytes.
func TestLoadCheckpointRefusesSpecialAndHugeFiles(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Skip("mkfifo:", err)
	}
	if _, err := LoadCheckpoint(fifo); !errors.Is(err, ErrNotCheckpoint) || !strings.Contains(err.Error(), "not a regular file") {
		t.Errorf("LoadCheckpoint(pipe) = %v", err)
	}
	huge := filepath.Join(dir, "huge.json")
	f, err := os.Create(huge)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(MaxCheckpointBytes + 1); err != nil { // sparse: no disk used
		t.Fatal(err)
	}
	f.Close()
	if _, err := LoadCheckpoint(huge); !errors.Is(err, ErrNotCheckpoint) || !strings.Contains(err.Error(), "MiB") {
		t.Errorf("LoadCheckpoint(huge) = %v", err)
	}
}
