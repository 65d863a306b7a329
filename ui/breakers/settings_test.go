package breakers

import (
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/charmbracelet/x/ansi"

	"github.com/agentdash/agentdash/internal/agent"
	"github.com/agentdash/agentdash/internal/config"
	"github.com/agentdash/agentdash/internal/configedit"
	"github.com/agentdash/agentdash/ui/pane"
	"github.com/agentdash/agentdash/ui/pane/panetest"
	"github.com/agentdash/agentdash/ui/theme"
)

// fakeConfig is a configuration held in memory: edits go into its text
// with configedit and are checked by the config package, as the program's
// live configuration does, then the parsed settings are applied to the
// agent.
type fakeConfig struct {
	a *agent.Agent

	mu      sync.Mutex
	file    string // "" without one
	written string // the file's text
	text    string // with the unsaved edits
	writes  int
	failW   error // Write's error, if set
	created bool
}

func (c *fakeConfig) Values(ability string, keys []string) (map[string]string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return configedit.Values([]byte(c.text), ability, keys)
}

func (c *fakeConfig) Apply(ability string, values map[string]string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	var edits []configedit.Edit
	for k, v := range values {
		edits = append(edits, configedit.Edit{Key: k, Value: v})
	}
	data, err := configedit.Set([]byte(c.text), ability, edits)
	if err != nil {
		return err
	}
	cfg, err := config.Parse("agentdash.yaml", data, nil)
	if err != nil {
		return err
	}
	abs := panetest.Abilities(0)
	for i, ab := range abs {
		set := cfg.Abilities[ab.Name]
		if set == nil {
			continue
		}
		abs[i].Breaker = set.Breaker.Settings(ab.Breaker)
		if set.Timeout > 0 {
			abs[i].Timeout = time.Duration(set.Timeout)
		}
		if set.CacheTTL != nil {
			abs[i].CacheTTL = time.Duration(*set.CacheTTL)
		}
	}
	if err := c.a.Apply(abs); err != nil {
		return err
	}
	c.text = string(data)
	return nil
}

func (c *fakeConfig) Unsaved() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.text != c.written
}

func (c *fakeConfig) File() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.file
}

func (c *fakeConfig) Write() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.failW != nil {
		return c.failW
	}
	c.written = c.text
	c.writes++
	return nil
}

func (c *fakeConfig) CreatePath() string { return "/work/agentdash.yaml" }

func (c *fakeConfig) Create() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.file, c.written, c.created = c.CreatePath(), c.text, true
	return nil
}

const fakeFile = "abilities:\n  echo:        # the cached one\n    timeout: 2s\n"

func newSettingsTest(t *testing.T, file string) (*fixture, *fakeConfig) {
	t.Helper()
	clock := panetest.NewClock(panetest.Epoch)
	a := panetest.NewAgent(t, clock, 0)
	cfg := &fakeConfig{a: a, file: file}
	if file != "" {
		cfg.written, cfg.text = fakeFile, fakeFile
		if err := cfg.Apply("echo", nil); err != nil {
			t.Fatal(err)
		}
	}
	m := New(pane.Common{Ctx: t.Context(), Theme: theme.Ascii()}, a, cfg)
	m.SetSize(100, 20)
	m.Focus()
	f := &fixture{m: m, a: a, clock: clock, t: t}
	f.refresh()
	return f, cfg
}

// field moves the focus of the open form to key and replaces its text.
func (f *fixture) field(key, text string) {
	f.t.Helper()
	for i := 0; f.m.edit.keys[f.m.edit.focus] != key; i++ {
		if i > len(f.m.edit.keys) {
			f.t.Fatalf("no field %s", key)
		}
		f.send(panetest.Key("tab"))
	}
	f.send(panetest.Key("ctrl+u"))
	f.send(panetest.Type(text)...)
}

func info(t *testing.T, a *agent.Agent, name string) agent.Info {
	in, ok := a.Lookup(name)
	if !ok {
		t.Fatalf("no %s", name)
	}
	return in
}

// TestSettingsFormAppliesAndWrites: e opens the form on the selected
// ability with the file's values and, for the keys it does not set, what
// applies now; enter applies the changed fields at once (the pane shows
// them, and that they are unsaved); w writes them.
func TestSettingsFormAppliesAndWrites(t *testing.T) {
	f, cfg := newSettingsTest(t, "/work/agentdash.yaml")
	f.send(panetest.Key("e"))
	if !f.m.Capturing() {
		t.Fatal("e did not open the settings form")
	}
	v := f.m.View()
	for _, want := range []string{"Settings of echo in /work/agentdash.yaml", "› timeout", "2s", "cache_ttl", "(1m)",
		"breaker.cooldown", "(5s)", "max_concurrent", "(global only)", "breaker.slow_call_threshold", "(off)", "enter applies"} {
		if !strings.Contains(v, want) {
			t.Errorf("form lacks %q:\n%s", want, v)
		}
	}
	f.field("breaker.cooldown", "42s")
	f.field("breaker.slow_call_threshold", "750ms")
	if v := f.m.View(); !strings.Contains(v, "42s") || !strings.Contains(v, "• changed") {
		t.Errorf("typed value not shown as changed:\n%s", v)
	}
	msgs := f.send(panetest.Key("enter"))
	if got := statusOf(msgs); got != "echo: settings applied; w writes them to /work/agentdash.yaml" {
		t.Errorf("status %q", got)
	}
	if f.m.Capturing() {
		t.Error("the form stayed open after a valid apply")
	}
	if in := info(t, f.a, "echo"); in.Breaker.Cooldown != 42*time.Second || in.Timeout != 2*time.Second ||
		in.Breaker.SlowCallThreshold != 750*time.Millisecond {
		t.Errorf("echo after the edit: cooldown %v timeout %v slow_call_threshold %v",
			in.Breaker.Cooldown, in.Timeout, in.Breaker.SlowCallThreshold)
	}
	v = f.m.View()
	for _, want := range []string{"cooldown 42s", "timeout 2s", "config /work/agentdash.yaml", "unsaved: w writes", "w write config"} {
		if !strings.Contains(v, want) && !strings.Contains(helpText(f.m), want) {
			t.Errorf("pane lacks %q after the edit:\n%s", want, v)
		}
	}
	if !strings.Contains(cfg.text, "cooldown: 42s") || cfg.written != fakeFile {
		t.Errorf("config text %q written %q", cfg.text, cfg.written)
	}
	msgs = f.send(panetest.Key("w"))
	if got := statusOf(msgs); got != "settings written to /work/agentdash.yaml" || cfg.writes != 1 {
		t.Errorf("w: status %q, %d writes", got, cfg.writes)
	}
	if v := f.m.View(); strings.Contains(v, "unsaved") {
		t.Errorf("still unsaved after w:\n%s", v)
	}
}

func helpText(m *Model) string {
	var parts []string
	for _, b := range m.ShortHelp() {
		if b.Enabled() {
			parts = append(parts, b.Help().Key+" "+b.Help().Desc)
		}
	}
	return strings.Join(parts, "  ")
}

// TestSettingsFormBadInput: a value the configuration refuses keeps the
// form open with the file's own message at its field; nothing changes.
func TestSettingsFormBadInput(t *testing.T) {
	tests := []struct{ key, input, want string }{
		{"timeout", "soon", `"soon" is not a duration such as 250ms, 5s or 1m30s`},
		{"timeout", "-1s", "-1s: must be positive"},
		{"timeout", "5", "5 has no unit"},
		{"cache_ttl", "-5s", "must not be negative (0s turns the cache off)"},
		{"breaker.window", "0", "0: must be 1 to"},
		{"breaker.window", "ten", `want a whole number, got the string "ten"`},
		{"breaker.window", "99999999999", "is out of range"},
		{"breaker.min_calls", "{a: 1}", `want a whole number, got the string "{a: 1}"`},
		{"breaker.min_calls", "500", "is more than the window"},
		{"breaker.failure_rate", "150%", "outside 0% to 100%"},
		{"breaker.failure_rate", "0", "must be more than 0%"},
		{"breaker.cooldown", "5s # and more", `"5s # and more" is not a duration`},
		{"breaker.cooldown", "- 1s", `"- 1s" is not a duration`},
		{"breaker.slow_call_rate", "x%", "is not a percentage"},
		{"breaker.success_threshold", "-2", "must be at least 1"},
	}
	for _, tt := range tests {
		t.Run(tt.key+"="+tt.input, func(t *testing.T) {
			f, cfg := newSettingsTest(t, "/work/agentdash.yaml")
			before := info(t, f.a, "echo")
			f.send(panetest.Key("e"))
			f.field(tt.key, tt.input)
			f.send(panetest.Key("enter"))
			if !f.m.Capturing() {
				t.Fatal("the form closed on a bad value")
			}
			if got := f.m.edit.errs[f.m.edit.focus]; !strings.Contains(got, tt.want) || f.m.edit.keys[f.m.edit.focus] != tt.key {
				t.Errorf("error at %s: %q, want %q at %s", f.m.edit.keys[f.m.edit.focus], got, tt.want, tt.key)
			}
			if v := f.m.View(); !strings.Contains(v, "✗ "+tt.key+": ") || !strings.Contains(v, tt.want) {
				t.Errorf("error not shown:\n%s", v)
			}
			if after := info(t, f.a, "echo"); after.Breaker != before.Breaker || after.Timeout != before.Timeout || cfg.text != fakeFile {
				t.Errorf("a refused edit changed something: %+v, %q", after, cfg.text)
			}
			f.send(panetest.Key("esc"))
			if f.m.Capturing() {
				t.Error("esc did not close the form")
			}
		})
	}
}

// TestSettingsFormEmptyAndUnchanged: emptying a value the file sets is
// refused at the field; applying nothing changed closes the form.
func TestSettingsFormEmptyAndUnchanged(t *testing.T) {
	f, cfg := newSettingsTest(t, "/work/agentdash.yaml")
	f.send(panetest.Key("e"))
	f.field("timeout", "")
	f.send(panetest.Key("enter"))
	if got := f.m.edit.errs[0]; got != errEmpty.Error() {
		t.Errorf("empty timeout: %q", got)
	}
	f.send(panetest.Key("esc"), panetest.Key("e"))
	msgs := f.send(panetest.Key("enter"))
	if got := statusOf(msgs); got != "echo: no setting changed" || f.m.Capturing() || cfg.text != fakeFile {
		t.Errorf("enter on an unchanged form: %q", got)
	}
}

// TestSettingsWriteCreates: without a file, w asks to create one where the
// discovery looks, and creates it on y only.
func TestSettingsWriteCreates(t *testing.T) {
	f, cfg := newSettingsTest(t, "")
	if helpText(f.m) != "" && strings.Contains(helpText(f.m), "w write") {
		t.Error("w offered with nothing to write")
	}
	f.send(panetest.Key("e"))
	f.field("breaker.cooldown", "9s")
	msgs := f.send(panetest.Key("enter"))
	if got := statusOf(msgs); got != "echo: settings applied; w creates a configuration file with them" {
		t.Errorf("status %q", got)
	}
	if v := f.m.View(); !strings.Contains(v, "config none  • unsaved: w creates a file") {
		t.Errorf("pane without a file after the edit:\n%s", v)
	}
	f.send(panetest.Key("w"))
	if v := f.m.View(); !strings.Contains(v, "No configuration file: create /work/agentdash.yaml with these settings?") {
		t.Fatalf("no prompt:\n%s", v)
	}
	f.send(panetest.Key("n"))
	if cfg.created {
		t.Fatal("created on n")
	}
	f.send(panetest.Key("w"))
	msgs = f.send(panetest.Key("y"))
	if got := statusOf(msgs); !cfg.created || got != "created /work/agentdash.yaml with the settings" {
		t.Errorf("y: created %v, status %q", cfg.created, got)
	}
	if v := f.m.View(); !strings.Contains(v, "config /work/agentdash.yaml") || strings.Contains(v, "unsaved") {
		t.Errorf("pane after create:\n%s", v)
	}
}

// TestSettingsWriteError: a failed write is shown, and the edits stay
// unsaved for another try.
func TestSettingsWriteError(t *testing.T) {
	f, cfg := newSettingsTest(t, "/work/agentdash.yaml")
	f.send(panetest.Key("e"))
	f.field("cache_ttl", "0s")
	f.send(panetest.Key("enter"))
	cfg.failW = errors.New("not written, the edits are kept: write /work/agentdash.yaml: permission denied")
	msgs := f.send(panetest.Key("w"))
	if got := statusOf(msgs); !strings.Contains(got, "permission denied") {
		t.Errorf("status %q", got)
	}
	if v := f.m.View(); !strings.Contains(v, "unsaved: w writes") {
		t.Errorf("edits not shown unsaved after the failed write:\n%s", v)
	}
}

// TestSettingsFormFits: the form keeps within every size, down to a tiny
// pane, and keeps the focused field in view.
func TestSettingsFormFits(t *testing.T) {
	f, _ := newSettingsTest(t, "/work/agentdash.yaml")
	f.send(panetest.Key("e"))
	f.field("breaker.success_threshold", "3")
	for _, size := range [][2]int{{100, 20}, {80, 8}, {40, 5}, {20, 3}, {10, 2}, {1, 1}} {
		f.m.SetSize(size[0], size[1])
		v := f.m.View()
		lines := strings.Split(v, "\n")
		if len(lines) > size[1] {
			t.Errorf("%dx%d: %d lines", size[0], size[1], len(lines))
		}
		for _, l := range lines {
			if w := ansi.StringWidth(l); w > size[0] {
				t.Errorf("%dx%d: line %q is %d wide", size[0], size[1], l, w)
			}
		}
		if size[1] >= 3 && size[0] >= 30 && !strings.Contains(v, "› breaker.success_threshold") {
			t.Errorf("%dx%d: the focused field is not in view:\n%s", size[0], size[1], v)
		}
	}
}

// FuzzSettingsForm: whatever is typed into a field, enter either applies
// it (the configuration then reads it back as typed) or keeps the form
// open with an error and changes nothing.
func FuzzSettingsForm(f *testing.F) {
	for _, s := range []string{"5s", "soon", "0", "50%", "{a: 1}", "# x", "'", "\"", "- 1", "a: b", "1e9", "∞", "\t"} {
		f.Add("breaker.cooldown", s)
		f.Add("breaker.window", s)
	}
	f.Fuzz(func(t *testing.T, key, text string) {
		keys := SettingsKeys()
		found := false
		for _, k := range keys {
			found = found || k == key
		}
		if !found {
			key = keys[len(key)%len(keys)]
		}
		fx, cfg := newSettingsTest(t, "/work/agentdash.yaml")
		before := info(t, fx.a, "echo")
		fx.send(panetest.Key("e"))
		fx.field(key, text)
		typed := strings.TrimSpace(fx.m.edit.inputs[fx.m.edit.focus].Value())
		fx.send(panetest.Key("enter"))
		if !fx.m.Capturing() {
			vals, err := cfg.Values("echo", []string{key})
			if err != nil {
				t.Fatal(err)
			}
			if vals[key] != typed && !(typed == fx.m.edit.initial[fx.m.edit.focus]) {
				t.Fatalf("%s = %q applied, reads back %q", key, typed, vals[key])
			}
			return
		}
		i := fx.m.edit.focus
		if fx.m.edit.errs[i] == "" && fx.m.edit.err == "" {
			t.Fatalf("%s = %q: the form stayed open without an error", key, typed)
		}
		if after := info(t, fx.a, "echo"); after.Breaker != before.Breaker || after.Timeout != before.Timeout || cfg.text != fakeFile {
			t.Fatalf("%s = %q refused but applied", key, typed)
		}
	})
}
