//go:build unix

package control

import (
	"fmt"
	"io/fs"
	"os"
	"syscall"
)

// checkOwner refuses a directory another user owns.
func checkOwner(dir string, st fs.FileInfo) error {
	if s, ok := st.Sys().(*syscall.Stat_t); ok && int(s.Uid) != os.Getuid() {
		return fmt.Errorf("control directory %s belongs to uid %d, not to you (uid %d)", dir, s.Uid, os.Getuid())
	}
	return nil
}
