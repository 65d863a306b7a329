package latency

import (
	"math"
	"math/rand/v2"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"
	"pgregory.net/rapid"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

var t0 = time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)

// fakeClock is a manual clock safe for concurrent use.
type fakeClock struct{ ns atomic.Int64 }

func (c *fakeClock) Now() time.Time          { return t0.Add(time.Duration(c.ns.Load())) }
func (c *fakeClock) Advance(d time.Duration) { c.ns.Add(int64(d)) }

func TestBucketIndex(t *testing.T) {
	tests := []struct {
		ns   int64
		want int
	}{
		{-5, 0}, {0, 0}, {999, 0},
		{1000, 1}, {1062, 1}, {1063, 2}, // 1 µs + 62.5 ns starts bucket 2
		{1999, 16}, {2000, 17},
		{topNanos - 1, overflow - 1}, {topNanos, overflow}, {math.MaxInt64, overflow},
	}
	for _, tt := range tests {
		if got := bucketIndex(tt.ns); got != tt.want {
			t.Errorf("bucketIndex(%d) = %d, want %d", tt.ns, got, tt.want)
		}
	}
	// Every fine bucket holds exactly [lower(i), lower(i+1)).
	for i := 1; i < overflow; i++ {
		lo, hi := int64(math.Ceil(bucketLower(i))), int64(math.Ceil(bucketLower(i+1)))
		if got := bucketIndex(lo); got != i {
			t.Fatalf("bucketIndex(lower(%d)=%d) = %d", i, lo, got)
		}
		if got := bucketIndex(hi - 1); got != i {
			t.Fatalf("bucketIndex(upper(%d)-1=%d) = %d", i, hi-1, got)
		}
		if w, l := bucketLower(i+1)-bucketLower(i), bucketLower(i); w/l > 1.0/subBuckets+1e-12 {
			t.Fatalf("bucket %d: width %v is more than 1/16 of its lower bound %v", i, w, l)
		}
	}
	if top := time.Duration(topNanos); top < 100*time.Second {
		t.Errorf("top of the fine buckets %v is below 100s", top)
	}
}

// exactQuantile is the nearest-rank quantile of sorted data.
func exactQuantile(sorted []int64, q float64) int64 {
	rank := int(math.Ceil(q * float64(len(sorted))))
	return sorted[min(max(rank, 1), len(sorted))-1]
}

// within reports whether got estimates want within the documented error.
func within(got, want int64) bool {
	if want < unitNanos {
		return math.Abs(float64(got-want)) < unitNanos
	}
	if want >= topNanos {
		return got >= topNanos
	}
	return math.Abs(float64(got-want)) <= float64(want)/32+1 // +1 ns: integer truncation
}

// genDurations draws durations spread log-uniformly from 1 ns to 100 s,
// sometimes heavily repeated, in nanoseconds.
func genDurations(t *rapid.T) []int64 {
	exps := rapid.SliceOfN(rapid.Float64Range(0, 11), 1, 3000).Draw(t, "log10ns")
	repeat := rapid.IntRange(1, 4).Draw(t, "repeat")
	var vs []int64
	for _, e := range exps {
		v := int64(math.Pow(10, e))
		for range repeat {
			vs = append(vs, v)
		}
	}
	return vs
}

func TestQuantileAccuracy(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		vs := genDurations(t)
		h := NewHistogram(nil)
		var sum int64
		for _, v := range vs {
			h.Observe(time.Duration(v))
			sum += v
		}
		slices.Sort(vs)
		s := h.Summary()
		if s.Count != uint64(len(vs)) || s.Sum != time.Duration(sum) || s.Max != time.Duration(vs[len(vs)-1]) {
			t.Fatalf("Summary count %d sum %v max %v, want %d %v %v",
				s.Count, s.Sum, s.Max, len(vs), time.Duration(sum), time.Duration(vs[len(vs)-1]))
		}
		for _, c := range []struct {
			q   float64
			got time.Duration
		}{{0.5, s.P50}, {0.95, s.P95}, {0.99, s.P99}} {
			if want := exactQuantile(vs, c.q); !within(int64(c.got), want) {
				t.Fatalf("p%v = %v, exact %v", c.q*100, c.got, time.Duration(want))
			}
		}
		var snap snapshot
		h.allTime(&snap)
		q := rapid.Float64Range(0, 1).Draw(t, "q")
		if got, want := snap.quantile(q), exactQuantile(vs, q); !within(got, want) {
			t.Fatalf("quantile(%v) = %v, exact %v", q, time.Duration(got), time.Duration(want))
		}
	})
}

func TestQuantileExamples(t *testing.T) {
	tests := []struct {
		name string
		obs  []time.Duration
		want Summary
	}{
		{name: "empty", want: Summary{}},
		{name: "min and max clamp", obs: repeat(98, 10*time.Millisecond, 2, 10*time.Millisecond+time.Microsecond),
			want: Summary{Count: 100, Sum: 1000*time.Millisecond + 2*time.Microsecond,
				P50: 10 * time.Millisecond, P95: 10 * time.Millisecond, P99: 10 * time.Millisecond, // all in one bucket: clamped to min
				Max: 10*time.Millisecond + time.Microsecond}},
		{name: "single value is exact (clamped to min/max)", obs: []time.Duration{1234567 * time.Nanosecond},
			want: Summary{Count: 1, Sum: 1234567, P50: 1234567, P95: 1234567, P99: 1234567, Max: 1234567}},
		{name: "negative counts as zero", obs: []time.Duration{-time.Second},
			want: Summary{Count: 1}},
		{name: "overflow reports the max", obs: []time.Duration{time.Hour},
			want: Summary{Count: 1, Sum: time.Hour, P50: time.Hour, P95: time.Hour, P99: time.Hour, Max: time.Hour}},
		{name: "bucket midpoint", obs: append(repeat(98, 10*time.Millisecond, 1, time.Second), time.Microsecond),
			// 10 ms lies in [9.728ms, 10.24ms): midpoint 9.984 ms.
			want: Summary{Count: 100, Sum: 98*10*time.Millisecond + time.Second + time.Microsecond,
				P50: 9984 * time.Microsecond, P95: 9984 * time.Microsecond, P99: 9984 * time.Microsecond, Max: time.Second}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := NewHistogram(nil)
			for _, d := range tt.obs {
				h.Observe(d)
			}
			if got := h.Summary(); got != tt.want {
				t.Errorf("Summary() = %+v, want %+v", got, tt.want)
			}
		})
	}
}

func repeat(n1 int, d1 time.Duration, n2 int, d2 time.Duration) []time.Duration {
	var ds []time.Duration
	for range n1 {
		ds = append(ds, d1)
	}
	for range n2 {
		ds = append(ds, d2)
	}
	return ds
}

func TestSummaryMean(t *testing.T) {
	if m := (Summary{}).Mean(); m != 0 {
		t.Errorf("empty Mean() = %v", m)
	}
	if m := (Summary{Count: 4, Sum: time.Second}).Mean(); m != 250*time.Millisecond {
		t.Errorf("Mean() = %v, want 250ms", m)
	}
}

func TestRecentWindow(t *testing.T) {
	clk := &fakeClock{}
	h := NewHistogram(clk.Now)
	type step struct {
		advance time.Duration
		observe []time.Duration
		count   uint64        // Recent().Count after the step
		max     time.Duration // Recent().Max after the step
	}
	steps := []step{
		{observe: []time.Duration{time.Millisecond, 3 * time.Millisecond}, count: 2, max: 3 * time.Millisecond},
		{advance: 30 * time.Second, observe: []time.Duration{2 * time.Millisecond}, count: 3, max: 3 * time.Millisecond},
		{advance: 24 * time.Second, count: 3, max: 3 * time.Millisecond}, // t=54s: slot 0 still in window
		{advance: 6 * time.Second, count: 1, max: 2 * time.Millisecond},  // t=60s: slot 0 dropped
		{advance: 30 * time.Second, count: 0},                            // t=90s: all dropped
		// t=120s lands in the ring slot used at t=0 and t=60s: stale data must be cleared.
		{advance: 30 * time.Second, observe: []time.Duration{5 * time.Second}, count: 1, max: 5 * time.Second},
		{advance: 10 * time.Minute, count: 0},
	}
	for i, s := range steps {
		clk.Advance(s.advance)
		for _, d := range s.observe {
			h.Observe(d)
		}
		r := h.Recent()
		if r.Count != s.count || r.Max != s.max {
			t.Errorf("step %d (t=%v): Recent count %d max %v, want %d %v",
				i, time.Duration(clk.ns.Load()), r.Count, r.Max, s.count, s.max)
		}
	}
	if all := h.Summary(); all.Count != 4 || all.Max != 5*time.Second {
		t.Errorf("Summary() count %d max %v, want 4, 5s", all.Count, all.Max)
	}
}

func TestObserveAt(t *testing.T) {
	clk := &fakeClock{}
	h := NewHistogram(clk.Now)
	h.ObserveAt(time.Millisecond, t0.Add(-time.Hour)) // before creation: first slot
	h.ObserveAt(2*time.Millisecond, t0.Add(30*time.Second))
	h.ObserveAt(3*time.Millisecond, t0.Add(70*time.Second))
	clk.Advance(30 * time.Second)
	if r := h.Recent(); r.Count != 2 || r.Max != 2*time.Millisecond {
		t.Errorf("Recent() at 30s = %+v, want the first two", r)
	}
	clk.Advance(40 * time.Second)
	if r := h.Recent(); r.Count != 2 || r.Max != 3*time.Millisecond || r.P50 != 2016*time.Microsecond {
		t.Errorf("Recent() at 70s = %+v, want the last two", r)
	}
	if s := h.Summary(); s.Count != 3 {
		t.Errorf("Summary().Count = %d, want 3", s.Count)
	}
}

func TestRecentQuantilesFollowTheWindow(t *testing.T) {
	clk := &fakeClock{}
	h := NewHistogram(clk.Now)
	for range 1000 {
		h.Observe(time.Second)
	}
	clk.Advance(time.Minute)
	for range 10 {
		h.Observe(time.Millisecond)
	}
	if r := h.Recent(); r.P99 != time.Millisecond || r.Count != 10 {
		t.Errorf("Recent() = %+v, want 10 observations of 1ms", r)
	}
	// 1 s lies in [983.04ms, 1015.808ms): midpoint 999.424 ms.
	if s := h.Summary(); s.P50 != 999424*time.Microsecond {
		t.Errorf("Summary().P50 = %v, want 999.424ms", s.P50)
	}
}

func TestBuckets(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		vs := genDurations(t)
		h := NewHistogram(nil)
		for _, v := range vs {
			h.Observe(time.Duration(v))
		}
		bs := h.Buckets(nil)
		if len(bs) != len(exportBounds)+1 {
			t.Fatalf("%d buckets, want %d", len(bs), len(exportBounds)+1)
		}
		for i, b := range bs[:len(bs)-1] {
			if b.UpperBound != exportBounds[i] {
				t.Fatalf("bucket %d bound %v, want %v", i, b.UpperBound, exportBounds[i])
			}
			if i > 0 && b.Count < bs[i-1].Count {
				t.Fatalf("bucket %d count %d < previous %d", i, b.Count, bs[i-1].Count)
			}
			// Exact count, give or take the values sharing a fine
			// bucket with the bound.
			le := int64(math.Round(b.UpperBound * 1e9))
			var exact, near uint64
			for _, v := range vs {
				if v <= le {
					exact++
				}
				if bucketIndex(v) == bucketIndex(le) {
					near++
				}
			}
			if diff := int64(b.Count) - int64(exact); diff > int64(near) || -diff > int64(near) {
				t.Fatalf("le=%v: count %d, exact %d, %d values share its fine bucket", b.UpperBound, b.Count, exact, near)
			}
		}
		last := bs[len(bs)-1]
		if !math.IsInf(last.UpperBound, 1) || last.Count != uint64(len(vs)) {
			t.Fatalf("last bucket %+v, want +Inf with count %d", last, len(vs))
		}
	})
}

func TestBucketsAppends(t *testing.T) {
	h := NewHistogram(nil)
	h.Observe(200 * time.Microsecond) // 0.0002 s: first counted under le=0.00025
	h.Observe(20 * time.Second)       // under le=30
	dst := make([]Bucket, 1, 32)
	got := h.Buckets(dst)
	if len(got) != 1+len(exportBounds)+1 || &got[0] != &dst[0] {
		t.Fatalf("Buckets did not append to dst: len %d", len(got))
	}
	want := map[float64]uint64{0.000005: 0, 0.0001: 0, 0.00025: 1, 10: 1, 30: 2, 60: 2}
	for _, b := range got[1:] {
		if w, ok := want[b.UpperBound]; ok && b.Count != w {
			t.Errorf("le=%v count %d, want %d", b.UpperBound, b.Count, w)
		}
	}
	if eb := ExportBounds(); len(eb) != 22 || eb[0] != 0.000005 || eb[21] != 60 {
		t.Errorf("ExportBounds() = %v", eb)
	} else {
		eb[0] = 42 // a copy: must not change the histogram's bounds
		if ExportBounds()[0] != 0.000005 {
			t.Error("ExportBounds returned shared storage")
		}
	}
}

// TestConcurrentObserve checks under -race that concurrent Observe calls,
// window rotations and reads lose nothing from the all-time view.
func TestConcurrentObserve(t *testing.T) {
	const (
		writers = 4
		per     = 5000
	)
	clk := &fakeClock{}
	h := NewHistogram(clk.Now)
	var wg, readers sync.WaitGroup
	stop := make(chan struct{})
	readers.Go(func() {
		for {
			select {
			case <-stop:
				return
			default:
			}
			// The window is part of the all-time view (a rotated slot is
			// folded into it), so an all-time read after a window read must
			// count at least as much.
			r := h.Recent()
			s := h.Summary()
			if r.Count > s.Count {
				t.Errorf("recent count %d > all-time %d", r.Count, s.Count)
				return
			}
			_ = h.Buckets(nil)
		}
	})
	for w := range writers {
		wg.Go(func() {
			for i := range per {
				h.Observe(time.Duration(w*per+i) * time.Microsecond)
				if i%100 == 0 {
					clk.Advance(time.Second) // rotate slots while others write
				}
			}
		})
	}
	wg.Wait()
	close(stop)
	readers.Wait()
	s := h.Summary()
	n := uint64(writers * per)
	wantSum := time.Duration(n*(n-1)/2) * time.Microsecond
	if s.Count != n || s.Sum != wantSum || s.Max != time.Duration(n-1)*time.Microsecond {
		t.Errorf("Summary() count %d sum %v max %v, want %d %v %v", s.Count, s.Sum, s.Max, n, wantSum, time.Duration(n-1)*time.Microsecond)
	}
	if bs := h.Buckets(nil); bs[len(bs)-1].Count != n {
		t.Errorf("+Inf bucket %d, want %d", bs[len(bs)-1].Count, n)
	}
}

func TestObserveAllocs(t *testing.T) {
	h := NewHistogram(nil)
	if n := testing.AllocsPerRun(1000, func() {
		h.Observe(3 * time.Millisecond)
		h.ObserveAt(time.Second, time.Now())
	}); n != 0 {
		t.Errorf("Observe: %v allocs, want 0", n)
	}
	r := NewRate(nil)
	if n := testing.AllocsPerRun(1000, func() {
		r.Add(1)
		r.AddAt(2, time.Now())
	}); n != 0 {
		t.Errorf("Rate.Add: %v allocs, want 0", n)
	}
}

// TestQuantileAccuracyLarge checks the error bound on 200k log-normal
// latencies around 5 ms, the shape real call latencies have.
func TestQuantileAccuracyLarge(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	clk := &fakeClock{}
	h := NewHistogram(clk.Now)
	vs := make([]int64, 200_000)
	for i := range vs {
		vs[i] = int64(5e6 * math.Exp(rng.NormFloat64()))
		h.Observe(time.Duration(vs[i]))
	}
	slices.Sort(vs)
	for _, s := range []Summary{h.Summary(), h.Recent()} {
		for _, c := range []struct {
			q   float64
			got time.Duration
		}{{0.5, s.P50}, {0.95, s.P95}, {0.99, s.P99}} {
			want := exactQuantile(vs, c.q)
			if !within(int64(c.got), want) {
				t.Errorf("p%v = %v, exact %v", c.q*100, c.got, time.Duration(want))
			}
		}
	}
}

func TestSummaryAndBucketsAgree(t *testing.T) {
	now := time.Unix(1000, 0)
	h := NewHistogram(func() time.Time { return now })
	for i := 1; i <= 500; i++ {
		h.Observe(time.Duration(i) * 37 * time.Microsecond)
		if i%100 == 0 {
			now = now.Add(7 * time.Second) // cross slot rotations
		}
	}
	sum, buckets := h.SummaryAndBuckets(nil)
	if sum != h.Summary() {
		t.Errorf("SummaryAndBuckets summary %+v, Summary %+v", sum, h.Summary())
	}
	want := h.Buckets(nil)
	if len(buckets) != len(want) {
		t.Fatalf("%d buckets, Buckets gives %d", len(buckets), len(want))
	}
	for i := range want {
		if buckets[i] != want[i] {
			t.Errorf("bucket %d = %+v, Buckets gives %+v", i, buckets[i], want[i])
		}
	}
	if last := buckets[len(buckets)-1]; last.Count != sum.Count || sum.Count != 500 {
		t.Errorf("+Inf bucket %d, summary count %d, want 500 both", last.Count, sum.Count)
	}
}

// A cache hit's few microseconds land under the 5 µs bound, not in the
// first bucket of a histogram starting at 100 µs.
func TestMicrosecondsExported(t *testing.T) {
	h := NewHistogram(nil)
	h.Observe(3 * time.Microsecond)
	h.Observe(40 * time.Microsecond)
	for _, b := range h.Buckets(nil) {
		want := map[float64]uint64{0.000005: 1, 0.00001: 1, 0.000025: 1, 0.00005: 2}[b.UpperBound]
		if b.UpperBound <= 0.00005 && b.Count != want {
			t.Errorf("le=%g count %d, want %d", b.UpperBound, b.Count, want)
		}
	}
}
