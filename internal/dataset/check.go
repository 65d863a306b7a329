package dataset

import (
	"errors"
	"fmt"
	"io"
	"os"
)

// CheckFile reports whether path can be opened as [LoadCSV] opens it and
// starts as CSV text (not compressed or binary), reading only its first
// bytes, with the error LoadCSV would return: for programs that load the
// file later, such as the dashboard, to refuse a path that cannot be one at
// their start. A named pipe is not opened (that waits for a writer) and
// passes.
func CheckFile(path string) error {
	if st, err := os.Stat(path); err == nil && st.Mode()&os.ModeNamedPipe != 0 {
		return nil
	}
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("load csv: %w", err)
	}
	defer f.Close()
	if st, err := f.Stat(); err == nil && st.IsDir() {
		return isDirError(path)
	}
	head := make([]byte, sniffSize)
	n, err := io.ReadFull(f, head)
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) {
		return readError(path, err)
	}
	return sniff(path, head[:n])
}

// isDirError is the error for a directory given as a CSV file.
func isDirError(path string) error {
	return fmt.Errorf("load csv: %s is a directory: %w", path, ErrNotFile)
}
