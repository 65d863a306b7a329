//go:build unix

package dataset

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// A named pipe with no writer does not hold LoadCSV past its context.
func TestLoadCSVPipeWithoutWriter(t *testing.T) {
	fifo := filepath.Join(t.TempDir(), "fifo")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Skip("mkfifo:", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	done := make(chan error, 1)
	go func() {
		_, err := LoadCSV(ctx, fifo, Columns{})
		done <- err
	}()
	select {
	case err := <-done:
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("LoadCSV(pipe) = %v, want the context's deadline", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("LoadCSV on a pipe without a writer ignored its context")
	}
	// A writer lets the abandoned open complete, and LoadCSV's helper
	// closes the file: no goroutine is left behind.
	if w, err := os.OpenFile(fifo, os.O_WRONLY, 0); err == nil {
		w.Close()
	}
}

// CheckFile passes a named pipe without opening it, which would wait for a
// writer.
func TestCheckFilePipe(t *testing.T) {
	fifo := filepath.Join(t.TempDir(), "fifo")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Skip("mkfifo:", err)
	}
	done := make(chan error, 1)
	go func() { done <- CheckFile(fifo) }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("CheckFile(pipe) = %v, want nil", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("CheckFile opened a pipe without a writer")
	}
}
