package breakers

import (
	"fmt"
	"strconv"

	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/textinput"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/agentdash/agentdash/internal/agent"
	"github.com/agentdash/agentdash/ui/pane"
	"github.com/agentdash/agentdash/ui/theme"
)

// faultForm edits the fault injected into one ability: a failure
// percentage and an added latency.
type faultForm struct {
	t       *theme.Theme
	active  bool
	ability string
	inputs  [2]textinput.Model
	focus   int
	err     string
	keys    struct{ next, apply, cancel key.Binding }
}

const (
	fieldRate = iota
	fieldLatency
)

func newFaultForm(t *theme.Theme) faultForm {
	f := faultForm{t: t}
	for i := range f.inputs {
		in := pane.NewInput(t, 12)
		in.Width = 10
		f.inputs[i] = in
	}
	f.inputs[fieldRate].Placeholder = "0-100"
	f.inputs[fieldLatency].Placeholder = "e.g. 250ms"
	f.keys.next = key.NewBinding(key.WithKeys("tab", "shift+tab", "up", "down"), key.WithHelp("tab", "next field"))
	f.keys.apply = key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "apply fault"))
	f.keys.cancel = key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "cancel"))
	return f
}

func (f *faultForm) keyList() []key.Binding {
	return []key.Binding{f.keys.next, f.keys.apply, f.keys.cancel}
}

// open starts editing the fault of ability, prefilled with its current one.
func (f *faultForm) open(ability string, cur agent.Fault) {
	f.active, f.ability, f.err, f.focus = true, ability, "", fieldRate
	f.inputs[fieldRate].SetValue(strconv.FormatFloat(cur.FailureRate*100, 'f', -1, 64))
	f.inputs[fieldLatency].SetValue(cur.Latency.String())
	if cur.Latency == 0 {
		f.inputs[fieldLatency].SetValue("0ms")
	}
	f.focusField(fieldRate)
}

func (f *faultForm) close() {
	f.active = false
	for i := range f.inputs {
		f.inputs[i].Blur()
	}
}

func (f *faultForm) focusField(i int) {
	f.focus = i
	for j := range f.inputs {
		if j == i {
			f.inputs[j].Focus()
			f.inputs[j].CursorEnd()
		} else {
			f.inputs[j].Blur()
		}
	}
}

// update handles a key. done is true when the form closed: then fault is
// the fault to apply, or nil when the user canceled. A parse error keeps
// the form open and is returned (and shown inline).
func (f *faultForm) update(msg tea.KeyMsg) (fault *agent.Fault, done bool, err error) {
	switch {
	case key.Matches(msg, f.keys.cancel):
		f.close()
		return nil, true, nil
	case key.Matches(msg, f.keys.apply):
		v, err := parseFault(f.inputs[fieldRate].Value(), f.inputs[fieldLatency].Value())
		if err != nil {
			f.err = err.Error()
			return nil, false, err
		}
		f.close()
		return &v, true, nil
	case key.Matches(msg, f.keys.next):
		f.focusField(1 - f.focus)
		return nil, false, nil
	}
	f.inputs[f.focus], _ = f.inputs[f.focus].Update(msg)
	f.err = ""
	return nil, false, nil
}

// parseFault reads a failure percentage (0-100, "%" optional) and an added
// latency (a Go duration such as "250ms", or a plain number of
// milliseconds), with the agent's rules for both.
func parseFault(rate, lat string) (agent.Fault, error) {
	r, err := agent.ParseFaultRate(rate, true)
	if err != nil {
		return agent.Fault{}, fmt.Errorf("failure %%: %w", err)
	}
	d, err := agent.ParseFaultLatency(lat, true)
	if err != nil {
		return agent.Fault{}, fmt.Errorf("latency: %w", err)
	}
	return agent.Fault{FailureRate: r, Latency: d}, nil
}

func (f *faultForm) view() string {
	t := f.t
	label := func(i int, s string) string {
		if i == f.focus {
			return t.Key.Render("› " + s)
		}
		return t.Label.Render("  " + s)
	}
	l1 := label(fieldRate, "failure % ") + f.inputs[fieldRate].View() + "  " +
		label(fieldLatency, "added latency ") + f.inputs[fieldLatency].View()
	l2 := t.Muted.Render("  enter applies, esc cancels; 0 and 0ms remove the fault")
	if f.err != "" {
		l2 = t.Error.Render("  ✗ " + f.err)
	}
	return l1 + "\n" + l2
}
