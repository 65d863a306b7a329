package panetest

import (
	"flag"
	"os"
	"path/filepath"
	"testing"
)

// Golden compares got with testdata/name.golden in the test's package
// directory; run with -update, it rewrites the file instead. The flag is
// looked up, not registered here, because charmbracelet/x/exp/golden
// (which teatest imports) registers it too: a test package that does not
// import teatest registers it itself.
func Golden(t testing.TB, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden")
	if f := flag.Lookup("update"); f != nil && f.Value.String() == "true" {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read golden (run with -update to create it): %v", err)
	}
	if got != string(want) {
		t.Errorf("output differs from %s (run with -update to accept):\n--- got ---\n%s\n--- want ---\n%s", path, got, want)
	}
}
