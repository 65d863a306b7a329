package pane

import (
	"strconv"
	"strings"
	"testing"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/ansi"

	"github.com/agentdash/agentdash/ui/theme"
)

func testTable(n int) *Table {
	t := theme.Ascii()
	tb := NewTable(t, []Column{
		{Title: "NAME", Width: 6},
		{Title: "N", Width: 4, Right: true},
		{Title: "EXTRA", Width: 10, Drop: 1},
		{Title: "NOTE", Width: 4, Flex: true, Drop: 2},
	})
	rows := make([][]Cell, n)
	for i := range rows {
		rows[i] = []Cell{{Text: "row" + strconv.Itoa(i)}, {Text: strconv.Itoa(i), Style: &t.Good}, {Text: "x"}, {Text: "a long note that is cut"}}
	}
	tb.SetRows(rows)
	return tb
}

func TestTableColumnsFitWidth(t *testing.T) {
	tests := []struct {
		width     int
		wantShown []string
	}{
		{40, []string{"NAME", "N", "EXTRA", "NOTE"}},
		{28, []string{"NAME", "N", "EXTRA"}}, // NOTE (Drop 2) goes first
		{16, []string{"NAME", "N"}},
	}
	for _, tt := range tests {
		tb := testTable(3)
		tb.SetSize(tt.width, 5)
		header := strings.Fields(strings.SplitN(tb.View(), "\n", 2)[0])
		if strings.Join(header, ",") != strings.Join(tt.wantShown, ",") {
			t.Errorf("width %d: header %v, want %v", tt.width, header, tt.wantShown)
		}
		for i, l := range strings.Split(tb.View(), "\n") {
			if w := ansi.StringWidth(l); w != tt.width {
				t.Errorf("width %d: line %d is %d wide: %q", tt.width, i, w, l)
			}
		}
	}
	tb := testTable(1)
	tb.SetSize(40, 3)
	if got := tb.ColumnWidth(3); got != 40-2-(6+1)-(4+1)-(10+1)-1 {
		t.Errorf("flex column width = %d", got)
	}
	tb.SetSize(16, 3)
	if got := tb.ColumnWidth(3); got != 0 {
		t.Errorf("hidden column width = %d, want 0", got)
	}
}

// When the columns that are never dropped are wider than the table (the
// Breakers pane at 64-80 columns), the flex column shrinks, then the
// rightmost columns are cut: every line is exactly the table's width.
func TestTableNeverOverflows(t *testing.T) {
	th := theme.Ascii()
	cols := []Column{
		{Title: "ABILITY", Width: 11},
		{Title: "STATE", Width: 13},
		{Title: "FAILED", Width: 10, Right: true},
		{Title: "CONSEC", Width: 6, Right: true, Drop: 2},
		{Title: "COOLDOWN", Width: 8, Right: true},
		{Title: "FAULT", Width: 9, Drop: 1},
		{Title: "LAST TRANSITION", Short: "LAST", Width: 18, Flex: true},
	}
	row := func(last string) []Cell {
		return []Cell{{Text: "flaky"}, {Text: "○ OPEN", Style: &th.Bad}, {Text: "100% 5/5"}, {Text: "5"},
			{Text: "2.5s"}, {Text: "90%"}, {Text: last, Style: &th.Muted}}
	}
	for w := 2; w <= 140; w++ {
		tb := NewTable(th, cols)
		tb.SetRows([][]Cell{row("failure-rate 3s ago"), row("–"), row("")})
		tb.SetSize(w, 4)
		lines := strings.Split(tb.View(), "\n")
		for i, l := range lines {
			if lw := ansi.StringWidth(l); lw != w {
				t.Fatalf("width %d: line %d is %d cells: %q", w, i, lw, l)
			}
		}
		if last := tb.ColumnWidth(6); last >= 4 && last < 15 && !strings.Contains(lines[0], "LAST ") {
			t.Errorf("width %d: a %d-cell flex column should be titled LAST: %q", w, last, lines[0])
		}
		if w >= 62 && tb.ColumnWidth(6) < minFlexWidth {
			t.Errorf("width %d: last transition column only %d cells", w, tb.ColumnWidth(6))
		}
		// A column cut so narrow it would show only "…" is hidden instead.
		for i := range cols {
			if cw := tb.ColumnWidth(i); cw > 0 && cw < minCutWidth && cw < cols[i].Width {
				t.Errorf("width %d: column %s cut to %d cells", w, cols[i].Title, cw)
			}
		}
	}
}

func TestTableCursorAndScroll(t *testing.T) {
	down := tea.KeyMsg{Type: tea.KeyDown}
	tb := testTable(10)
	tb.SetSize(30, 4) // header + 3 rows
	if !strings.Contains(tb.View(), "▸ row0") {
		t.Fatalf("cursor not on first row:\n%s", tb.View())
	}
	for range 5 {
		if !tb.Update(down) {
			t.Fatal("down not handled")
		}
	}
	v := tb.View()
	if tb.Cursor() != 5 || !strings.Contains(v, "▸ row5") || strings.Contains(v, "row2") {
		t.Errorf("after 5 downs cursor=%d view:\n%s", tb.Cursor(), v)
	}
	tb.Update(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("G")})
	if tb.Cursor() != 9 || !strings.Contains(tb.View(), "▸ row9") {
		t.Errorf("G: cursor=%d", tb.Cursor())
	}
	tb.Update(down)
	if tb.Cursor() != 9 {
		t.Errorf("cursor moved past the end: %d", tb.Cursor())
	}
	if tb.Update(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("x")}) {
		t.Error("x reported as navigation")
	}
	// Fewer rows: cursor clamps.
	tb.SetRows(tb.rows[:2])
	if tb.Cursor() != 1 {
		t.Errorf("cursor after shrink = %d, want 1", tb.Cursor())
	}
	tb.SetRows(nil)
	if tb.Cursor() != -1 || tb.Len() != 0 {
		t.Errorf("empty table cursor = %d, want -1", tb.Cursor())
	}
}

// A table too short for its rows says on its last line how many are out
// of view, above and below; one that fits has no such line.
func TestTableSaysWhatIsOutOfView(t *testing.T) {
	tb := testTable(6)
	tb.SetSize(30, 5) // header + 3 rows + the hint
	lines := strings.Split(tb.View(), "\n")
	if len(lines) != 5 || strings.TrimSpace(lines[4]) != "↓ 3 more rows" || !strings.Contains(lines[3], "row2") {
		t.Errorf("top of a long table:\n%s", tb.View())
	}
	for range 4 {
		tb.Update(tea.KeyMsg{Type: tea.KeyDown})
	}
	lines = strings.Split(tb.View(), "\n")
	if got := strings.TrimSpace(lines[4]); got != "↑ 2 more rows · ↓ 1 more row" || !strings.Contains(lines[3], "▸ row4") {
		t.Errorf("middle: hint %q:\n%s", got, tb.View())
	}
	for i, l := range lines {
		if w := ansi.StringWidth(l); w != 30 {
			t.Errorf("line %d is %d wide: %q", i, w, l)
		}
	}
	tb.SetSize(30, 7) // every row fits
	if v := tb.View(); strings.Contains(v, "more row") || !strings.Contains(v, "row5") {
		t.Errorf("a table that fits shows a hint or lacks a row:\n%s", v)
	}
}

func TestMoreRows(t *testing.T) {
	for _, tt := range []struct {
		above, below int
		want         string
	}{{0, 0, ""}, {1, 0, "↑ 1 more row"}, {0, 2, "↓ 2 more rows"}, {3, 1, "↑ 3 more rows · ↓ 1 more row"}} {
		if got := MoreRows(tt.above, tt.below); got != tt.want {
			t.Errorf("MoreRows(%d, %d) = %q, want %q", tt.above, tt.below, got, tt.want)
		}
	}
}

func TestTableFilter(t *testing.T) {
	tb := testTable(12) // row0 .. row11
	tb.SetSize(30, 20)
	tb.SetCursor(5)
	tb.SetFilter("ROW1") // row1, row10, row11
	if tb.Visible() != 3 || tb.Len() != 12 {
		t.Fatalf("visible %d of %d, want 3 of 12", tb.Visible(), tb.Len())
	}
	if tb.Cursor() != 1 {
		t.Errorf("cursor after filter = row %d, want row 1 (first match)", tb.Cursor())
	}
	tb.Update(tea.KeyMsg{Type: tea.KeyDown})
	if tb.Cursor() != 10 {
		t.Errorf("down within filter = row %d, want 10", tb.Cursor())
	}
	v := tb.View()
	if strings.Contains(v, "row2") || !strings.Contains(v, "▸ row10") || strings.Count(v, "\n") != 3 {
		t.Errorf("filtered view:\n%s", v)
	}
	tb.SetFilter("nothing")
	if tb.Cursor() != -1 || tb.Visible() != 0 {
		t.Errorf("no match: cursor %d visible %d", tb.Cursor(), tb.Visible())
	}
	tb.SetFilter("")
	if tb.Visible() != 12 || tb.Cursor() != 0 {
		t.Errorf("cleared filter: visible %d cursor %d", tb.Visible(), tb.Cursor())
	}
}

func TestFilterInput(t *testing.T) {
	key := func(s string) tea.KeyMsg {
		switch s {
		case "enter":
			return tea.KeyMsg{Type: tea.KeyEnter}
		case "esc":
			return tea.KeyMsg{Type: tea.KeyEsc}
		}
		return tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune(s)}
	}
	f := NewFilter(theme.Ascii())
	if f.Update(key("x")) || f.Update(key("esc")) {
		t.Error("idle filter consumed x or esc")
	}
	if !f.Update(key("/")) || !f.Typing() {
		t.Fatal("/ did not start typing")
	}
	for _, k := range []string{"a", "b", "q"} { // q is text while typing
		if !f.Update(key(k)) {
			t.Errorf("typing did not consume %q", k)
		}
	}
	if f.Value() != "abq" || !strings.HasPrefix(f.View(), "/abq") {
		t.Errorf("value %q view %q", f.Value(), f.View())
	}
	f.Update(key("enter"))
	if f.Typing() || f.Value() != "abq" || !f.Active() {
		t.Errorf("enter: typing %v value %q", f.Typing(), f.Value())
	}
	if v := f.View(); !strings.Contains(v, "/abq") || !strings.Contains(v, "esc clears") {
		t.Errorf("applied view %q", v)
	}
	if !f.Update(key("esc")) || f.Value() != "" || f.Active() {
		t.Errorf("esc did not clear the applied filter: %q", f.Value())
	}
	f.Update(key("/"))
	f.Update(key("z"))
	f.Update(key("esc"))
	if f.Typing() || f.Value() != "" {
		t.Errorf("esc while typing: typing %v value %q", f.Typing(), f.Value())
	}
}

func TestTableViewIsCached(t *testing.T) {
	tb := testTable(3)
	tb.SetSize(30, 5)
	first := tb.View()
	allocs := testing.AllocsPerRun(10, func() { _ = tb.View() })
	if allocs != 0 {
		t.Errorf("cached View allocated %v times", allocs)
	}
	tb.SetCursor(2)
	if tb.View() == first {
		t.Error("view not re-rendered after the cursor moved")
	}
}

// A Fit column is as wide as its widest cell (or title), up to its Width,
// and takes that width before the flex column takes the rest.
func TestTableFitColumnFollowsRows(t *testing.T) {
	tb := NewTable(theme.Ascii(), []Column{
		{Title: "NAME", Width: 6},
		{Title: "FIT", Width: 12, Fit: true},
		{Title: "NOTE", Width: 10, Flex: true},
	})
	tb.SetSize(40, 5)
	avail := 40 - 2 - (6 + 1) - 1 // cursor marker, NAME, the flex column's gap
	for _, tt := range []struct {
		text string
		want int
	}{
		{"–", 3},                      // the title
		{"100% +250ms", 11},           // the cell
		{"a very long cell text", 12}, // at most Width
		{"", 3},                       // and back
	} {
		tb.SetRows([][]Cell{{{Text: "a"}, {Text: "x"}, {Text: "note"}}, {{Text: "b"}, {Text: tt.text}, {Text: "note"}}})
		if got := tb.ColumnWidth(1); got != tt.want {
			t.Errorf("%q: fit column %d wide, want %d", tt.text, got, tt.want)
		}
		if got := tb.ColumnWidth(2); got != avail-tt.want-1 {
			t.Errorf("%q: flex column %d wide, want the remaining %d", tt.text, got, avail-tt.want-1)
		}
		if tt.want == ansi.StringWidth(tt.text) && !strings.Contains(tb.View(), tt.text+" note") {
			t.Errorf("%q not shown in full:\n%s", tt.text, tb.View())
		}
	}
}
