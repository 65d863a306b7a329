package theme

import (
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"
)

func TestFrameExactSize(t *testing.T) {
	th := Ascii()
	tests := []struct {
		name    string
		body    string
		w, h    int
		focused bool
	}{
		{"short body", "hi", 20, 5, false},
		{"long lines truncated", strings.Repeat("x", 50) + "\n" + strings.Repeat("y", 50), 20, 4, true},
		{"too many lines clipped", "a\nb\nc\nd\ne\nf", 10, 4, false},
		{"long title", "", 8, 3, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := th.Frame("1 Abilities", tt.body, tt.w, tt.h, tt.focused)
			lines := strings.Split(out, "\n")
			if len(lines) != tt.h {
				t.Fatalf("got %d lines, want %d:\n%s", len(lines), tt.h, out)
			}
			for i, l := range lines {
				if w := ansi.StringWidth(l); w != tt.w {
					t.Errorf("line %d width %d, want %d: %q", i, w, tt.w, l)
				}
			}
		})
	}
}

func TestFrameFocusReadableWithoutColour(t *testing.T) {
	th := Ascii()
	blurred := th.Frame("Breakers", "", 30, 3, false)
	focused := th.Frame("Breakers", "", 30, 3, true)
	if strings.Contains(blurred, "\x1b[") || strings.Contains(focused, "\x1b[") {
		t.Fatal("ASCII theme emitted escape sequences")
	}
	if !strings.HasPrefix(focused, "┏━[Breakers]━") {
		t.Errorf("focused frame top = %q", strings.SplitN(focused, "\n", 2)[0])
	}
	if !strings.HasPrefix(blurred, "╭─ Breakers ─") {
		t.Errorf("blurred frame top = %q", strings.SplitN(blurred, "\n", 2)[0])
	}
	if th.Color() {
		t.Error("ASCII theme reports colour")
	}
}

func TestBlockAndPad(t *testing.T) {
	if got := Block("abc\nde", 4, 3); got != "abc \nde  \n    " {
		t.Errorf("Block = %q", got)
	}
	if got := PadLeft("7", 3); got != "  7" {
		t.Errorf("PadLeft = %q", got)
	}
	if got := PadRight("abcdef", 4); got != "abc…" {
		t.Errorf("PadRight = %q", got)
	}
	if got := Block("x", 0, 2); got != "" {
		t.Errorf("Block zero width = %q", got)
	}
}
