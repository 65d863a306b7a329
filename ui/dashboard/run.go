package dashboard

import (
	"context"
	"errors"
	"fmt"
	"os"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/muesli/termenv"

	"github.com/agentdash/agentdash/ui/theme"
)

// Run shows the dashboard on the terminal until the user quits or ctx is
// canceled, then stops everything the dashboard started (calls, load
// generators, training) and restores the terminal. A canceled ctx is a
// normal exit, not an error; SIGINT delivered to the process (not ctrl+c
// typed in the dashboard, which quits normally) returns an error wrapping
// tea.ErrInterrupted.
func Run(ctx context.Context, cfg Config) error {
	if cfg.Agent == nil {
		return ErrNoAgent
	}
	th := theme.New(nil)
	if cfg.NoColor {
		// NO_COLOR removes colour, not text attributes, but the default
		// renderer's profile is Ascii under NO_COLOR, which drops both (and
		// with them the text cursor). Run owns the terminal, so it may set
		// the process-wide profile to what the terminal supports; View
		// filters the colours out of every frame (theme.WithoutColor).
		lipgloss.SetColorProfile(termenv.NewOutput(os.Stdout).ColorProfile())
		th = theme.NoColor(nil)
	}
	m := newModel(ctx, cfg, th)
	defer m.Close()

	p := tea.NewProgram(m,
		tea.WithContext(ctx),
		tea.WithAltScreen(),
		tea.WithMouseCellMotion(),
		tea.WithFPS(m.cfg.FPS),
	)
	if _, err := p.Run(); err != nil {
		if ctx.Err() != nil && errors.Is(err, tea.ErrProgramKilled) {
			return nil
		}
		return fmt.Errorf("dashboard: %w", err)
	}
	return nil
}
