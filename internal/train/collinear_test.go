package train

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// With two features of correlation r the standardized design's condition
// number is √((1+|r|)/(1-|r|)), and the pair is those two.
func TestCollinearityTwoFeatures(t *testing.T) {
	// x2 = x1 + e with e orthogonal to x1 and of the same spread as x1
	// times k gives r = 1/√(1+k²).
	x1 := []float64{-3, -1, 1, 3, -3, -1, 1, 3}
	e := []float64{1, -1, -1, 1, -1, 1, 1, -1} // orthogonal to x1 and to the constant
	for _, k := range []float64{0.05, 0.5, 2} {
		var b strings.Builder
		b.WriteString("a,b,y\n")
		for i := range x1 {
			fmt.Fprintf(&b, "%g,%g,%g\n", x1[i], x1[i]+k*math.Sqrt(5)*e[i], float64(i%3))
		}
		path := filepath.Join(t.TempDir(), "two.csv")
		if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
		cfg := testConfig()
		cfg.Dataset, cfg.Epochs, cfg.ValFraction = path, 1, 0
		res := mustTrain(t, cfg, nil)
		c := res.Collinearity
		r := 1 / math.Sqrt(1+k*k)
		want := math.Sqrt((1 + r) / (1 - r))
		if c == nil || math.Abs(c.Condition-want) > 1e-9*want || math.Abs(c.R-r) > 1e-12 || c.Pair != [2]string{"a", "b"} {
			t.Fatalf("k=%g: collinearity %+v, want condition %g, r %g for a and b", k, c, want, r)
		}
		if c.Collinear() != (want > CollinearCondition) {
			t.Errorf("k=%g: Collinear() = %v at condition %g", k, c.Collinear(), want)
		}
	}
}

// Longley's six economic series are famously collinear: the run warns and
// names the most correlated pair, which a direct computation confirms; a
// single feature and stackloss's three are not; a duplicated column makes
// the design singular.
func TestCollinearWarning(t *testing.T) {
	run := func(file string) *Collinearity {
		cfg := testConfig()
		cfg.Dataset, cfg.Epochs, cfg.ValFraction = file, 1, 0
		return mustTrain(t, cfg, nil).Collinearity
	}
	c := run(filepath.Join("testdata", "longley.csv"))
	set, err := os.ReadFile(filepath.Join("testdata", "longley.csv"))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(set)), "\n")
	names := strings.Split(lines[0], ",")[:6]
	cols := make([][]float64, 6)
	for _, l := range lines[1:] {
		for j, f := range strings.Split(l, ",")[:6] {
			var v float64
			fmt.Sscan(f, &v)
			cols[j] = append(cols[j], v)
		}
	}
	corr := func(a, b []float64) float64 {
		var ma, mb, sab, saa, sbb float64
		for i := range a {
			ma, mb = ma+a[i], mb+b[i]
		}
		ma, mb = ma/float64(len(a)), mb/float64(len(b))
		for i := range a {
			sab += (a[i] - ma) * (b[i] - mb)
			saa += (a[i] - ma) * (a[i] - ma)
			sbb += (b[i] - mb) * (b[i] - mb)
		}
		return sab / math.Sqrt(saa*sbb)
	}
	var want [2]string
	best := 0.0
	for j := range cols {
		for k := range j {
			if r := math.Abs(corr(cols[j], cols[k])); r > best {
				best, want = r, [2]string{names[k], names[j]}
			}
		}
	}
	if c == nil || !c.Collinear() || c.Pair != want || math.Abs(math.Abs(c.R)-best) > 1e-9 {
		t.Fatalf("longley: %+v, want a warning naming %v (|r| %.6f)", c, want, best)
	}
	if c := run(filepath.Join("testdata", "cars.csv")); c == nil || c.Condition != 1 || c.Collinear() {
		t.Errorf("cars: %+v, want condition 1", c)
	}
	if c := run(filepath.Join("testdata", "stackloss.csv")); c == nil || c.Collinear() || c.Condition <= 1 {
		t.Errorf("stackloss: %+v, want a condition number above 1 and no warning", c)
	}
	dup := filepath.Join(t.TempDir(), "dup.csv")
	if err := os.WriteFile(dup, []byte("a,b,y\n1,2,1\n2,4,3\n3,6,2\n4,8,5\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if c := run(dup); c == nil || !math.IsInf(c.Condition, 1) || !c.Collinear() || c.Pair != [2]string{"a", "b"} {
		t.Errorf("duplicated column: %+v, want an infinite condition number naming a and b", c)
	}
}
