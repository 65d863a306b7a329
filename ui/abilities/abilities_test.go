package abilities

import (
	"context"
	"io"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"unicode/utf8"

	"github.com/charmbracelet/bubbles/textarea"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"
	"github.com/muesli/termenv"
	"go.uber.org/goleak"

	"github.com/agentdash/agentdash/internal/agent"
	"github.com/agentdash/agentdash/internal/schema"
	"github.com/agentdash/agentdash/ui/pane"
	"github.com/agentdash/agentdash/ui/pane/panetest"
	"github.com/agentdash/agentdash/ui/theme"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// countingCaller counts the calls that reach the agent.
type countingCaller struct {
	*agent.Agent
	calls atomic.Int32
}

func (c *countingCaller) Call(ctx context.Context, name string, args map[string]any) (agent.Result, error) {
	c.calls.Add(1)
	return c.Agent.Call(ctx, name, args)
}

func newTest(t *testing.T) (*Model, *countingCaller) {
	t.Helper()
	clock := panetest.NewClock(panetest.Epoch)
	c := &countingCaller{Agent: panetest.NewAgent(t, clock, 0)}
	m := New(pane.Common{Ctx: t.Context(), Theme: theme.Ascii()}, c)
	m.SetSize(100, 30)
	m.Focus()
	return m, c
}

func send(t *testing.T, m *Model, msgs ...tea.Msg) []tea.Msg {
	t.Helper()
	return panetest.Send(t, m.Update, msgs...)
}

// setArgs replaces the editor text as if typed.
func setArgs(t *testing.T, m *Model, text string) {
	t.Helper()
	send(t, m, panetest.Key("e"))
	m.editor.ta.SetValue("")
	send(t, m, panetest.Type(text)...)
	send(t, m, panetest.Key("esc"))
}

// listColumn returns the list part of the view (left of the separator).
func listColumn(v string) string {
	var b strings.Builder
	for _, l := range strings.Split(v, "\n") {
		left, _, _ := strings.Cut(l, "│")
		b.WriteString(left + "\n")
	}
	return b.String()
}

func TestListShowsAbilitiesAndSchema(t *testing.T) {
	m, _ := newTest(t)
	v := m.View()
	for _, want := range []string{"3 abilities", "▸ echo", "fail", "sum", "Return the text unchanged.",
		"text string required — text to echo", "cache ttl 1m", `"text": "hello"`, "✓ valid"} {
		if !strings.Contains(v, want) {
			t.Errorf("view lacks %q:\n%s", want, v)
		}
	}
}

func TestFilterNarrowsList(t *testing.T) {
	m, _ := newTest(t)
	send(t, m, panetest.Key("/"))
	if !m.Capturing() {
		t.Fatal("typing a filter does not capture keys")
	}
	send(t, m, panetest.Type("su")...)
	send(t, m, panetest.Key("enter"))
	if m.Capturing() {
		t.Error("still capturing after enter accepted the filter")
	}
	var names []string
	for _, it := range m.list.VisibleItems() {
		names = append(names, it.(item).Name)
	}
	if strings.Join(names, ",") != "sum" {
		t.Errorf("visible after filter %q = %v, want [sum]", "su", names)
	}
	left := listColumn(m.View())
	if !strings.Contains(left, "/su · 1 of 3") || strings.Contains(left, "echo") || !strings.Contains(left, "sum") {
		t.Errorf("list column after filter:\n%s", left)
	}
	if in, _ := m.Selected(); in.Name != "sum" {
		t.Errorf("selected %q, want sum", in.Name)
	}
	if !strings.Contains(m.View(), `"a": 2`) {
		t.Errorf("editor not switched to sum's example:\n%s", m.View())
	}
	send(t, m, panetest.Key("esc")) // clear filter
	if n := len(m.list.VisibleItems()); n != 3 {
		t.Errorf("after esc %d visible, want 3", n)
	}
}

// filterTo types query into a fresh "/" filter and applies it with enter.
func filterTo(t *testing.T, m *Model, query string) {
	t.Helper()
	send(t, m, panetest.Key("/"))
	send(t, m, panetest.Type(query)...)
	send(t, m, panetest.Key("enter"))
}

func selectedName(m *Model) string {
	in, _ := m.Selected()
	return in.Name
}

// "/" starts a fresh query, and enter on a query that matches nothing
// selects nothing, so the next enter cannot call an ability the user never
// chose.
func TestFilterReopensFreshAndNoMatchSelectsNothing(t *testing.T) {
	m, c := newTest(t)
	filterTo(t, m, "sum")
	if got := selectedName(m); got != "sum" {
		t.Fatalf("after filtering sum, selected %q", got)
	}

	send(t, m, panetest.Key("/"))
	if got := m.filter.Value(); got != "" {
		t.Errorf("/ reopened the filter with %q, want a fresh query", got)
	}
	send(t, m, panetest.Type("zzz")...)
	if got := listColumn(m.View()); !strings.Contains(got, "/zzz") || strings.Contains(got, "sumzzz") {
		t.Errorf("filter line while typing zzz:\n%s", got)
	}
	send(t, m, panetest.Key("enter"))

	if m.Capturing() {
		t.Error("enter did not close the filter input")
	}
	if n := len(m.list.Items()); n != 0 {
		t.Errorf("a query matching nothing lists %d abilities, want none", n)
	}
	if got, ok := m.Selected(); ok {
		t.Errorf("a query matching nothing selects %q", got.Name)
	}
	v := m.View()
	for _, want := range []string{"/zzz · 0 of 3", `no ability matches "zzz"`, "esc clears the filter"} {
		if !strings.Contains(v, want) {
			t.Errorf("view after a no-match filter lacks %q:\n%s", want, v)
		}
	}
	for _, b := range m.ShortHelp() {
		if b.Enabled() && b.Help().Key == "enter" {
			t.Errorf("footer offers %q with nothing selected", b.Help().Desc)
		}
	}
	if msgs := send(t, m, panetest.Key("enter")); len(msgs) != 0 || c.calls.Load() != 0 {
		t.Fatalf("enter with nothing selected called an ability: %d calls", c.calls.Load())
	}

	// esc clears the filter and comes back to the ability chosen last.
	send(t, m, panetest.Key("esc"))
	if n := len(m.list.Items()); n != 3 {
		t.Errorf("after esc %d abilities listed, want 3", n)
	}
	if got := selectedName(m); got != "sum" {
		t.Errorf("after esc selected %q, want sum (the last one chosen)", got)
	}
}

// The list is filtered as each key is typed, so an enter that arrives right
// after the query (as a fast typist or a paste sends it) acts on its match.
func TestFilterThenEnterCallsTheMatch(t *testing.T) {
	m, c := newTest(t)
	send(t, m, panetest.Key("/"), panetest.Key("fail"), panetest.Key("enter"), panetest.Key("enter"))
	if c.calls.Load() != 1 {
		t.Fatalf("calls = %d, want 1", c.calls.Load())
	}
	if r := m.history[len(m.history)-1]; r.ability != "fail" {
		t.Errorf("enter called %q, want fail", r.ability)
	}
}

func TestFilterEscWhileTypingCancels(t *testing.T) {
	m, _ := newTest(t)
	send(t, m, panetest.Key("down"), panetest.Key("down")) // sum
	send(t, m, panetest.Key("/"))
	send(t, m, panetest.Type("ech")...)
	if got := selectedName(m); got != "echo" {
		t.Errorf("while typing ech, selected %q, want the best match echo", got)
	}
	send(t, m, panetest.Key("esc"))
	if m.Capturing() || m.filter.Value() != "" || len(m.list.Items()) != 3 {
		t.Errorf("esc while typing: capturing %v, filter %q, %d listed", m.Capturing(), m.filter.Value(), len(m.list.Items()))
	}
}

func TestBadArgsShownInlineAndNotSent(t *testing.T) {
	tests := []struct {
		name, args, want string
	}{
		{"invalid JSON", `{"text": `, "invalid arguments at line 1"},
		{"not an object", `[1]`, "invalid arguments"},
		{"wrong type", `{"text": 5}`, `argument "text": want string`},
		{"missing required", `{}`, `argument "text"`},
		{"unknown field", `{"text": "a", "x": 1}`, `argument "x"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, c := newTest(t)
			setArgs(t, m, tt.args)
			if v := m.View(); !strings.Contains(v, "✗ ") || !strings.Contains(v, tt.want) {
				t.Errorf("no inline error %q while editing:\n%s", tt.want, v)
			}
			// In a narrow column the whole message wraps onto more lines.
			detail := strings.Join(strings.Fields(ansi.Strip(m.detailView(40))), " ")
			if msg := strings.Join(strings.Fields(m.editor.Err()), " "); !strings.Contains(detail, msg) {
				t.Errorf("the error %q is not shown whole in a 40-cell column:\n%s", msg, m.detailView(40))
			}
			msgs := send(t, m, panetest.Key("enter"))
			if len(msgs) != 0 || c.calls.Load() != 0 {
				t.Fatalf("bad arguments were sent: %d calls, msgs %v", c.calls.Load(), msgs)
			}
			if v := m.View(); !strings.Contains(v, "✗ not sent: ") {
				t.Errorf("enter with bad args does not say it was not sent:\n%s", v)
			}
		})
	}
}

func TestCallShowsResultAndHistory(t *testing.T) {
	m, c := newTest(t)
	send(t, m, panetest.Key("enter"))
	if c.calls.Load() != 1 {
		t.Fatalf("calls = %d, want 1", c.calls.Load())
	}
	v := m.View()
	for _, want := range []string{"#1 ✓ success", `"text": "hello"`, "History", `echo  ✓ success`} {
		if !strings.Contains(v, want) {
			t.Errorf("view after call lacks %q:\n%s", want, v)
		}
	}
	// The same arguments again: served from the cache.
	send(t, m, panetest.Key("enter"))
	if v := m.View(); !strings.Contains(v, "#2 ✓ success") || !strings.Contains(v, "[cached]") {
		t.Errorf("second identical call not shown as cached:\n%s", v)
	}
	if len(m.history) != 2 || m.history[1].seq != 2 {
		t.Errorf("history = %d records", len(m.history))
	}
}

func TestCallErrorShown(t *testing.T) {
	m, _ := newTest(t)
	send(t, m, panetest.Key("down")) // fail
	if in, _ := m.Selected(); in.Name != "fail" {
		t.Fatalf("selected %q, want fail", in.Name)
	}
	_, callErr := m.caller.Call(t.Context(), "fail", nil) // what the agent says
	if callErr == nil {
		t.Fatal("fail did not fail")
	}
	send(t, m, panetest.Key("enter"))
	v := m.View()
	if !strings.Contains(v, "#1 ✗ ") || !strings.Contains(v, callErr.Error()) {
		t.Errorf("failed call not shown with %q:\n%s", callErr, v)
	}
}

func TestEditorKeepsArgsPerAbilityAndResets(t *testing.T) {
	m, _ := newTest(t)
	setArgs(t, m, `{"text": "mine"}`)
	send(t, m, panetest.Key("down"), panetest.Key("up"))
	if got := m.editor.Value(); got != `{"text": "mine"}` {
		t.Errorf("edited args lost after switching: %q", got)
	}
	send(t, m, panetest.Key("ctrl+r"))
	if got := m.editor.Value(); !strings.Contains(got, `"hello"`) {
		t.Errorf("ctrl+r did not restore the example: %q", got)
	}
}

// An argument error wrapped onto several lines is in the error colour on
// every line, not only where the style's start sequence lands.
func TestArgErrorColouredOnEveryLine(t *testing.T) {
	r := lipgloss.NewRenderer(io.Discard)
	r.SetColorProfile(termenv.TrueColor)
	th := theme.New(r)
	red := th.Error.Render("x")
	red = red[:strings.Index(red, "x")] // the error colour's start
	m := New(pane.Common{Ctx: t.Context(), Theme: th}, panetest.NewAgent(t, panetest.NewClock(panetest.Epoch), 0))
	m.SetSize(70, 30) // a right column 47 wide
	m.Focus()
	setArgs(t, m, `{"text": "hello", "other`)
	for _, notSent := range []bool{false, true} {
		if notSent {
			send(t, m, panetest.Key("enter"))
		}
		var shown []string
		for _, l := range strings.Split(m.View(), "\n") {
			_, right, _ := strings.Cut(l, "│ ")
			if plain := strings.TrimSpace(ansi.Strip(right)); strings.HasPrefix(plain, "✗") || len(shown) > 0 && plain != "" && !strings.HasPrefix(plain, "Result") {
				shown = append(shown, right)
			} else if len(shown) > 0 {
				break
			}
		}
		if len(shown) < 2 {
			t.Fatalf("not sent %v: the error takes %d lines, want it wrapped onto more:\n%s", notSent, len(shown), strings.Join(shown, "\n"))
		}
		for i, l := range shown {
			if !strings.Contains(l, red) {
				t.Errorf("not sent %v: error line %d of %d not in the error colour: %q", notSent, i+1, len(shown), l)
			}
		}
	}
}

// A paste past the editor's 64 KiB limit says the text was cut there, as
// the JSON error alone would point at a column nobody typed.
func TestPasteCutAtLimitSaysSo(t *testing.T) {
	const cut = "text cut at the 64 KiB limit: "
	for _, tt := range []struct {
		name, paste string
		cut         bool
	}{
		{"paste past the limit", `{"text": "` + strings.Repeat("x", 70_000) + `"}`, true},
		{"long paste under it", `{"text": "` + strings.Repeat("x", 60_000), false},
		{"bad JSON", `{"text": `, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			m, c := newTest(t)
			send(t, m, panetest.Key("e"))
			m.editor.ta.SetValue("")
			send(t, m, tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune(tt.paste), Paste: true})
			if got := strings.HasPrefix(m.editor.Err(), cut); got != tt.cut {
				t.Errorf("error %q; says the text was cut: %v, want %v", m.editor.Err(), got, tt.cut)
			}
			if tt.cut && !strings.Contains(m.View(), "✗ "+cut) {
				t.Errorf("view does not say the text was cut:\n%s", m.View())
			}
			send(t, m, panetest.Key("enter"))
			if got := strings.HasPrefix(m.editor.Err(), cut); got != tt.cut || !m.notSent || c.calls.Load() != 0 {
				t.Errorf("after enter: error %q, not sent %v, %d calls", m.editor.Err(), m.notSent, c.calls.Load())
			}
		})
	}
}

// A paste of wide characters is cut at the limit in cells, as the limit
// counts them, so that typing still works below it.
func TestWidePasteCutAtLimit(t *testing.T) {
	m, _ := newTest(t)
	send(t, m, panetest.Key("e"))
	m.editor.ta.SetValue("")
	send(t, m, tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune(`{"text":"` + strings.Repeat("漢", 40_000) + `"}`), Paste: true})
	if n := m.editor.ta.Length(); n > maxArgs {
		t.Fatalf("the editor holds %d cells, over its limit of %d", n, maxArgs)
	}
	if !strings.HasPrefix(m.editor.Err(), "text cut at the 64 KiB limit: ") {
		t.Errorf("error %q does not say the text was cut", m.editor.Err())
	}
	for range 2 {
		send(t, m, tea.KeyMsg{Type: tea.KeyBackspace})
	}
	for _, r := range `"}` {
		send(t, m, tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune{r}})
	}
	if v := m.editor.Value(); !strings.HasSuffix(v, `漢"}`) || m.editor.Err() != "" {
		t.Fatalf("typing below the limit: text ends %q, error %q", v[max(0, len(v)-12):], m.editor.Err())
	}
}

// e puts the cursor at the end of the text, as ctrl+r does, so text typed
// right after it goes after the closing brace.
func TestEditStartsAtTheEnd(t *testing.T) {
	m, _ := newTest(t)
	for range m.list.Items() {
		in, _ := m.Selected()
		send(t, m, panetest.Key("e"))
		send(t, m, panetest.Type("!")...)
		if got, want := m.editor.Value(), exampleArgs(in)+"!"; got != want {
			t.Errorf("%s: typed after e: %q, want %q", in.Name, got, want)
		}
		send(t, m, panetest.Key("ctrl+r"), panetest.Key("esc"), panetest.Key("down"))
	}

	// The example filled in anew when the pane is shown again.
	a, err := agent.New(agent.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(a.Close)
	var n atomic.Int32
	if err := a.Register(agent.Ability{Name: "dyn", Func: func(context.Context, map[string]any) (any, error) { return 1, nil },
		Example: func() map[string]any { return map[string]any{"n": float64(n.Load())} }}); err != nil {
		t.Fatal(err)
	}
	m = New(pane.Common{Ctx: t.Context(), Theme: theme.Ascii()}, a)
	m.SetSize(100, 30)
	n.Store(2)
	m.Focus()
	send(t, m, panetest.Key("e"))
	send(t, m, panetest.Type("!")...)
	if got, want := m.editor.Value(), "{\n  \"n\": 2\n}!"; got != want {
		t.Errorf("typed after e, the example refreshed: %q, want %q", got, want)
	}
}

func TestEditingCapturesAndEnterCalls(t *testing.T) {
	m, c := newTest(t)
	send(t, m, panetest.Key("e"))
	if !m.Capturing() || !m.Editing() {
		t.Fatal("e did not start editing")
	}
	// Typed "q" goes into the text; ctrl+j inserts a newline.
	m.editor.ta.SetValue("")
	send(t, m, panetest.Type(`{"text":`)...)
	send(t, m, panetest.Key("ctrl+j"))
	send(t, m, panetest.Type(`"q"}`)...)
	if got := m.editor.Value(); got != "{\"text\":\n\"q\"}" {
		t.Errorf("editor text = %q", got)
	}
	send(t, m, panetest.Key("enter"))
	if c.calls.Load() != 1 {
		t.Errorf("enter in the editor: %d calls, want 1", c.calls.Load())
	}
	if !strings.Contains(m.View(), `"text": "q"`) {
		t.Errorf("result of edited call not shown:\n%s", m.View())
	}
	send(t, m, panetest.Key("esc"))
	if m.Capturing() {
		t.Error("esc did not leave the editor")
	}
}

func TestShortHelpFollowsMode(t *testing.T) {
	m, _ := newTest(t)
	keys := func() string {
		var s []string
		for _, b := range m.ShortHelp() {
			if b.Enabled() {
				s = append(s, b.Help().Key)
			}
		}
		return strings.Join(s, " ")
	}
	if got := keys(); !strings.Contains(got, "enter") || !strings.Contains(got, "/") || !strings.Contains(got, "e") {
		t.Errorf("browsing keys = %q", got)
	}
	send(t, m, panetest.Key("e"))
	if got := keys(); !strings.Contains(got, "esc") || strings.Contains(got, "/") {
		t.Errorf("editing keys = %q", got)
	}
	m.Blur()
	if m.Editing() {
		t.Error("blur did not stop editing")
	}
}

func TestViewCachedUntilChange(t *testing.T) {
	m, _ := newTest(t)
	v1 := m.View()
	if allocs := testing.AllocsPerRun(5, func() { _ = m.View() }); allocs != 0 {
		t.Errorf("unchanged View allocated %v times", allocs)
	}
	send(t, m, panetest.Key("down"))
	if m.View() == v1 {
		t.Error("view not updated after moving the selection")
	}
}

func TestLongResultViewer(t *testing.T) {
	m, _ := newTest(t)
	long := strings.Repeat("lorem ipsum ", 400) // ~4800 chars: many wrapped lines
	m.editor.ta.SetValue(`{"text": "` + long + `"}`)
	send(t, m, panetest.Key("enter"))
	v := m.View()
	if !strings.Contains(v, "o shows all") {
		t.Fatalf("cut result does not offer the viewer:\n%s", v)
	}
	send(t, m, panetest.Key("o"))
	if !m.Capturing() {
		t.Fatalf("o did not open the viewer:\n%s", m.View())
	}
	if v := m.View(); !strings.Contains(v, "0% · esc closes") {
		t.Errorf("viewer header missing:\n%s", v)
	}
	send(t, m, panetest.Key("j"), panetest.Key("j"), panetest.Key("q")) // q closes the viewer, not the app
	if m.Capturing() {
		t.Error("q did not close the viewer")
	}
	send(t, m, panetest.Key("o"))
	for range 3 {
		send(t, m, panetest.Key("pgdown"))
	}
	if m.viewer.YOffset == 0 {
		t.Error("pgdown did not scroll the viewer")
	}
	send(t, m, panetest.Key("esc"))
	if m.Capturing() || strings.Contains(m.View(), "esc closes") {
		t.Error("esc did not close the viewer")
	}
}

func TestFirstLines(t *testing.T) {
	tests := []struct {
		s        string
		n, max   int
		want     string
		wantMore bool
	}{
		{"a\nb\nc", 2, 100, "a\nb", true},
		{"a\nb", 2, 100, "a\nb", false},
		{"a\nb\n", 2, 100, "a\nb", false},
		{"abcdef", 3, 4, "abcd", true},
		{"", 3, 10, "", false},
	}
	for _, tt := range tests {
		got, more := firstLines(tt.s, tt.n, tt.max)
		if got != tt.want || more != tt.wantMore {
			t.Errorf("firstLines(%q, %d, %d) = %q, %v; want %q, %v", tt.s, tt.n, tt.max, got, more, tt.want, tt.wantMore)
		}
	}
}

// An argument without a type (any JSON value, as predict's x) reads
// "x required — …", with one space.
func TestPropLineNamesAnyType(t *testing.T) {
	th := theme.Ascii()
	tests := []struct {
		name     string
		p        schema.Property
		required bool
		want     string
	}{
		{"x", schema.Property{Description: "feature value"}, true, "x any required — feature value"},
		{"x", schema.Property{}, false, "x any"},
		{"text", schema.Property{Type: "string", Description: "text to echo"}, true, "text string required — text to echo"},
		{"n", schema.Property{Type: "integer"}, false, "n integer"},
	}
	for _, tt := range tests {
		if got := propLine(th, tt.name, &tt.p, tt.required); got != tt.want {
			t.Errorf("propLine(%s, %+v) = %q, want %q", tt.name, tt.p, got, tt.want)
		}
	}
}

// The history's latency and arguments line up whatever the outcome's
// mark and name ("✗ failure 2.1ms", "✓ success 68µs").
func TestHistoryColumnsAlign(t *testing.T) {
	m, _ := newTest(t)
	send(t, m, panetest.Key("enter"))                       // echo: success
	send(t, m, panetest.Key("enter"))                       // echo: cached
	send(t, m, panetest.Key("down"), panetest.Key("enter")) // fail: failure
	send(t, m, panetest.Key("down"), panetest.Key("enter")) // sum: success
	v := m.View()
	_, hist, ok := strings.Cut(v, "History")
	if !ok {
		t.Fatalf("no history:\n%s", v)
	}
	var cols []int
	for _, l := range strings.Split(hist, "\n")[1:] {
		_, right, _ := strings.Cut(l, "│")
		i := strings.Index(right, "{")
		if !strings.Contains(right, "#") || i < 0 {
			continue
		}
		cols = append(cols, ansi.StringWidth(right[:i]))
	}
	if len(cols) != 4 {
		t.Fatalf("found %d history entries, want 4:\n%s", len(cols), hist)
	}
	for _, c := range cols[1:] {
		if c != cols[0] {
			t.Errorf("history arguments start at cells %v, want one column:\n%s", cols, hist)
			break
		}
	}
}

// TestResultLinesFitAnyHeight: the result section keeps to the lines it is
// given, down to the head line alone, for short, long and failed results.
func TestResultLinesFitAnyHeight(t *testing.T) {
	m, _ := newTest(t)
	for _, rec := range []*record{
		{seq: 1, ability: "echo", outcome: "success", latency: "1ms", value: `"ok"`},
		{seq: 2, ability: "echo", outcome: "success", latency: "1ms", value: strings.Repeat("long result ", 200)},
		{seq: 3, ability: "echo", outcome: "failure", latency: "1ms", err: strings.Repeat("long error ", 200)},
	} {
		m.last["echo"] = rec
		for h := 1; h <= 6; h++ {
			for _, w := range []int{1, 10, 40} {
				if lines := m.resultLines("echo", w, h); len(lines) > h {
					t.Errorf("result #%d in %dx%d: %d lines", rec.seq, w, h, len(lines))
				}
			}
		}
	}
}

// The editor's height counts soft-wrapped rows, up to the room the pane
// gives it: a pasted 50k-character line is not one row.
func TestEditorHeightCountsWrappedRows(t *testing.T) {
	m, _ := newTest(t) // 100×30: at most 30/4 = 7 rows
	w := m.editor.ta.Width()
	tests := []struct {
		name string
		text string
		want int
	}{
		{"two short lines", "{\n}", 2},
		// `{"text":` on a row of its own, then the word over three rows.
		{"line of 2.5 widths", `{"text": "` + strings.Repeat("x", w*5/2-12) + `"}`, 4},
		{"pasted 50k line", `{"text": "` + strings.Repeat("x", 50_000) + `"}`, 7},
		{"short line then a long one", "{\n" + strings.Repeat("y", w+5) + "\n}", 4},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			send(t, m, panetest.Key("e"))
			m.editor.ta.SetValue("")
			send(t, m, tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune(tt.text), Paste: true})
			if got := m.editor.ta.Height(); got != tt.want {
				t.Errorf("editor height %d, want %d", got, tt.want)
			}
			send(t, m, panetest.Key("esc"))
		})
	}
	// A wrapped line that fits shows whole, line number included.
	send(t, m, panetest.Key("e"))
	m.editor.ta.SetValue("")
	long := `{"text": "` + strings.Repeat("x", w*5/2-12) + `"}`
	send(t, m, tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune(long), Paste: true})
	if v := m.View(); !strings.Contains(v, ` 1 {"text":`) || !strings.Contains(v, `xx"}`) {
		t.Errorf("the pasted line is not shown whole:\n%s", v)
	}
}

// showCursor makes bubbles draw the text cursor in reverse video: its style
// comes from lipgloss' default renderer, which writes no attributes in tests.
func showCursor(t *testing.T) {
	prev := lipgloss.ColorProfile()
	lipgloss.SetColorProfile(termenv.TrueColor)
	t.Cleanup(func() { lipgloss.SetColorProfile(prev) })
}

// editorRows returns the argument editor's rows in view v, ANSI kept.
func editorRows(t *testing.T, m *Model, v string) []string {
	t.Helper()
	lines := strings.Split(v, "\n")
	for i, l := range lines {
		if strings.Contains(l, "Arguments (editing)") {
			rows := lines[i+1 : min(i+1+m.editor.ta.Height(), len(lines))]
			for j, r := range rows {
				_, rows[j], _ = strings.Cut(r, "│ ")
			}
			return rows
		}
	}
	t.Fatalf("no argument editor in view:\n%s", v)
	return nil
}

// After a long paste the cursor is in view at once: the textarea alone
// scrolls only as far as the text of its previous View reaches.
func TestPasteShowsCursor(t *testing.T) {
	showCursor(t)
	m, _ := newTest(t)
	for _, tt := range []struct {
		name  string
		paste string
		want  int // characters in the editor
	}{
		{"pasted 50k line", `{"text": "` + strings.Repeat("x", 50_000) + `"}`, 50_012},
		{"paste over the limit", `{"text": "` + strings.Repeat("x", 70_000) + `"}`, 64 << 10},
		{"pasted lines", strings.Repeat(`{"text": "x"}`+"\n", 500), 7000},
	} {
		t.Run(tt.name, func(t *testing.T) {
			send(t, m, panetest.Key("e"))
			m.editor.ta.SetValue("")
			m.View()
			send(t, m, tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune(tt.paste), Paste: true})
			if n := m.editor.ta.Length(); n != tt.want {
				t.Errorf("%d characters in the editor, want %d", n, tt.want)
			}
			pasted := m.View()
			rows := editorRows(t, m, pasted)
			if len(rows) != 7 {
				t.Errorf("editor %d rows high, want 7", len(rows))
			}
			if last := rows[len(rows)-1]; !strings.Contains(last, "\x1b[7m") {
				t.Errorf("no cursor on the editor's last row after the paste:\n%s", strings.Join(rows, "\n"))
			}
			// The cursor is at the end already: a key that moves it there
			// changes nothing, and must show what the paste showed.
			send(t, m, panetest.Key("ctrl+e"))
			if again := m.View(); again != pasted {
				t.Errorf("the view changed with the next key, from\n%s\nto\n%s",
					strings.Join(rows, "\n"), strings.Join(editorRows(t, m, again), "\n"))
			}
			send(t, m, panetest.Key("esc"))
		})
	}
}

// While a typed line wraps onto more rows, and while it is deleted again,
// the editor shows the cursor and, as long as the text fits, all of it,
// from its first row and with no empty row below.
func TestEditorShowsTextAndCursorAsItGrows(t *testing.T) {
	showCursor(t)
	m, _ := newTest(t) // at most 7 rows
	send(t, m, panetest.Key("e"))
	m.editor.ta.SetValue("")
	m.View()
	n := m.editor.ta.Width() * 9
	keys := append(panetest.Type(strings.Repeat("x", n)), slices.Repeat([]tea.Msg{panetest.Key("backspace")}, n)...)
	for i, k := range keys {
		send(t, m, k)
		rows := editorRows(t, m, m.View())
		all := strings.Join(rows, "\n")
		if !strings.Contains(all, "\x1b[7m") {
			t.Fatalf("key %d: no cursor in the editor:\n%s", i+1, all)
		}
		if m.editor.Value() != "" && len(rows) < 7 && !strings.HasPrefix(ansi.Strip(rows[0]), " 1 x") {
			t.Fatalf("key %d: the text fits in %d rows but its first is not shown:\n%s", i+1, len(rows), all)
		}
	}
}

// A resize wraps the text anew: the cursor stays in view, and text that
// comes to fit in a wider pane is shown whole.
func TestEditorInViewAfterResize(t *testing.T) {
	showCursor(t)
	m, _ := newTest(t) // 100×30: at most 7 rows
	send(t, m, panetest.Key("e"))
	m.editor.ta.SetValue("")
	text := strings.Repeat("x", m.editor.ta.Width()*8)
	send(t, m, tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune(text), Paste: true})
	for _, w := range []int{80, 200} { // 7 rows of a longer text, then 5 of all of it
		m.SetSize(w, 30)
		rows := editorRows(t, m, m.View())
		all := strings.Join(rows, "\n")
		if !strings.Contains(rows[len(rows)-1], "\x1b[7m") {
			t.Errorf("width %d: no cursor on the editor's last row:\n%s", w, all)
		}
		if fits := len(rows) < 7; fits != (w == 200) || fits && !strings.HasPrefix(ansi.Strip(rows[0]), " 1 x") {
			t.Errorf("width %d: the editor shows the text from the wrong row:\n%s", w, all)
		}
	}
}

// Pane sizes the dashboard gives the Abilities pane (its frame's content):
// at 120×40 and 80×24 one pane under a tab bar, at 160×48 a 2×2 grid.
var (
	pane120x40 = [2]int{118, 35} // the editor at most 8 rows
	pane80x24  = [2]int{78, 19}  // 4 rows
	grid160x48 = [2]int{78, 21}  // 5 rows
)

// checkEditorFull fails unless the editor shows as many rows of text as it
// is high, no row past the text's end, and (editing) the cursor on its
// last row: the text overflows the editor and the cursor is at its end.
func checkEditorFull(t *testing.T, m *Model, when string) {
	t.Helper()
	v := m.View()
	label := "Arguments"
	if m.Editing() {
		label = "Arguments (editing)"
	}
	var rows []string
	lines := strings.Split(v, "\n")
	for i, l := range lines {
		if _, after, ok := strings.Cut(l, "│ "); ok && strings.TrimRight(ansi.Strip(after), " ") == label {
			rows = lines[i+1 : min(i+1+m.editor.ta.Height(), len(lines))]
			break
		}
	}
	if rows == nil {
		t.Fatalf("%s: no argument editor in view:\n%s", when, v)
	}
	for j, r := range rows {
		_, rows[j], _ = strings.Cut(r, "│ ")
	}
	all := strings.Join(rows, "\n")
	if want := m.editor.maxHeight; len(rows) != want {
		t.Fatalf("%s: editor %d rows high, want %d:\n%s", when, len(rows), want, all)
	}
	for j, r := range rows {
		if strings.TrimSpace(ansi.Strip(r)) == "" {
			t.Fatalf("%s: editor row %d of %d is past the text's end:\n%s", when, j+1, len(rows), all)
		}
	}
	if m.Editing() && !strings.Contains(rows[len(rows)-1], "\x1b[7m") {
		t.Fatalf("%s: no cursor on the editor's last row:\n%s", when, all)
	}
}

// After the pane shrinks and grows back (120×40, 80×24, 120×40) the editor
// is full of text, editing or not: the textarea keeps the narrow layout's
// scroll offset, past the end of the wide layout's text.
func TestEditorFullAfterResizes(t *testing.T) {
	showCursor(t)
	for _, tt := range []struct {
		name, paste string
		oneLine     bool
	}{
		{"pasted 50k line", `{"text": "` + strings.Repeat("x", 50_000) + `"}`, true},
		{"pasted 500 lines", "{\n" + strings.Repeat(`  "text": "x",`+"\n", 498) + "}", false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			m, _ := newTest(t)
			resize := func(s [2]int) { m.SetSize(s[0], s[1]) }
			resize(pane120x40)
			send(t, m, panetest.Key("e"), panetest.Key("ctrl+r"))
			send(t, m, slices.Repeat([]tea.Msg{panetest.Key("backspace")}, 30)...)
			send(t, m, tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune(tt.paste), Paste: true})
			checkEditorFull(t, m, "after the paste")

			resize(pane80x24)
			checkEditorFull(t, m, "shrunk to 80×24")
			resize(pane120x40)
			checkEditorFull(t, m, "back at 120×40")
			send(t, m, panetest.Key("x"))
			checkEditorFull(t, m, "a key typed after the resizes")
			send(t, m, panetest.Key("backspace"))
			checkEditorFull(t, m, "backspace after the resizes")

			// The 2×2 grid, then a tab again, then the grid.
			for i, s := range [][2]int{grid160x48, pane80x24, grid160x48} {
				resize(s)
				checkEditorFull(t, m, "grid resize "+strconv.Itoa(i+1))
			}

			// A storm of resizes, as dragging a window's corner sends.
			rnd := rand.New(rand.NewPCG(3, 4))
			for i := range 20 {
				w, h := 62+rnd.IntN(140), 16+rnd.IntN(44)
				resize([2]int{w, h})
				checkEditorFull(t, m, "resize "+strconv.Itoa(i+1)+" to "+strconv.Itoa(w)+"×"+strconv.Itoa(h))
			}
			resize(pane120x40)
			checkEditorFull(t, m, "back at 120×40 after the storm")
			if tt.oneLine {
				// Deleting the rows below the cursor scrolls the view up.
				send(t, m, panetest.Key("up"), panetest.Key("up"), panetest.Key("up"), panetest.Key("ctrl+k"))
				checkEditorFull(t, m, "the last rows deleted")
			}

			// Not editing, the editor keeps what it showed through resizes.
			resize(pane80x24)
			send(t, m, panetest.Key("esc"))
			checkEditorFull(t, m, "not editing")
			for i, s := range [][2]int{pane120x40, grid160x48, pane80x24, pane120x40} {
				resize(s)
				checkEditorFull(t, m, "not editing, resize "+strconv.Itoa(i+1))
			}
		})
	}
}

// lineRows must wrap as the textarea does: compare with the textarea's own
// row count for the line the cursor is on.
func TestLineRowsMatchesTextarea(t *testing.T) {
	words := []string{"a", "bb", "{\"text\":", "漢字", "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", " ", "  ", "é"}
	ta := textarea.New()
	ta.ShowLineNumbers = false
	ta.Prompt = ""
	ta.CharLimit = 0
	rnd := rand.New(rand.NewPCG(1, 2))
	for i := range 2000 {
		width := 5 + rnd.IntN(40)
		ta.SetWidth(width)
		var b strings.Builder
		for range rnd.IntN(30) {
			b.WriteString(words[rnd.IntN(len(words))])
			if rnd.IntN(2) == 0 {
				b.WriteByte(' ')
			}
		}
		line := b.String()
		ta.SetValue(line)
		if got, want := lineRows(line, ta.Width()), ta.LineInfo().Height; got != want {
			t.Fatalf("case %d: lineRows(%q, %d) = %d, textarea wraps it into %d rows", i, line, ta.Width(), got, want)
		}
	}
}

// A long string without line breaks is one line, so a cut result keeps
// the first maxResult bytes of it, not just the lines before.
func TestLongResultCutWithinLine(t *testing.T) {
	content := strings.Repeat("word é ", maxResult/4) // encodes to > maxResult on one line
	var r record
	r.fill(agent.Result{Value: map[string]any{"content": content, "size": len(content)}}, nil)
	head, tail, ok := strings.Cut(r.value, "…\n… (")
	if !ok || !strings.HasSuffix(tail, " bytes, cut for display)") {
		t.Fatalf("cut result not marked as cut: ...%q", r.value[max(len(r.value)-80, 0):])
	}
	if !utf8.ValidString(head) {
		t.Error("cut result is not valid UTF-8")
	}
	if len(head) < maxResult-utf8.UTFMax || len(head) > maxResult {
		t.Errorf("kept %d bytes, want the first %d", len(head), maxResult)
	}
	if !strings.Contains(head, `"content": "word é word é `) {
		t.Errorf("content not shown: %q", head[:min(len(head), 200)])
	}
}

// fileContent has the shape of read_file's result.
type fileContent struct {
	Path    string `json:"path"`
	Size    int64  `json:"size"`
	Content string `json:"content"`
}

func TestFormatResult(t *testing.T) {
	tests := []struct {
		name string
		v    any
		want string
	}{
		{"string as text", "ORFEAS", "ORFEAS"},
		{"lines as lines", "# Title\r\n\nline <2> & \"3\"\n", "# Title\n\nline <2> & \"3\""},
		{"tabs to spaces", "a\tb\n\tc", "a   b\n    c"},
		{"controls made visible", "red \x1b[31mX\x7f\u0085", "red ␛[31mX␡\uFFFD"},
		{"number", 5.0, "5"},
		{"object as JSON", map[string]any{"a": "<b>", "n": []any{1, 2}},
			"{\n  \"a\": \"<b>\",\n  \"n\": [\n    1,\n    2\n  ]\n}"},
		{"file content as text", fileContent{Path: "notes.txt", Size: 12, Content: "hello\n\tworld\n"},
			"{\n  \"path\": \"notes.txt\",\n  \"size\": 12\n}\n\n── content\nhello\n    world"},
		{"only text", map[string]any{"log": "a\nb"}, "── log\na\nb"},
		{"nested strings stay JSON", map[string]any{"x": map[string]any{"s": "a\nb"}},
			"{\n  \"x\": {\n    \"s\": \"a\\nb\"\n  }\n}"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := formatResult(tt.v)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tt.want {
				t.Errorf("formatResult(%#v) =\n%s\nwant\n%s", tt.v, got, tt.want)
			}
		})
	}
	if _, err := formatResult(math.NaN()); err == nil {
		t.Error("NaN formatted without error")
	}
}

// read_file's content shows in the result area as the file reads, not as
// an escaped JSON string.
func TestFileResultShownAsText(t *testing.T) {
	m, _ := newTest(t)
	r := &record{seq: 1, ability: "echo"}
	r.fill(agent.Result{Value: fileContent{Path: "notes.txt", Size: 22, Content: "first line\nsecond line\n"}}, nil)
	m.finish(r)
	v := m.View()
	for _, want := range []string{"── content", "│ first line", "│ second line"} {
		if !strings.Contains(v, want) {
			t.Errorf("view lacks %q:\n%s", want, v)
		}
	}
	if strings.Contains(v, `\n`) {
		t.Errorf("view shows escaped line breaks:\n%s", v)
	}
}

func TestResultViewerJumpsToStartAndEnd(t *testing.T) {
	m, _ := newTest(t)
	m.editor.ta.SetValue(`{"text": "` + strings.Repeat("lorem ipsum ", 400) + `"}`)
	send(t, m, panetest.Key("enter"), panetest.Key("o"))
	for _, k := range []string{"G", "end"} {
		send(t, m, panetest.Key("home"))
		send(t, m, panetest.Key(k))
		if !m.viewer.AtBottom() || m.viewer.YOffset == 0 {
			t.Errorf("%s did not go to the end (offset %d)", k, m.viewer.YOffset)
		}
		if !strings.Contains(m.View(), "100% · esc closes") {
			t.Errorf("view after %s not at 100%%:\n%s", k, m.View())
		}
	}
	for _, k := range []string{"g", "home"} {
		send(t, m, panetest.Key("end"))
		send(t, m, panetest.Key(k))
		if m.viewer.YOffset != 0 {
			t.Errorf("%s did not go to the start (offset %d)", k, m.viewer.YOffset)
		}
	}
	var help []string
	for _, b := range m.ShortHelp() {
		help = append(help, b.Help().Key)
	}
	for _, want := range []string{"g/home", "G/end"} {
		if !strings.Contains(strings.Join(help, " "), want) {
			t.Errorf("viewer help %q lacks %q", help, want)
		}
	}
	if m.Capturing() != true {
		t.Error("a jump closed the viewer")
	}
}

// An ability's own Example (one that follows a trained model, say) wins
// over its schema's examples, and the schema's are the fallback.
func TestExampleArgsPrefersAbilityExample(t *testing.T) {
	sch := &schema.Schema{Type: "object", Properties: map[string]*schema.Property{"x": {Examples: []any{4.0}}}}
	dynamic := agent.Info{Schema: sch, Example: func() map[string]any { return map[string]any{"x": []float64{3, 1850}} }}
	if got := exampleArgs(dynamic); !strings.Contains(got, "1850") {
		t.Errorf("exampleArgs = %s, want the ability's example", got)
	}
	none := agent.Info{Schema: sch, Example: func() map[string]any { return nil }}
	if got := exampleArgs(none); !strings.Contains(got, `"x": 4`) {
		t.Errorf("exampleArgs = %s, want the schema's example", got)
	}
}

// Untouched example arguments follow the ability's current example (a
// retrained model) when the pane is shown again or the ability reselected;
// edited arguments are kept.
func TestExampleArgsFollowTheAbility(t *testing.T) {
	a, err := agent.New(agent.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(a.Close)
	var n atomic.Int32
	n.Store(1)
	for _, name := range []string{"dyn", "other"} {
		if err := a.Register(agent.Ability{Name: name, Func: func(context.Context, map[string]any) (any, error) { return 1, nil },
			Example: func() map[string]any { return map[string]any{"n": float64(n.Load())} }}); err != nil {
			t.Fatal(err)
		}
	}
	m := New(pane.Common{Ctx: t.Context(), Theme: theme.Ascii()}, a)
	m.SetSize(100, 30)
	m.Focus()
	if got := m.editor.Value(); !strings.Contains(got, `"n": 1`) {
		t.Fatalf("editor %q, want n 1", got)
	}
	n.Store(2)
	m.Blur()
	m.Focus()
	if got := m.editor.Value(); !strings.Contains(got, `"n": 2`) {
		t.Errorf("after the example changed, shown again: %q, want n 2", got)
	}
	n.Store(3)
	send(t, m, panetest.Key("down"), panetest.Key("up"))
	if got := m.editor.Value(); !strings.Contains(got, `"n": 3`) {
		t.Errorf("after the example changed, reselected: %q, want n 3", got)
	}
	setArgs(t, m, `{"n": 9}`)
	n.Store(4)
	m.Blur()
	m.Focus()
	if got := m.editor.Value(); got != `{"n": 9}` {
		t.Errorf("edited args replaced: %q", got)
	}
}

func TestDetailShowsSource(t *testing.T) {
	a, err := agent.New(agent.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(a.Close)
	err = a.Register(agent.Ability{Name: "word_count", Source: "agentdash.yaml:12",
		Func: func(context.Context, map[string]any) (any, error) { return 1, nil }})
	if err != nil {
		t.Fatal(err)
	}
	m := New(pane.Common{Ctx: t.Context(), Theme: theme.Ascii()}, a)
	m.SetSize(100, 30)
	if v := m.View(); !strings.Contains(v, "from agentdash.yaml:12") {
		t.Errorf("the detail does not say where the ability comes from:\n%s", v)
	}
}
