package config

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
)

// EnvVar names the environment variable that gives the file's path.
const EnvVar = "AGENTDASH_CONFIG"

// LocalFile is the file looked for in the working directory.
const LocalFile = "agentdash.yaml"

// MaxFileSize bounds the file: a configuration is a few kilobytes, and a
// huge file is a mistake (a log named by accident).
const MaxFileSize = 1 << 20

// Where a configuration file was found.
const (
	FromFlag    = "--config"
	FromEnv     = "$" + EnvVar
	FromWorkDir = "./" + LocalFile
	FromUserDir = "user config dir"
)

// Find returns the path of the configuration file and where it came from
// (FromEnv, FromWorkDir or FromUserDir): $AGENTDASH_CONFIG if set (whether
// or not the file exists: Load says so), else ./agentdash.yaml, else
// agentdash/config.yaml in os.UserConfigDir, whichever exists; "" if none
// does. A --config flag, which comes first, is the caller's to check.
func Find(getenv func(string) string) (path, from string, err error) {
	if p := getenv(EnvVar); p != "" {
		return p, FromEnv, nil
	}
	if ok, err := exists(LocalFile); ok || err != nil {
		return LocalFile, FromWorkDir, err
	}
	dir, err := os.UserConfigDir()
	if err != nil {
		return "", "", nil // no user config dir: no file there either
	}
	p := filepath.Join(dir, "agentdash", "config.yaml")
	if ok, err := exists(p); ok || err != nil {
		return p, FromUserDir, err
	}
	return "", "", nil
}

// exists reports whether path exists; an error other than "does not exist"
// (no permission to look) is returned, so that the file is not silently
// skipped.
func exists(path string) (bool, error) {
	_, err := os.Stat(path)
	if err == nil {
		return true, nil
	}
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	return false, fmt.Errorf("config %s: %w", path, err)
}

// Load reads and checks the configuration file at path, as [Parse] with
// builtins, the names of the built-in abilities. Its error is an
// [Errors] listing every problem, or an error saying why the file could not
// be read. warnings say what is unsafe about the file (anyone may write
// it, as ssh warns), for the caller to show.
func Load(path string, builtins []string) (cfg *Config, warnings []string, err error) {
	data, warnings, err := ReadFile(path)
	if err != nil {
		return nil, nil, err
	}
	cfg, err = Parse(path, data, builtins)
	return cfg, warnings, err
}

// ReadFile reads the configuration file at path, as Load does, without
// parsing it: for a caller that changes the text before it parses it.
func ReadFile(path string) (data []byte, warnings []string, err error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, fmt.Errorf("config %s: %w", path, err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, nil, fmt.Errorf("config %s: %w", path, err)
	}
	if !st.Mode().IsRegular() {
		return nil, nil, fmt.Errorf("config %s: not a regular file", path)
	}
	data, err = io.ReadAll(io.LimitReader(f, MaxFileSize+1))
	if err != nil {
		return nil, nil, fmt.Errorf("config %s: %w", path, err)
	}
	if len(data) > MaxFileSize {
		return nil, nil, fmt.Errorf("config %s: larger than %d MiB: not a configuration file", path, MaxFileSize>>20)
	}
	return data, permissionWarnings(path, st), nil
}

// permissionWarnings warns of a file or directory that anyone may write
// (a directory with the sticky bit, such as /tmp, lets others add files but
// not replace this one). Windows has no such mode bits.
func permissionWarnings(path string, st fs.FileInfo) []string {
	if runtime.GOOS == "windows" {
		return nil
	}
	var warnings []string
	if st.Mode().Perm()&0o002 != 0 {
		warnings = append(warnings, fmt.Sprintf("config %s is writable by anyone (mode %04o): anyone could change what agentdash runs; chmod o-w it",
			path, st.Mode().Perm()))
	}
	dir := filepath.Dir(path)
	if ds, err := os.Stat(dir); err == nil && ds.Mode().Perm()&0o002 != 0 && ds.Mode()&fs.ModeSticky == 0 {
		warnings = append(warnings, fmt.Sprintf("config %s is in %s, which anyone may write (mode %04o): anyone could replace it; chmod o-w the directory",
			path, dir, ds.Mode().Perm()))
	}
	return warnings
}
