package training

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/agentdash/agentdash/internal/train"
	"github.com/agentdash/agentdash/ui/pane"
	"github.com/agentdash/agentdash/ui/theme"
)

// runList is the pane's list of runs to compare, as TensorBoard's run
// selector: every run of the session that trained an epoch, and the
// checkpoints loaded with o; up to MaxOverlay of them (counting a live
// run) are overlaid on the graph.
type runList struct {
	runs      []Run
	shown     []int // indices into runs of those overlaid, in slot order
	runCursor int   // the run under ▸
	// current is the index of the run whose history the single-run graph
	// holds (the last run of the session), -1 while a run is live or none
	// has finished.
	current int
	// trained counts the session's runs that trained an epoch, which are
	// named by it (a run that failed to start takes no number).
	trained int
	// runsVersion is bumped whenever what the comparison draws changes.
	runsVersion uint64
	cmpKey      cmpKey
	cmpOut      string
}

// cmpKey is what the cached comparison graph was drawn for.
type cmpKey struct {
	version uint64
	conv    bool
	log     bool
	w, h    int
}

// loadedRunMsg carries a checkpoint loaded as a run (o).
type loadedRunMsg struct {
	path string
	run  Run
	err  error
}

// runStarted makes room in the overlay for the run that starts.
func (m *Model) runStarted() {
	m.current = -1
	if len(m.shown) >= MaxOverlay {
		m.shown = m.shown[1:]
	}
	m.runsVersion++
}

// runEnded adds the run that returned res to the list and overlays it
// where it was drawn live.
func (m *Model) runEnded(res *train.Result) {
	m.trained++
	m.runs = append(m.runs, RunFromResult("#"+strconv.Itoa(m.trained), res))
	m.current = len(m.runs) - 1
	m.runCursor = m.current
	m.show(m.current)
}

// show overlays runs[i], dropping the oldest overlaid run if all slots
// are taken.
func (m *Model) show(i int) {
	if slices.Contains(m.shown, i) {
		return
	}
	m.shown = append(m.shown, i)
	if len(m.shown) > MaxOverlay {
		m.shown = m.shown[len(m.shown)-MaxOverlay:]
	}
	m.runsVersion++
}

// live reports whether a run is drawn live (it takes a slot).
func (m *Model) live() bool {
	return m.current < 0 && (m.state == running || m.state == launching) && m.graph.data.n > 0
}

// overlay returns the runs the comparison draws, in slot order: those
// shown, then the live run.
func (m *Model) overlay() []Run {
	out := make([]Run, 0, len(m.shown)+1)
	for _, i := range m.shown {
		out = append(out, m.runs[i])
	}
	if m.live() {
		out = append(out, Run{Name: "#" + strconv.Itoa(m.trained+1) + " live", Config: m.runCfg,
			History: m.trainHist, Epochs: m.graph.data.n, Loss: m.latest.TrainLoss, Optimum: m.graph.data.optimum})
	}
	return out
}

// comparing reports whether the graph compares runs (or shows the
// convergence view) instead of the last run's detailed curve.
func (m *Model) comparing() bool {
	if m.view.conv {
		return true
	}
	if m.live() {
		return len(m.shown) > 0
	}
	if len(m.runs) == 0 { // data set without a run (tests), or a run failed to start
		return false
	}
	return !(len(m.shown) == 1 && m.shown[0] == m.current)
}

// listVisible reports whether the run list is drawn: when there is
// something to compare with (the stats lines describe a single run).
func (m *Model) listVisible() bool {
	return len(m.runs) >= 2 || (len(m.runs) == 1 && m.current != 0)
}

// runKey handles the run list's keys.
func (m *Model) runKey(msg tea.KeyMsg) tea.Cmd {
	k := &m.keys
	switch {
	case key.Matches(msg, k.runUp):
		m.runCursor = max(0, m.runCursor-1)
	case key.Matches(msg, k.runDown):
		m.runCursor = min(len(m.runs)-1, m.runCursor+1)
	case key.Matches(msg, k.overlay):
		return m.toggleOverlay()
	case key.Matches(msg, k.conv):
		m.view.conv = !m.view.conv
	case key.Matches(msg, k.load):
		return m.loadRun()
	}
	return nil
}

// toggleOverlay shows or hides the run under the cursor.
func (m *Model) toggleOverlay() tea.Cmd {
	if m.runCursor < 0 || m.runCursor >= len(m.runs) {
		return nil
	}
	m.runsVersion++
	if i := slices.Index(m.shown, m.runCursor); i >= 0 {
		m.shown = slices.Delete(m.shown, i, i+1)
		return nil
	}
	used := len(m.shown)
	if m.live() {
		used++
	}
	if used >= MaxOverlay {
		return pane.Status(fmt.Sprintf("at most %d runs are overlaid: hide one first (x)", MaxOverlay), true)
	}
	m.shown = append(m.shown, m.runCursor)
	return nil
}

// loadRun loads the checkpoint named in the form's checkpoint field as a
// run to compare, off the UI goroutine.
func (m *Model) loadRun() tea.Cmd {
	path := m.inputs[m.fieldIndex("checkpoint")].Value()
	if path == "" {
		return pane.Status("o loads the checkpoint field's file as a run: the field is empty", true)
	}
	return func() tea.Msg {
		ck, err := train.LoadCheckpoint(path)
		if err != nil {
			return loadedRunMsg{path: path, err: err}
		}
		return loadedRunMsg{path: path, run: RunFromCheckpoint(path, ck)}
	}
}

// loaded adds a loaded checkpoint to the list, overlaid if a slot is free.
func (m *Model) loaded(msg loadedRunMsg) tea.Cmd {
	if msg.err != nil {
		return pane.Status(msg.err.Error(), true)
	}
	m.runs = append(m.runs, msg.run)
	m.runCursor = len(m.runs) - 1
	m.dirty = true
	used := len(m.shown)
	if m.live() {
		used++
	}
	m.runsVersion++
	m.syncKeys()
	if used >= MaxOverlay {
		return pane.Status("loaded "+msg.path+" (not overlaid: x after hiding a run)", false)
	}
	m.shown = append(m.shown, m.runCursor)
	return pane.Status("loaded "+msg.path+" as a run", false)
}

// syncRunKeys enables the run list's keys, and disables the single-run
// graph's keys that the comparison does not use.
func (m *Model) syncRunKeys(browsing bool) {
	k := &m.keys
	list := m.listVisible()
	k.runUp.SetEnabled(browsing && list && len(m.runs) > 1)
	k.runDown.SetEnabled(browsing && list && len(m.runs) > 1)
	k.overlay.SetEnabled(browsing && list)
	if list && slices.Contains(m.shown, m.runCursor) {
		k.overlay.SetHelp("x", "hide run")
	} else {
		k.overlay.SetHelp("x", "overlay run")
	}
	k.conv.SetEnabled(browsing && (m.graph.data.n > 0 || len(m.runs) > 0))
	if m.view.conv {
		k.conv.SetHelp("c", "loss curve")
	} else {
		k.conv.SetHelp("c", "convergence")
	}
	k.load.SetEnabled(browsing)
	if m.comparing() {
		k.log.SetEnabled(browsing && !m.view.conv && len(m.overlay()) > 0)
		k.ema.SetEnabled(false)
		k.tail.SetEnabled(false)
		k.full.SetEnabled(false)
	}
}

// runListLines renders the run list in at most n lines of w cells: the
// header and a window of rows around the cursor.
func (m *Model) runListLines(w, n int) []string {
	th := m.th
	if n < 2 || len(m.runs) == 0 {
		return nil
	}
	rows := min(len(m.runs), n-1)
	detail := n-1 > rows && m.runCursor > 0 && m.runCursor < len(m.runs)
	first := min(max(0, m.runCursor-rows/2), len(m.runs)-rows)
	lines := []string{runListHeader(th, w)}
	for i := first; i < first+rows; i++ {
		lines = append(lines, runRow(th, m.runs, i, slices.Index(m.shown, i), i == m.runCursor && m.focused, w))
	}
	if detail {
		// The row cuts the changes to its width: the run under ▸ gets
		// them whole.
		prev, cur := &m.runs[m.runCursor-1], &m.runs[m.runCursor]
		d := strings.Join(ConfigDiff(prev.Config, cur.Config), ", ")
		if d == "" {
			d = "same config"
		}
		lines = append(lines, wrap(th.Label.Render(keepTogether(cur.Name+" vs "+prev.Name+": "))+th.Accent.Render(d), w, 1)...)
	}
	return lines
}

// compareBlock renders the legend and the comparison graph in exactly
// w×h, cached until the runs, the view or the size change. The
// convergence view puts the losses (log) above the gaps when there is
// room for both.
func (m *Model) compareBlock(w, h int) string {
	key := cmpKey{version: m.runsVersion, conv: m.view.conv, log: m.view.log, w: w, h: h}
	if m.cmpKey == key && m.cmpOut != "" {
		return m.cmpOut
	}
	th, runs := m.th, m.overlay()
	var out string
	switch {
	case len(runs) == 0:
		out = th.Muted.Render("no run overlaid: x overlays the run under ▸")
	case m.view.conv:
		legend := runLegend(th, runs, true, true, w)
		legend = legend[:min(len(legend), 2)]
		gh := h - len(legend)
		if gh >= 2*xAxisMinHeight+2 {
			lossH := gh / 2
			out = joinLines(legend, theme.Block(plotRuns(th, runs, false, true, w, lossH), w, lossH),
				plotRuns(th, runs, true, true, w, gh-lossH))
		} else {
			out = joinLines(legend, plotRuns(th, runs, true, true, w, gh))
		}
	default:
		legend := runLegend(th, runs, false, m.view.log, w)
		legend = legend[:min(len(legend), 2)]
		out = joinLines(legend, plotRuns(th, runs, false, m.view.log, w, h-len(legend)))
	}
	m.cmpKey, m.cmpOut = key, theme.Block(out, w, h)
	return m.cmpOut
}

func joinLines(head []string, rest ...string) string {
	return strings.Join(append(slices.Clone(head), rest...), "\n")
}
