package upstream

import (
	"bytes"
	"strings"
	"sync"
	"unicode"
)

// stderrLines is how many of a stdio server's last stderr lines are kept.
const stderrLines = 20

// maxLine bounds a kept line, so that a server writing one endless line
// cannot grow the buffer.
const maxLine = 512

// tail keeps the last lines written to it: a stdio server's stderr.
type tail struct {
	mu      sync.Mutex
	max     int
	kept    []string
	partial []byte
}

func newTail(n int) *tail { return &tail{max: n} }

// Write keeps the complete lines of p and holds a partial one.
func (t *tail) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	n := len(p)
	for len(p) > 0 {
		i := bytes.IndexByte(p, '\n')
		if i < 0 {
			t.partial = append(t.partial, p[:min(len(p), maxLine-len(t.partial))]...)
			break
		}
		t.partial = append(t.partial, p[:min(i, maxLine-len(t.partial))]...)
		t.add(string(t.partial))
		t.partial = t.partial[:0]
		p = p[i+1:]
	}
	return n, nil
}

func (t *tail) add(line string) {
	// Control characters (colours, carriage returns) would drive the
	// terminal of whoever reads the line.
	line = strings.TrimSpace(strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, line))
	if line == "" {
		return
	}
	if len(t.kept) == t.max {
		t.kept = append(t.kept[:0], t.kept[1:]...)
	}
	t.kept = append(t.kept, line)
}

// lines returns a copy of the kept lines, oldest first.
func (t *tail) lines() []string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return append([]string(nil), t.kept...)
}

// last returns the latest line, or "".
func (t *tail) last() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(t.kept) == 0 {
		return ""
	}
	return t.kept[len(t.kept)-1]
}
