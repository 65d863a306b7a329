package breakers

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/cursor"
	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/textinput"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/agentdash/agentdash/internal/agent"
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
		in := textinput.New()
		in.Prompt = ""
		in.CharLimit = 12
		in.Width = 10
		in.TextStyle = t.Text
		in.PlaceholderStyle = t.Muted
		in.Cursor.SetMode(cursor.CursorStatic)
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

// maxLatency bounds the injected latency: beyond it every call would just
// time out (the longest ability timeout is far shorter).
const maxLatency = time.Hour

// parseFault reads a failure percentage (0-100, "%" optional) and an added
// latency (a Go duration such as "250ms", or a plain number of
// milliseconds).
func parseFault(rate, lat string) (agent.Fault, error) {
	var f agent.Fault
	// "5%" and "5 %" alike; the error quotes what was typed.
	typed := strings.TrimSpace(rate)
	rate = strings.TrimSpace(strings.TrimSuffix(typed, "%"))
	if rate != "" {
		p, err := strconv.ParseFloat(rate, 64)
		if err != nil || !(p >= 0 && p <= 100) { // also rejects NaN
			return f, fmt.Errorf("failure %%: want a number from 0 to 100, got %q", typed)
		}
		f.FailureRate = p / 100
	}
	lat = strings.TrimSpace(lat)
	if lat != "" {
		d, err := time.ParseDuration(lat)
		if err != nil {
			ms, nerr := strconv.ParseFloat(lat, 64)
			if nerr != nil || math.IsNaN(ms) || math.IsInf(ms, 0) {
				return f, fmt.Errorf("latency: want a duration like 250ms or 1.5s, got %q", lat)
			}
			if math.Abs(ms) > maxLatency.Seconds()*1000 {
				return f, fmt.Errorf("latency: at most %s, got %q", maxLatency, lat)
			}
			d = time.Duration(ms * float64(time.Millisecond))
		}
		if d < 0 {
			return f, errors.New("latency: must not be negative")
		}
		if d > maxLatency {
			return f, fmt.Errorf("latency: at most %s, got %q", maxLatency, lat)
		}
		f.Latency = d
	}
	return f, nil
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
