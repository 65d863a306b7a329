package train

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestStandardizationConstantColumns: columns that hold one value on every
// row are constants whatever that value, also one such as 0.1 that float64
// cannot hold exactly (its mean then differs from it in the last bit). They
// get weight 0 and leave the fit to the varying column; scaled by the
// rounding error of their mean instead, ten of them drove training to NaN.
func TestStandardizationConstantColumns(t *testing.T) {
	const constants = 10
	var b strings.Builder
	for j := range constants {
		fmt.Fprintf(&b, "c%d,", j)
	}
	b.WriteString("x,y\n")
	for i := range 200 {
		for j := range constants {
			fmt.Fprintf(&b, "%g,", 0.1*float64(j+1))
		}
		fmt.Fprintf(&b, "%d,%d\n", i%10, 2*(i%10)+1)
	}
	data := filepath.Join(t.TempDir(), "constants.csv")
	if err := os.WriteFile(data, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg := testConfig()
	cfg.Dataset, cfg.Epochs, cfg.Standardize = data, 50, StandardizeOn
	res := mustTrain(t, cfg, nil)
	for j, w := range res.Weights[:constants] {
		if w != 0 {
			t.Errorf("constant column %s: weight %g, want 0", res.Features[j], w)
		}
	}
	if w := res.Weights[constants]; math.Abs(w-2) > 1e-3 || math.Abs(res.Bias-1) > 1e-2 {
		t.Errorf("x weight %g, bias %g; want 2 and 1", w, res.Bias)
	}
}
