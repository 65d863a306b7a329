package main

import (
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/agentdash/agentdash/internal/train"
)

// TestTrainCheckpointInUse: a train run on a checkpoint that another run
// is writing fails (exit 1) with one line naming the process that holds
// it, and writes nothing.
func TestTrainCheckpointInUse(t *testing.T) {
	dir := t.TempDir()
	ckpt := filepath.Join(dir, "m.json")
	unlock, err := train.LockCheckpoint(ckpt) // as the first run does
	if err != nil {
		t.Fatal(err)
	}
	r := runCmd(t, "", "train", "--quiet", "--checkpoint", ckpt)
	unlock()
	if r.code != 1 {
		t.Fatalf("exit %d, want 1 (%s)", r.code, r.stderr)
	}
	r.wantOneLine(t, "checkpoint "+ckpt+" is being written by another training run (process "+strconv.Itoa(os.Getpid())+")")
	if _, err := os.Stat(ckpt); err == nil {
		t.Error("the refused run wrote the checkpoint")
	}
	if r := runCmd(t, "", "train", "--quiet", "--checkpoint", ckpt); r.code != 0 {
		t.Fatalf("after the first run: exit %d (%s)", r.code, r.stderr)
	}
}
