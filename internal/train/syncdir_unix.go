//go:build !windows && !plan9 && !js && !wasip1

package train

import (
	"errors"
	"os"
	"syscall"
)

// syncDir flushes the directory entry of a just-renamed file to disk.
// File systems that cannot sync a directory (EINVAL) are not an error.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil && !errors.Is(err, syscall.EINVAL) && !errors.Is(err, errors.ErrUnsupported) {
		return err
	}
	return nil
}
