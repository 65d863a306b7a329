package training

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/agentdash/agentdash/internal/train"
	"github.com/agentdash/agentdash/ui/pane"
	"github.com/agentdash/agentdash/ui/theme"
)

// BenchmarkTrainingView renders the pane at 200×60 with a 1,000,000-epoch
// loss history loaded. "cached" is a frame where nothing changed; "redraw"
// is a frame after new progress arrived (stats, legend and the asciigraph
// curve rebuilt from the bounded history).
func BenchmarkTrainingView(b *testing.B) {
	for _, bc := range []struct {
		name   string
		redraw bool
		view   graphView
	}{
		{"cached", false, graphView{}},
		{"redraw", true, graphView{}},
		{"redraw-log-ema", true, graphView{log: true, ema: true}},
		{"redraw-tail", true, graphView{tail: 1_000}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			m := newPane(b, train.DefaultConfig(), 200, 60)
			loadHistory(m, 1_000_000)
			m.view = bc.view
			m.View()
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				if bc.redraw {
					m.setGraphData()
					m.dirty = true
				}
				if len(m.View()) == 0 {
					b.Fatal("empty view")
				}
			}
		})
	}
}

// benchConfig is a synthetic run long enough (about a second) for the pane
// to draw a dozen frames while it trains.
func benchConfig(b *testing.B) train.Config {
	cfg := train.DefaultConfig()
	cfg.Epochs = 2_000
	cfg.Synthetic.Samples = 100_000
	cfg.Patience = 0
	cfg.Checkpoint = filepath.Join(b.TempDir(), "model.json")
	return cfg
}

// trainHeadless runs cfg as `agentdash train` does, without a UI, and
// returns the number of training rows processed.
func trainHeadless(b *testing.B, cfg train.Config) int {
	res, err := train.Train(context.Background(), cfg, func(train.Event) {})
	if err != nil {
		b.Fatal(err)
	}
	return res.Epochs * res.Samples
}

// trainWithPane runs cfg from the pane the way the dashboard does: enter
// starts it, and the pane is ticked and drawn at 15 frames per second
// until the run ends. It returns the number of training rows processed.
func trainWithPane(b *testing.B, cfg train.Config) int {
	m := New(pane.Common{Theme: theme.Ascii()}, cfg)
	defer m.Close()
	m.Focus()
	m.SetSize(200, 60)
	if cmd := m.Update(press("enter")); cmd != nil {
		m.Update(cmd())
	}
	if m.run == nil {
		b.Fatalf("run did not start: %v", m.runErr)
	}
	frame := time.NewTicker(time.Second / 15)
	defer frame.Stop()
	done := m.run.Done()
	for {
		select {
		case <-frame.C:
			m.Update(pane.TickMsg{})
			m.View()
			continue
		case <-done:
		}
		break
	}
	m.Update(pane.TickMsg{})
	m.View()
	if m.runErr != nil || m.result == nil {
		b.Fatalf("run failed: %v", m.runErr)
	}
	return m.result.Epochs * m.result.Samples
}

// BenchmarkTrainHeadless is the baseline for BenchmarkTrainWithPane.
func BenchmarkTrainHeadless(b *testing.B) {
	cfg := benchConfig(b)
	rows := 0
	for range b.N {
		rows += trainHeadless(b, cfg)
	}
	b.ReportMetric(float64(rows)/b.Elapsed().Seconds(), "rows/s")
}

// BenchmarkTrainWithPane trains the same config while the pane consumes
// its progress and draws at 15 Hz; its rows/s should be at least 90% of
// BenchmarkTrainHeadless's.
func BenchmarkTrainWithPane(b *testing.B) {
	cfg := benchConfig(b)
	rows := 0
	for range b.N {
		rows += trainWithPane(b, cfg)
	}
	b.ReportMetric(float64(rows)/b.Elapsed().Seconds(), "rows/s")
}

// BenchmarkTrainPaneSpeed alternates headless and pane runs (so load on the
// shared machine affects both alike) and reports the pane's speed as a
// percentage of headless: the target is ≥ 90.
func BenchmarkTrainPaneSpeed(b *testing.B) {
	cfg := benchConfig(b)
	var headless, withPane time.Duration
	for range b.N {
		t0 := time.Now()
		trainHeadless(b, cfg)
		t1 := time.Now()
		trainWithPane(b, cfg)
		headless += t1.Sub(t0)
		withPane += time.Since(t1)
	}
	b.ReportMetric(float64(headless.Milliseconds())/float64(b.N), "headless-ms/run")
	b.ReportMetric(float64(withPane.Milliseconds())/float64(b.N), "pane-ms/run")
	b.ReportMetric(100*float64(headless)/float64(withPane), "pane-speed-%")
}
