package train

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestReloader(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "model.json")
	r := NewReloader(path)
	_, err := r.Load()
	if !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("Load before training: %v, want not-exist", err)
	}
	_, lerr := LoadCheckpoint(path)
	if want := "load checkpoint: no model at " + path + " (train one first): "; !strings.HasPrefix(err.Error(), want) || lerr.Error() != err.Error() {
		t.Errorf("Load before training: %q; LoadCheckpoint: %q; want both %q…", err, lerr, want)
	}
	cfg := testConfig()
	cfg.Checkpoint, cfg.Epochs = path, 2
	if _, err := Train(t.Context(), cfg, nil); err != nil {
		t.Fatal(err)
	}
	a, err := r.Load()
	if err != nil {
		t.Fatal(err)
	}
	if b, err := r.Load(); err != nil || b != a {
		t.Fatalf("unchanged file was re-read (%v)", err)
	}
	cfg.Synthetic.Weight = -5
	if _, err := Train(t.Context(), cfg, nil); err != nil {
		t.Fatal(err)
	}
	c, err := r.Load()
	if err != nil || c == a || c.Weights[0] > 0 {
		t.Fatalf("rewritten file not reloaded: %v", err)
	}
	os.WriteFile(path, []byte("{"), 0o644)
	if _, err := r.Load(); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("corrupt file: %v", err)
	}
}
