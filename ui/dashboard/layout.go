package dashboard

// Layout thresholds. Below the minimum the dashboard shows only a message;
// from gridW×gridH up all four panes are shown in a 2×2 grid, in between one
// pane at a time under a tab bar.
const (
	minW, minH   = 64, 18
	gridW, gridH = 140, 40
)

type layoutKind int

const (
	layoutTooSmall layoutKind = iota
	layoutTabs
	layoutGrid
)

// rect is a screen region in cells.
type rect struct{ x, y, w, h int }

func (r rect) contains(x, y int) bool {
	return x >= r.x && x < r.x+r.w && y >= r.y && y < r.y+r.h
}

// layout is where everything goes for one terminal size, focus and zoom.
type layout struct {
	kind layoutKind
	// frames are the outer rectangles (border included) of each pane;
	// a zero rect means the pane is not visible.
	frames [numPanes]rect
	// tabs are the click targets of the tab bar (tabs layout only).
	tabs   [numPanes]rect
	tabBar bool
	// body is the area between the header and the footer.
	body rect
}

// computeLayout places the panes on a width×height screen: line 0 is the
// header, the last line the footer.
func computeLayout(width, height, focus int, zoom bool) layout {
	var l layout
	if width < minW || height < minH {
		return l
	}
	l.body = rect{0, 1, width, height - 2}
	switch {
	case zoom:
		l.kind = layoutTabs
		if width >= gridW && height >= gridH {
			l.kind = layoutGrid
		}
		l.frames[focus] = l.body
	case width >= gridW && height >= gridH:
		l.kind = layoutGrid
		lw, th := width/2, l.body.h/2
		rw, bh := width-lw, l.body.h-th
		y0 := l.body.y
		l.frames = [numPanes]rect{
			{0, y0, lw, th}, {lw, y0, rw, th},
			{0, y0 + th, lw, bh}, {lw, y0 + th, rw, bh},
		}
	default:
		l.kind = layoutTabs
		l.tabBar = true
		l.frames[focus] = rect{0, l.body.y + 1, width, l.body.h - 1}
	}
	return l
}

// contentSize is the inner size of a frame (its border removed).
func (r rect) contentSize() (int, int) { return max(r.w-2, 0), max(r.h-2, 0) }
