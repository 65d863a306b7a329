package main

import (
	"errors"
	"fmt"
	"strings"

	"github.com/charmbracelet/lipgloss"

	"github.com/agentdash/agentdash/internal/train"
	"github.com/agentdash/agentdash/ui/theme"
	"github.com/agentdash/agentdash/ui/training"
)

// Size of the plots of train --compare.
const (
	compareWidth  = 100
	compareHeight = 14
)

// loadCompared loads the checkpoints that --compare names, before the run,
// so that a bad file is an input error that costs no training. The run
// itself is drawn after them, so the list reads as the changes that led to
// it.
func (f *trainFlags) loadCompared() error {
	if len(f.compare) == 0 {
		return nil
	}
	if f.asJSON {
		return errors.New("--compare draws plots, which --json leaves out: use one of them")
	}
	if n := len(f.compare); n > training.MaxOverlay-1 {
		return fmt.Errorf("--compare takes at most %d checkpoints (the run makes %d lines), got %d", training.MaxOverlay-1, training.MaxOverlay, n)
	}
	f.plot = true
	for _, path := range f.compare {
		path = strings.TrimSpace(path)
		if path == "" {
			return errors.New("--compare: an empty checkpoint path in the list")
		}
		ck, err := train.LoadCheckpoint(path)
		if err != nil {
			return fmt.Errorf("--compare: %w", err)
		}
		f.compared = append(f.compared, training.RunFromCheckpoint(path, ck))
	}
	return nil
}

// comparePlot draws the checkpoints compared and the run that returned
// res, which is named "this run".
func comparePlot(f *trainFlags, res *train.Result, env *environment, color bool) string {
	runs := append(f.compared[:len(f.compared):len(f.compared)], training.RunFromResult("this run", res))
	th := theme.Ascii()
	if color {
		th = theme.New(lipgloss.NewRenderer(env.stdout))
	}
	return training.Compare(runs, training.CompareOptions{Width: compareWidth, Height: compareHeight, Theme: th})
}
