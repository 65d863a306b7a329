package dashboard

import (
	"bytes"
	"os"
	"sync"

	"github.com/charmbracelet/x/ansi"
	"golang.org/x/term"
)

// terminal is the dashboard's output: the terminal file, through which
// Bubble Tea draws, with what is needed to restore the terminal when the
// process must end before Bubble Tea could restore it (a second interrupt
// while a quit waits for training to save, say). Bubble Tea can restore
// the terminal only from its own event loop, and neither it nor a library
// offers this, so it is written here: it saves the terminal modes before
// the program starts, sees every byte the program writes, and once
// abandoned lets nothing more through.
type terminal struct {
	*os.File // term.File for Bubble Tea: Fd, Read and Close as is

	mu        sync.Mutex
	abandoned bool
	alt       bool // the last alternate-screen switch written entered it
	saved     []savedState
}

type savedState struct {
	fd    int
	state *term.State
}

// newTerminal wraps out (a terminal) and saves the modes of the terminals
// among out and in, as Bubble Tea is about to change them (raw input).
func newTerminal(out, in *os.File) *terminal {
	t := &terminal{File: out}
	for _, f := range []*os.File{in, out} {
		fd := int(f.Fd())
		if !term.IsTerminal(fd) {
			continue
		}
		if st, err := term.GetState(fd); err == nil {
			t.saved = append(t.saved, savedState{fd, st})
		}
	}
	return t
}

var (
	enterAlt = []byte(ansi.SetModeAltScreenSaveCursor)
	leaveAlt = []byte(ansi.ResetModeAltScreenSaveCursor)
)

// Write writes p to the terminal, unless the terminal was abandoned.
func (t *terminal) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.abandoned {
		return len(p), nil
	}
	if in, out := bytes.LastIndex(p, enterAlt), bytes.LastIndex(p, leaveAlt); in != out {
		t.alt = in > out
	}
	return t.File.Write(p)
}

// WriteString writes s as Write does (the embedded file's WriteString
// would bypass it).
func (t *terminal) WriteString(s string) (int, error) { return t.Write([]byte(s)) }

// abandon restores the terminal as Bubble Tea would on quitting (and
// blanks the alternate screen first, as the last frame does, see
// Model.View) and lets no more output through. It is safe to call at any
// time from any goroutine; the process is expected to exit right after.
func (t *terminal) abandon() {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.abandoned {
		return
	}
	t.abandoned = true
	var seq string
	if t.alt {
		// Only while the alternate screen is on: on the main screen this
		// would erase the user's shell.
		seq = ansi.EraseEntireScreen + ansi.CursorHomePosition + ansi.ResetModeAltScreenSaveCursor
	}
	seq += ansi.ResetModeMouseButtonEvent + ansi.ResetModeMouseAnyEvent + ansi.ResetModeMouseExtSgr +
		ansi.ResetModeBracketedPaste + ansi.ResetModeFocusEvent + ansi.SetModeTextCursorEnable
	_, _ = t.File.WriteString(seq)
	for _, s := range t.saved {
		_ = term.Restore(s.fd, s.state)
	}
}
