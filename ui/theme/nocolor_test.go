package theme

import (
	"regexp"
	"strings"
	"testing"

	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"
	"github.com/muesli/termenv"
)

func TestWithoutColor(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"plain text", "hello, world", "hello, world"},
		{"basic foreground", "\x1b[31mred\x1b[0m", "red\x1b[0m"},
		{"bold kept, 256 colour gone", "\x1b[1;38;5;141mkey\x1b[0m", "\x1b[1mkey\x1b[0m"},
		{"RGB then bold", "\x1b[38;2;255;0;0;1mx", "\x1b[1mx"},
		{"background before bold", "\x1b[48;5;236;1mrow", "\x1b[1mrow"},
		{"reverse video (the cursor) kept", "a\x1b[7m \x1b[0mb", "a\x1b[7m \x1b[0mb"},
		{"underline and faint kept", "\x1b[4;2mx\x1b[22;24m", "\x1b[4;2mx\x1b[22;24m"},
		{"default colours dropped", "\x1b[39;49mx", "x"},
		{"bright colours dropped", "\x1b[97;107;1mx", "\x1b[1mx"},
		{"colon RGB dropped, curly underline kept", "\x1b[4:3;38:2::1:2:3mx", "\x1b[4:3mx"},
		{"underline colour dropped", "\x1b[58;5;3;4mx", "\x1b[4mx"},
		{"empty reset kept", "x\x1b[m", "x\x1b[m"},
		{"explicit reset kept", "\x1b[0m", "\x1b[0m"},
		{"italic 3 is not a colour", "\x1b[3mx", "\x1b[3mx"},
		{"malformed extended colour", "\x1b[38;7;1mx", "x"},
		{"other CSI untouched", "\x1b[2J\x1b[?25l\x1b[10;20H", "\x1b[2J\x1b[?25l\x1b[10;20H"},
		{"incomplete sequence copied", "a\x1b[38;5", "a\x1b[38;5"},
		{"introducer without a final byte", "\x1b[\x1b[31mx", "\x1b[x"},
		{"OSC untouched", "\x1b]8;;http://x\x1b\\link", "\x1b]8;;http://x\x1b\\link"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := WithoutColor(tt.in); got != tt.want {
				t.Errorf("WithoutColor(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

// The theme's own styles, rendered in true colour, lose every colour and
// keep their attributes and text.
func TestWithoutColorOnThemeStyles(t *testing.T) {
	r := lipgloss.NewRenderer(nil)
	r.SetColorProfile(termenv.TrueColor)
	r.SetHasDarkBackground(true)
	th := NoColor(r)
	if th.Color() || !th.Styled() {
		t.Fatalf("NoColor theme: Color %v, Styled %v; want false, true", th.Color(), th.Styled())
	}
	styles := map[string]lipgloss.Style{
		"Key": th.Key, "Selected": th.Selected, "Badge": th.Badge, "Bad": th.Bad,
		"ActiveTab": th.ActiveTab, "Header": th.Header, "Muted": th.Muted,
	}
	for name, st := range styles {
		in := st.Render("text")
		out := WithoutColor(in)
		if ansi.Strip(out) != ansi.Strip(in) {
			t.Errorf("%s: text changed: %q -> %q", name, ansi.Strip(in), ansi.Strip(out))
		}
		checkNoColor(t, name, out)
		for _, attr := range []struct {
			on   bool
			code string
		}{{st.GetBold(), "1"}, {st.GetReverse(), "7"}, {st.GetUnderline(), "4"}} {
			if attr.on && !hasSGRParam(out, attr.code) {
				t.Errorf("%s: attribute %s lost: %q", name, attr.code, out)
			}
		}
	}
}

var sgr = regexp.MustCompile(`\x1b\[([0-9:;]*)m`)

// checkNoColor fails if an SGR sequence in s sets a colour; it reads the
// parameters with x/ansi's parser rather than with the code under test.
func checkNoColor(t *testing.T, name, s string) {
	t.Helper()
	p := ansi.NewParser()
	var state byte
	for len(s) > 0 {
		seq, _, n, next := ansi.DecodeSequence(s, state, p)
		state, s = next, s[n:]
		if ansi.Cmd(p.Command()).Final() != 'm' || !strings.HasPrefix(seq, "\x1b[") {
			continue
		}
		for _, prm := range p.Params() {
			v := prm.Param(0)
			if v >= 30 && v <= 49 && v != 38 && v != 48 || v == 38 || v == 48 || v == 58 || v == 59 ||
				v >= 90 && v <= 97 || v >= 100 && v <= 107 {
				t.Errorf("%s: colour parameter %d left in %q", name, v, seq)
				break
			}
		}
		p.Reset()
	}
}

func hasSGRParam(s, code string) bool {
	for _, m := range sgr.FindAllStringSubmatch(s, -1) {
		for _, f := range strings.Split(m[1], ";") {
			if f == code {
				return true
			}
		}
	}
	return false
}

var csi = regexp.MustCompile(`\x1b\[[0-?]*[ -/]*[@-~]`)

// FuzzWithoutColor checks that the filter never lengthens its input and,
// on input made of text and complete control sequences (what a frame is),
// changes nothing but SGR sequences and leaves nothing for a second pass.
func FuzzWithoutColor(f *testing.F) {
	for _, s := range []string{"", "x", "\x1b[1;38;5;141mk\x1b[0m", "\x1b[38;2;1;2;3;48;5;4;7m", "\x1b[", "\x1b[4:3;58:2::1:2:3m",
		"\x1b[38;5", "\x1b[\x1b[31m", "\x1b]8;;u\x1b\\", "\x1b[?25l"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		if out := WithoutColor(raw); len(out) > len(raw) {
			t.Fatalf("output longer than input: %q -> %q", raw, out)
		}
		in := wellFormed(raw)
		out := WithoutColor(in)
		if again := WithoutColor(out); again != out {
			t.Fatalf("not idempotent: %q -> %q -> %q", in, out, again)
		}
		if a, b := csi.ReplaceAllString(in, ""), csi.ReplaceAllString(out, ""); a != b {
			t.Fatalf("text outside control sequences changed: %q -> %q", a, b)
		}
		if a, b := nonSGR(in), nonSGR(out); a != b {
			t.Fatalf("control sequences other than SGR changed: %q -> %q", a, b)
		}
	})
}

// wellFormed returns s without the ESC bytes that do not start a complete
// control sequence.
func wellFormed(s string) string {
	var b strings.Builder
	last := 0
	for _, m := range csi.FindAllStringIndex(s, -1) {
		b.WriteString(strings.ReplaceAll(s[last:m[0]], "\x1b", ""))
		b.WriteString(s[m[0]:m[1]])
		last = m[1]
	}
	b.WriteString(strings.ReplaceAll(s[last:], "\x1b", ""))
	return b.String()
}

// nonSGR returns the control sequences of s that are not SGR, in order.
func nonSGR(s string) string {
	var b strings.Builder
	for _, seq := range csi.FindAllString(s, -1) {
		if !sgrOnly.MatchString(seq) {
			b.WriteString(seq)
		}
	}
	return b.String()
}

var sgrOnly = regexp.MustCompile(`^\x1b\[[0-?]*m$`)

// BenchmarkWithoutColor filters a 200×60 screen drawn in true colour, 20
// styled runs a line: the cost NO_COLOR adds to every frame.
func BenchmarkWithoutColor(b *testing.B) {
	r := lipgloss.NewRenderer(nil)
	r.SetColorProfile(termenv.TrueColor)
	th := New(r)
	styles := []lipgloss.Style{th.Key, th.Muted, th.Good, th.Bad, th.Selected}
	var sb strings.Builder
	for line := range 60 {
		for i := range 20 {
			sb.WriteString(styles[(line+i)%len(styles)].Render("ten chars "))
		}
		sb.WriteByte('\n')
	}
	frame := sb.String()
	b.SetBytes(int64(len(frame)))
	b.ReportAllocs()
	for b.Loop() {
		_ = WithoutColor(frame)
	}
}
