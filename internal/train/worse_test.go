package train

import (
	"context"
	"errors"
	"strings"
	"testing"
)

// TestWorseErrorCountsEpochs: a one-epoch run that ends worse than the
// all-zero model says "after 1 epoch", not "after 1 epochs".
func TestWorseErrorCountsEpochs(t *testing.T) {
	cfg := testConfig()
	cfg.Dataset, cfg.Epochs, cfg.LR = wideCSV(t, 20, 2000), 1, 0.01
	_, err := Train(context.Background(), cfg, nil)
	if !errors.Is(err, ErrDiverged) {
		t.Fatalf("Train: %v, want a run worse than the all-zero model", err)
	}
	if msg := err.Error(); !strings.Contains(msg, "after 1 epoch with") {
		t.Fatalf("error %q, want it to say after 1 epoch", msg)
	}
}
