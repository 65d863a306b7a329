package dataset

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"math"
	"testing"
)

// TestSyntheticGolden pins the generated bits. The same digest must come
// out on every OS and architecture (CI cross-runs this test); if it ever
// changes, checkpoints' data fingerprints and every seeded run change too.
func TestSyntheticGolden(t *testing.T) {
	s, err := Synthetic(t.Context(), 1000, 2, 1, 0.1, 123)
	if err != nil {
		t.Fatal(err)
	}
	h := sha256.New()
	for _, v := range s.XY {
		_ = binary.Write(h, binary.LittleEndian, math.Float64bits(v))
	}
	const want = "c4f853002ee8d4cde60f4ad82c9e7c5547c2ac1e7766816d7621e97ca95b80be"
	if got := hex.EncodeToString(h.Sum(nil)); got != want {
		t.Fatalf("synthetic data digest %s, want %s", got, want)
	}
}

func TestSyntheticShape(t *testing.T) {
	const n = 200_000
	s, err := Synthetic(t.Context(), n, -3, 5, 0.5, 7)
	if err != nil {
		t.Fatal(err)
	}
	if s.Rows() != n || s.Stride() != 2 || s.Path != "" || s.SHA256 != "" {
		t.Fatalf("shape %d rows stride %d path %q", s.Rows(), s.Stride(), s.Path)
	}
	// x is uniform on [-2, 2); the noise has mean 0, sd 0.5, |noise| <= 0.5*2*sqrt(3).
	var sx, se, see float64
	for i := range n {
		x, y := s.XY[2*i], s.XY[2*i+1]
		if x < -2 || x >= 2 {
			t.Fatalf("x = %g outside [-2, 2)", x)
		}
		e := y - (-3*x + 5)
		if math.Abs(e) > 0.5*2*sqrt3+1e-9 {
			t.Fatalf("noise %g beyond the Irwin-Hall bound", e)
		}
		sx += x
		se += e
		see += e * e
	}
	mean, sd := se/n, math.Sqrt(see/n-(se/n)*(se/n))
	if math.Abs(sx/n) > 0.02 || math.Abs(mean) > 0.01 || math.Abs(sd-0.5) > 0.01 {
		t.Errorf("mean x %.4f, noise mean %.4f sd %.4f; want ~0, ~0, ~0.5", sx/n, mean, sd)
	}
	other, _ := Synthetic(t.Context(), n, -3, 5, 0.5, 8)
	if sameBits(other.XY, s.XY) {
		t.Error("seeds 7 and 8 gave the same data")
	}
	again, _ := Synthetic(t.Context(), n, -3, 5, 0.5, 7)
	if !sameBits(again.XY, s.XY) {
		t.Error("seed 7 gave different data on a second call")
	}
}

func TestSyntheticInvalid(t *testing.T) {
	for _, tt := range []struct {
		n                  int
		weight, bias, nois float64
	}{{0, 1, 1, 0}, {10, math.NaN(), 1, 0}, {10, 1, math.Inf(1), 0}, {10, 1, 1, -1}, {10, 1, 1, math.NaN()}} {
		if _, err := Synthetic(t.Context(), tt.n, tt.weight, tt.bias, tt.nois, 1); err == nil {
			t.Errorf("Synthetic(%d, %g, %g, %g) succeeded, want error", tt.n, tt.weight, tt.bias, tt.nois)
		}
	}
}

// TestSyntheticCanceled: making a large set stops when its context ends.
func TestSyntheticCanceled(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if s, err := Synthetic(ctx, 2*cancelRows+1, 2, 1, 0.1, 1); !errors.Is(err, context.Canceled) || s != nil {
		t.Fatalf("Synthetic with a canceled context = %v, %v; want context.Canceled", s, err)
	}
}
