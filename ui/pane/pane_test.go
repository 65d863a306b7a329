package pane

import (
	"math"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/ansi"

	"github.com/agentdash/agentdash/ui/theme"
)

func TestDuration(t *testing.T) {
	tests := []struct {
		in   time.Duration
		want string
	}{
		{-time.Second, "0s"},
		{0, "0s"},
		{420 * time.Nanosecond, "420ns"},
		{850 * time.Microsecond, "850µs"},
		{12300 * time.Microsecond, "12.3ms"},
		{50 * time.Millisecond, "50ms"},
		{250 * time.Millisecond, "250ms"},
		{1200 * time.Millisecond, "1.2s"},
		{1256 * time.Millisecond, "1.26s"},
		{10 * time.Second, "10s"},
		{12540 * time.Millisecond, "12.5s"},
		{2*time.Minute + 3*time.Second, "2m03s"},
		{5 * time.Minute, "5m"},
		{time.Hour + 2*time.Minute, "1h02m"},
		{3 * time.Hour, "3h"},
	}
	for _, tt := range tests {
		if got := Duration(tt.in); got != tt.want {
			t.Errorf("Duration(%v) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestUptime(t *testing.T) {
	tests := []struct {
		in   time.Duration
		want string
	}{
		{0, "0s"},
		{12*time.Second + 900*time.Millisecond, "12s"},
		{3*time.Minute + 4*time.Second, "3m04s"},
		{2*time.Hour + 5*time.Minute + 7*time.Second, "2h05m07s"},
	}
	for _, tt := range tests {
		if got := Uptime(tt.in); got != tt.want {
			t.Errorf("Uptime(%v) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestCountRatePercent(t *testing.T) {
	counts := map[uint64]string{0: "0", 999: "999", 1000: "1.0k", 1250: "1.2k", 12_999: "12k", 3_400_000: "3.4M", 5_600_000_000: "5.6G"}
	for in, want := range counts {
		if got := Count(in); got != want {
			t.Errorf("Count(%d) = %q, want %q", in, got, want)
		}
	}
	rates := map[float64]string{0: "0", -1: "0", 0.44: "0.4", 12.5: "12.5", 340.2: "340", 1500: "1.5k"}
	for in, want := range rates {
		if got := Rate(in); got != want {
			t.Errorf("Rate(%v) = %q, want %q", in, got, want)
		}
	}
	if got := Plural(1, "call", "calls") + "," + Plural(0, "call", "calls") + "," + Plural(7, "entry", "entries"); got != "1 call,0 calls,7 entries" {
		t.Errorf("Plural = %q", got)
	}
	if got := Rate(math.NaN()); got != "0" {
		t.Errorf("Rate(NaN) = %q", got)
	}
	if got, want := Percent(0.425), "42%"; got != want {
		t.Errorf("Percent = %q, want %q", got, want)
	}
	if got := Percent(math.NaN()); got != "–" {
		t.Errorf("Percent(NaN) = %q", got)
	}
}

func TestSparkline(t *testing.T) {
	tests := []struct {
		name   string
		values []float64
		width  int
		want   string
	}{
		{"empty", nil, 4, "    "},
		{"zero width", []float64{1}, 0, ""},
		{"all zero", []float64{0, 0, 0}, 3, "   "},
		{"right aligned", []float64{1, 2}, 4, "  ▄█"},
		{"scaled to peak", []float64{0, 1, 2, 3, 4, 5, 6, 7, 8}, 9, " ▁▂▃▄▅▆▇█"},
		{"NaN is blank", []float64{math.NaN(), 4}, 2, " █"},
		// 8 values in 4 columns: means 1, 1, 4, 8 -> keeps the spike.
		{"bucketed by mean", []float64{1, 1, 1, 1, 0, 8, 8, 8}, 4, "▁▁▄█"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Sparkline(tt.values, tt.width)
			if got != tt.want {
				t.Errorf("Sparkline(%v, %d) = %q, want %q", tt.values, tt.width, got, tt.want)
			}
			if w := ansi.StringWidth(got); w != tt.width {
				t.Errorf("width = %d, want %d", w, tt.width)
			}
		})
	}
}

func TestConfirm(t *testing.T) {
	key := func(s string) tea.KeyMsg { return tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune(s)} }
	tests := []struct {
		name    string
		answer  tea.KeyMsg
		wantRan bool
	}{
		{"y confirms", key("y"), true},
		{"Y confirms", key("Y"), true},
		{"n cancels", key("n"), false},
		{"q cancels", key("q"), false},
		{"esc cancels", tea.KeyMsg{Type: tea.KeyEsc}, false},
		{"enter cancels", tea.KeyMsg{Type: tea.KeyEnter}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var c Confirm
			ran := false
			c.Ask("trip uppercase?", func() tea.Cmd { ran = true; return nil })
			if !c.Active() || c.Prompt() != "trip uppercase?" {
				t.Fatal("prompt not active after Ask")
			}
			if v := c.View(theme.Ascii()); v != "trip uppercase? y yes  n/esc no" {
				t.Errorf("View = %q", v)
			}
			if _, used := c.Update(tt.answer); !used {
				t.Error("answer not consumed")
			}
			if ran != tt.wantRan {
				t.Errorf("action ran = %v, want %v", ran, tt.wantRan)
			}
			if c.Active() {
				t.Error("prompt still active after answer")
			}
			if _, used := c.Update(key("y")); used {
				t.Error("inactive prompt consumed a key")
			}
		})
	}
}

func TestFilter(t *testing.T) {
	key := func(s string) tea.KeyMsg { return tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune(s)} }
	enter, esc := tea.KeyMsg{Type: tea.KeyEnter}, tea.KeyMsg{Type: tea.KeyEsc}
	helpText := func(f *Filter) string {
		var s []string
		for _, b := range f.ShortHelp() {
			if b.Enabled() {
				s = append(s, b.Help().Key+" "+b.Help().Desc)
			}
		}
		return strings.Join(s, " • ")
	}
	f := NewFilter(theme.Ascii())
	if f.Update(key("x")) || f.Update(esc) {
		t.Error("an idle filter took a key that is not /")
	}
	if got := helpText(f); got != "/ filter" {
		t.Errorf("idle help = %q", got)
	}
	for _, k := range []tea.KeyMsg{key("/"), key("s"), key("u")} {
		if !f.Update(k) {
			t.Fatalf("filter did not take %q while typing", k)
		}
	}
	if !f.Typing() || f.Value() != "su" || f.View() != "/su " {
		t.Errorf("typing: Typing %v, Value %q, View %q", f.Typing(), f.Value(), f.View())
	}
	if got := helpText(f); got != "enter apply filter • esc cancel filter" {
		t.Errorf("help while typing = %q", got)
	}
	f.Update(enter)
	if f.Typing() || f.Value() != "su" || f.View() != "/su  (esc clears)" {
		t.Errorf("applied: Typing %v, Value %q, View %q", f.Typing(), f.Value(), f.View())
	}
	if got := helpText(f); got != "/ filter • esc clear filter" {
		t.Errorf("help with a filter applied = %q", got)
	}
	// "/" starts a fresh query: typing does not append to the old one.
	f.Update(key("/"))
	f.Update(key("m"))
	if f.Value() != "m" {
		t.Errorf("after / and m the query is %q, want a fresh %q", f.Value(), "m")
	}
	f.Update(esc)
	if f.Typing() || f.Active() {
		t.Errorf("esc while typing: Typing %v, Active %v, Value %q", f.Typing(), f.Active(), f.Value())
	}
	f.Update(key("/"))
	f.Update(key("q"))
	f.Update(enter)
	if !f.Update(esc) || f.Active() {
		t.Errorf("esc did not clear the applied filter %q", f.Value())
	}
}
