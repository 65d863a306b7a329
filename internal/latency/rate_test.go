package latency

import (
	"math"
	"sync"
	"testing"
	"time"
)

func TestRatePerSecond(t *testing.T) {
	type add struct {
		at time.Duration // since the Rate was created
		n  int
	}
	tests := []struct {
		name string
		adds []add
		at   time.Duration
		want float64
	}{
		{name: "nothing", at: 5 * time.Second, want: 0},
		{name: "young rate divides by at least 1s", adds: []add{{500 * time.Millisecond, 5}}, at: 500 * time.Millisecond, want: 5},
		{name: "young rate divides by its age", adds: []add{{500 * time.Millisecond, 10}, {1500 * time.Millisecond, 10},
			{2500 * time.Millisecond, 10}, {3200 * time.Millisecond, 10}}, at: 3500 * time.Millisecond, want: 40 / 3.5},
		{name: "nine full seconds plus the partial one", adds: []add{{20 * time.Second, 19}, {25 * time.Second, 19}, {29*time.Second + 100*time.Millisecond, 5}},
			at: 29*time.Second + 500*time.Millisecond, want: 43 / 9.5},
		{name: "ten seconds ago is out", adds: []add{{19*time.Second + 999*time.Millisecond, 100}, {21 * time.Second, 9}}, at: 29 * time.Second, want: 1},
		{name: "non-positive adds ignored", adds: []add{{time.Second, 0}, {time.Second, -4}, {time.Second, 9}}, at: 10 * time.Second, want: 1},
		{name: "slot reuse after 64 s forgets the old second", adds: []add{{500 * time.Millisecond, 1000}, {64*time.Second + 500*time.Millisecond, 19}},
			at: 64*time.Second + 500*time.Millisecond, want: 2},
		{name: "late add for a reused slot is dropped", adds: []add{{64 * time.Second, 5}, {0, 7}}, at: 64 * time.Second, want: 5.0 / 9},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clk := &fakeClock{}
			r := NewRate(clk.Now)
			for _, a := range tt.adds {
				clk.ns.Store(int64(a.at))
				r.Add(a.n)
			}
			clk.ns.Store(int64(tt.at))
			if got := r.PerSecond(); math.Abs(got-tt.want) > 1e-9 {
				t.Errorf("PerSecond() = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestRateAddAt(t *testing.T) {
	clk := &fakeClock{}
	r := NewRate(clk.Now)
	r.AddAt(7, t0.Add(3*time.Second+time.Millisecond))
	r.AddAt(-1, t0.Add(3*time.Second))
	clk.Advance(5 * time.Second)
	if s := r.Series(nil); s[58] != 7 || sum(s) != 7 {
		t.Errorf("Series() = %v, want 7 at second 3 (index 58)", s)
	}
}

func TestRateSteady(t *testing.T) {
	clk := &fakeClock{}
	r := NewRate(clk.Now)
	for range 3000 { // 100/s for 30 s
		r.Add(1)
		clk.Advance(10 * time.Millisecond)
	}
	if got := r.PerSecond(); got != 100 {
		t.Errorf("PerSecond() = %v, want 100", got)
	}
	s := r.Series(nil)
	if len(s) != 60 {
		t.Fatalf("len(Series) = %d, want 60", len(s))
	}
	for i, v := range s {
		want := 0.0
		if i >= 30 {
			want = 100
		}
		if v != want {
			t.Fatalf("Series()[%d] = %v, want %v (series %v)", i, v, want, s)
		}
	}
}

func TestRateSeries(t *testing.T) {
	clk := &fakeClock{}
	r := NewRate(clk.Now)
	r.Add(3)                      // second 0
	clk.Advance(61 * time.Second) // now in second 61: series covers seconds 1..60
	r.Add(4)                      // current second: not in the series yet
	if s := r.Series(nil); sum(s) != 0 {
		t.Errorf("Series() = %v, want all zero", s)
	}
	clk.Advance(time.Second)
	dst := []float64{-1}
	s := r.Series(dst)
	if len(s) != 61 || s[0] != -1 || s[60] != 4 || sum(s[1:]) != 4 {
		t.Errorf("Series(dst) = %v, want dst kept and 4 in the last entry", s)
	}
}

func TestRateSaturates(t *testing.T) {
	clk := &fakeClock{}
	r := NewRate(clk.Now)
	r.Add(math.MaxInt)
	r.Add(math.MaxInt)
	clk.Advance(time.Second)
	if s := r.Series(nil); s[59] != math.MaxUint32 {
		t.Errorf("saturated count = %v, want %v", s[59], uint64(math.MaxUint32))
	}
}

func TestRateConcurrent(t *testing.T) {
	const (
		writers = 4
		per     = 2000
	)
	clk := &fakeClock{}
	r := NewRate(clk.Now)
	var wg sync.WaitGroup
	for range writers {
		wg.Go(func() {
			for i := range per {
				r.Add(1)
				if i%100 == 0 {
					clk.Advance(100 * time.Millisecond) // 8 s in all: slots rotate under load
				}
			}
		})
	}
	wg.Go(func() {
		for range 200 {
			_ = r.PerSecond()
			_ = r.Series(nil)
		}
	})
	wg.Wait()
	clk.Advance(time.Second) // complete the current second
	if got := sum(r.Series(nil)); got != writers*per {
		t.Errorf("sum of Series = %v, want %d", got, writers*per)
	}
}

func sum(s []float64) float64 {
	var n float64
	for _, v := range s {
		n += v
	}
	return n
}
