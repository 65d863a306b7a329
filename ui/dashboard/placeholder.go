package dashboard

import (
	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/agentdash/agentdash/ui/pane"
	"github.com/agentdash/agentdash/ui/theme"
)

// placeholder stands in for a pane whose package is not available.
type placeholder struct {
	t     *theme.Theme
	title string
	text  string
	w, h  int
}

func (p *placeholder) Init() tea.Cmd             { return nil }
func (p *placeholder) Update(tea.Msg) tea.Cmd    { return nil }
func (p *placeholder) SetSize(w, h int)          { p.w, p.h = w, h }
func (p *placeholder) Title() string             { return p.title }
func (p *placeholder) Focus()                    {}
func (p *placeholder) Blur()                     {}
func (p *placeholder) Capturing() bool           { return false }
func (p *placeholder) ShortHelp() []key.Binding  { return nil }
func (p *placeholder) FullHelp() [][]key.Binding { return nil }
func (p *placeholder) View() string              { return theme.Block(p.t.Muted.Render(p.text), p.w, p.h) }

var _ pane.Pane = (*placeholder)(nil)
