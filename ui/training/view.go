package training

import (
	"fmt"
	"math"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/charmbracelet/x/ansi"

	"github.com/agentdash/agentdash/internal/series"
	"github.com/agentdash/agentdash/internal/train"
	"github.com/agentdash/agentdash/ui/pane"
	"github.com/agentdash/agentdash/ui/theme"
)

// Layout constants.
const (
	// minWidth and minHeight are the smallest size the pane draws itself at.
	minWidth, minHeight = 24, 4
	// wideWidth is the width from which the form sits left of the graph.
	wideWidth = 96
	// formWidth is the form column's width in the wide layout.
	formWidth = 40
	// cellWidth is the width of one form cell in the narrow (grid) layout.
	cellWidth = 30
	// labelCells is the width of a form label.
	labelCells = 14
)

// View implements pane.Pane. It renders exactly the size given to SetSize
// and is rebuilt only after something changed.
func (m *Model) View() string {
	if !m.dirty {
		return m.out
	}
	m.dirty = false
	m.out = m.render()
	return m.out
}

func (m *Model) render() string {
	w, h, th := m.width, m.height, m.th
	if w <= 0 || h <= 0 {
		return ""
	}
	if w < minWidth || h < minHeight {
		return theme.Block(th.Muted.Render("Training: too small"), w, h)
	}
	formW, cols := formGeometry(w)
	if cols == 1 && formW < w { // wide: the form left of the run
		sep := " " + th.Subtle.Render("│") + " "
		return pane.JoinColumns(m.formBlock(formW, h, 1), sep, m.runBlock(w-formWidth-3, h), h)
	}
	// Narrow: the form as a grid on top, the run below.
	rows := (len(m.fields) + cols - 1) / cols
	formH := min(rows+2, max(3, h/3))
	if h-formH < 8 { // too little room for a graph: give the form what it needs
		formH = min(rows+2, h-1)
	}
	return m.formBlock(w, formH, cols) + "\n" + m.runBlock(w, h-formH)
}

// formGeometry returns the form's width and number of columns in a pane w
// cells wide: a single column left of the run when the pane is wide, a
// grid across the whole width above the run otherwise.
func formGeometry(w int) (formW, cols int) {
	if w >= wideWidth {
		return formWidth, 1
	}
	return w, max(1, w/cellWidth)
}

// cellGeometry returns the label and value widths of a form cell w cells
// wide (after the two-cell marker and a space).
func cellGeometry(w int) (label, value int) {
	label = min(labelCells, max(0, (w-2)/2))
	return label, max(0, w-2-label-1)
}

// formBlock renders the form in cols columns, exactly w×h: the fields (a
// window around the cursor when they do not fit), then the validation
// messages and the selected field's help.
func (m *Model) formBlock(w, h, cols int) string {
	msgs := m.formMessages(w, cols)
	rows := (len(m.fields) + cols - 1) / cols
	avail := max(1, h-len(msgs)-1) // one blank line between fields and messages
	first := 0
	curRow := m.cursor % rows
	if rows > avail {
		first = min(max(0, curRow-avail/2), rows-avail)
	}
	cw := w / cols
	lines := make([]string, 0, h)
	for r := first; r < min(rows, first+avail); r++ {
		var sb strings.Builder
		for c := range cols {
			i := c*rows + r
			if i >= len(m.fields) {
				break
			}
			sb.WriteString(m.fieldCell(i, cw))
		}
		lines = append(lines, sb.String())
	}
	if len(lines) < h {
		// The line between the fields and the messages says which way
		// more fields are when they do not all fit.
		if more := pane.MoreRows(first, rows-first-avail); more != "" {
			lines = append(lines, m.th.Muted.Render("  "+more))
		} else {
			lines = append(lines, "")
		}
	}
	lines = append(lines, msgs...)
	return theme.Block(strings.Join(lines, "\n"), w, h)
}

// formMessages returns the lines under the form. A single column lists
// every error (wrapped to w), or "valid" when there is none, and the
// selected field's help; a grid has room for one line: the first error,
// else the help.
func (m *Model) formMessages(w, cols int) []string {
	th := m.th
	f := &m.fields[m.cursor]
	help := th.Muted.Render(keepTogether(f.label + ": " + f.help))
	invalid := m.formErr != nil || hasErr(m.errs)
	if cols > 1 {
		if invalid {
			return wrap(m.firstError(), w, 1)
		}
		return wrap(help, w, 1)
	}
	var msgs []string
	for _, err := range m.errs {
		if err != nil {
			msgs = append(msgs, th.Error.Render(keepTogether("✗ "+err.Error())))
		}
	}
	if m.formErr != nil && len(msgs) == 0 {
		msgs = append(msgs, th.Error.Render(keepTogether("✗ "+m.formErr.Error())))
	}
	if !invalid && (m.state == idle || m.state == finished) {
		msgs = append(msgs, th.Good.Render("✓ valid")+th.Muted.Render(" · enter trains"))
	}
	var lines []string
	for _, s := range append(msgs, help) {
		lines = append(lines, wrap(s, w, 3)...)
	}
	return lines
}

func hasErr(errs []error) bool {
	for _, err := range errs {
		if err != nil {
			return true
		}
	}
	return false
}

// firstError renders the first field error, with a count of the others.
func (m *Model) firstError() string {
	var first error
	n := 0
	for _, err := range m.errs {
		if err != nil {
			if first == nil {
				first = err
			}
			n++
		}
	}
	if first == nil {
		first, n = m.formErr, 1
	}
	s := "✗ " + first.Error()
	if n > 1 {
		s += " (+" + strconv.Itoa(n-1) + " more)"
	}
	return m.th.Error.Render(keepTogether(s))
}

// fieldCell renders field i in exactly w cells: marker, label, value. The
// selected field is marked with "▸" (and highlighted when the pane has
// focus); an invalid value is followed by "✗", so both read without colour.
func (m *Model) fieldCell(i, w int) string {
	th := m.th
	f, in := &m.fields[i], &m.inputs[i]
	sel := i == m.cursor
	lw, vw := cellGeometry(w)
	marker := "  "
	if sel {
		marker = "▸ "
	}
	label := theme.PadRight(f.label, lw)
	if sel && m.editing {
		return theme.PadRight(th.Accent.Render("› ")+th.Label.Render(label)+" "+in.View(), w)
	}
	bad := m.errs[i] != nil
	val := in.Value()
	if bad { // keep the mark visible however long the value
		val = ansi.Truncate(val, max(vw-2, 0), "…") + " ✗"
	}
	if sel && m.focused {
		if val == "" {
			val = f.placeholder
		}
		return th.Selected.Render(theme.PadRight(marker+label+" "+val, w))
	}
	var vs string
	switch {
	case bad:
		vs = th.Error.Render(theme.PadRight(val, vw))
	case val == "":
		vs = th.Muted.Render(theme.PadRight(f.placeholder, vw))
	default:
		vs = th.Text.Render(theme.PadRight(val, vw))
	}
	return theme.PadRight(marker+th.Label.Render(label)+" "+vs, w)
}

// runBlock renders the run's status, statistics, legend and loss curve in
// exactly w×h.
func (m *Model) runBlock(w, h int) string {
	lines := m.statsLines(w)
	if len(lines) >= h {
		return theme.Block(strings.Join(lines[:h], "\n"), w, h)
	}
	if m.listVisible() {
		// The list takes at most half the room left, so the graph keeps
		// the rest.
		lines = append(lines, m.runListLines(w, min(2+MaxOverlay, (h-len(lines))/2))...)
	}
	gh := h - len(lines)
	if gh >= 4 && m.comparing() {
		lines = append(lines, m.compareBlock(w, gh))
	} else if gh >= 4 && m.graph.data.n > 0 {
		legend := m.legend(w)
		legend = legend[:min(len(legend), 2)]
		lines = append(lines, legend...)
		lines = append(lines, m.graph.render(m.view, w, gh-len(legend)))
	} else if gh >= 4 && m.state != finished {
		lines = append(lines, "", m.th.Muted.Render("the loss curve appears here once training starts"))
	}
	return theme.Block(strings.Join(lines, "\n"), w, h)
}

// statsLines returns the status and statistics lines for width w. Each
// line is a list of segments packed into as many lines as the width
// needs, so nothing is cut off in a narrow column.
func (m *Model) statsLines(w int) []string {
	th := m.th
	switch m.state {
	case idle:
		next := th.Key.Render("enter") + th.KeyDesc.Render(" trains with this config")
		if m.formErr != nil || hasErr(m.errs) {
			next = th.Error.Render("✗ the form has errors: enter will not train")
		}
		return slices.Concat(
			pack(w, th.Muted.Render("○ idle"), next),
			pack(w, th.Label.Render("data ")+m.dataSummary(m.formCfg)),
			pack(w, th.Label.Render("saves to ")+checkpointName(m.inputs[m.fieldIndex("checkpoint")].Value())),
		)
	case launching:
		return slices.Concat(
			pack(w, th.Info.Render("◌ "+launchStep(m.phase)+"…")),
			pack(w, th.Label.Render("data ")+m.dataSummary(m.runCfg)),
		)
	}

	var lines []string
	if m.state == running {
		var status string
		switch {
		case m.stopping:
			status = th.Warn.Render("■ stopping…")
		case m.paused && m.held:
			status = th.Badge.Render(" PAUSED ") + th.KeyDesc.Render(" space resumes")
		case m.paused:
			// The trainer pauses between epochs: this one runs on.
			status = th.Warn.Render("⏸ pausing after this epoch…") + th.KeyDesc.Render(" space cancels")
		default:
			status = th.Good.Render("▶ training")
		}
		parts := []string{status}
		if m.has {
			parts = append(parts, progress(th, m.latest, m.first, m.paused && m.held)...)
		}
		lines = pack(w, parts...)
	} else {
		lines = pack(w, m.outcome()...)
	}
	switch {
	case m.state == finished && m.result != nil && m.result.Epochs == 0:
		// What the result holds is the untrained model: not a result.
		lines = append(lines, th.Muted.Render("no epoch completed: no model was trained"))
	case m.has || m.result != nil:
		lines = append(lines, pack(w, m.lossParts()...)...)
		lines = append(lines, pack(w, m.modelParts(w)...)...)
	}
	if m.state == finished {
		switch {
		case m.runErr != nil:
			lines = append(lines, wrap(th.Error.Render(keepTogether("✗ "+m.runErr.Error())), w, 3)...)
		case m.result != nil && m.result.Checkpoint != "":
			// The prefilled path is the one the agent's predict ability reads.
			note := "predict serves this model now"
			if filepath.Clean(m.result.Checkpoint) != filepath.Clean(m.base.Checkpoint) {
				note = "predict reads " + m.base.Checkpoint + ", not this file"
			}
			lines = append(lines, pack(w, th.Label.Render("saved ")+th.Text.Render(m.result.Checkpoint), th.Muted.Render(note))...)
		case m.result != nil:
			lines = append(lines, th.Muted.Render("no checkpoint saved"))
		}
	}
	return lines
}

// pack joins styled segments with " · " into lines of at most w cells,
// starting a new line rather than splitting a segment (a segment wider
// than w is left for theme.Block to truncate).
func pack(w int, parts ...string) []string { return packSep(w, " · ", parts...) }

// packSep is pack with another separator.
func packSep(w int, sep string, parts ...string) []string {
	sepWidth := ansi.StringWidth(sep)
	var (
		lines []string
		cur   strings.Builder
		curW  int
	)
	for _, p := range parts {
		pw := ansi.StringWidth(p)
		if curW > 0 && curW+sepWidth+pw > w {
			lines = append(lines, cur.String())
			cur.Reset()
			curW = 0
		}
		if curW > 0 {
			cur.WriteString(sep)
			curW += sepWidth
		}
		cur.WriteString(p)
		curW += pw
	}
	if curW > 0 {
		lines = append(lines, cur.String())
	}
	return lines
}

// outcome describes how a finished run ended, as segments.
func (m *Model) outcome() []string {
	th := m.th
	res, err := m.result, m.runErr
	if res == nil {
		if m.stoppedEarly {
			return []string{th.Warn.Render("■ stopped") + th.Text.Render(" before the first epoch: nothing saved")}
		}
		return []string{th.Bad.Render("✗ failed to start")}
	}
	epochs := groupDigits(res.Epochs)
	var head string
	switch res.StopReason {
	case train.StopCompleted:
		head = th.Good.Render("✓ completed") + th.Text.Render(" "+epochs+" epochs")
	case train.StopEarlyStopped:
		// The model kept is the best epoch's (see train.Result).
		head = th.Good.Render("✓ early-stopped") + th.Text.Render(" at epoch "+epochs+", model of epoch "+groupDigits(res.BestEpoch))
	case train.StopCanceled:
		if res.Epochs == 0 { // stopped once the data had loaded (cf. stoppedEarly)
			head = th.Warn.Render("■ stopped") + th.Text.Render(" before the first epoch")
		} else {
			head = th.Warn.Render("■ stopped") + th.Text.Render(" at epoch "+epochs)
		}
	case train.StopDiverged:
		// Numbered as the trainer's error under this line numbers it.
		if divergedMidRun(res, m.runCfg) {
			head = th.Bad.Render("✗ diverged") + th.Text.Render(" at epoch "+groupDigits(res.Epochs+1))
		} else {
			head = th.Bad.Render("✗ diverged") + th.Text.Render(" after "+epochs+" "+pane.Word(res.Epochs, "epoch", "epochs"))
		}
	default:
		if err != nil {
			head = th.Bad.Render("✗ failed") + th.Text.Render(" at epoch "+epochs)
		} else {
			head = th.Text.Render(string(res.StopReason) + " after " + epochs + " epochs")
		}
	}
	parts := []string{head, th.Text.Render(pane.Duration(res.Elapsed))}
	if res.Samples > 0 {
		rows := groupDigits(res.Samples) + " train"
		if res.ValSamples > 0 {
			rows += " + " + groupDigits(res.ValSamples) + " val"
		}
		parts = append(parts, th.Muted.Render(rows+" rows"))
	}
	return parts
}

// divergedMidRun reports whether a diverged run stopped at an epoch whose
// loss blew up: the trainer rolls that epoch back, so res.Epochs is the
// last good one and its error names the next ("at epoch 1" after none).
// Otherwise the run completed, or stopped early, with a model worse than
// the all-zero one it started from, and its error counts the epochs run.
func divergedMidRun(res *train.Result, cfg train.Config) bool {
	if res.Epochs >= cfg.Epochs {
		return false
	}
	earlyStopped := cfg.Patience > 0 && res.Epochs-res.BestEpoch >= cfg.Patience
	return !earlyStopped
}

// progress renders "epoch 123/1,000 12%", "ETA 3s" and "1.2M rows/s".
// While paused (held: not while a pause waits for the epoch in progress)
// neither the ETA nor the rate is shown. The trainer's rate leaves the
// pause out, but it is one epoch's: with epochs of microseconds, the one
// running as the pause begins is often slowed many times over, and that
// sample would stay on screen for the whole pause.
func progress(th *theme.Theme, ev, first train.Event, paused bool) []string {
	ep := th.Label.Render("epoch ") + th.Bold.Render(groupDigits(ev.Epoch)) + th.Muted.Render("/"+groupDigits(ev.Epochs))
	if ev.Epochs > 0 {
		ep += " " + th.Text.Render(pane.Percent(float64(ev.Epoch)/float64(ev.Epochs)))
	}
	parts := []string{ep}
	if eta, ok := etaOf(ev, first); ok && !paused {
		parts = append(parts, th.Label.Render("ETA ")+th.Text.Render(pane.Uptime(eta+time.Second/2)))
	}
	if r := ev.SamplesPerSec; r > 0 && isFinite(r) && !paused {
		parts = append(parts, th.Text.Render(pane.Rate(r))+th.Muted.Render(" rows/s"))
	}
	return parts
}

// etaOf estimates the time left from the epochs trained since the first
// event the pane saw (Elapsed excludes pauses). Before a second event it
// assumes the run started at epoch 0, which is exact unless it resumed
// from a checkpoint.
func etaOf(ev, first train.Event) (time.Duration, bool) {
	left := ev.Epochs - ev.Epoch
	if left < 0 || ev.Elapsed <= 0 || ev.Epoch <= 0 {
		return 0, false
	}
	epochs, took := float64(ev.Epoch), float64(ev.Elapsed)
	if ev.Epoch > first.Epoch && ev.Elapsed > first.Elapsed {
		epochs, took = float64(ev.Epoch-first.Epoch), float64(ev.Elapsed-first.Elapsed)
	}
	return time.Duration(took / epochs * float64(left)), true
}

// lossParts renders "loss 0.0123", "val 0.013", "best 0.012 @37",
// "optimum 0.0118" and "gap +0.0005 (+4.2%)".
func (m *Model) lossParts() []string {
	th := m.th
	ev := &m.latest
	loss, val, best, bestEpoch, opt := ev.TrainLoss, ev.ValLoss, ev.BestLoss, ev.BestEpoch, ev.OptimalLoss
	if r := m.result; r != nil && m.state == finished {
		loss, val, best, bestEpoch, opt = r.Loss, r.ValLoss, r.BestLoss, r.BestEpoch, r.OptimalLoss
	}
	parts := []string{th.Label.Render("loss ") + th.Bold.Render(num(loss))}
	if isFinite(val) {
		parts = append(parts, th.Label.Render("val ")+th.Warn.Render(num(val)))
	}
	if isFinite(best) {
		b := th.Label.Render("best ") + th.Text.Render(num(best))
		if bestEpoch > 0 {
			b += th.Muted.Render(" @" + groupDigits(bestEpoch))
		}
		parts = append(parts, b)
	}
	if isFinite(opt) {
		parts = append(parts, th.Label.Render("optimum ")+th.Good.Render(num(opt)))
		if isFinite(loss) {
			gap := loss - opt
			g := signed(gap)
			if opt > 0 {
				g += " (" + signedPercent(gap/opt) + ")"
			}
			parts = append(parts, th.Label.Render("gap ")+th.Text.Render(g))
		}
	}
	return parts
}

// modelParts renders "lr 0.05", "w 2.998 -1.2", "b 1.002" and the time
// trained.
func (m *Model) modelParts(w int) []string {
	th := m.th
	ev := m.latest
	weights, bias, names := ev.Weights, ev.Bias, m.features
	if r := m.result; r != nil && m.state == finished {
		weights, bias, names = r.Weights, r.Bias, r.Features
	}
	var sb strings.Builder
	for i, x := range weights {
		if i > 0 {
			sb.WriteByte(' ')
		}
		if sb.Len() > w {
			sb.WriteString("…")
			break
		}
		if len(names) == len(weights) && len(weights) > 1 {
			sb.WriteString(names[i] + "=")
		}
		sb.WriteString(num(x))
	}
	var parts []string
	if m.has && ev.LR > 0 && m.state == running {
		parts = append(parts, th.Label.Render("lr ")+th.Text.Render(num(ev.LR)))
	}
	parts = append(parts,
		th.Label.Render("w ")+th.Accent.Render(sb.String()),
		th.Label.Render("b ")+th.Accent.Render(num(bias)))
	if m.state == running { // a finished run's time is on its first line
		parts = append(parts, th.Label.Render("trained ")+th.Muted.Render(pane.Duration(ev.Elapsed)))
	}
	if r := m.result; r != nil && m.state == finished {
		parts = append(parts, resultParts(th, r)...)
	}
	return parts
}

// resultParts renders which model a finished run saved ("model best
// @2107") and, for collinear features, a warning naming the most
// correlated pair.
func resultParts(th *theme.Theme, r *train.Result) []string {
	var parts []string
	switch r.Model {
	case train.ModelBest:
		parts = append(parts, th.Label.Render("model ")+th.Text.Render("best")+th.Muted.Render(" @"+groupDigits(r.BestEpoch)))
	case train.ModelLast:
		parts = append(parts, th.Label.Render("model ")+th.Text.Render("last"))
	}
	if c := r.Collinearity; c.Collinear() && c.Pair[0] != "" {
		parts = append(parts, th.Warn.Render(fmt.Sprintf("⚠ collinear: cond %.3g, %s~%s r %.3f", c.Condition, c.Pair[0], c.Pair[1], c.R)))
	}
	return parts
}

// legend names the graph's lines by the same shapes the graph draws them
// with, then the view mode and resolution; it is packed into lines of w.
func (m *Model) legend(w int) []string {
	th := m.th
	parts := []string{th.Info.Render("─") + th.Muted.Render(" train")}
	if len(m.valHist) > 0 && hasFiniteBuckets(m.valHist) {
		parts = append(parts, th.Warn.Render("═")+th.Muted.Render(" val"))
	}
	if isFinite(m.graph.data.optimum) {
		parts = append(parts, th.Good.Render("╌")+th.Muted.Render(" optimum"))
	}
	note, banded := m.graph.resolution(m.view, w)
	if banded {
		parts = append(parts, th.Subtle.Render("·")+th.Muted.Render(" min/max"))
	}
	if m.view.ema {
		parts = append(parts, th.Accent.Render("━")+th.Muted.Render(" EMA"))
	}
	mode := "linear"
	if m.view.log {
		mode = "log"
	}
	parts = append(parts, th.Text.Render(mode))
	if m.view.tail > 0 {
		parts = append(parts, th.Text.Render("last "+groupDigits(m.view.tail)))
	} else {
		parts = append(parts, th.Text.Render("full run"))
	}
	if note != "" {
		parts = append(parts, th.Muted.Render(note))
	}
	return packSep(w, "  ", parts...)
}

func hasFiniteBuckets(ks []series.Bucket) bool {
	for _, k := range ks {
		if k.Count > k.Skipped {
			return true
		}
	}
	return false
}

// dataSummary describes where a run's data comes from.
func (m *Model) dataSummary(c train.Config) string {
	th := m.th
	if c.Dataset != "" {
		return th.Text.Render(c.Dataset)
	}
	s := c.Synthetic
	return th.Text.Render("synthetic, "+groupDigits(s.Samples)+" rows") +
		th.Muted.Render(" (y = "+num(s.Weight)+"·x + "+num(s.Bias)+", noise "+num(s.Noise)+")")
}

// fieldIndex returns the index of the field with the given label.
func (m *Model) fieldIndex(label string) int {
	for i, f := range m.fields {
		if f.label == label {
			return i
		}
	}
	return 0
}

func checkpointName(p string) string {
	if p == "" {
		return "(not saved)"
	}
	return p
}

// wrap word-wraps s as pane.WrapWords does, then turns keepTogether's
// non-breaking spaces and hyphens back into plain ones.
func wrap(s string, w, n int) []string {
	lines := pane.WrapWords(s, w, n)
	for i, l := range lines {
		lines[i] = unbreak.Replace(l)
	}
	return lines
}

// nbsp and nbhyphen are a non-breaking space and hyphen: ansi.Wrap breaks
// lines at spaces and hyphens, but not at these.
const (
	nbsp     = "\u00a0"
	nbhyphen = "\u2011"
)

// unbreak turns them back into a space and a hyphen.
var unbreak = strings.NewReplacer(nbsp, " ", nbhyphen, "-")

// maxGlued is the widest bracketed group keepTogether keeps on one line.
const maxGlued = 16

// keepTogether makes the spaces inside short bracketed groups ("(≥ 1)",
// "[0, 1)") and the hyphens inside words ("inverse-time") non-breaking, so
// that wrapping never leaves "(≥" at the end of a line and "1)" on the
// next, nor splits a name; longer groups wrap between their words. It must
// be applied to plain text, before styling (escape sequences contain "[").
func keepTogether(s string) string {
	s = strings.ReplaceAll(s, "-", nbhyphen)
	if !strings.ContainsAny(s, "([") {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 8)
	for {
		i := strings.IndexAny(s, "([")
		if i < 0 {
			break
		}
		j := strings.IndexAny(s[i+1:], ")]")
		if j < 0 {
			break
		}
		group := s[i : i+j+2]
		b.WriteString(s[:i])
		if ansi.StringWidth(group) <= maxGlued {
			group = strings.ReplaceAll(group, " ", nbsp)
		}
		b.WriteString(group)
		s = s[i+j+2:]
	}
	b.WriteString(s)
	return b.String()
}

// num formats a loss, weight or rate with four significant digits.
func num(x float64) string {
	if math.IsNaN(x) {
		return "–"
	}
	return strconv.FormatFloat(x, 'g', 4, 64)
}

func signed(x float64) string {
	if x >= 0 {
		return "+" + num(x)
	}
	return num(x)
}

func signedPercent(f float64) string {
	if !isFinite(f) {
		return "–"
	}
	s := strconv.FormatFloat(f*100, 'f', 1, 64) + "%"
	if f >= 0 {
		s = "+" + s
	}
	return s
}

// groupDigits formats n with thousands separators: 1234567 -> "1,234,567".
func groupDigits(n int) string { return groupString(strconv.Itoa(n)) }

// groupString puts thousands separators into a decimal integer s.
func groupString(s string) string {
	neg := strings.HasPrefix(s, "-")
	if neg {
		s = s[1:]
	}
	var sb strings.Builder
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			sb.WriteByte(',')
		}
		sb.WriteRune(r)
	}
	if neg {
		return "-" + sb.String()
	}
	return sb.String()
}

// launchStep says what a launching run is doing: the step train.Start
// reported, until the epochs begin.
func launchStep(p train.Phase) string {
	switch p {
	case "", train.PhaseLoading:
		return "loading data"
	case train.PhaseTraining, train.PhaseSaving:
		return "starting"
	}
	return string(p)
}
