package dashboard

import (
	"context"
	"errors"
	"fmt"

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
	if cfg.NoColor {
		// Run owns the terminal, so it may set the process-wide renderer:
		// bubbles components that build their own styles must not emit
		// colour either.
		lipgloss.SetColorProfile(termenv.Ascii)
	}
	m := newModel(ctx, cfg, theme.New(nil))
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
