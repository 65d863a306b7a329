package train

// CheckCheckpoint reports, before any work is done, whether a checkpoint
// can be written at path, as [Train] checks first: the error wraps
// [ErrPath] when it cannot. It is for programs that train later, such as
// the dashboard, to refuse such a path at their start.
func CheckCheckpoint(path string) error { return checkWritable(path) }
