package command

import (
	"strings"
	"unicode/utf8"
)

// capped collects stdout up to max bytes; the write that would pass it
// fails, and full is called so that the run is killed.
type capped struct {
	buf  []byte
	max  int64
	full func()
}

func (c *capped) Write(p []byte) (int, error) {
	if int64(len(c.buf))+int64(len(p)) > c.max {
		c.full()
		return 0, errOutputLimit
	}
	c.buf = append(c.buf, p...)
	return len(p), nil
}

// tail keeps the last max bytes (or a little more) written to it.
type tail struct {
	buf []byte
	max int
}

func (t *tail) Write(p []byte) (int, error) {
	n := len(p)
	if len(p) > t.max {
		p = p[len(p)-t.max:]
	}
	if len(t.buf)+len(p) > 2*t.max {
		t.buf = append(t.buf[:0], t.buf[len(t.buf)-(t.max-len(p)):]...)
	}
	t.buf = append(t.buf, p...)
	return n, nil
}

// lines returns the last stderrLines non-blank lines, joined by " | " so
// that an error stays on one line, and at most stderrShown bytes of them.
func (t *tail) lines() string {
	s := strings.ToValidUTF8(string(t.buf), "\uFFFD")
	var keep []string
	all := strings.Split(s, "\n")
	for i := len(all) - 1; i >= 0 && len(keep) < stderrLines; i-- {
		if l := strings.TrimSpace(all[i]); l != "" {
			keep = append(keep, l)
		}
	}
	for i, j := 0, len(keep)-1; i < j; i, j = i+1, j-1 {
		keep[i], keep[j] = keep[j], keep[i]
	}
	out := strings.Join(keep, " | ")
	if len(out) > stderrShown {
		out = out[len(out)-stderrShown:]
		for !utf8.RuneStart(out[0]) {
			out = out[1:]
		}
		out = "…" + out
	}
	return out
}
