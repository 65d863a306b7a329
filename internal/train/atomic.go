package train

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// ErrPath is wrapped by the error returned when a checkpoint cannot be
// written at the path given, found before training starts: the path names
// a directory, a device, a pipe or a socket, a directory on the way is not
// one, or no file can be created in its directory.
var ErrPath = errors.New("cannot write a checkpoint")

// maxSymlinks bounds the symlinks followed to find the file a path names.
const maxSymlinks = 40

// writeFileAtomic replaces the file at path with what write produces, so
// that readers and crashes see either the old file or the complete new one,
// never a mix: it writes a temporary file in the same directory (created if
// missing), flushes it to disk with fsync, renames it over the file (atomic
// on POSIX and, via MoveFileEx, on Windows) and then fsyncs the directory
// where the OS supports it so the rename itself is durable. On any failure
// the temporary file is removed and the file is untouched.
//
// A symlink is followed: the file it points to is replaced and the link
// stays. Anything but a regular file (a directory, a device such as
// /dev/null, a pipe) is refused rather than replaced. A file that exists
// keeps its permissions; a new one gets 0666 less the umask, as files
// created by os.Create do.
//
// Hand-written because the maintained packages for this (google/renameio)
// do not support Windows, where the trainer must run too.
func writeFileAtomic(path string, write func(io.Writer) error) (err error) {
	target, old, err := resolveTarget(path)
	if err != nil {
		return err
	}
	dir := filepath.Dir(target)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("create directory for %s: %w", path, err)
	}
	f, tmp, err := createTemp(dir, filepath.Base(target))
	if err != nil {
		return fmt.Errorf("write %s: %w", path, unwrapPathError(err))
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(tmp)
		}
	}()
	w := bufio.NewWriterSize(f, 64<<10)
	if err := write(w); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := w.Flush(); err != nil {
		return fmt.Errorf("write %s: %w", path, unwrapPathError(err))
	}
	if old != nil {
		if err := f.Chmod(old.Mode().Perm()); err != nil && !errors.Is(err, errors.ErrUnsupported) {
			return fmt.Errorf("write %s: %w", path, unwrapPathError(err))
		}
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("write %s: sync: %w", path, unwrapPathError(err))
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, unwrapPathError(err))
	}
	if err := os.Rename(tmp, target); err != nil {
		return fmt.Errorf("write %s: %w", path, unwrapPathError(err))
	}
	if err := syncDir(dir); err != nil {
		return fmt.Errorf("write %s: sync directory: %w", path, err)
	}
	return nil
}

// RemoveTemporaryFiles removes the temporary files that this process has
// left beside the checkpoint at path while writing it, and the lock file
// if this process holds the lock (see [LockCheckpoint]). A program that
// ends abruptly, without waiting for a write in progress (on a second
// interrupt, say), calls it to leave nothing behind; the checkpoint itself
// is untouched. A write in progress then fails, and the checkpoint keeps
// its previous content. (Files that a killed process leaves are removed
// by the next run that locks the checkpoint.)
func RemoveTemporaryFiles(path string) error {
	target, _, err := resolveTarget(path)
	if err != nil {
		return err
	}
	dir := filepath.Dir(target)
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("remove temporary files of %s: %w", path, err)
	}
	prefix := tempPrefix(filepath.Base(target))
	lock := lockName(target)
	var errs []error
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), prefix) || e.Name() == filepath.Base(lock) && lockPID(lock) == os.Getpid() {
			if err := os.Remove(filepath.Join(dir, e.Name())); err != nil && !errors.Is(err, fs.ErrNotExist) {
				errs = append(errs, err)
			}
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("remove temporary files of %s: %w", path, errors.Join(errs...))
	}
	return nil
}

// checkWritable reports, before any work is done, whether a checkpoint can
// be written at path: what it names must be a regular file or nothing, and
// when the directory exists, a file must be creatable in it (tried with a
// temporary file, removed at once).
func checkWritable(path string) error {
	target, _, err := resolveTarget(path)
	if err != nil {
		return err
	}
	dir := filepath.Dir(target)
	switch fi, err := os.Stat(dir); {
	case errors.Is(err, fs.ErrNotExist):
		return nil // created when the checkpoint is written
	case err != nil:
		return fmt.Errorf("%w to %s: %s: %w", ErrPath, path, dir, unwrapPathError(err))
	case !fi.IsDir():
		return fmt.Errorf("%w to %s: %s is not a directory", ErrPath, path, dir)
	}
	f, tmp, err := createTemp(dir, filepath.Base(target))
	if err != nil {
		return fmt.Errorf("%w to %s: no file can be created in %s: %w", ErrPath, path, dir, unwrapPathError(err))
	}
	f.Close()
	os.Remove(tmp)
	return nil
}

// resolveTarget follows symlinks from path to the file to replace, and
// returns it with its FileInfo (nil when it does not exist yet). It
// refuses anything but a regular file.
func resolveTarget(path string) (string, fs.FileInfo, error) {
	target := path
	for range maxSymlinks {
		fi, err := os.Lstat(target)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			return target, nil, nil
		case errors.Is(err, syscall.ENOTDIR):
			return "", nil, fmt.Errorf("%w to %s: %s is not a directory", ErrPath, path, notDir(filepath.Dir(target)))
		case err != nil:
			return "", nil, fmt.Errorf("%w to %s: %w", ErrPath, path, unwrapPathError(err))
		case fi.Mode()&fs.ModeSymlink != 0:
			dest, err := os.Readlink(target)
			if err != nil {
				return "", nil, fmt.Errorf("%w to %s: %w", ErrPath, path, unwrapPathError(err))
			}
			if !filepath.IsAbs(dest) {
				dest = filepath.Join(filepath.Dir(target), dest)
			}
			target = dest
		case fi.IsDir():
			return "", nil, fmt.Errorf("%w to %s: it is a directory", ErrPath, path)
		case !fi.Mode().IsRegular():
			return "", nil, fmt.Errorf("%w to %s: it is a %s, not a regular file", ErrPath, path, fileKind(fi.Mode()))
		default:
			return target, fi, nil
		}
	}
	return "", nil, fmt.Errorf("%w to %s: more than %d symlinks to follow", ErrPath, path, maxSymlinks)
}

// notDir returns the first existing element of dir, going up, which is
// what stands where a directory is needed.
func notDir(dir string) string {
	for {
		if _, err := os.Lstat(dir); err == nil || filepath.Dir(dir) == dir {
			return dir
		}
		dir = filepath.Dir(dir)
	}
}

func fileKind(m fs.FileMode) string {
	switch {
	case m&fs.ModeDevice != 0:
		return "device"
	case m&fs.ModeNamedPipe != 0:
		return "named pipe"
	case m&fs.ModeSocket != 0:
		return "socket"
	}
	return "special file"
}

// tempPrefix is the name prefix of the temporary files this process
// creates for the file named base. The process ID in it lets
// RemoveTemporaryFiles tell this process's files from another's.
func tempPrefix(base string) string {
	return "." + base + ".tmp-" + strconv.Itoa(os.Getpid()) + "-"
}

// createTemp creates a new file in dir for the file named base, with mode
// 0666 less the umask (os.CreateTemp would make it 0600).
func createTemp(dir, base string) (*os.File, string, error) {
	for range 100 {
		name := filepath.Join(dir, tempPrefix(base)+strconv.FormatUint(uint64(rand.Uint32()), 10))
		f, err := os.OpenFile(name, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o666)
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		return f, name, err
	}
	return nil, "", fmt.Errorf("no unused temporary file name in %s", dir)
}

// unwrapPathError drops the path from an *fs.PathError or *os.LinkError,
// whose message would otherwise name the temporary file or repeat the
// path that the caller's message already gives.
func unwrapPathError(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	var le *os.LinkError
	if errors.As(err, &le) {
		return le.Err
	}
	return err
}
