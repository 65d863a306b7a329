package train

import (
	"io/fs"
	"os"
	"sync"
)

// Reloader serves the checkpoint at a path, re-reading the file only when
// it has changed: each Load costs one os.Stat while the file is unchanged.
// A change is a different file (after the atomic rename a save makes),
// modification time or size. It is safe for concurrent use.
type Reloader struct {
	path string

	mu   sync.Mutex
	ck   *Checkpoint
	info fs.FileInfo
}

// NewReloader returns a Reloader for the checkpoint at path. Nothing is
// read until the first Load.
func NewReloader(path string) *Reloader { return &Reloader{path: path} }

// Path returns the checkpoint path.
func (r *Reloader) Path() string { return r.path }

// Load returns the current checkpoint, reading it again if the file
// changed since the last successful Load. Errors are those of
// [LoadCheckpoint]; after an error the next Load tries again.
func (r *Reloader) Load() (*Checkpoint, error) {
	info, err := os.Stat(r.path)
	if err != nil {
		return nil, loadError(r.path, err)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.ck != nil && os.SameFile(info, r.info) && info.ModTime().Equal(r.info.ModTime()) && info.Size() == r.info.Size() {
		return r.ck, nil
	}
	ck, err := LoadCheckpoint(r.path)
	if err != nil {
		return nil, err
	}
	r.ck, r.info = ck, info
	return ck, nil
}
