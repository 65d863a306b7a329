// Package training is the dashboard's Training pane: a form for the trainer
// configuration, start / pause / resume / stop of a run, live statistics and
// a live asciigraph loss curve with log scale, EMA smoothing and a tail view.
//
// The training loop never waits for the UI: a run publishes coalesced
// progress (internal/train), and the pane looks at it once per frame, when
// the root's pane.TickMsg arrives, so a flood of epochs costs one refresh
// per frame and nothing while live updates are paused.
package training

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"sync/atomic"

	"github.com/charmbracelet/bubbles/help"
	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/bubbles/textinput"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/agentdash/agentdash/internal/series"
	"github.com/agentdash/agentdash/internal/train"
	"github.com/agentdash/agentdash/ui/pane"
	"github.com/agentdash/agentdash/ui/theme"
)

// tailSizes are the "last N epochs" windows that t cycles through. Those
// that cover the whole run, or that the bounded history resolves into fewer
// than minTailBuckets buckets (a long run keeps 1,024 buckets of many
// epochs each), are skipped.
var tailSizes = [...]int{100, 1_000, 10_000, 100_000, 1_000_000}

const minTailBuckets = 8

// state is where the pane's training run is.
type state int

const (
	idle      state = iota // no run yet
	launching              // train.Start is loading data
	running                // a run is live (possibly paused or stopping)
	finished               // the last run ended (result or error kept)
)

// Model is the Training pane. Create it with New; use it through the
// pane.Pane interface.
type Model struct {
	common pane.Common
	th     *theme.Theme
	keys   keyMap

	width, height int
	focused       bool

	// The form.
	base    train.Config // the prefilled config; its Checkpoint is what predict serves
	fields  []field
	inputs  []textinput.Model
	errs    []error // per-field parse errors (nil = fine)
	formErr error   // parse summary or Config.Validate's verdict
	// formCfg is the form's config as it last parsed and validated: what
	// the idle status describes (kept while the form is invalid).
	formCfg train.Config
	cursor  int
	editing bool
	before  string // the edited field's text before editing (esc restores it)
	// ownCheckpoint is set once the user edits the checkpoint field; until
	// then it follows the resume field, as train --resume X saves to X.
	ownCheckpoint bool

	// The run: its fields are promoted, and start resets them at once.
	runState
	closed bool // Close was called

	// The loss curve.
	trainHist, valHist []series.Bucket
	graph              *graph
	view               graphView

	// The runs to compare: the session's finished runs and checkpoints
	// loaded (see runsmodel.go).
	runList

	// View cache: rebuilt when dirty or resized.
	dirty bool
	out   string
}

// runState is where the last run is, from its start to its result.
type runState struct {
	state    state
	run      *train.Run
	runCfg   train.Config
	runTexts []string           // the form's texts when the run started
	features []string           // the run's feature names, in weight order
	cancel   context.CancelFunc // cancels the run's context
	launch   *launch
	phase    train.Phase // the launch's step as of the last frame
	stopping bool
	// paused: a pause is requested (train.Run.Paused). The trainer pauses
	// between epochs, so the epoch in progress runs on until held: the
	// pause has taken effect (train.Run.Waiting) as of the last refresh.
	paused, held bool
	// stoppedEarly: the run was stopped (s) while its data was still
	// loading, so it has no result.
	stoppedEarly bool
	latest       train.Event
	has          bool        // latest is set
	first        train.Event // the first event this run published (for the ETA)
	result       *train.Result
	runErr       error
}

// launch is a train.Start in flight. done is closed when run, err and
// features are set.
type launch struct {
	done     chan struct{}
	run      *train.Run
	err      error
	features []string
	phase    atomic.Value // train.Phase: the step train.Start is in (loading, preparing, …)
}

// currentPhase returns the step train.Start reported last.
func (l *launch) currentPhase() train.Phase {
	p, _ := l.phase.Load().(train.Phase)
	return p
}

// launchedMsg reports that train.Start returned.
type launchedMsg struct{ l *launch }

// New returns the Training pane with its form prefilled from cfg. A zero
// cfg means train.DefaultConfig(); an empty checkpoint path means the
// default one, which is also the model the demo agent's predict ability
// serves, so a run from the dashboard is picked up by predict.
func New(c pane.Common, cfg train.Config) *Model {
	if c.Ctx == nil {
		c.Ctx = context.Background()
	}
	def := train.DefaultConfig()
	if cfg.Epochs == 0 && cfg.LR == 0 && cfg.BatchSize == 0 {
		cfg = def
	}
	if cfg.Checkpoint == "" {
		cfg.Checkpoint = def.Checkpoint
	}
	m := &Model{
		common:  c,
		th:      c.Theme,
		keys:    newKeyMap(),
		base:    cfg,
		formCfg: cfg,
		fields:  fields(),
		graph:   newGraph(c.Theme),
		dirty:   true,
	}
	m.inputs = make([]textinput.Model, len(m.fields))
	for i, f := range m.fields {
		in := pane.NewInput(m.th, 4096)
		in.Placeholder = f.placeholder
		in.Cursor.Style = m.th.Text
		in.Cursor.TextStyle = m.th.Text
		in.SetValue(f.get(&cfg))
		m.inputs[i] = in
	}
	m.validate()
	m.syncKeys()
	return m
}

// Init implements pane.Pane.
func (m *Model) Init() tea.Cmd { return nil }

// Title implements pane.Pane.
func (m *Model) Title() string { return "Training" }

// SetSize implements pane.Pane.
func (m *Model) SetSize(width, height int) {
	if width == m.width && height == m.height {
		return
	}
	m.width, m.height = width, height
	m.dirty = true
	formW, cols := formGeometry(width)
	_, vw := cellGeometry(formW / cols)
	for i := range m.inputs {
		m.inputs[i].Width = max(1, vw-1) // one cell for the cursor
	}
}

// Focus implements pane.Pane.
func (m *Model) Focus() {
	m.focused = true
	m.dirty = true
}

// Blur implements pane.Pane. A field being edited keeps its text.
func (m *Model) Blur() {
	m.focused = false
	m.stopEditing()
	m.dirty = true
}

// Capturing reports whether a field is being edited, so that the root
// passes every key (q, 1-4, ...) to the field.
func (m *Model) Capturing() bool { return m.editing }

// Close stops a running or starting training run and waits for it to end.
// The root calls it once on quit; it is safe to call more than once.
func (m *Model) Close() {
	m.closed = true
	if m.cancel != nil {
		m.cancel()
	}
	if l := m.launch; l != nil {
		<-l.done
		if l.run != nil {
			l.run.Stop()
			<-l.run.Done()
		}
		m.launch = nil
	}
	if m.run != nil {
		m.run.Stop()
		<-m.run.Done()
	}
}

// Update implements pane.Pane.
func (m *Model) Update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case pane.TickMsg:
		return m.poll()
	case launchedMsg:
		return m.launched(msg.l)
	case loadedRunMsg:
		return m.loaded(msg)
	case tea.KeyMsg:
		if !m.focused {
			return nil
		}
		m.dirty = true
		var cmd tea.Cmd
		if m.editing {
			cmd = m.editKey(msg)
		} else {
			cmd = m.browseKey(msg)
		}
		m.syncKeys()
		return cmd
	}
	return nil
}

// browseKey handles a key while no field is being edited.
func (m *Model) browseKey(msg tea.KeyMsg) tea.Cmd {
	k := &m.keys
	switch {
	case key.Matches(msg, k.up):
		m.cursor = (m.cursor + len(m.fields) - 1) % len(m.fields)
	case key.Matches(msg, k.down):
		m.cursor = (m.cursor + 1) % len(m.fields)
	case key.Matches(msg, k.edit):
		return m.startEditing()
	case key.Matches(msg, k.change):
		f := &m.fields[m.cursor]
		if len(f.choices) == 0 {
			return nil
		}
		d := 1
		if msg.String() == "left" {
			d = -1
		}
		m.inputs[m.cursor].SetValue(f.cycle(m.inputs[m.cursor].Value(), d))
		m.validate()
	case key.Matches(msg, k.start):
		return m.start()
	case key.Matches(msg, k.pause):
		m.togglePause()
	case key.Matches(msg, k.stop):
		switch {
		case m.stopping:
		case m.run != nil:
			m.stopping = true
			m.run.Stop()
		case m.state == launching:
			m.stopping = true
			m.cancel() // Start gives up, or its run ends at once
		}
	case key.Matches(msg, k.log):
		m.view.log = !m.view.log
	case key.Matches(msg, k.ema):
		m.view.ema = !m.view.ema
	case key.Matches(msg, k.tail):
		if next := m.nextTail(); next > 0 {
			m.view.tail = next
		}
	case key.Matches(msg, k.full):
		m.view.tail = 0
	default:
		return m.runKey(msg)
	}
	return nil
}

// editKey handles a key while a field is being edited.
func (m *Model) editKey(msg tea.KeyMsg) tea.Cmd {
	k := &m.keys
	switch {
	case key.Matches(msg, k.apply):
		m.stopEditing()
		return nil
	case key.Matches(msg, k.cancel):
		m.inputs[m.cursor].SetValue(m.before)
		m.stopEditing()
		return nil
	case key.Matches(msg, k.prev):
		m.stopEditing()
		m.cursor = (m.cursor + len(m.fields) - 1) % len(m.fields)
		return m.startEditing()
	case key.Matches(msg, k.next):
		m.stopEditing()
		m.cursor = (m.cursor + 1) % len(m.fields)
		return m.startEditing()
	}
	var cmd tea.Cmd
	m.inputs[m.cursor], cmd = m.inputs[m.cursor].Update(msg)
	m.validate()
	return cmd
}

func (m *Model) startEditing() tea.Cmd {
	m.editing = true
	in := &m.inputs[m.cursor]
	m.before = in.Value()
	in.CursorEnd()
	return in.Focus()
}

func (m *Model) stopEditing() {
	if !m.editing {
		return
	}
	m.editing = false
	m.inputs[m.cursor].Blur()
	if m.cursor == m.fieldIndex("checkpoint") && m.inputs[m.cursor].Value() != m.before {
		m.ownCheckpoint = true
	}
	m.validate()
}

// followResume shows in the checkpoint field, unless the user set it, the
// file a resumed run continues: the resume field's, or the startup one's
// for a fresh start.
func (m *Model) followResume() {
	ck := m.fieldIndex("checkpoint")
	if m.ownCheckpoint || (m.editing && m.cursor == ck) {
		return
	}
	to := strings.TrimSpace(m.inputs[m.fieldIndex("resume from")].Value())
	if to == "" {
		to = m.fields[ck].get(&m.base)
	}
	if m.inputs[ck].Value() != to {
		m.inputs[ck].SetValue(to)
	}
}

// validate re-parses every field and re-runs Config.Validate, keeping the
// config when it is good.
func (m *Model) validate() {
	m.followResume()
	texts := make([]string, len(m.inputs))
	for i := range m.inputs {
		texts[i] = m.inputs[i].Value()
	}
	var cfg train.Config
	cfg, m.errs, m.formErr = parseForm(m.base, m.fields, texts)
	if m.formErr == nil {
		m.formCfg = cfg
	}
	if m.state == finished && m.result == nil && m.runErr != nil && !slices.Equal(texts, m.runTexts) {
		// The run that failed to start was about the form as it was: once a
		// field changes, its error no longer describes what enter would do.
		m.state, m.runErr = idle, nil
		m.syncKeys()
	}
	m.dirty = true
}

// config returns the form's Config, or the reason it cannot be used.
func (m *Model) config() (train.Config, error) {
	texts := make([]string, len(m.inputs))
	for i := range m.inputs {
		texts[i] = m.inputs[i].Value()
	}
	cfg, _, err := parseForm(m.base, m.fields, texts)
	return cfg, err
}

// start launches a run with the form's config, unless one is live or the
// form is invalid (the errors are already shown inline).
func (m *Model) start() tea.Cmd {
	switch m.state {
	case launching, running:
		return pane.Status("training is already running (s stops it)", true)
	}
	cfg, err := m.config()
	if err != nil {
		return pane.Status("cannot train: "+err.Error(), true)
	}
	texts := make([]string, len(m.inputs))
	for i := range m.inputs {
		texts[i] = m.inputs[i].Value()
	}
	ctx, cancel := context.WithCancel(m.common.Ctx)
	l := &launch{done: make(chan struct{})}
	m.runState = runState{state: launching, runCfg: cfg, runTexts: texts, cancel: cancel, launch: l}
	// The tail windows on offer depend on the run's length (see nextTail):
	// one picked for the last run may cover all of the new one, or lie
	// inside a single bucket of it, so the new run starts on the full
	// view. The log scale and EMA are preferences about how to read any
	// loss curve and stay as the user set them.
	m.view.tail = 0
	m.trainHist, m.valHist = m.trainHist[:0], m.valHist[:0]
	m.graph.setData(graphData{optimum: math.NaN()})
	m.runStarted()
	return func() tea.Msg {
		defer close(l.done)
		l.run, l.err = train.Start(ctx, cfg, train.WithPhases(func(p train.Phase) { l.phase.Store(p) }))
		if l.err == nil {
			l.features = l.run.Features()
		}
		return launchedMsg{l: l}
	}
}

// launched takes over the run that train.Start returned.
func (m *Model) launched(l *launch) tea.Cmd {
	if l != m.launch || m.closed {
		return nil // Close has already dealt with it
	}
	m.launch = nil
	m.dirty = true
	m.features = l.features
	if l.err != nil {
		m.cancel()
		if m.stopping && errors.Is(l.err, context.Canceled) {
			// s while the data was loading: a stop, not a failure.
			m.state, m.stopping, m.stoppedEarly = finished, false, true
			m.syncKeys()
			return pane.Status("training stopped before the first epoch: nothing saved", false)
		}
		m.state, m.runErr = finished, l.err
		m.syncKeys()
		return pane.Status("training failed to start: "+l.err.Error(), true)
	}
	m.run, m.state = l.run, running
	if m.stopping { // s pressed while the data was loading
		m.run.Stop()
	}
	m.syncKeys()
	return nil
}

// togglePause requests a pause, or resumes: space during the epoch that
// a pause waits for cancels the pause. A pause takes effect only when the
// epoch in progress ends; the run then signals Updates and the next frame's
// refresh shows it held, so until then the pane says "pausing".
func (m *Model) togglePause() {
	if m.run == nil || m.stopping {
		return
	}
	if m.run.Paused() {
		m.run.Resume()
	} else {
		m.run.Pause()
	}
	m.paused, m.held = m.run.Paused(), false
}

// poll takes the run's latest progress, at most once per frame, without
// ever blocking: the run signals "something changed" on Updates and the
// pane reads a coalesced snapshot.
func (m *Model) poll() tea.Cmd {
	if m.launch != nil {
		// Loading large data, or the closed-form reference, can take
		// seconds: the pane says which.
		if p := m.launch.currentPhase(); p != m.phase {
			m.phase, m.dirty = p, true
		}
	}
	if m.run == nil {
		return nil
	}
	changed := false
	select {
	case <-m.run.Updates():
		changed = true
	default:
	}
	done := false
	select {
	case <-m.run.Done():
		done = true
	default:
	}
	if !changed && !done {
		return nil
	}
	m.refresh()
	if !done {
		return nil
	}
	return m.finish()
}

// refresh copies the run's latest event and loss history.
func (m *Model) refresh() {
	if ev, ok := m.run.Latest(); ok {
		if !m.has {
			m.first = ev
		}
		m.latest, m.has = ev, true
	}
	m.trainHist = m.run.History(m.trainHist[:0], false)
	m.valHist = m.run.History(m.valHist[:0], true)
	m.setGraphData()
	m.runsVersion++ // the live run's line
	m.paused = m.run.Paused()
	m.held = m.paused && m.run.Waiting()
	m.syncKeys() // graph keys work once there is data
	m.dirty = true
}

func (m *Model) setGraphData() {
	n := 0
	if k := len(m.trainHist); k > 0 {
		n = m.trainHist[k-1].End()
	}
	opt := math.NaN()
	if m.has {
		opt = m.latest.OptimalLoss
	}
	m.graph.setData(graphData{train: m.trainHist, val: m.valHist, n: n, optimum: opt})
}

// finish records the result of a run that has ended.
func (m *Model) finish() tea.Cmd {
	res, err := m.run.Result()
	m.run, m.state, m.result, m.runErr = nil, finished, res, err
	m.stopping, m.paused, m.held = false, false, false
	m.cancel()
	if res != nil && res.Epochs > 0 {
		m.runEnded(res)
	}
	if res != nil && math.IsNaN(m.graph.data.optimum) {
		m.graph.data.optimum = res.OptimalLoss
		m.graph.version++
	}
	m.syncKeys()
	m.dirty = true
	switch {
	case err != nil:
		return pane.Status("training failed: "+err.Error(), true)
	case res != nil && res.Epochs == 0:
		return pane.Status(fmt.Sprintf("training %s before the first epoch: nothing saved", stopWord(res.StopReason)), false)
	case res != nil && res.Checkpoint != "":
		return pane.Status(fmt.Sprintf("training %s: loss %.4g, saved %s", stopWord(res.StopReason), res.Loss, res.Checkpoint), false)
	case res != nil:
		return pane.Status(fmt.Sprintf("training %s: loss %.4g", stopWord(res.StopReason), res.Loss), false)
	}
	return nil
}

// stopWord says how a run ended in the pane's words: a run ended by s (the
// trainer's "canceled") is "stopped", as the pane's outcome line says.
func stopWord(r train.StopReason) string {
	if r == train.StopCanceled {
		return "stopped"
	}
	return string(r)
}

// nextTail returns the tail window t switches to: the next larger one
// worth showing, wrapping around to the smallest, or 0 when no window is
// worth showing (the run is shorter than the smallest, or its buckets are
// too wide for every window shorter than it).
func (m *Model) nextTail() int {
	n, width := m.graph.data.n, 1
	if len(m.trainHist) > 0 {
		width = m.trainHist[0].Count
	}
	first := 0
	for _, s := range tailSizes {
		if s >= n || s < minTailBuckets*width {
			continue
		}
		if first == 0 {
			first = s
		}
		if s > m.view.tail {
			return s
		}
	}
	return first
}

// syncKeys enables exactly the bindings that work in the current state.
func (m *Model) syncKeys() {
	k := &m.keys
	live := m.run != nil && !m.stopping
	browsing := !m.editing
	k.up.SetEnabled(browsing)
	k.down.SetEnabled(browsing)
	k.edit.SetEnabled(browsing)
	k.change.SetEnabled(browsing && len(m.fields[m.cursor].choices) > 0)
	k.start.SetEnabled(browsing && (m.state == idle || m.state == finished))
	k.pause.SetEnabled(browsing && live)
	switch {
	case m.paused && m.held:
		k.pause.SetHelp("space", "resume")
	case m.paused:
		k.pause.SetHelp("space", "cancel pause")
	default:
		k.pause.SetHelp("space", "pause")
	}
	k.stop.SetEnabled(browsing && (live || m.state == launching))
	hasData := m.graph.data.n > 0
	k.log.SetEnabled(browsing && hasData)
	if m.view.log {
		k.log.SetHelp("l", "linear")
	} else {
		k.log.SetHelp("l", "log scale")
	}
	k.ema.SetEnabled(browsing && hasData)
	if m.view.ema {
		k.ema.SetHelp("e", "raw only")
	} else {
		k.ema.SetHelp("e", "smooth")
	}
	next := m.nextTail()
	k.tail.SetEnabled(browsing && hasData && next > 0)
	if next > 0 {
		k.tail.SetHelp("t", "last "+pane.Count(uint64(next)))
	} else {
		k.tail.SetHelp("t", "last N epochs") // no tail view yet: the help says what t does
	}
	k.full.SetEnabled(browsing && m.view.tail > 0)
	m.syncRunKeys(browsing)
	k.apply.SetEnabled(m.editing)
	k.cancel.SetEnabled(m.editing)
	k.move.SetEnabled(m.editing)
	k.prev.SetEnabled(m.editing)
	k.next.SetEnabled(m.editing)
}

// ShortHelp implements help.KeyMap: the keys that work now.
func (m *Model) ShortHelp() []key.Binding {
	k := &m.keys
	if m.editing {
		return []key.Binding{k.apply, k.cancel, k.move}
	}
	// The field keys go first; the dashboard drops up/down when the
	// footer is too narrow for all.
	return []key.Binding{k.up, k.down, k.start, k.pause, k.stop, k.edit, k.change, k.log, k.ema, k.tail, k.full,
		k.conv, k.runUp, k.runDown, k.overlay} // o (load) is in the full help: the footer keeps room for the form
}

// FullHelp implements help.KeyMap: every key, grouped by when it applies.
func (m *Model) FullHelp() [][]key.Binding {
	k := &m.keys
	return [][]key.Binding{
		{pane.Heading("form"), k.up, k.down, k.edit, k.change},
		{pane.Heading("editing a field"), k.apply, k.cancel, k.move},
		{pane.Heading("training run"), k.start, k.pause, k.stop},
		{pane.Heading("loss curve"), k.log, k.ema, k.tail, k.full, k.conv},
		{pane.Heading("runs"), k.runUp, k.runDown, k.overlay, k.load},
	}
}

var (
	_ pane.Pane   = (*Model)(nil)
	_ pane.Closer = (*Model)(nil)
	_ help.KeyMap = (*Model)(nil)
)
