//go:build !unix && !windows

package train

// processAlive reports every process as alive where that cannot be
// checked, so that no file of a running process is removed.
func processAlive(int) bool { return true }
