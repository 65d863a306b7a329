package breakers

import (
	"errors"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/textinput"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/agentdash/agentdash/internal/agent"
	"github.com/agentdash/agentdash/internal/config"
	"github.com/agentdash/agentdash/internal/control"
	"github.com/agentdash/agentdash/ui/pane"
	"github.com/agentdash/agentdash/ui/theme"
)

// Settings is the configuration the settings form edits: normally the
// program's live configuration, or an attached agent's.
type Settings = control.Settings

// SettingsKeys are the keys the settings form edits, as key paths under
// abilities.NAME: the timeout, the cache TTL, the ability's own
// concurrency limit and every key of the config package's breaker rule. A
// setting the agent learns to apply joins the form by its key here.
func SettingsKeys() []string {
	keys := []string{"timeout", "cache_ttl", "max_concurrent"}
	for _, k := range config.YAMLKeys(reflect.TypeFor[config.Breaker]()) {
		keys = append(keys, "breaker."+k)
	}
	return keys
}

// inEffect says what the agent applies now for a key the file does not
// set, in the file's own notation, as the field's placeholder.
var inEffect = map[string]func(agent.Info) string{
	"timeout":   func(in agent.Info) string { return durationText(in.Timeout) },
	"cache_ttl": func(in agent.Info) string { return durationText(in.CacheTTL) },
	"max_concurrent": func(in agent.Info) string {
		if in.MaxConcurrent == 0 {
			return "global only"
		}
		return strconv.Itoa(in.MaxConcurrent)
	},
	"breaker.slow_call_threshold": func(in agent.Info) string {
		if in.Breaker.SlowCallThreshold == 0 {
			return "off"
		}
		return durationText(in.Breaker.SlowCallThreshold)
	},
	"breaker.slow_call_rate": func(in agent.Info) string {
		if in.Breaker.SlowCallThreshold == 0 {
			return "off"
		}
		return percentText(in.Breaker.SlowCallRate)
	},
	"breaker.failure_rate":         func(in agent.Info) string { return percentText(in.Breaker.FailureRate) },
	"breaker.window":               func(in agent.Info) string { return strconv.Itoa(in.Breaker.WindowSize) },
	"breaker.min_calls":            func(in agent.Info) string { return strconv.Itoa(in.Breaker.MinCalls) },
	"breaker.consecutive_failures": func(in agent.Info) string { return strconv.Itoa(in.Breaker.ConsecutiveFailures) },
	"breaker.cooldown":             func(in agent.Info) string { return durationText(in.Breaker.Cooldown) },
	"breaker.half_open_probes":     func(in agent.Info) string { return strconv.Itoa(in.Breaker.HalfOpenProbes) },
	"breaker.success_threshold":    func(in agent.Info) string { return strconv.Itoa(in.Breaker.SuccessThreshold) },
}

// durationText is d as the file writes it: "5s", "1m30s", "1h".
func durationText(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

func percentText(f float64) string { return strconv.FormatFloat(f*100, 'f', -1, 64) + "%" }

// settingsForm edits the settings of one ability: one text field per key
// of SettingsKeys, prefilled with the file's values; a key the file does
// not set shows what applies now as its placeholder. Only the fields
// changed are applied (and later written).
type settingsForm struct {
	t       *theme.Theme
	active  bool
	busy    bool // an Apply is under way
	ability string
	keys    []string
	inputs  []textinput.Model
	initial []string
	errs    []string // per field, from the configuration's checks
	err     string   // about the whole
	focus   int
	km      struct{ next, prev, apply, cancel key.Binding }
}

func newSettingsForm(t *theme.Theme) settingsForm {
	f := settingsForm{t: t, keys: SettingsKeys()}
	f.km.next = key.NewBinding(key.WithKeys("tab", "down"), key.WithHelp("tab/↓", "next field"))
	f.km.prev = key.NewBinding(key.WithKeys("shift+tab", "up"), key.WithHelp("shift+tab/↑", "previous"))
	f.km.apply = key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "apply"))
	f.km.cancel = key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "cancel"))
	return f
}

func (f *settingsForm) keyList() []key.Binding {
	return []key.Binding{f.km.next, f.km.prev, f.km.apply, f.km.cancel}
}

// maxValue bounds what a field takes: the longest sensible value is a
// duration such as 1h30m15.5s.
const maxValue = 32

// open starts editing ability's settings: vals are the file's, in the
// agent's now.
func (f *settingsForm) open(ability string, vals map[string]string, in agent.Info) {
	f.active, f.busy, f.ability, f.err, f.focus = true, false, ability, "", 0
	f.inputs = make([]textinput.Model, len(f.keys))
	f.initial = make([]string, len(f.keys))
	f.errs = make([]string, len(f.keys))
	for i, k := range f.keys {
		input := textinput.New()
		input.Prompt = ""
		input.CharLimit = maxValue
		input.Width = 14
		input.TextStyle = f.t.Text
		input.PlaceholderStyle = f.t.Muted
		// In parentheses: legible as "not in the file" without colour.
		input.Placeholder = "(not set)"
		if fn, ok := inEffect[k]; ok {
			input.Placeholder = "(" + fn(in) + ")"
		}
		input.SetValue(vals[k])
		f.initial[i] = vals[k]
		f.inputs[i] = input
	}
	f.focusField(0)
}

func (f *settingsForm) close() {
	f.active, f.busy = false, false
	for i := range f.inputs {
		f.inputs[i].Blur()
	}
}

func (f *settingsForm) focusField(i int) {
	f.focus = (i + len(f.inputs)) % len(f.inputs)
	for j := range f.inputs {
		if j == f.focus {
			f.inputs[j].Focus()
			f.inputs[j].CursorEnd()
		} else {
			f.inputs[j].Blur()
		}
	}
}

// errEmpty refuses to empty a field the file sets: the form changes
// values, it does not remove keys.
var errEmpty = errors.New("needs a value: the file sets it (delete the key in the file for the default)")

// update handles a key. apply is true when the user asks to apply the
// changed fields, which changes then holds (nil when nothing changed);
// done is true when the form closed without applying.
func (f *settingsForm) update(msg tea.KeyMsg) (changes map[string]string, apply, done bool) {
	if f.busy {
		return nil, false, false // keys wait for Apply's answer
	}
	switch {
	case key.Matches(msg, f.km.cancel):
		f.close()
		return nil, false, true
	case key.Matches(msg, f.km.apply):
		changes = map[string]string{}
		bad := -1
		for i, in := range f.inputs {
			v := strings.TrimSpace(in.Value())
			if v == f.initial[i] {
				continue
			}
			if v == "" {
				f.errs[i] = errEmpty.Error()
				bad = max(bad, i)
				continue
			}
			changes[f.keys[i]] = v
		}
		if bad >= 0 {
			f.focusField(bad)
			return nil, false, false
		}
		if len(changes) == 0 {
			return nil, true, false
		}
		f.busy = true
		return changes, true, false
	case key.Matches(msg, f.km.next):
		f.focusField(f.focus + 1)
		return nil, false, false
	case key.Matches(msg, f.km.prev):
		f.focusField(f.focus - 1)
		return nil, false, false
	}
	f.inputs[f.focus], _ = f.inputs[f.focus].Update(msg)
	f.errs[f.focus], f.err = "", ""
	return nil, false, false
}

// failed shows why Apply refused the changes: each error of the
// configuration's checks at its field, the others (a file that no longer
// parses) as a whole; the first bad field takes the focus.
func (f *settingsForm) failed(err error) {
	f.busy = false
	var errs config.Errors
	if !errors.As(err, &errs) {
		f.err = oneLine(err.Error())
		return
	}
	first := -1
	prefix := "abilities." + f.ability + "."
	for _, e := range errs {
		i := -1
		for j, k := range f.keys {
			if e.Path == prefix+k {
				i = j
			}
		}
		if i < 0 {
			if f.err == "" {
				f.err = oneLine(e.Error())
			}
			continue
		}
		f.errs[i] = e.Msg
		if first < 0 || i < first {
			first = i
		}
	}
	if first >= 0 {
		f.focusField(first)
	}
}

func oneLine(s string) string { return strings.ReplaceAll(s, "\n", "; ") }

// labelWidth fits the longest key path.
func (f *settingsForm) labelWidth() int {
	w := 0
	for _, k := range f.keys {
		w = max(w, len(k))
	}
	return w
}

// view renders the form in h lines: a window of the fields around the
// focused one, then a line of errors or guidance.
func (f *settingsForm) view(h int) string {
	t := f.t
	rows := max(h-1, 1)
	top := 0
	if f.focus >= rows {
		top = f.focus - rows + 1
	}
	lw := f.labelWidth()
	var lines []string
	for i := top; i < len(f.keys) && i < top+rows; i++ {
		label := f.keys[i] + strings.Repeat(" ", lw-len(f.keys[i])) + " "
		line := t.Label.Render("  " + label)
		if i == f.focus {
			line = t.Key.Render("› " + label)
		}
		line += f.inputs[i].View()
		switch {
		case f.errs[i] != "":
			line += " " + t.Error.Render("✗ wrong")
		case f.inputs[i].Value() != f.initial[i]:
			line += " " + t.Warn.Render("• changed")
		}
		lines = append(lines, line)
	}
	msg := t.Muted.Render("  (…) not in the file: what applies now. enter applies the changes at once")
	switch {
	case f.busy:
		msg = t.Muted.Render("  applying…")
	case f.errs[f.focus] != "":
		msg = t.Error.Render("  ✗ " + f.keys[f.focus] + ": " + f.errs[f.focus])
	case f.err != "":
		msg = t.Error.Render("  ✗ " + f.err)
	}
	return strings.Join(append(lines, msg), "\n")
}

// settingsDoneMsg is the outcome of an Apply, Write or Create of the
// settings.
type settingsDoneMsg struct {
	op      string // "apply", "write" or "create"
	ability string // for "apply"
	err     error
}

// applySettings applies changes to ability's settings, off the event
// loop: the configuration is read, checked and applied as in a reload.
func (m *Model) applySettings(ability string, changes map[string]string) tea.Cmd {
	cfg := m.config
	return func() tea.Msg {
		return settingsDoneMsg{op: "apply", ability: ability, err: cfg.Apply(ability, changes)}
	}
}

// write writes the unsaved edits to the file, or, without a file, asks
// whether to create one.
func (m *Model) write() tea.Cmd {
	cfg := m.config
	if m.file == "" {
		path := cfg.CreatePath()
		m.confirm.Ask("No configuration file: create "+path+" with these settings?", func() tea.Cmd {
			return func() tea.Msg { return settingsDoneMsg{op: "create", err: cfg.Create()} }
		})
		return nil
	}
	return func() tea.Msg { return settingsDoneMsg{op: "write", err: cfg.Write()} }
}

// settingsDone shows the outcome of an Apply, Write or Create: an Apply
// refused keeps the form open with the errors at their fields.
func (m *Model) settingsDone(msg settingsDoneMsg) tea.Cmd {
	if m.config != nil {
		m.unsaved, m.file = m.config.Unsaved(), m.config.File()
	}
	if msg.op == "apply" {
		if msg.err != nil {
			if m.edit.active && m.edit.ability == msg.ability {
				m.edit.failed(msg.err)
				return nil
			}
			return pane.Status(msg.ability+": settings not applied: "+oneLine(msg.err.Error()), true)
		}
		m.edit.close()
		where := "w writes them to " + m.file
		if m.file == "" {
			where = "w creates a configuration file with them"
		}
		return tea.Sequence(pane.Status(msg.ability+": settings applied; "+where, false), pane.Refresh)
	}
	if msg.err != nil {
		return pane.Status(oneLine(msg.err.Error()), true)
	}
	if msg.op == "create" {
		return pane.Status("created "+m.file+" with the settings", false)
	}
	return pane.Status("settings written to "+m.file, false)
}

// configLine says where the settings come from and whether edits wait to
// be written.
func (m *Model) configLine(in agent.Info) string {
	t := m.c.Theme
	line := t.Label.Render("timeout ") + durationText(in.Timeout) + t.Label.Render("  ttl ") + durationText(in.CacheTTL)
	file := m.file
	if file == "" {
		file = "none"
	}
	line += t.Label.Render("  config ") + t.Muted.Render(file)
	switch {
	case m.unsaved && m.file == "":
		line += "  " + t.Warn.Render("• unsaved: w creates a file")
	case m.unsaved:
		line += "  " + t.Warn.Render("• unsaved: w writes")
	}
	return line
}

// settingsView is the pane while the settings form is open: its title,
// then the form in the rest of the pane.
func (m *Model) settingsView() string {
	t := m.c.Theme
	title := t.Prompt.Render("Settings of " + m.edit.ability)
	if m.file != "" {
		title += t.Muted.Render(" in " + m.file)
	}
	return title + "\n" + m.edit.view(m.height-1)
}
