package dashboard

import (
	"github.com/charmbracelet/bubbles/key"

	"github.com/agentdash/agentdash/ui/pane"
)

// keyMap holds the root's global keys. They are taken by the root before the
// focused pane sees them, unless that pane is capturing input.
type keyMap struct {
	Next, Prev key.Binding
	Jump       key.Binding // 1-4
	Help       key.Binding
	Zoom       key.Binding
	Pause      key.Binding
	Quit       key.Binding
	Close      key.Binding // closes the help overlay
	// HelpUp, HelpDown, HelpPgUp and HelpPgDown scroll the help overlay.
	HelpUp, HelpDown, HelpPgUp, HelpPgDown key.Binding
	ForceQuit                              key.Binding // ctrl+c, shown while a pane captures keys
	// Reload applies the configuration file again; disabled without
	// Config.Reload.
	Reload key.Binding
	// Upstreams shows the MCP servers' state; disabled without
	// Config.Upstreams.
	Upstreams key.Binding
}

func newKeyMap() keyMap {
	return keyMap{
		Next:       key.NewBinding(key.WithKeys("tab"), key.WithHelp("tab", "next pane")),
		Prev:       key.NewBinding(key.WithKeys("shift+tab"), key.WithHelp("shift+tab", "previous pane")),
		Jump:       key.NewBinding(key.WithKeys("1", "2", "3", "4"), key.WithHelp("1-4", "go to pane")),
		Help:       key.NewBinding(key.WithKeys("?"), key.WithHelp("?", "help")),
		Zoom:       key.NewBinding(key.WithKeys("z"), key.WithHelp("z", "zoom")),
		Pause:      key.NewBinding(key.WithKeys("p"), key.WithHelp("p", "pause")),
		Quit:       key.NewBinding(key.WithKeys("q", "ctrl+c"), key.WithHelp("q", "quit")),
		Close:      key.NewBinding(key.WithKeys("esc", "?"), key.WithHelp("esc/?", "close help")),
		HelpUp:     key.NewBinding(key.WithKeys("up", "k"), key.WithHelp("↑/↓", "scroll")),
		HelpDown:   key.NewBinding(key.WithKeys("down", "j")),
		HelpPgUp:   key.NewBinding(key.WithKeys("pgup", "b")),
		HelpPgDown: key.NewBinding(key.WithKeys("pgdown", "f", " ")),
		ForceQuit:  key.NewBinding(key.WithKeys("ctrl+c"), key.WithHelp("ctrl+c", "quit")),
		Reload:     key.NewBinding(key.WithKeys("f5"), key.WithHelp("f5", "reload config"), key.WithDisabled()),
		Upstreams:  key.NewBinding(key.WithKeys("u"), key.WithHelp("u", "mcp servers"), key.WithDisabled()),
	}
}

// short returns the global keys shown at the end of the footer: with the
// way back from zoom and pause while they are on.
func (k keyMap) short(zoomed, paused bool) []key.Binding {
	keys := make([]key.Binding, 0, 5)
	keys = append(keys, k.Next)
	if zoomed {
		keys = append(keys, k.Zoom)
	}
	if paused {
		keys = append(keys, k.Pause)
	}
	return append(keys, k.Help, k.Quit)
}

// setModes words the zoom and pause keys for the current modes.
func (k *keyMap) setModes(zoomed, paused bool) {
	k.Zoom.SetHelp("z", "zoom")
	if zoomed {
		k.Zoom.SetHelp("z", "unzoom")
	}
	k.Pause.SetHelp("p", "pause")
	if paused {
		k.Pause.SetHelp("p", "resume")
	}
}

// full returns the global keys for the help overlay.
func (k keyMap) full() []key.Binding {
	keys := []key.Binding{pane.Heading("everywhere"), k.Next, k.Prev, k.Jump, k.Zoom, k.Pause, k.Help, k.Quit}
	if k.Reload.Enabled() {
		keys = append(keys, k.Reload)
	}
	if k.Upstreams.Enabled() {
		keys = append(keys, k.Upstreams)
	}
	return keys
}
