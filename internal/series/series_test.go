package series

import (
	"math"
	"slices"
	"testing"

	"pgregory.net/rapid"
)

// checkAgainst verifies that the buckets of b summarise xs exactly.
func checkAgainst(t interface {
	Helper()
	Fatalf(string, ...any)
}, b *Bounded, xs []float64) {
	t.Helper()
	if b.Len() != len(xs) {
		t.Fatalf("Len() = %d, want %d", b.Len(), len(xs))
	}
	got := b.Buckets()
	if len(got) > b.Cap() {
		t.Fatalf("%d buckets exceed capacity %d", len(got), b.Cap())
	}
	next := 0
	for i, k := range got {
		if k.Start != next {
			t.Fatalf("bucket %d starts at %d, want %d", i, k.Start, next)
		}
		if i < len(got)-1 && k.Count != b.Width() || k.Count < 1 || k.Count > b.Width() {
			t.Fatalf("bucket %d holds %d samples with width %d", i, k.Count, b.Width())
		}
		want := summarize(xs[k.Start:k.End()])
		want.Start = k.Start
		if !sameBucket(k, want) {
			t.Fatalf("bucket %d = %+v, want %+v", i, k, want)
		}
		next = k.End()
	}
	if next != len(xs) {
		t.Fatalf("buckets cover %d samples, want %d", next, len(xs))
	}
}

// summarize is the reference: one bucket over xs computed directly.
func summarize(xs []float64) Bucket {
	k := Bucket{Count: len(xs), Min: math.NaN(), Max: math.NaN()}
	for _, x := range xs {
		k.Last = x
		if math.IsNaN(x) || math.IsInf(x, 0) {
			k.Skipped++
			continue
		}
		if math.IsNaN(k.Min) || x < k.Min {
			k.Min = x
		}
		if math.IsNaN(k.Max) || x > k.Max {
			k.Max = x
		}
		k.Sum += x
	}
	return k
}

func sameFloat(a, b float64) bool { return a == b || math.IsNaN(a) && math.IsNaN(b) }

func sameBucket(a, b Bucket) bool {
	return a.Start == b.Start && a.Count == b.Count && a.Skipped == b.Skipped &&
		sameFloat(a.Min, b.Min) && sameFloat(a.Max, b.Max) && sameFloat(a.Sum, b.Sum) && sameFloat(a.Last, b.Last)
}

// sampleGen draws small integers (so sums are exact in any order) with the
// occasional NaN or infinity.
func sampleGen() *rapid.Generator[float64] {
	return rapid.OneOf(
		rapid.Map(rapid.IntRange(-1000, 1000), func(i int) float64 { return float64(i) }),
		rapid.Map(rapid.IntRange(-1000, 1000), func(i int) float64 { return float64(i) }),
		rapid.Map(rapid.IntRange(-1000, 1000), func(i int) float64 { return float64(i) }),
		rapid.SampledFrom([]float64{math.NaN(), math.Inf(1), math.Inf(-1)}),
	)
}

func TestBoundedMatchesReference(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		b := NewBounded(rapid.IntRange(0, 12).Draw(t, "capacity"))
		xs := rapid.SliceOfN(sampleGen(), 0, 300).Draw(t, "xs")
		for _, x := range xs {
			b.Add(x)
		}
		checkAgainst(t, b, xs)
	})
}

func TestResamplePreservesExtremes(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		b := NewBounded(rapid.IntRange(2, 40).Draw(t, "capacity"))
		xs := rapid.SliceOfN(sampleGen(), 1, 500).Draw(t, "xs")
		for _, x := range xs {
			b.Add(x)
		}
		src := b.Buckets()
		from := rapid.IntRange(0, len(xs)-1).Draw(t, "from")
		to := rapid.IntRange(from+1, len(xs)).Draw(t, "to")
		width := rapid.IntRange(1, 50).Draw(t, "width")

		got := Resample(src, from, to, width)
		if len(got) == 0 || len(got) > width {
			t.Fatalf("Resample returned %d buckets, want 1..%d", len(got), width)
		}
		// Output buckets are contiguous, cover [from, to) and summarise the
		// samples they span exactly: min and max are never lost.
		if got[0].Start > from || got[len(got)-1].End() < to {
			t.Fatalf("output covers [%d,%d), want a superset of [%d,%d)", got[0].Start, got[len(got)-1].End(), from, to)
		}
		for i, k := range got {
			if i > 0 && k.Start != got[i-1].End() {
				t.Fatalf("output bucket %d starts at %d, previous ends at %d", i, k.Start, got[i-1].End())
			}
			want := summarize(xs[k.Start:k.End()])
			want.Start = k.Start
			if !sameBucket(k, want) {
				t.Fatalf("output bucket %d = %+v, want %+v", i, k, want)
			}
		}
		// Any run of output buckets keeps the exact extremes of its samples.
		i := rapid.IntRange(0, len(got)-1).Draw(t, "i")
		j := rapid.IntRange(i, len(got)-1).Draw(t, "j")
		run := got[i]
		for _, k := range got[i+1 : j+1] {
			run.merge(k)
		}
		want := summarize(xs[got[i].Start:got[j].End()])
		if !sameFloat(run.Min, want.Min) || !sameFloat(run.Max, want.Max) {
			t.Fatalf("run %d..%d: min/max %g/%g, want %g/%g", i, j, run.Min, run.Max, want.Min, want.Max)
		}
	})
}

func TestRestoreContinues(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		capacity := rapid.IntRange(2, 16).Draw(t, "capacity")
		xs := rapid.SliceOfN(sampleGen(), 0, 200).Draw(t, "xs")
		more := rapid.SliceOfN(sampleGen(), 0, 200).Draw(t, "more")
		orig := NewBounded(capacity)
		for _, x := range xs {
			orig.Add(x)
		}
		restored, err := Restore(capacity, orig.Buckets())
		if err != nil {
			t.Fatalf("Restore: %v", err)
		}
		for _, x := range more {
			orig.Add(x)
			restored.Add(x)
		}
		if !slices.EqualFunc(orig.Buckets(), restored.Buckets(), sameBucket) || orig.Width() != restored.Width() {
			t.Fatalf("restored series diverged:\n%+v\n%+v", restored.Buckets(), orig.Buckets())
		}
		checkAgainst(t, restored, append(xs, more...))
	})
}

func TestRestoreRejects(t *testing.T) {
	full := Bucket{Count: 2, Min: 1, Max: 2, Sum: 3, Last: 2}
	tests := []struct {
		name     string
		capacity int
		buckets  []Bucket
	}{
		{"too many", 2, []Bucket{{Count: 1}, {Start: 1, Count: 1}, {Start: 2, Count: 1}}},
		{"gap", 4, []Bucket{full, {Start: 3, Count: 1, Min: 1, Max: 1}}},
		{"not from zero", 4, []Bucket{{Start: 1, Count: 1, Min: 1, Max: 1}}},
		{"width not power of two", 8, []Bucket{{Count: 3, Min: 1, Max: 1}, {Start: 3, Count: 1, Min: 1, Max: 1}}},
		{"uneven widths", 8, []Bucket{full, {Start: 2, Count: 1}, {Start: 3, Count: 2}}},
		{"last too wide", 8, []Bucket{full, {Start: 2, Count: 3, Min: 1, Max: 1}}},
		{"single wide bucket", 8, []Bucket{{Count: 2, Min: 1, Max: 1}}},
		{"min above max", 8, []Bucket{{Count: 1, Min: 2, Max: 1}}},
		{"skipped above count", 8, []Bucket{{Count: 1, Skipped: 2}}},
	}
	for _, tt := range tests {
		if _, err := Restore(tt.capacity, tt.buckets); err == nil {
			t.Errorf("%s: Restore succeeded, want error", tt.name)
		}
	}
}

func TestBoundedSmall(t *testing.T) {
	nan := math.NaN()
	tests := []struct {
		name     string
		capacity int
		xs       []float64
		want     []Bucket
	}{
		{"empty", 4, nil, []Bucket{}},
		{"one", 4, []float64{5}, []Bucket{{Count: 1, Min: 5, Max: 5, Sum: 5, Last: 5}}},
		{"fills without merging", 2, []float64{1, 2}, []Bucket{
			{Count: 1, Min: 1, Max: 1, Sum: 1, Last: 1},
			{Start: 1, Count: 1, Min: 2, Max: 2, Sum: 2, Last: 2}}},
		{"merges pairs when full", 2, []float64{1, 3, 2}, []Bucket{
			{Count: 2, Min: 1, Max: 3, Sum: 4, Last: 3},
			{Start: 2, Count: 1, Min: 2, Max: 2, Sum: 2, Last: 2}}},
		{"odd capacity rounds up", 3, []float64{1, 2, 3, 4}, []Bucket{
			{Count: 1, Min: 1, Max: 1, Sum: 1, Last: 1}, {Start: 1, Count: 1, Min: 2, Max: 2, Sum: 2, Last: 2},
			{Start: 2, Count: 1, Min: 3, Max: 3, Sum: 3, Last: 3}, {Start: 3, Count: 1, Min: 4, Max: 4, Sum: 4, Last: 4}}},
		{"NaN counted, not in min/max", 2, []float64{nan, 7, math.Inf(1)}, []Bucket{
			{Count: 2, Skipped: 1, Min: 7, Max: 7, Sum: 7, Last: 7},
			{Start: 2, Count: 1, Skipped: 1, Min: nan, Max: nan, Last: math.Inf(1)}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := NewBounded(tt.capacity)
			for _, x := range tt.xs {
				b.Add(x)
			}
			if got := b.Buckets(); !slices.EqualFunc(got, tt.want, sameBucket) {
				t.Errorf("Buckets() = %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestMean(t *testing.T) {
	if m := (Bucket{Count: 4, Skipped: 2, Sum: 6}).Mean(); m != 3 {
		t.Errorf("Mean() = %g, want 3 (finite samples only)", m)
	}
	if m := (Bucket{Count: 2, Skipped: 2}).Mean(); !math.IsNaN(m) {
		t.Errorf("Mean() of all-NaN bucket = %g, want NaN", m)
	}
}

func TestResampleEdges(t *testing.T) {
	b := NewBounded(8)
	for i := range 8 {
		b.Add(float64(i))
	}
	src := b.Buckets()
	if got := Resample(src, 0, 8, 0); len(got) != 0 {
		t.Errorf("width 0: got %d buckets, want 0", len(got))
	}
	if got := Resample(src, 5, 5, 4); len(got) != 0 {
		t.Errorf("empty range: got %d buckets, want 0", len(got))
	}
	if got := Resample(src, 2, 5, 10); !slices.EqualFunc(got, src[2:5], sameBucket) {
		t.Errorf("fewer buckets than width: got %+v, want them unchanged", got)
	}
	if got := Resample(src, 20, 30, 4); len(got) != 0 {
		t.Errorf("range past the end: got %d buckets, want 0", len(got))
	}
	got := Resample(src, 0, 8, 1)
	if len(got) != 1 || got[0].Min != 0 || got[0].Max != 7 || got[0].Count != 8 {
		t.Errorf("width 1: got %+v, want one bucket 0..7", got)
	}
}

// TestMillionSamplesFlatMemory adds a million samples: memory stays at the
// capacity, Add does not allocate, and the global extremes survive.
func TestMillionSamplesFlatMemory(t *testing.T) {
	b := NewBounded(512)
	const n = 1_000_000
	for i := range n {
		x := float64(i % 1000)
		if i == 777_777 {
			x = -1 // a single spike must survive all the merging
		}
		b.Add(x)
	}
	if b.Len() != n {
		t.Fatalf("Len() = %d, want %d", b.Len(), n)
	}
	got := b.Buckets()
	if len(got) > 512 || cap(b.buckets) != 512 {
		t.Fatalf("%d buckets (cap %d), want at most 512", len(got), cap(b.buckets))
	}
	all := Resample(got, 0, n, 1)
	if all[0].Min != -1 || all[0].Max != 999 || all[0].Count != n {
		t.Fatalf("whole series = %+v, want min -1, max 999, count %d", all[0], n)
	}
	if allocs := testing.AllocsPerRun(1000, func() { b.Add(1) }); allocs != 0 {
		t.Errorf("Add allocates %v times, want 0", allocs)
	}
}

func TestReset(t *testing.T) {
	b := NewBounded(2)
	for i := range 10 {
		b.Add(float64(i))
	}
	b.Reset()
	if b.Len() != 0 || len(b.Buckets()) != 0 || b.Width() != 1 {
		t.Fatalf("after Reset: Len %d, %d buckets, width %d", b.Len(), len(b.Buckets()), b.Width())
	}
	if _, ok := b.Last(); ok {
		t.Fatal("Last() reports a sample after Reset")
	}
	b.Add(3)
	if x, ok := b.Last(); !ok || x != 3 {
		t.Fatalf("Last() = %g, %v; want 3, true", x, ok)
	}
}

func BenchmarkAdd(b *testing.B) {
	s := NewBounded(1024)
	x := 0.0
	for b.Loop() {
		s.Add(x)
		x += 0.5
	}
}
