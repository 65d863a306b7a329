package dataset

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
)

// CheckFile refuses what LoadCSV refuses before reading or on sniffing the
// file's start (compressed, binary), with its error.
func TestCheckFile(t *testing.T) {
	dir := t.TempDir()
	csv := filepath.Join(dir, "data.csv")
	if err := os.WriteFile(csv, []byte("x,y\n1,2\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	gz := filepath.Join(dir, "data.csv.gz")
	if err := os.WriteFile(gz, []byte("\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03x,y\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(dir, "data.bin")
	if err := os.WriteFile(bin, []byte("x,y\n1,\x002\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{csv, filepath.Join(dir, "missing.csv"), dir, gz, bin} {
		err := CheckFile(path)
		_, loadErr := LoadCSV(context.Background(), path, Columns{})
		if path == csv {
			if err != nil || loadErr != nil {
				t.Errorf("%s: CheckFile %v, LoadCSV %v; want both nil", path, err, loadErr)
			}
			continue
		}
		if err == nil || loadErr == nil || err.Error() != loadErr.Error() {
			t.Errorf("%s: CheckFile %v, want LoadCSV's %v", path, err, loadErr)
		}
	}
	if err := CheckFile(dir); !errors.Is(err, ErrNotFile) {
		t.Errorf("CheckFile(directory) = %v, want ErrNotFile", err)
	}
	if err := CheckFile(filepath.Join(dir, "missing.csv")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("CheckFile(missing) = %v, want fs.ErrNotExist", err)
	}
}
