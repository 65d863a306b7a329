//go:build unix

package train

import (
	"errors"
	"syscall"
)

// processAlive reports whether a process with the given ID exists. Signal
// 0 checks without signaling; EPERM means it exists but is another user's.
func processAlive(pid int) bool {
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}
