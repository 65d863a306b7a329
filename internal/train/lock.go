package train

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/gofrs/flock"
)

// ErrLocked is wrapped by the error returned when another training run
// holds the checkpoint's lock; the error is a *[LockedError].
var ErrLocked = errors.New("checkpoint in use")

// LockedError reports that another process is writing the checkpoint.
type LockedError struct {
	Path string // the checkpoint
	PID  int    // the process holding the lock; 0 if it could not be read
}

// Error names the checkpoint and the process that holds it.
func (e *LockedError) Error() string {
	holder := "another process"
	if e.PID > 0 {
		holder = "process " + strconv.Itoa(e.PID)
	}
	return fmt.Sprintf("checkpoint %s is being written by another training run (%s); "+
		"wait for it to end or write another checkpoint", e.Path, holder)
}

// Unwrap returns ErrLocked.
func (e *LockedError) Unwrap() error { return ErrLocked }

// lockTries bounds the attempts to lock a lock file that its holder
// removes meanwhile.
const lockTries = 10

// LockCheckpoint takes the lock that makes this process the only writer
// of the checkpoint at path, until unlock is called; a second writer gets
// a *[LockedError] naming this process. It is an OS file lock (flock on
// Unix, LockFileEx on Windows) on the file .NAME.lock beside the
// checkpoint, which holds the process ID: the OS releases the lock when
// the process dies, so a lock file left by a killed run does not block the
// next one. The directory is created if missing. Once locked, temporary
// files that runs no longer alive left beside the checkpoint are removed.
// On a file system that has no file locks, the run goes on unlocked.
func LockCheckpoint(path string) (unlock func(), err error) {
	target, _, err := resolveTarget(path)
	if err != nil {
		return nil, err
	}
	dir := filepath.Dir(target)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	name := lockName(target)
	for range lockTries {
		l := flock.New(name, flock.SetFlag(os.O_CREATE|os.O_RDWR), flock.SetPermissions(0o644))
		ok, err := l.TryLock()
		if errors.Is(err, errors.ErrUnsupported) {
			// A file system without locks (some FUSE and network ones)
			// must not stop training: the run goes on unlocked.
			return func() { os.Remove(name) }, nil
		}
		if err != nil {
			return nil, fmt.Errorf("lock %s: %w", path, unwrapPathError(err))
		}
		if !ok {
			return nil, &LockedError{Path: path, PID: readLockPID(name)}
		}
		// The holder before us removes the file just before unlocking it:
		// a lock on the file it removed locks nothing, so try again.
		held, err1 := l.Stat()
		now, err2 := os.Stat(name)
		if err1 != nil || err2 != nil || !os.SameFile(held, now) {
			l.Unlock()
			continue
		}
		if err := writeLockPID(name); err != nil {
			l.Unlock()
			return nil, fmt.Errorf("lock %s: %w", path, err)
		}
		removeStaleTemporaryFiles(dir, filepath.Base(target))
		return func() {
			// Removed while still locked, so that no one locks the file
			// between the unlock and the removal; where an open file
			// cannot be removed (Windows), it is removed after the unlock,
			// which fails harmlessly if another run has it open.
			removed := os.Remove(name) == nil
			l.Unlock()
			if !removed {
				os.Remove(name)
			}
		}, nil
	}
	return nil, fmt.Errorf("lock %s: %s keeps being replaced", path, name)
}

// lockName returns the lock file of the checkpoint target.
func lockName(target string) string {
	return filepath.Join(filepath.Dir(target), "."+filepath.Base(target)+".lock")
}

// The process ID is written from the file's second byte on: on Windows
// the lock covers the first byte, which no other handle can read or write.
const pidOffset = 1

// writeLockPID writes this process's ID into the lock file name.
func writeLockPID(name string) error {
	f, err := os.OpenFile(name, os.O_WRONLY, 0)
	if err != nil {
		return unwrapPathError(err)
	}
	pid := strconv.Itoa(os.Getpid()) + "\n"
	_, err = f.WriteAt([]byte(pid), pidOffset)
	if err == nil {
		_ = f.Truncate(int64(pidOffset + len(pid))) // a longer ID left by a killed run
	}
	return errors.Join(unwrapPathError(err), f.Close())
}

// readLockPID returns the process ID in the lock file name, or 0. The
// holder writes it just after taking the lock, so a read that comes too
// early is retried for a moment.
func readLockPID(name string) int {
	for range 20 {
		if pid := lockPID(name); pid > 0 {
			return pid
		}
		time.Sleep(10 * time.Millisecond)
	}
	return 0
}

func lockPID(name string) int {
	f, err := os.Open(name)
	if err != nil {
		return 0
	}
	defer f.Close()
	buf := make([]byte, 32)
	n, _ := f.ReadAt(buf, pidOffset)
	line, _, ok := bytes.Cut(buf[:n], []byte{'\n'})
	if !ok {
		return 0
	}
	pid, err := strconv.Atoi(string(line))
	if err != nil || pid <= 0 || pid != os.Getpid() && !processAlive(pid) {
		return 0 // not written yet, or left by a run that died
	}
	return pid
}

// lockRun takes the checkpoint's lock for a run of cfg, if it writes one.
// It takes none when cfg or the checkpoint path is wrong, leaving the run
// to report that.
func lockRun(cfg Config) (unlock func(), err error) {
	if cfg.Checkpoint == "" || cfg.Validate() != nil || checkWritable(cfg.Checkpoint) != nil {
		return func() {}, nil
	}
	return LockCheckpoint(cfg.Checkpoint)
}

// removeStaleTemporaryFiles removes the temporary files that processes no
// longer alive left beside the checkpoint named base in dir (their names
// carry the writer's process ID; see tempPrefix). Files of live processes,
// whose writes may be in progress, and of this one are kept.
func removeStaleTemporaryFiles(dir, base string) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	prefix := "." + base + ".tmp-"
	for _, e := range entries {
		rest, ok := strings.CutPrefix(e.Name(), prefix)
		if !ok {
			continue
		}
		id, _, ok := strings.Cut(rest, "-")
		pid, err := strconv.Atoi(id)
		if !ok || err != nil || pid <= 0 || pid == os.Getpid() || processAlive(pid) {
			continue
		}
		if err := os.Remove(filepath.Join(dir, e.Name())); err != nil && !errors.Is(err, fs.ErrNotExist) {
			continue // best effort: a file that stays is only clutter
		}
	}
}
