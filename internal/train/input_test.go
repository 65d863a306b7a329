package train

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/agentdash/agentdash/internal/dataset"
)

// TestInputErrors: every error about a run's inputs wraps ErrInput, with
// the error that says what was wrong; the run's own failures do not.
func TestInputErrors(t *testing.T) {
	dir := t.TempDir()
	files := map[string]string{
		"line.csv":   "x,y\n1,3\n2,5\n3,7\n4,9\n5,11\n6,13\n",
		"other.csv":  "x,y\n1,2\n2,4\n3,6\n4,8\n5,10\n6,12\n",
		"one.csv":    "x,y\n1,2\n",
		"ragged.csv": "x,y\n1,2\n3\n",
		"huge.csv":   "x,y\n1,1e200\n2,3e200\n3,5e200\n4,1\n",
	}
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	file := func(name string) string { return filepath.Join(dir, name) }
	line, done := file("line.csv"), file("done.json")
	cfg := testConfig()
	cfg.Dataset, cfg.Checkpoint = line, done
	mustTrain(t, cfg, nil)

	tests := []struct {
		name  string
		edit  func(*Config)
		want  error
		input bool
	}{
		{"config", func(c *Config) { c.Epochs = 0 }, ErrConfig, true},
		{"no training rows", func(c *Config) { c.Dataset = file("one.csv") }, ErrConfig, true},
		{"checkpoint path", func(c *Config) { c.Checkpoint = dir }, ErrPath, true},
		{"missing data", func(c *Config) { c.Dataset = file("none.csv") }, fs.ErrNotExist, true},
		{"ragged data", func(c *Config) { c.Dataset = file("ragged.csv") }, dataset.ErrRagged, true},
		{"out of range", func(c *Config) { c.Dataset = file("huge.csv") }, ErrRange, true},
		{"missing checkpoint", func(c *Config) { c.ResumeFrom = file("none.json") }, fs.ErrNotExist, true},
		{"corrupt checkpoint", func(c *Config) { c.ResumeFrom = line }, ErrCorrupt, true},
		{"other settings", func(c *Config) { c.Dataset, c.ResumeFrom, c.Epochs, c.LR = line, done, 16, 0.5 }, ErrResume, true},
		{"other data", func(c *Config) { c.Dataset, c.ResumeFrom, c.Epochs = file("other.csv"), done, 16 }, ErrResume, true},
		{"diverged", func(c *Config) { c.LR, c.Epochs = 5, 50 }, ErrDiverged, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := testConfig()
			tt.edit(&c)
			_, err := Train(context.Background(), c, nil)
			if !errors.Is(err, tt.want) || errors.Is(err, ErrInput) != tt.input {
				t.Errorf("Train: %v; want an error wrapping %v, and ErrInput %v", err, tt.want, tt.input)
			}
		})
	}

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Train(ctx, testConfig(), nil); !errors.Is(err, context.Canceled) || errors.Is(err, ErrInput) {
		t.Errorf("Train canceled: %v; want context.Canceled, not ErrInput", err)
	}
}

// TestSavePathTakenDuringRun: a checkpoint path that stops taking a file
// while the run trains (a directory appears there) is an input error, as
// it is when found before the run.
func TestSavePathTakenDuringRun(t *testing.T) {
	path := filepath.Join(t.TempDir(), "m.json")
	cfg := testConfig()
	cfg.Checkpoint = path
	res, err := Train(context.Background(), cfg, func(e Event) {
		if e.Epoch == e.Epochs {
			if err := os.Mkdir(path, 0o755); err != nil {
				t.Error(err)
			}
		}
	})
	if res == nil || !errors.Is(err, ErrPath) || !errors.Is(err, ErrInput) {
		t.Fatalf("Train = %v, %v; want a result and an error wrapping ErrPath and ErrInput", res, err)
	}
}
