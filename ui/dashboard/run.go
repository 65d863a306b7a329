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

// quitMsg asks the dashboard to quit as q does; Run sends it when its
// context is canceled.
type quitMsg struct{}

// Run shows the dashboard on the terminal until the user quits or ctx is
// canceled, then stops everything the dashboard started (calls, load
// generators, training, whose model is saved as on q) and restores the
// terminal. A canceled ctx quits as q does and is a normal exit, not an
// error.
//
// Run handles no signal itself: its caller cancels ctx on the first one.
// If a later one must end the process without waiting for Run to return,
// the caller first calls the function Config.OnAbort was given, which
// restores the terminal.
func Run(ctx context.Context, cfg Config) error {
	if cfg.Agent == nil {
		return ErrNoAgent
	}
	if ctx.Err() != nil {
		return nil // stopped before the screen was taken
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

	out := newTerminal(os.Stdout, os.Stdin)
	p := tea.NewProgram(m,
		tea.WithOutput(out),
		// Signals are the caller's: Bubble Tea's own handler, racing it,
		// could block forever sending to an event loop that had ended.
		tea.WithoutSignalHandler(),
		tea.WithAltScreen(),
		tea.WithMouseCellMotion(),
		tea.WithFPS(m.cfg.FPS),
	)
	if cfg.OnAbort != nil {
		defer cfg.OnAbort(out.abandon)()
	}
	if cfg.OnStatus != nil {
		// Send blocks until the program reads messages and returns once
		// it has ended.
		defer cfg.OnStatus(func(text string, isErr bool) { p.Send(reloadMsg{text, isErr}) })()
	}
	// The calls of an MCP server's clients, in this process or in the
	// attached one.
	if cfg.Callers {
		// Send returns once the program has ended, so stop cannot hang.
		defer forwardCalls(cfg.Agent, p.Send)()
	}
	// Through the model, as q: it stops and saves what runs, and the last
	// frame is blank (see View). Send returns once the program has ended.
	defer context.AfterFunc(ctx, func() { p.Send(quitMsg{}) })()
	_, err := p.Run()
	if err != nil && ctx.Err() != nil && !errors.Is(err, tea.ErrProgramPanic) {
		// Asked to stop: an input error on the way out (the terminal
		// hung up, which is what sent the signal) is no failure.
		return nil
	}
	if err != nil {
		return fmt.Errorf("dashboard: %w", err)
	}
	return nil
}
