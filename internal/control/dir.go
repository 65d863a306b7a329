package control

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
)

// DefaultDir is where the sockets of this user's agentdash processes
// live: $XDG_RUNTIME_DIR/agentdash (a directory only the user may enter),
// else agentdash-UID in the temporary directory, created 0700.
func DefaultDir(getenv func(string) string) string {
	if x := getenv("XDG_RUNTIME_DIR"); x != "" {
		return filepath.Join(x, "agentdash")
	}
	return filepath.Join(os.TempDir(), "agentdash-"+userID())
}

// userID names the user for the fallback directory: the uid, or the user
// name where there is no uid (Windows).
func userID() string {
	if uid := os.Getuid(); uid >= 0 {
		return strconv.Itoa(uid)
	}
	if u, err := user.Current(); err == nil {
		return strings.Map(func(r rune) rune {
			if r == '\\' || r == '/' || r == ':' {
				return '_'
			}
			return r
		}, u.Username)
	}
	return "user"
}

// EnsureDir creates dir (0700) if needed and checks that it is a
// directory, not a link, that only this user can enter: in a shared
// temporary directory anybody could have made it first.
func EnsureDir(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("control directory: %w", err)
	}
	st, err := os.Lstat(dir)
	if err != nil {
		return fmt.Errorf("control directory: %w", err)
	}
	if !st.IsDir() {
		return fmt.Errorf("control directory %s is not a directory", dir)
	}
	if err := checkOwner(dir, st); err != nil {
		return err
	}
	if st.Mode().Perm()&0o077 != 0 {
		if err := os.Chmod(dir, 0o700); err != nil {
			return fmt.Errorf("control directory %s: mode %04o lets others in, and chmod failed: %w", dir, st.Mode().Perm(), err)
		}
	}
	return nil
}

// fileBase is the name of a process's files in the directory, without
// extension: NAME-PID, the name reduced to [A-Za-z0-9_.-].
func fileBase(name string, pid int) string {
	safe := strings.Map(func(r rune) rune {
		if r < 128 && (r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == '-' || r == '.') {
			return r
		}
		return '_'
	}, name)
	if len(safe) > 40 {
		safe = safe[:40] // a socket path has about 100 bytes
	}
	return safe + "-" + strconv.Itoa(pid)
}

// writeSidecar writes the process's description next to its socket,
// atomically: ps never reads half of one.
func writeSidecar(path string, in Info) error {
	b, err := json.MarshalIndent(in, "", "  ")
	if err != nil {
		return err
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, append(b, '\n'), 0o600); err != nil {
		return fmt.Errorf("write %s: %w", tmp, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

// alive reports whether a process answers on the socket.
func alive(socket string) bool {
	c, err := net.DialTimeout("unix", socket, time.Second)
	if err != nil {
		return false
	}
	_ = c.Close()
	return true
}

// removeFiles removes a process's socket, sidecar and token file.
func removeFiles(dir, base string) {
	for _, ext := range []string{".sock", ".json", ".token"} {
		_ = os.Remove(filepath.Join(dir, base+ext))
	}
}

// staleAfter is how old a socket without a sidecar must be to be removed
// when nothing answers on it.
const staleAfter = time.Minute

// List returns the agentdash processes of this user with a socket in dir
// that answers, sorted by start time, and removes the files of those that
// are gone (a process killed without cleaning up after itself).
func List(dir string) ([]Info, error) {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("control directory: %w", err)
	}
	var out []Info
	for _, e := range entries {
		name := e.Name()
		base, ok := strings.CutSuffix(name, ".sock")
		if !ok {
			continue
		}
		socket := filepath.Join(dir, name)
		b, err := os.ReadFile(filepath.Join(dir, base+".json"))
		if err != nil {
			// Without a sidecar, a process may be starting (it writes the
			// sidecar once it listens): only an old socket is stale.
			if st, serr := os.Lstat(socket); serr == nil && time.Since(st.ModTime()) > staleAfter && !alive(socket) {
				removeFiles(dir, base)
			}
			continue
		}
		if !alive(socket) { // it was listening when it wrote the sidecar: it is gone
			removeFiles(dir, base)
			continue
		}
		var in Info
		if json.Unmarshal(b, &in) != nil {
			continue
		}
		in.Socket = socket
		out = append(out, in)
	}
	slices.SortFunc(out, func(x, y Info) int {
		if c := x.Started.Compare(y.Started); c != 0 {
			return c
		}
		return x.PID - y.PID
	})
	return out, nil
}

// Find returns the process target names in dir: its name, its PID, or its
// socket's path. A name that several processes have is an error listing
// them.
func Find(dir, target string) (Info, error) {
	list, err := List(dir)
	if err != nil {
		return Info{}, err
	}
	if target == "" {
		switch len(list) {
		case 0:
			return Info{}, fmt.Errorf("no agentdash process to attach to in %s (start one: agentdash serve, agentdash mcp)", dir)
		case 1:
			return list[0], nil
		}
		return Info{}, fmt.Errorf("%d agentdash processes are running, name one: %s", len(list), describe(list))
	}
	var match []Info
	for _, in := range list {
		if in.Name == target || strconv.Itoa(in.PID) == target || in.Socket == target {
			match = append(match, in)
		}
	}
	switch len(match) {
	case 0:
		if len(list) == 0 {
			return Info{}, fmt.Errorf("no agentdash process %q: none is running in %s", target, dir)
		}
		return Info{}, fmt.Errorf("no agentdash process %q (running: %s)", target, describe(list))
	case 1:
		return match[0], nil
	}
	return Info{}, fmt.Errorf("%d agentdash processes are named %q, give a PID: %s", len(match), target, describe(match))
}

func describe(list []Info) string {
	parts := make([]string, len(list))
	for i, in := range list {
		parts[i] = fmt.Sprintf("%s (pid %d, %s)", in.Name, in.PID, in.Command)
	}
	return strings.Join(parts, ", ")
}
