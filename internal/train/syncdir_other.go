//go:build windows || plan9 || js || wasip1

package train

// syncDir does nothing where a directory cannot be opened and synced (on
// Windows there is no such call); the rename is the last durable step.
func syncDir(string) error { return nil }
