package dashboard

import (
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/charmbracelet/x/ansi"
)

// TestTerminalAbandon checks the forced restore: it leaves (and first
// blanks) the alternate screen only if the program's output left the
// terminal on it, resets the modes the dashboard sets, and lets nothing
// through afterwards.
func TestTerminalAbandon(t *testing.T) {
	const modes = ansi.ResetModeMouseButtonEvent + ansi.ResetModeMouseAnyEvent + ansi.ResetModeMouseExtSgr +
		ansi.ResetModeBracketedPaste + ansi.ResetModeFocusEvent + ansi.SetModeTextCursorEnable
	const leave = ansi.EraseEntireScreen + ansi.CursorHomePosition + ansi.ResetModeAltScreenSaveCursor
	tests := []struct {
		name   string
		writes []string
		want   string // written by abandon
	}{
		{"before the program", nil, modes},
		{"on the alternate screen", []string{ansi.SetModeAltScreenSaveCursor, "frame"}, leave + modes},
		{"both switches in one write", []string{"x" + ansi.ResetModeAltScreenSaveCursor + ansi.SetModeAltScreenSaveCursor}, leave + modes},
		{"back on the main screen", []string{ansi.SetModeAltScreenSaveCursor, "frame", ansi.EraseEntireLine + ansi.ResetModeAltScreenSaveCursor}, modes},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := os.Create(filepath.Join(t.TempDir(), "out"))
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			term := newTerminal(f, f) // not a terminal: no modes to restore
			var before string
			for i, w := range tt.writes {
				if i%2 == 0 {
					_, err = term.Write([]byte(w))
				} else {
					_, err = io.WriteString(term, w)
				}
				if err != nil {
					t.Fatal(err)
				}
				before += w
			}
			term.abandon()
			term.abandon() // once only
			if n, err := io.WriteString(term, "late frame"); n != len("late frame") || err != nil {
				t.Errorf("write after abandon = %d, %v; want it dropped quietly", n, err)
			}
			b, err := os.ReadFile(f.Name())
			if err != nil {
				t.Fatal(err)
			}
			if got, want := string(b), before+tt.want; got != want {
				t.Errorf("terminal got %q, want %q", got, want)
			}
		})
	}
}
