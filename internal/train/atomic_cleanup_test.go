package train

import (
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"testing"
)

// TestRemoveTemporaryFiles: the temporary files this process left beside a
// checkpoint go, and so does the lock file it holds; the checkpoint, other
// files and another process's temporary files stay.
func TestRemoveTemporaryFiles(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "model.json")
	keep := []string{"model.json", ".model.json.tmp-1-42", "other.json", ".other.json.tmp-" + strconv.Itoa(os.Getpid()) + "-7"}
	writeFiles(t, dir, keep...)
	for range 2 {
		f, _, err := createTemp(dir, "model.json") // as a write cut short would leave it
		if err != nil {
			t.Fatal(err)
		}
		f.Close()
	}
	unlock, err := LockCheckpoint(path) // as a run cut short holds it
	if err != nil {
		t.Fatal(err)
	}
	defer unlock()
	if err := RemoveTemporaryFiles(path); err != nil {
		t.Fatal(err)
	}
	dirHolds(t, dir, keep)
	if err := RemoveTemporaryFiles(filepath.Join(dir, "missing", "m.json")); err != nil {
		t.Fatalf("in a directory that does not exist: %v", err)
	}
}

// writeFiles creates each named file in dir, holding "{}".
func writeFiles(t *testing.T, dir string, names ...string) {
	t.Helper()
	for _, name := range names {
		if err := os.WriteFile(filepath.Join(dir, name), []byte("{}"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// dirHolds fails the test unless dir holds exactly the files named in
// want, in any order.
func dirHolds(t *testing.T, dir string, want []string) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var left []string
	for _, e := range entries {
		left = append(left, e.Name())
	}
	slices.Sort(left)
	want = slices.Sorted(slices.Values(want))
	if !slices.Equal(left, want) {
		t.Fatalf("left %q, want %q", left, want)
	}
}
