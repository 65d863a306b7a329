package pane

import (
	"strings"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"

	"github.com/agentdash/agentdash/ui/theme"
)

// Column describes one table column.
type Column struct {
	Title string
	// Short, if set, is the title shown when the column is laid out
	// narrower than Title.
	Short string
	// Width is the column's width in cells (the flex column's minimum, a
	// Fit column's maximum).
	Width int
	// Right aligns numbers to the right edge.
	Right bool
	// Flex gives the column all width left over by the others (one per table).
	Flex bool
	// Drop is the order in which columns are hidden when the table is too
	// narrow: the highest Drop goes first; 0 is never dropped.
	Drop int
	// Fit makes the column as wide as its widest cell or its title, but no
	// wider than Width, for a column that is mostly short and sometimes
	// long. It takes that width before the flex column takes the rest.
	Fit bool
}

// Cell is one table cell: plain text plus an optional style (a pointer to a
// theme style, so rows are cheap to build on every snapshot).
type Cell struct {
	Text  string
	Style *lipgloss.Style
}

// Table is a scrolling table with a cursor, a fixed header and per-cell
// styles, re-rendered only when its rows, cursor or size change.
//
// Hand-written because bubbles/table truncates cells with go-runewidth
// (which miscounts styled text, so a coloured state word would be cut or
// misaligned) and builds a lipgloss style per cell on every render; this one
// pads plain text first and styles it after, and caches the result.
type Table struct {
	theme *theme.Theme
	cols  []Column
	rows  [][]Cell

	filter  string // lower-case substring of the first column; "" = all rows
	visible []int  // indexes of the rows that match the filter

	cursor, offset int // cursor and scroll offset, in visible rows
	width, height  int

	fits   []int // per column: its width before layout (Fit columns: what the rows need)
	shown  []int // indexes of the visible columns
	widths []int // their widths, flex resolved
	view   string
	dirty  bool

	keys tableKeys
}

type tableKeys struct {
	up, down, pgUp, pgDown, home, end key.Binding
}

// NewTable returns an empty table with the given columns.
func NewTable(t *theme.Theme, cols []Column) *Table {
	fits := make([]int, len(cols))
	for i, c := range cols {
		fits[i] = c.Width
	}
	return &Table{
		theme: t,
		cols:  cols,
		fits:  fits,
		dirty: true,
		keys: tableKeys{
			up:     key.NewBinding(key.WithKeys("up", "k"), key.WithHelp("↑/k", "up")),
			down:   key.NewBinding(key.WithKeys("down", "j"), key.WithHelp("↓/j", "down")),
			pgUp:   key.NewBinding(key.WithKeys("pgup", "ctrl+u"), key.WithHelp("pgup", "page up")),
			pgDown: key.NewBinding(key.WithKeys("pgdown", "ctrl+d"), key.WithHelp("pgdn", "page down")),
			home:   key.NewBinding(key.WithKeys("home", "g"), key.WithHelp("g/home", "first")),
			end:    key.NewBinding(key.WithKeys("end", "G"), key.WithHelp("G/end", "last")),
		},
	}
}

// NavKeys returns the cursor movement bindings, for help.
func (t *Table) NavKeys() []key.Binding {
	k := &t.keys
	return []key.Binding{k.up, k.down, k.pgUp, k.pgDown, k.home, k.end}
}

// ShortHelp returns the footer keys of a filterable table pane: up and
// down, then the filter's keys (so "esc clear filter" is never cut off a
// narrow footer), then the pane's own keys.
func (t *Table) ShortHelp(f *Filter, own ...key.Binding) []key.Binding {
	k := &t.keys
	return append(append([]key.Binding{k.up, k.down}, f.ShortHelp()...), own...)
}

// SetRows replaces the rows; the cursor stays on the same visible position
// (clamped). The table keeps the slice, so the caller must not modify it
// afterwards.
func (t *Table) SetRows(rows [][]Cell) {
	t.rows = rows
	if t.measure() {
		t.fitColumns()
	}
	t.refilter()
	t.dirty = true
}

// measure sets the width of each Fit column to what its title and cells
// need (at most its Width) and reports whether any changed.
func (t *Table) measure() bool {
	changed := false
	for i, c := range t.cols {
		if !c.Fit {
			continue
		}
		w := ansi.StringWidth(c.Title)
		for _, r := range t.rows {
			if i < len(r) {
				w = max(w, ansi.StringWidth(r[i].Text))
			}
		}
		if w = min(w, c.Width); w != t.fits[i] {
			t.fits[i], changed = w, true
		}
	}
	return changed
}

// SetFilter shows only the rows whose first cell contains f (case
// insensitive); "" shows every row.
func (t *Table) SetFilter(f string) {
	f = strings.ToLower(f)
	if f == t.filter {
		return
	}
	t.filter = f
	t.cursor, t.offset = 0, 0
	t.refilter()
	t.dirty = true
}

func (t *Table) refilter() {
	t.visible = t.visible[:0]
	for i, r := range t.rows {
		if t.filter == "" || len(r) > 0 && strings.Contains(strings.ToLower(r[0].Text), t.filter) {
			t.visible = append(t.visible, i)
		}
	}
	t.clamp()
}

// Len returns the number of rows (ignoring the filter).
func (t *Table) Len() int { return len(t.rows) }

// Visible returns the number of rows that match the filter.
func (t *Table) Visible() int { return len(t.visible) }

// Cursor returns the index (into the rows given to SetRows) of the
// selected row, or -1 when no row is visible.
func (t *Table) Cursor() int {
	if len(t.visible) == 0 {
		return -1
	}
	return t.visible[t.cursor]
}

// SetCursor selects the i-th visible row (clamped).
func (t *Table) SetCursor(i int) {
	t.cursor = i
	t.clamp()
	t.dirty = true
}

// SetSize sets the table's size in cells, header included.
func (t *Table) SetSize(width, height int) {
	if width == t.width && height == t.height {
		return
	}
	t.width, t.height = width, height
	t.fitColumns()
	t.clamp()
	t.dirty = true
}

// ColumnWidth returns the laid-out width of column i (the flex column's
// grown width), or 0 when the column is hidden at the current size.
func (t *Table) ColumnWidth(i int) int {
	for j, ci := range t.shown {
		if ci == i {
			return t.widths[j]
		}
	}
	return 0
}

// Update moves the cursor for navigation keys and reports whether msg was one.
func (t *Table) Update(msg tea.KeyMsg) bool {
	k, page := &t.keys, max(t.bodyRows()-1, 1)
	switch {
	case key.Matches(msg, k.up):
		t.cursor--
	case key.Matches(msg, k.down):
		t.cursor++
	case key.Matches(msg, k.pgUp):
		t.cursor -= page
	case key.Matches(msg, k.pgDown):
		t.cursor += page
	case key.Matches(msg, k.home):
		t.cursor = 0
	case key.Matches(msg, k.end):
		t.cursor = len(t.visible) - 1
	default:
		return false
	}
	t.clamp()
	t.dirty = true
	return true
}

// bodyRows is how many rows the table shows below its header: all the
// height, or one line less when rows do not all fit, for the line that
// says how many are out of view.
func (t *Table) bodyRows() int {
	body := max(t.height-1, 1)
	if len(t.visible) > body && body >= 2 {
		return body - 1
	}
	return body
}

func (t *Table) clamp() {
	t.cursor = max(0, min(t.cursor, len(t.visible)-1))
	body := t.bodyRows()
	if t.cursor < t.offset {
		t.offset = t.cursor
	}
	if t.cursor >= t.offset+body {
		t.offset = t.cursor - body + 1
	}
	t.offset = max(0, min(t.offset, len(t.visible)-body))
}

// minFlexWidth is the narrowest the flex column gets before columns that
// are never dropped are cut.
const minFlexWidth = 4

// fitColumns decides which columns are shown at the current width, and how
// wide: columns are dropped in Drop order until the rest fit (Fit columns
// at the width their cells need), then the flex column takes what is left.
// When even the columns that are never dropped do not fit, the flex column
// gives up width down to minFlexWidth, and then the rightmost columns are
// narrowed or hidden, so that no line is ever wider than the table. Every
// column is followed by one space.
func (t *Table) fitColumns() {
	avail := max(t.width-2, 0) // cursor marker
	hidden := make([]bool, len(t.cols))
	need := func() int {
		n := 0
		for i := range t.cols {
			if !hidden[i] {
				n += t.fits[i] + 1
			}
		}
		return n
	}
	for need() > avail {
		drop, worst := -1, 0
		for i, c := range t.cols {
			if !hidden[i] && c.Drop > worst {
				drop, worst = i, c.Drop
			}
		}
		if drop < 0 {
			break
		}
		hidden[drop] = true
	}
	t.shown, t.widths = t.shown[:0], t.widths[:0]
	total, flex := 0, -1
	for i, c := range t.cols {
		if hidden[i] {
			continue
		}
		if c.Flex {
			flex = len(t.widths)
		}
		t.shown = append(t.shown, i)
		t.widths = append(t.widths, t.fits[i])
		total += t.fits[i] + 1
	}
	if flex >= 0 {
		// Grow into the spare width, or shrink towards minFlexWidth.
		d := avail - total
		if d < 0 {
			d = max(d, min(minFlexWidth-t.widths[flex], 0))
		}
		t.widths[flex] += d
		total += d
	}
	t.cutRight(total - avail)
}

// minCutWidth is the narrowest a cut column is shown: narrower, it would
// hold little but "…", and is hidden instead.
const minCutWidth = 3

// cutRight takes excess cells off the shown columns, rightmost first,
// hiding a column when fewer than minCutWidth cells of it would be left.
func (t *Table) cutRight(excess int) {
	for j := len(t.widths) - 1; j >= 0 && excess > 0; j-- {
		if t.widths[j]-excess >= minCutWidth {
			t.widths[j] -= excess
			return
		}
		excess -= t.widths[j] + 1
		t.shown, t.widths = t.shown[:j], t.widths[:j]
	}
}

// View renders the header and the visible rows; the selected row is marked
// with "▸" and highlighted, so it reads without colour too. When rows do
// not all fit, the last line says how many are above and below.
func (t *Table) View() string {
	if !t.dirty {
		return t.view
	}
	t.dirty = false
	if t.width <= 0 || t.height <= 0 {
		t.view = ""
		return ""
	}
	th := t.theme
	var sb strings.Builder
	sb.Grow((t.width + 8) * t.height * 2)

	var line strings.Builder
	line.WriteString("  ")
	for j, ci := range t.shown {
		writeCell(&line, t.cols[ci].title(t.widths[j]), t.widths[j], t.cols[ci].Right)
	}
	sb.WriteString(th.Muted.Render(theme.PadRight(line.String(), t.width)))

	body := t.bodyRows()
	end := min(t.offset+body, len(t.visible))
	for v := t.offset; v < end; v++ {
		sb.WriteByte('\n')
		row := t.rows[t.visible[v]]
		if v == t.cursor {
			line.Reset()
			line.WriteString("▸ ")
			for j, ci := range t.shown {
				var text string
				if ci < len(row) {
					text = row[ci].Text
				}
				writeCell(&line, text, t.widths[j], t.cols[ci].Right)
			}
			sb.WriteString(th.Selected.Render(theme.PadRight(line.String(), t.width)))
			continue
		}
		sb.WriteString("  ")
		used := 2
		for j, ci := range t.shown {
			var c Cell
			if ci < len(row) {
				c = row[ci]
			}
			line.Reset()
			writeCell(&line, c.Text, t.widths[j], t.cols[ci].Right)
			if c.Style != nil {
				sb.WriteString(c.Style.Render(line.String()))
			} else {
				sb.WriteString(line.String())
			}
			used += t.widths[j] + 1
		}
		if used < t.width {
			sb.WriteString(strings.Repeat(" ", t.width-used))
		}
	}
	if body < t.height-1 {
		more := ansi.Truncate("  "+MoreRows(t.offset, len(t.visible)-end), t.width, "…")
		sb.WriteByte('\n')
		sb.WriteString(th.Muted.Render(theme.PadRight(more, t.width)))
	}
	t.view = sb.String()
	return t.view
}

// title returns the column's title for a width of w cells.
func (c *Column) title(w int) string {
	if c.Short != "" && ansi.StringWidth(c.Title) > w {
		return c.Short
	}
	return c.Title
}

// writeCell writes text fitted to w cells (truncated with "…", padded on
// the left or right) followed by a column gap.
func writeCell(sb *strings.Builder, text string, w int, right bool) {
	tw := ansi.StringWidth(text)
	if tw > w {
		text, tw = ansi.Truncate(text, w, "…"), w
	}
	if right {
		sb.WriteString(strings.Repeat(" ", w-tw))
		sb.WriteString(text)
	} else {
		sb.WriteString(text)
		sb.WriteString(strings.Repeat(" ", w-tw))
	}
	sb.WriteByte(' ')
}
