package abilities

import (
	"math"
	"strconv"
	"strings"
	"unicode"

	"github.com/charmbracelet/bubbles/cursor"
	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/textarea"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/ansi"
	"github.com/rivo/uniseg"

	"github.com/agentdash/agentdash/internal/agent"
	"github.com/agentdash/agentdash/ui/theme"
)

// maxArgs is the most the argument editor holds, in cells (a wide
// character counts two); a paste past it is cut.
const maxArgs = 64 << 10

// argEditor is the argument editor: a textarea as tall as its text within
// a maximum height, whose view shows text that fits whole and fills its
// rows with text that does not, and which keeps the parse or validation
// error of its text.
//
// The textarea scrolls only to bring the cursor into view, at the end of
// its Update and only as far as the text it rendered last; argEditor
// renders and scrolls it itself where that falls short (Fit).
type argEditor struct {
	ta textarea.Model
	// maxHeight is the most rows the editor takes.
	maxHeight int
	// scrolled: the view may be scrolled down from the text's first row
	// (Fit scrolled it) and the text was not set anew since.
	scrolled bool
	// fitRows and fitHeight are the rows the text took and the editor's
	// height at the last Fit.
	fitRows, fitHeight int
	err                string // parse or validation error of the text, "" if valid
}

// newArgEditor returns an empty editor in theme t; newline inserts a line
// break.
func newArgEditor(t *theme.Theme, newline key.Binding) *argEditor {
	ta := textarea.New()
	ta.Prompt = ""
	ta.ShowLineNumbers = true
	ta.CharLimit = maxArgs
	ta.MaxHeight = 0
	ta.KeyMap.InsertNewline = newline
	ta.Placeholder = "{}"
	// A blinking cursor re-renders the screen twice a second for nothing.
	ta.Cursor.SetMode(cursor.CursorStatic)
	for _, s := range []*textarea.Style{&ta.FocusedStyle, &ta.BlurredStyle} {
		s.Base = t.Text
		s.Text = t.Text
		s.CursorLine = t.Text
		s.LineNumber = t.Subtle
		s.CursorLineNumber = t.Muted
		s.Placeholder = t.Muted
		s.EndOfBuffer = t.Subtle
	}
	ta.BlurredStyle.Text = t.Muted
	return &argEditor{ta: ta, maxHeight: 1}
}

// Value returns the text.
func (e *argEditor) Value() string { return e.ta.Value() }

// Err returns the error Validate found in the text, "" if none.
func (e *argEditor) Err() string { return e.err }

// View renders the editor.
func (e *argEditor) View() string { return e.ta.View() }

// Focused reports whether the editor has the keyboard.
func (e *argEditor) Focused() bool { return e.ta.Focused() }

// Focus gives the editor the keyboard.
func (e *argEditor) Focus() tea.Cmd {
	cmd := e.ta.Focus()
	e.Fit()
	return cmd
}

// Blur takes the keyboard away.
func (e *argEditor) Blur() { e.ta.Blur() }

// SetSize sets the text's width and the most rows the editor takes, and
// fits the editor to its text, which wraps anew.
func (e *argEditor) SetSize(width, maxHeight int) {
	e.ta.SetWidth(width)
	e.maxHeight = maxHeight
	e.Fit()
}

// SetText puts text in the editor, the cursor at its end and the view at
// its first row, and fits the editor to it.
func (e *argEditor) SetText(text string) {
	e.ta.SetValue(text)
	e.scrolled = false
	e.Fit()
}

// Validate parses and validates the text as ability in's arguments; its
// error is kept for Err.
func (e *argEditor) Validate(in agent.Info) (map[string]any, error) {
	text := e.ta.Value()
	args, err := parseArgs(in, text)
	e.err = ""
	if err != nil {
		e.err = e.errText(text, err)
	}
	return args, err
}

// ClearErr forgets the text's error: there is no ability to check it
// against.
func (e *argEditor) ClearErr() { e.err = "" }

// Update passes msg (a key, or the text the textarea read from the
// clipboard) to the textarea and reports whether it changed the text; the
// editor is then fitted to the text, the cursor in view.
func (e *argEditor) Update(msg tea.Msg) (tea.Cmd, bool) {
	before, height := e.ta.Value(), e.ta.Height()
	if k, ok := msg.(tea.KeyMsg); ok && k.Type == tea.KeyRunes {
		msg = e.fitRunes(k, before)
	}
	// The textarea scrolls to the cursor at the height it has during
	// Update: give it the height it can grow to, or text that makes it
	// grow is shown from its second row, above an empty one.
	e.ta.SetHeight(e.maxHeight)
	var cmd tea.Cmd
	e.ta, cmd = e.ta.Update(msg)
	if e.ta.Value() == before {
		e.ta.SetHeight(height)
		return cmd, false
	}
	e.Fit()
	return cmd, true
}

// fitRunes cuts the characters k inserts into the editor, whose text is
// text, to the room left below maxArgs. The textarea's limit counts cells
// but it compares the room with a paste's number of characters, so a paste
// of wide characters would get past it.
func (e *argEditor) fitRunes(k tea.KeyMsg, text string) tea.KeyMsg {
	// A character takes no more cells than bytes, and a pasted one at most
	// two: most keys are ruled out before the textarea counts cells.
	if len(text)+2*len(k.Runes) <= maxArgs {
		return k
	}
	room := maxArgs - e.ta.Length()
	for i, r := range k.Runes {
		w := 1 // a newline takes a place of its own in the limit
		if r != '\n' {
			w = uniseg.StringWidth(string(r))
		}
		if room -= w; room < 0 {
			k.Runes = k.Runes[:i:i]
			break
		}
	}
	return k
}

// errText is the message for err, the parse or validation error of text,
// the editor's. The textarea cuts a paste at its limit without a word, and
// the error is then about the cut: text at the limit says it was cut.
func (e *argEditor) errText(text string, err error) string {
	// The byte length rules out most texts before the textarea counts
	// cells; a text cut to whole wide characters can end a cell short.
	if len(text) >= maxArgs-1 && e.ta.Length() >= maxArgs-1 {
		return "text cut at the " + strconv.Itoa(maxArgs>>10) + " KiB limit: " + err.Error()
	}
	return err.Error()
}

// Fit sizes the editor to its text, within maxHeight, and scrolls its view
// so that text that fits is shown whole and text that does not fills the
// editor, the cursor in view while editing.
//
// The textarea's viewport clamps the scroll to the lines of its previous
// View, so after a paste that adds rows the view would stay where the old
// text ended: the editor is rendered here with its new text and height,
// then scrolled (scrollToCursor).
func (e *argEditor) Fit() {
	rows := wrappedRows(e.ta.Value(), e.ta.Width(), math.MaxInt)
	height := min(rows, e.maxHeight)
	e.ta.SetHeight(height)
	// The view may end below the text only if the text lost rows or the
	// editor gained some since the last fit: the textarea never scrolls
	// further down than the cursor.
	below := rows < e.fitRows || height > e.fitHeight
	e.fitRows, e.fitHeight = rows, height
	if rows <= e.maxHeight {
		if e.scrolled {
			e.toTop()
		}
		return
	}
	if e.ta.Focused() || e.scrolled {
		// Not editing, a view that editing scrolled keeps the cursor in
		// it; one it did not shows the first rows, as SetValue left it.
		e.scrollToCursor(rows, below)
		e.scrolled = true
	}
}

// scrollToCursor scrolls the view of the text, rows rows long, to the
// cursor and, when it may end below the text, so that it shows no row
// past the text's end.
//
// The textarea keeps its scroll offset when the text rewraps into fewer
// rows or the editor grows, so its view can end below the text; nothing
// exported reads or sets the offset. So when the cursor is below top (the
// first row of the view that ends at the text's last row) it is moved up
// to top, which the textarea scrolls to, and then put back.
func (e *argEditor) scrollToCursor(rows int, below bool) {
	if !e.ta.Focused() { // the textarea scrolls only while focused
		_ = e.ta.Focus() // nil: the cursor does not blink
		defer e.ta.Blur()
	}
	_ = e.ta.View() // the text's rows at the current width and height
	e.ta, _ = e.ta.Update(nil)
	if !below {
		return
	}

	text := e.ta.Value()
	top := rows - e.ta.Height()
	row, li := e.ta.Line(), e.ta.LineInfo()
	before := 0
	for range row {
		line, rest, _ := strings.Cut(text, "\n")
		before += lineRows(line, e.ta.Width())
		text = rest
	}
	up := before + li.RowOffset - top
	if up <= 0 {
		return // the view starts at or above the cursor, so above top
	}
	col := li.StartColumn + li.ColumnOffset
	for range up {
		e.ta.CursorUp()
	}
	e.ta, _ = e.ta.Update(nil)
	e.restoreCursor(row, col)
}

// toTop scrolls the view to the text's first row, the cursor staying
// where it is: the textarea scrolls up only as far as the cursor, and
// only SetValue (which moves the cursor to the end) scrolls to the top.
func (e *argEditor) toTop() {
	row, li := e.ta.Line(), e.ta.LineInfo()
	e.ta.SetValue(e.ta.Value())
	e.scrolled = false
	e.restoreCursor(row, li.StartColumn+li.ColumnOffset)
}

// restoreCursor moves the cursor to column col of line row.
func (e *argEditor) restoreCursor(row, col int) {
	for e.ta.Line() > row {
		e.ta.CursorUp()
	}
	for e.ta.Line() < row {
		e.ta.CursorDown()
	}
	e.ta.SetCursor(col)
}

// wrappedRows counts the rows text takes in a textarea whose text is width
// cells wide, counting no further than limit.
func wrappedRows(text string, width, limit int) int {
	width = max(width, 1)
	rows := 0
	for rows < limit {
		line, rest, more := strings.Cut(text, "\n")
		rows += lineRows(line, width)
		if !more {
			break
		}
		text = rest
	}
	return rows
}

// lineRows counts the rows one line takes in a textarea width cells wide,
// wrapping as bubbles' textarea does: at spaces, a word wider than a row
// broken where it overflows, and a row more when the text fills the last
// one (the textarea keeps a cell there for the cursor).
func lineRows(line string, width int) int {
	rows, rowW, wordW, spaces := 1, 0, 0, 0
	for _, r := range line {
		if unicode.IsSpace(r) {
			spaces++
		} else {
			wordW += runeWidth(r)
		}
		switch {
		case spaces > 0:
			if rowW+wordW+spaces > width {
				rows++
				rowW = 0
			}
			rowW += wordW + spaces
			wordW, spaces = 0, 0
		case wordW+runeWidth(r) > width:
			if rowW > 0 {
				rows++
			}
			rowW, wordW = wordW, 0
		}
	}
	if rowW+wordW+spaces >= width {
		rows++
	}
	return rows
}

// runeWidth is the width of r in cells.
func runeWidth(r rune) int {
	if r < 0x80 {
		if r < 0x20 || r == 0x7f {
			return 0
		}
		return 1
	}
	return ansi.StringWidth(string(r))
}
