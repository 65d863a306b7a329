package training

import "github.com/charmbracelet/bubbles/key"

// keyMap holds the pane's bindings. Bindings that do nothing in the current
// state are disabled (see Model.syncKeys) so the footer only lists keys that
// work now.
type keyMap struct {
	// browsing the form
	up, down, edit, change key.Binding
	// training
	start, pause, stop key.Binding
	// graph
	log, ema, tail, full key.Binding
	// the run list: the run under the cursor, its overlay, the convergence
	// view and loading a checkpoint as a run
	runUp, runDown, overlay, conv, load key.Binding
	// editing a field; move is prev and next as one entry of the help
	apply, cancel, move, prev, next key.Binding
}

func newKeyMap() keyMap {
	prev, next := []string{"up", "shift+tab"}, []string{"down", "tab"}
	return keyMap{
		up:      key.NewBinding(key.WithKeys("up", "k"), key.WithHelp("↑/k", "field up")),
		down:    key.NewBinding(key.WithKeys("down", "j"), key.WithHelp("↓/j", "field down")),
		edit:    key.NewBinding(key.WithKeys("i"), key.WithHelp("i", "edit field")),
		change:  key.NewBinding(key.WithKeys("left", "right"), key.WithHelp("←/→", "change")),
		start:   key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "train")),
		pause:   key.NewBinding(key.WithKeys(" "), key.WithHelp("space", "pause")),
		stop:    key.NewBinding(key.WithKeys("s"), key.WithHelp("s", "stop")),
		log:     key.NewBinding(key.WithKeys("l"), key.WithHelp("l", "log scale")),
		ema:     key.NewBinding(key.WithKeys("e"), key.WithHelp("e", "smooth")),
		tail:    key.NewBinding(key.WithKeys("t"), key.WithHelp("t", "last N epochs")),
		full:    key.NewBinding(key.WithKeys("f"), key.WithHelp("f", "full run")),
		runUp:   key.NewBinding(key.WithKeys("["), key.WithHelp("[", "run up")),
		runDown: key.NewBinding(key.WithKeys("]"), key.WithHelp("]", "run down")),
		overlay: key.NewBinding(key.WithKeys("x"), key.WithHelp("x", "overlay run")),
		conv:    key.NewBinding(key.WithKeys("c"), key.WithHelp("c", "convergence")),
		load:    key.NewBinding(key.WithKeys("o"), key.WithHelp("o", "load run")),
		apply:   key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "apply")),
		cancel:  key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "cancel")),
		move:    key.NewBinding(key.WithKeys(append(prev, next...)...), key.WithHelp("↑/↓", "apply & move")),
		prev:    key.NewBinding(key.WithKeys(prev...)),
		next:    key.NewBinding(key.WithKeys(next...)),
	}
}
