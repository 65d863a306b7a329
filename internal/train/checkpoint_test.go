package train

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

// trainedCheckpoint trains on the housing CSV and returns the result and
// the checkpoint path.
func trainedCheckpoint(t testing.TB) (*Result, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "sub", "model.json")
	cfg := testConfig()
	cfg.Dataset, cfg.Checkpoint, cfg.Epochs = housing, path, 6
	res, err := Train(t.Context(), cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	return res, path
}

func TestCheckpointRoundTrip(t *testing.T) {
	res, path := trainedCheckpoint(t)
	ck, err := LoadCheckpoint(path)
	if err != nil {
		t.Fatal(err)
	}
	if ck.Format != CheckpointFormat || ck.Version != CheckpointVersion || !strings.HasPrefix(ck.Software, "agentdash ") ||
		time.Since(ck.Created) > time.Minute {
		t.Errorf("header: %q v%d %q created %v", ck.Format, ck.Version, ck.Software, ck.Created)
	}
	want := res.Config
	want.Shuffle = CurrentShuffle // recorded, so that a later version resumes it on its trajectory
	if !reflect.DeepEqual(ck.Config, want) || !slices.Equal(ck.Features, []string{"sqft", "bedrooms", "age_years"}) || ck.Target != "price_k" {
		t.Errorf("config or columns differ: %+v %v %q", ck.Config, ck.Features, ck.Target)
	}
	if !sameBits(ck.Weights, res.Weights) || !sameFloat(ck.Bias, res.Bias) || ck.Epoch != 6 || ck.StopReason != StopCompleted ||
		!sameFloat(ck.Loss, res.Loss) || !sameFloat(ck.ValLoss, res.ValLoss) || !sameFloat(ck.BestLoss, res.BestLoss) ||
		!sameFloat(ck.OptimalLoss, res.OptimalLoss) || ck.BestEpoch != res.BestEpoch || ck.Model != res.Model || ck.Model == "" {
		t.Errorf("model differs from the result:\n%+v\n%+v", ck, res)
	}
	if !sameBuckets(ck.History, res.History.Buckets()) || !sameBuckets(ck.ValHistory, res.ValHistory.Buckets()) {
		t.Error("histories differ from the result")
	}
	data, _ := os.ReadFile(housing)
	if ck.Data.Source != housing || ck.Data.Rows != 400 || ck.Data.TrainRows != 360 || ck.Data.ValRows != 40 ||
		ck.Data.Bytes != int64(len(data)) || len(ck.Data.SHA256) != 64 {
		t.Errorf("fingerprint %+v", ck.Data)
	}
	if ck.Scaler == nil || len(ck.Scaler.Mean) != 3 || ck.Scaler.Scale[0] < 100 {
		t.Errorf("scaler %+v, want the sqft/bedrooms/age standardization", ck.Scaler)
	}
	// Encoding again gives the same bytes apart from nothing: the format is
	// a pure function of the checkpoint.
	again, err := ck.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	orig, _ := os.ReadFile(path)
	if !bytes.Equal(again, orig) {
		t.Errorf("re-encoded checkpoint differs from the file")
	}
	// No temporary files are left next to it.
	entries, _ := os.ReadDir(filepath.Dir(path))
	if len(entries) != 1 {
		t.Errorf("directory holds %d entries, want only model.json", len(entries))
	}
}

func TestPredict(t *testing.T) {
	res, path := trainedCheckpoint(t)
	ck, err := LoadCheckpoint(path)
	if err != nil {
		t.Fatal(err)
	}
	x := []float64{1500, 3, 20}
	want := res.Bias + res.Weights[0]*1500 + res.Weights[1]*3 + res.Weights[2]*20
	if y, err := ck.Predict(x); err != nil || y != want {
		t.Fatalf("Predict(%v) = %g, %v; want %g", x, y, err, want)
	}
	tests := []struct {
		x   []float64
		msg string
	}{
		{[]float64{4}, "the model takes 3 feature(s) (sqft, bedrooms, age_years), got 1 value(s)"},
		{nil, "got 0 value(s)"},
		{[]float64{1, math.NaN(), 3}, `feature "bedrooms" is NaN`},
		{[]float64{1, 2, math.Inf(-1)}, `feature "age_years" is -Inf`},
		{[]float64{1e308, 1e308, 0}, "overflows"},
	}
	for _, tt := range tests {
		if _, err := ck.Predict(tt.x); err == nil || !strings.Contains(err.Error(), tt.msg) {
			t.Errorf("Predict(%v) error = %v, want %q", tt.x, err, tt.msg)
		}
	}
}

// TestPredictDefaults is what `agentdash call predict '{"x": 4}'` does after
// `agentdash train` with defaults: y ≈ 2·4 + 1.
func TestPredictDefaults(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Checkpoint = filepath.Join(t.TempDir(), cfg.Checkpoint)
	if _, err := Train(t.Context(), cfg, nil); err != nil {
		t.Fatal(err)
	}
	ck, err := LoadCheckpoint(cfg.Checkpoint)
	if err != nil {
		t.Fatal(err)
	}
	if y, err := ck.Predict([]float64{4}); err != nil || math.Abs(y-9) > 0.1 {
		t.Fatalf("Predict([4]) = %g, %v; want about 9", y, err)
	}
}

func TestLoadCheckpointErrors(t *testing.T) {
	_, path := trainedCheckpoint(t)
	good, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	edit := func(fn func(m map[string]any)) []byte {
		var m map[string]any
		if err := json.Unmarshal(good, &m); err != nil {
			t.Fatal(err)
		}
		fn(m)
		b, _ := json.Marshal(m)
		return b
	}
	tests := []struct {
		name string
		data []byte
		want error
		msg  string
	}{
		{"empty", nil, ErrCorrupt, "the file is empty"},
		{"blank", []byte("  \n"), ErrCorrupt, "empty"},
		{"truncated", good[:len(good)/2], ErrCorrupt, "truncated"},
		{"truncated at end", good[:len(good)-3], ErrCorrupt, "truncated"},
		{"garbage", []byte("{]"), ErrCorrupt, "invalid JSON at byte 2"},
		{"array", []byte("[1,2]"), ErrNotCheckpoint, "holds array"},
		{"string", []byte(`"model"`), ErrNotCheckpoint, "holds string"},
		{"other JSON", []byte(`{"name":"x","version":3}`), ErrNotCheckpoint, "format missing"},
		{"other format", edit(func(m map[string]any) { m["format"] = "keras" }), ErrNotCheckpoint, `format "keras"`},
		{"wrong type in foreign file", []byte(`{"weights":"heavy"}`), ErrNotCheckpoint, "format missing"},
		{"newer", edit(func(m map[string]any) { m["version"] = 2 }), ErrVersion, "version 2 is newer"},
		{"no version", edit(func(m map[string]any) { delete(m, "version") }), ErrCorrupt, "no version"},
		{"weights short", edit(func(m map[string]any) { m["weights"] = []any{1.0} }), ErrCorrupt, "1 weights for 3 features"},
		{"weight null", edit(func(m map[string]any) { m["weights"] = []any{1.0, nil, 2.0} }), ErrCorrupt, "not finite"},
		{"weight type", edit(func(m map[string]any) { m["weights"] = "heavy" }), ErrCorrupt, "field weights holds string"},
		{"loss null", edit(func(m map[string]any) { m["loss"] = nil }), ErrCorrupt, "not a finite number"},
		{"epoch beyond", edit(func(m map[string]any) { m["epoch"] = 99 }), ErrCorrupt, "epoch 99 is outside 1..6"},
		{"scaler", edit(func(m map[string]any) { m["scaler"] = map[string]any{"mean": []any{1}, "scale": []any{1}} }), ErrCorrupt, "scaler"},
		{"scale zero", edit(func(m map[string]any) {
			m["scaler"].(map[string]any)["scale"] = []any{0.0, 1.0, 1.0}
		}), ErrCorrupt, "positive"},
		{"bad config", edit(func(m map[string]any) { m["config"].(map[string]any)["lr"] = -1 }), ErrCorrupt, "lr must be"},
		{"history gap", edit(func(m map[string]any) {
			m["history"].(map[string]any)["train"].([]any)[1].(map[string]any)["start"] = 5
		}), ErrCorrupt, "training history"},
		{"history short", edit(func(m map[string]any) {
			h := m["history"].(map[string]any)
			h["train"] = h["train"].([]any)[:2]
		}), ErrCorrupt, "holds 2 epochs, want 6"},
		{"stop reason", edit(func(m map[string]any) { m["stop_reason"] = "diverged" }), ErrCorrupt, "stop reason"},
		{"model kind", edit(func(m map[string]any) { m["model"] = "averaged" }), ErrCorrupt, `model "averaged" is not one of last, best`},
		{"rows", edit(func(m map[string]any) { m["data"].(map[string]any)["val_rows"] = 1 }), ErrCorrupt, "data rows"},
		{"state", edit(func(m map[string]any) { m["state"].(map[string]any)["weights"] = []any{} }), ErrCorrupt, "resume state"},
	}
	dir := t.TempDir()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := filepath.Join(dir, strings.ReplaceAll(tt.name, " ", "_")+".json")
			if err := os.WriteFile(p, tt.data, 0o644); err != nil {
				t.Fatal(err)
			}
			_, err := LoadCheckpoint(p)
			if !errors.Is(err, tt.want) || !strings.Contains(err.Error(), tt.msg) || !strings.Contains(err.Error(), p) {
				t.Fatalf("LoadCheckpoint error = %v, want %v naming the file and saying %q", err, tt.want, tt.msg)
			}
		})
	}
	_, err = LoadCheckpoint(filepath.Join(dir, "missing.json"))
	if !errors.Is(err, fs.ErrNotExist) || !strings.Contains(err.Error(), "train one first") {
		t.Fatalf("missing file: %v", err)
	}
	// Every truncation of a good file fails cleanly.
	for n := range len(good) - 1 {
		if _, err := ParseCheckpoint(good[:n]); err == nil {
			t.Fatalf("truncated to %d bytes: accepted", n)
		}
	}
}

// TestAtomicWrite simulates a crash in the middle of writing a checkpoint:
// the old file stays intact and no temporary file remains.
func TestAtomicWrite(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "model.json")
	if err := writeFileAtomic(path, func(w io.Writer) error { _, err := io.WriteString(w, "old"); return err }); err != nil {
		t.Fatal(err)
	}
	crash := errors.New("power cut")
	err := writeFileAtomic(path, func(w io.Writer) error {
		if _, err := w.Write(bytes.Repeat([]byte("new"), 100_000)); err != nil { // past the buffer: on disk
			return err
		}
		return crash
	})
	if !errors.Is(err, crash) {
		t.Fatalf("writeFileAtomic error = %v, want the write error", err)
	}
	if got, _ := os.ReadFile(path); string(got) != "old" {
		t.Fatalf("file holds %d bytes after a failed write, want the old 3", len(got))
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Fatalf("directory holds %d entries after a failed write, want 1", len(entries))
	}
	// A temporary file left by a process killed mid-write does not affect
	// the checkpoint or the next save.
	if err := os.WriteFile(filepath.Join(dir, ".model.json.tmp-123"), []byte("{\"form"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := writeFileAtomic(path, func(w io.Writer) error { _, err := io.WriteString(w, "new"); return err }); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(path); string(got) != "new" {
		t.Fatalf("file holds %q, want new", got)
	}
	// An unwritable location fails without creating anything.
	blocker := filepath.Join(dir, "file")
	os.WriteFile(blocker, nil, 0o644)
	if err := writeFileAtomic(filepath.Join(blocker, "m.json"), func(io.Writer) error { return nil }); err == nil {
		t.Fatal("writing below a regular file succeeded")
	}
}

// FuzzLoadCheckpoint: ParseCheckpoint never panics, and anything it accepts
// survives an encode/parse round trip unchanged and can predict.
func FuzzLoadCheckpoint(f *testing.F) {
	_, path := trainedCheckpoint(f)
	good, err := os.ReadFile(path)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good)
	f.Add(good[:len(good)/3])
	f.Add([]byte(`{"format":"agentdash-linear-regression","version":1}`))
	f.Add([]byte(`[]`))
	f.Add([]byte(`null`))
	f.Fuzz(func(t *testing.T, data []byte) {
		ck, err := ParseCheckpoint(data)
		if err != nil {
			if !errors.Is(err, ErrCorrupt) && !errors.Is(err, ErrNotCheckpoint) && !errors.Is(err, ErrVersion) {
				t.Fatalf("error %v wraps none of the checkpoint errors", err)
			}
			return
		}
		again, err := ck.MarshalJSON()
		if err != nil {
			t.Fatalf("accepted checkpoint does not encode: %v", err)
		}
		ck2, err := ParseCheckpoint(again)
		if err != nil {
			t.Fatalf("re-encoded checkpoint rejected: %v", err)
		}
		if !sameBits(ck.Weights, ck2.Weights) || !sameFloat(ck.Bias, ck2.Bias) || ck.Epoch != ck2.Epoch {
			t.Fatal("round trip changed the model")
		}
		if _, err := ck.Predict(make([]float64, len(ck.Features))); err != nil && !strings.Contains(err.Error(), "overflows") {
			t.Fatalf("Predict on zeros: %v", err)
		}
	})
}

// TestSaveRefusesUnloadableCheckpoint: a model that LoadCheckpoint would
// reject (here a NaN weight) is not written, and the checkpoint already on
// disk is left as it was.
func TestSaveRefusesUnloadableCheckpoint(t *testing.T) {
	cfg := testConfig()
	cfg.Checkpoint = filepath.Join(t.TempDir(), "model.json")
	mustTrain(t, cfg, nil)
	before, err := os.ReadFile(cfg.Checkpoint)
	if err != nil {
		t.Fatal(err)
	}
	resumed := cfg
	resumed.ResumeFrom, resumed.Epochs = cfg.Checkpoint, cfg.Epochs+1
	tr, err := newTrainer(context.Background(), resumed)
	if err != nil {
		t.Fatal(err)
	}
	tr.m.w[0] = math.NaN()
	if err := tr.save(cfg.Checkpoint, StopCompleted); err == nil || !strings.Contains(err.Error(), "finite") {
		t.Fatalf("save with a NaN weight = %v, want a refusal naming the non-finite weights", err)
	}
	if after, err := os.ReadFile(cfg.Checkpoint); err != nil || !bytes.Equal(after, before) {
		t.Fatalf("the checkpoint on disk changed (err %v)", err)
	}
}

// A symlink is written through: the file it points to is replaced and the
// link stays, also when that file does not exist yet. A directory is
// refused, as is a path below a regular file, both before anything is
// written (checkWritable) and when writing.
func TestAtomicWriteTargets(t *testing.T) {
	dir := t.TempDir()
	write := func(w io.Writer) error { _, err := io.WriteString(w, "new"); return err }

	models := filepath.Join(dir, "models")
	os.Mkdir(models, 0o755)
	v1 := filepath.Join(models, "v1.json")
	os.WriteFile(v1, []byte("old"), 0o644)
	link := filepath.Join(dir, "current.json")
	if err := os.Symlink(filepath.Join("models", "v1.json"), link); err != nil {
		t.Skip("symlinks:", err)
	}
	if err := checkWritable(link); err != nil {
		t.Fatalf("checkWritable(symlink): %v", err)
	}
	if err := writeFileAtomic(link, write); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(v1); string(got) != "new" {
		t.Errorf("the symlink's target holds %q, want new", got)
	}
	if fi, _ := os.Lstat(link); fi.Mode()&os.ModeSymlink == 0 {
		t.Error("the symlink was replaced by a file")
	}

	dangling := filepath.Join(dir, "next.json")
	os.Symlink(filepath.Join("models", "v2.json"), dangling)
	if err := writeFileAtomic(dangling, write); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(filepath.Join(models, "v2.json")); string(got) != "new" {
		t.Errorf("a dangling symlink's target holds %q, want new", got)
	}

	file := filepath.Join(dir, "file")
	os.WriteFile(file, nil, 0o644)
	for _, bad := range []string{models, filepath.Join(file, "m.json")} {
		if err := checkWritable(bad); !errors.Is(err, ErrPath) {
			t.Errorf("checkWritable(%s) = %v, want ErrPath", bad, err)
		}
		if err := writeFileAtomic(bad, write); err == nil {
			t.Errorf("writeFileAtomic(%s) succeeded", bad)
		}
	}
	if err := checkWritable(models); !strings.Contains(err.Error(), "is a directory") || strings.Contains(err.Error(), ".tmp-") {
		t.Errorf("message %q does not say what is wrong, or names a temporary file", err)
	}
	if err := checkWritable(filepath.Join(file, "sub", "m.json")); !strings.Contains(err.Error(), file+" is not a directory") {
		t.Errorf("message %q does not name the file in the way", err)
	}
	if entries, _ := os.ReadDir(models); len(entries) != 2 {
		t.Errorf("models/ holds %d entries, want v1.json and v2.json only", len(entries))
	}
}

// A checkpoint path that cannot be written is an error before training,
// not after it.
func TestTrainChecksCheckpointPathFirst(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Checkpoint = t.TempDir()
	epochs := 0
	_, err := Train(t.Context(), cfg, func(Event) { epochs++ })
	if !errors.Is(err, ErrPath) {
		t.Fatalf("error = %v, want ErrPath", err)
	}
	if epochs != 0 {
		t.Errorf("%d epochs ran before the error", epochs)
	}
}
