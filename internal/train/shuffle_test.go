package train

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// fromFile shuffles the rows of xy (left unchanged) as ShuffleFromFile
// does for epoch e of a run with seed, into s's buffer, with 1<<bits
// buckets, and returns them in their new order. It fails the test unless
// ready is called with ends that grow to the row count.
func fromFile(t *testing.T, s *bucketShuffle, xy []float64, stride, bits int, seed uint64, e int) []float64 {
	t.Helper()
	var scatter, place rand.PCG
	seedEpoch(&scatter, seed, e)
	place.Seed(seed, mix(streamPlace+uint64(e)))
	n, last := len(xy)/stride, 0
	err := s.shuffle(t.Context(), xy, stride, bits, &scatter, &place, func(_ []float64, end int) error {
		if end < last || end > n {
			t.Fatalf("ready called with %d rows placed after %d, of %d", end, last, n)
		}
		last = end
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if last != n {
		t.Fatalf("ready last called with %d rows placed, want all %d", last, n)
	}
	return s.spare[:n*stride]
}

// TestFromFileShuffleUniform: with any number of buckets, all 24
// orderings of 4 rows are equally likely (a chi-square test over the
// orderings), rows stay whole, and the rows shuffled are not written.
func TestFromFileShuffleUniform(t *testing.T) {
	const n, trials = 4, 48_000
	for _, stride := range []int{2, 3} {
		for _, bits := range []int{1, 2, 5} {
			var s bucketShuffle
			counts := map[[n]int]int{}
			xy := make([]float64, n*stride)
			for i := range xy {
				xy[i] = float64(i)
			}
			orig := slices.Clone(xy)
			for trial := range trials {
				out := fromFile(t, &s, xy, stride, bits, uint64(trial), bits)
				counts[rowOrder(t, out, stride, bits)]++
			}
			if !slices.Equal(xy, orig) {
				t.Fatalf("stride %d, %d buckets: the rows shuffled were written: %v", stride, 1<<bits, xy)
			}
			checkUniformOrderings(t, counts, trials, stride, bits)
		}
	}
}

// rowOrder returns the order of the 4 rows of stride values in out, row i
// holding the values i*stride to i*stride+stride-1, failing t if a row was
// torn apart.
func rowOrder(t *testing.T, out []float64, stride, bits int) [4]int {
	t.Helper()
	var order [4]int
	for pos := range order {
		row := int(out[pos*stride]) / stride
		for k := range stride {
			if out[pos*stride+k] != float64(row*stride+k) {
				t.Fatalf("stride %d, %d buckets: row %d was torn apart: %v", stride, 1<<bits, row, out)
			}
		}
		order[pos] = row
	}
	return order
}

// checkUniformOrderings fails t unless each of the 24 orderings of 4 rows
// was seen about trials/24 times (chi-square).
func checkUniformOrderings(t *testing.T, counts map[[4]int]int, trials, stride, bits int) {
	t.Helper()
	if len(counts) != 24 {
		t.Fatalf("stride %d, %d buckets: %d orderings seen, want 24 (all permutations): %v", stride, 1<<bits, len(counts), counts)
	}
	chi, exp := 0.0, float64(trials)/24
	for _, k := range counts {
		chi += (float64(k) - exp) * (float64(k) - exp) / exp
	}
	if chi > 75 { // 23 degrees of freedom: p < 1e-6 of a false failure
		t.Fatalf("stride %d, %d buckets: chi-square %.1f, orderings are not uniform: %v", stride, 1<<bits, chi, counts)
	}
}

// TestFromFileShuffleLarge checks the shuffle of a set large enough for
// buckets over many seeds: a permutation each time; every tenth of the rows
// spread evenly over every tenth of the positions (chi-square); neighbouring
// rows in either order equally often, which a bucket left in the order the
// scatter fills it would not give; and rows next to each other in the
// result from the same tenth of the file a tenth of the time, as for rows
// drawn independently (pairs).
func TestFromFileShuffleLarge(t *testing.T) {
	const n, trials = 20_000, 60
	bits := bucketBits(2 * n)
	if bits == 0 {
		t.Fatalf("%d rows fit in one bucket; the test needs more", n)
	}
	xy := make([]float64, 2*n)
	for i := range n {
		xy[2*i], xy[2*i+1] = float64(i), float64(-i)
	}
	var s bucketShuffle
	var counts [10][10]int // counts[row tenth][position tenth]
	pos := make([]int, n)
	before, sameTenth := 0, 0
	for trial := range trials {
		out := fromFile(t, &s, xy, 2, bits, uint64(trial), 1)
		checkPermutation(t, out, n)
		for p := range n {
			i := int(out[2*p])
			pos[i] = p
			counts[i*10/n][p*10/n]++
			if p > 0 && int(out[2*p-2])*10/n == i*10/n {
				sameTenth++
			}
		}
		for i := range n - 1 {
			if pos[i] < pos[i+1] {
				before++
			}
		}
	}
	chi, exp := 0.0, float64(n*trials)/100
	for _, row := range counts {
		for _, k := range row {
			chi += (float64(k) - exp) * (float64(k) - exp) / exp
		}
	}
	if chi > 165 { // 81 degrees of freedom: p < 1e-6 of a false failure
		t.Fatalf("chi-square %.1f: rows are not spread evenly over positions: %v", chi, counts)
	}
	// Each pair is in order with probability 1/2; over 1.2 million pairs the
	// share's standard deviation is below 0.0005, so 0.005 is 10 of them.
	if share := float64(before) / float64((n-1)*trials); math.Abs(share-0.5) > 0.005 {
		t.Fatalf("neighbouring rows are in order %.4f of the time, want 0.5", share)
	}
	// Same tenth with probability (n/10-1)/(n-1) ≈ 0.1; its standard
	// deviation over 1.2 million pairs is below 0.0003.
	if share := float64(sameTenth) / float64((n-1)*trials); math.Abs(share-0.1) > 0.003 {
		t.Fatalf("rows next to each other come from the same tenth of the file %.4f of the time, want 0.1", share)
	}
}

// TestFromFileOverflow: when a bucket's room runs out, the rows are
// counted and copied again into exact places, giving the same permutation,
// whatever the stretches the epoch trains on between passes.
func TestFromFileOverflow(t *testing.T) {
	const n = 20_000
	bits := bucketBits(2 * n)
	xy := make([]float64, 2*n)
	for i := range n {
		xy[2*i], xy[2*i+1] = float64(i), float64(-i)
	}
	var roomy bucketShuffle
	want := slices.Clone(fromFile(t, &roomy, xy, 2, bits, 7, 3))
	k := 1 << bits
	tight := bucketShuffle{room: (n + k - 1) / k, stretch: 5} // no room to spare: some bucket overflows
	got := fromFile(t, &tight, xy, 2, bits, 7, 3)
	exact := false
	for b := range k {
		exact = exact || tight.start[b] != b*tight.room
	}
	if !exact {
		t.Fatal("no bucket overflowed; the test needs one to")
	}
	if !slices.Equal(got, want) {
		t.Fatal("the permutation after an overflow differs from the one without")
	}
}

// TestResumeOldShuffle: a checkpoint of data large enough for buckets
// written before the shuffle version was recorded resumes on the in-place
// shuffle it was trained with, to the bit; new runs use the shuffle from
// file order, which takes another trajectory.
func TestResumeOldShuffle(t *testing.T) {
	cfg := testConfig()
	cfg.Synthetic.Samples, cfg.Epochs, cfg.BatchSize = 20_000, 5, 16
	old := cfg
	old.Shuffle = ShuffleInPlace
	want := mustTrain(t, old, nil)
	if now := mustTrain(t, cfg, nil); sameBits(now.Weights, want.Weights) {
		t.Fatal("the two shuffles gave the same weights; the test cannot tell them apart")
	}
	path := interruptAt(t, old, 2)
	// Remove the version, as files written before it have none.
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var file map[string]any
	if err := json.Unmarshal(raw, &file); err != nil {
		t.Fatal(err)
	}
	conf := file["config"].(map[string]any)
	if conf["shuffle"] != float64(ShuffleInPlace) {
		t.Fatalf("the checkpoint's config records shuffle %v, want %d", conf["shuffle"], ShuffleInPlace)
	}
	delete(conf, "shuffle")
	if raw, err = json.Marshal(file); err != nil {
		t.Fatal(err)
	}
	oldFile := filepath.Join(t.TempDir(), "old.json")
	if err := os.WriteFile(oldFile, raw, 0o600); err != nil {
		t.Fatal(err)
	}
	resumed := cfg // Shuffle left at 0, as a user gives it
	resumed.ResumeFrom = oldFile
	sameRun(t, mustTrain(t, resumed, nil), want)
}
