package config

import (
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

func TestFind(t *testing.T) {
	work, user := t.TempDir(), t.TempDir()
	t.Chdir(work)
	t.Setenv("XDG_CONFIG_HOME", user) // os.UserConfigDir on Unix
	t.Setenv("HOME", user)            // on macOS: $HOME/Library/Application Support
	t.Setenv("AppData", user)         // on Windows
	userDir, err := os.UserConfigDir()
	if err != nil {
		t.Fatal(err)
	}
	userFile := filepath.Join(userDir, "agentdash", "config.yaml")
	noEnv := func(string) string { return "" }

	check := func(getenv func(string) string, wantPath, wantFrom string) {
		t.Helper()
		path, from, err := Find(getenv)
		if err != nil || path != wantPath || from != wantFrom {
			t.Errorf("Find = %q, %q, %v; want %q, %q", path, from, err, wantPath, wantFrom)
		}
	}
	check(noEnv, "", "")
	write(t, userFile, "")
	check(noEnv, userFile, FromUserDir)
	write(t, LocalFile, "")
	check(noEnv, LocalFile, FromWorkDir)
	env := func(k string) string {
		if k == EnvVar {
			return "/elsewhere/missing.yaml"
		}
		return ""
	}
	check(env, "/elsewhere/missing.yaml", FromEnv) // Load says it is missing
}

func write(t *testing.T, path, data string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestLoadUnreadable(t *testing.T) {
	dir := t.TempDir()
	big := filepath.Join(dir, "big.yaml")
	write(t, big, "# "+strings.Repeat("x", MaxFileSize))
	for _, tc := range []struct{ path, want string }{
		{filepath.Join(dir, "missing.yaml"), "config " + filepath.Join(dir, "missing.yaml") + ": open "},
		{dir, "config " + dir + ": not a regular file"},
		{big, "config " + big + ": larger than 1 MiB: not a configuration file"},
	} {
		cfg, _, err := Load(tc.path, nil)
		if err == nil || !strings.HasPrefix(err.Error(), tc.want) || cfg != nil {
			t.Errorf("Load(%s) = %v, %v; want an error starting %q", tc.path, cfg, err, tc.want)
		}
		if errors.As(err, new(Errors)) {
			t.Errorf("Load(%s): %v is not a file error", tc.path, err)
		}
	}
}

// A config file or directory anyone may write is warned about, as ssh
// does; the file is still loaded.
func TestLoadWarnsWorldWritable(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no Unix modes")
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "c.yaml")
	write(t, path, "demo: true\n")
	chmod := func(p string, m os.FileMode) {
		if err := os.Chmod(p, m); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct {
		file, dir os.FileMode
		want      []string
	}{
		{0o644, 0o755, nil},
		{0o666, 0o755, []string{"config " + path + " is writable by anyone (mode 0666): anyone could change what agentdash runs; chmod o-w it"}},
		{0o644, 0o777, []string{"config " + path + " is in " + dir + ", which anyone may write (mode 0777): anyone could replace it; chmod o-w the directory"}},
		{0o644, 0o777 | os.ModeSticky, nil}, // as /tmp: others cannot replace the file
	} {
		chmod(path, tc.file)
		chmod(dir, tc.dir)
		cfg, warnings, err := Load(path, nil)
		if err != nil || cfg == nil {
			t.Fatalf("Load: %v", err)
		}
		if strings.Join(warnings, "\n") != strings.Join(tc.want, "\n") {
			t.Errorf("file %v, dir %v: warnings %q, want %q", tc.file, tc.dir, warnings, tc.want)
		}
	}
	chmod(dir, 0o755)
}

// FuzzLoad: the parser never panics, and every error it reports has a
// position in the file.
func FuzzLoad(f *testing.F) {
	for _, name := range []string{"testdata/issue15.yaml", "../../assets/agentdash.example.yaml"} {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	for _, s := range []string{"", "a: [1\n", "abilities:\n  x: {kind: command, argv: [\"{{a\"]}\n", "a: &x 1\nb: *x\n",
		"abilities:\n  s:\n    schema: {a: [[[[{}]]]]}\n", "max_wait:\n", "- 1\n", "{{{\n", "abilities: {x: {<<: {}}}\n"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, err := Parse("f.yaml", data, nil)
		if err == nil {
			if cfg == nil {
				t.Fatal("no config and no error")
			}
			return
		}
		var errs Errors
		if !errors.As(err, &errs) || len(errs) == 0 {
			t.Fatalf("error %v is not a non-empty Errors", err)
		}
		for _, e := range errs {
			if e.File != "f.yaml" || e.Line < 1 || e.Column < 1 || e.Msg == "" {
				t.Fatalf("error without a position or message: %#v", e)
			}
		}
	})
}
