// Package cache is the dashboard's Cache & latency pane: per ability cache
// hits, misses, hit ratio, entries and evictions, p50/p95/p99 latency,
// calls/s and calls in flight with a live sparkline of the last minute, the
// global concurrency gauge, and a load generator that sends a chosen number
// of calls per second (repeated or varied arguments) to the selected
// ability so caches and breakers can be watched under load.
package cache

import (
	"context"
	"math"
	"strconv"
	"sync"
	"time"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/agentdash/agentdash/internal/agent"
	"github.com/agentdash/agentdash/internal/latency"
	"github.com/agentdash/agentdash/internal/load"
	"github.com/agentdash/agentdash/ui/pane"
)

// rateSteps are the load rates +/- step through, in calls per second.
var rateSteps = [...]float64{1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000}

// defaultRateStep is the index of the initial load rate (10/s).
const defaultRateStep = 3

// seriesLen is the length of the sparkline history, in seconds.
const seriesLen = 60

// Loader is what the pane needs of the agent: starting load on one of its
// abilities. AgentLoader makes one of an *agent.Agent.
type Loader interface {
	StartLoad(ctx context.Context, s load.Spec) (load.Handle, error)
}

// AgentLoader returns the Loader whose generators (load.Start) call a.
func AgentLoader(a *agent.Agent) Loader { return agentLoader{a} }

type agentLoader struct{ a *agent.Agent }

func (l agentLoader) StartLoad(ctx context.Context, s load.Spec) (load.Handle, error) {
	g, err := load.Start(ctx, l.a, s)
	if err != nil {
		return nil, err // not a typed nil
	}
	return g, nil
}

type keyMap struct {
	Load, Faster, Slower, Mode, Spark key.Binding
}

func (k *keyMap) all() []key.Binding {
	return []key.Binding{k.Load, k.Faster, k.Slower, k.Mode, k.Spark}
}

// Model is the Cache & latency pane. Create it with New; Close stops the
// load generator.
type Model struct {
	c      pane.Common
	loader Loader
	keys   keyMap
	table  *pane.Table
	filter *pane.Filter

	snap  agent.Snapshot
	stats []agent.AbilityStats
	lat   map[string]*latSeries // per-second mean latency, for the sparkline

	gen      load.Handle
	stopping sync.WaitGroup // generators being stopped in the background
	rateStep int
	mode     load.Mode
	loadErr  string
	showLat  bool // sparkline shows latency instead of calls/s

	focused bool

	width, height int
	view          string
	dirty         bool
}

// New returns the pane starting load through l (normally AgentLoader).
func New(c pane.Common, l Loader) *Model {
	m := &Model{
		c:        c,
		loader:   l,
		table:    pane.NewTable(c.Theme, columns),
		filter:   pane.NewFilter(c.Theme),
		lat:      make(map[string]*latSeries),
		rateStep: defaultRateStep,
		dirty:    true,
		keys: keyMap{
			Load:   key.NewBinding(key.WithKeys("l"), key.WithHelp("l", "start load")),
			Faster: key.NewBinding(key.WithKeys("+", "="), key.WithHelp("+", "faster")),
			Slower: key.NewBinding(key.WithKeys("-", "_"), key.WithHelp("-", "slower")),
			Mode:   key.NewBinding(key.WithKeys("m"), key.WithHelp("m", "args mode")),
			Spark:  key.NewBinding(key.WithKeys("v"), key.WithHelp("v", "show latency")),
		},
	}
	m.updateKeys()
	return m
}

const (
	colName = iota
	colRate
	colInFlight
	colHits
	colMisses
	colRatio
	colEntries
	colEvictions
	colP50
	colP95
	colP99
	colSpark
)

var columns = []pane.Column{
	colName:      {Title: "ABILITY", Width: 14},
	colRate:      {Title: "CALLS/S", Width: 7, Right: true},
	colInFlight:  {Title: "INFL", Width: 4, Right: true, Drop: 3},
	colHits:      {Title: "HITS", Width: 6, Right: true},
	colMisses:    {Title: "MISSES", Width: 6, Right: true},
	colRatio:     {Title: "HIT%", Width: 5, Right: true},
	colEntries:   {Title: "ENTRIES", Width: 7, Right: true, Drop: 4},
	colEvictions: {Title: "EVICT", Width: 6, Right: true, Drop: 5},
	colP50:       {Title: "P50", Width: 7, Right: true},
	colP95:       {Title: "P95", Width: 7, Right: true, Drop: 2},
	colP99:       {Title: "P99", Width: 7, Right: true},
	colSpark:     {Title: "LAST 60s", Width: 10, Flex: true, Drop: 1},
}

// Init implements pane.Pane.
func (m *Model) Init() tea.Cmd { return nil }

// Title implements pane.Pane.
func (m *Model) Title() string { return "Cache & latency" }

// Focus implements pane.Pane.
func (m *Model) Focus() { m.focused = true; m.updateKeys() }

// Blur implements pane.Pane.
func (m *Model) Blur() { m.focused = false; m.filter.Stop(); m.updateKeys(); m.dirty = true }

// Capturing implements pane.Pane: true while the filter is being typed.
func (m *Model) Capturing() bool { return m.filter.Typing() }

// SetSize implements pane.Pane.
func (m *Model) SetSize(w, h int) {
	if w == m.width && h == m.height {
		return
	}
	m.width, m.height = w, h
	m.table.SetSize(w, max(h-topLines-bottomLines, 2))
	m.dirty = true
}

const (
	topLines    = 3 // concurrency, load generator, blank
	bottomLines = 4 // rule, title, sparkline, latency summary
)

// Close stops the load generator and waits for it. It implements pane.Closer.
func (m *Model) Close() {
	if m.gen != nil {
		m.gen.Stop()
		m.gen = nil
	}
	m.stopping.Wait()
}

// Generator returns the running load session, or nil.
func (m *Model) Generator() load.Handle { return m.gen }

// Selected returns the selected ability's name ("" when there is none).
func (m *Model) Selected() string {
	if i := m.table.Cursor(); i >= 0 && i < len(m.stats) {
		return m.stats[i].Name
	}
	return ""
}

// Update implements pane.Pane.
func (m *Model) Update(msg tea.Msg) tea.Cmd {
	switch msg := msg.(type) {
	case pane.SnapshotMsg:
		m.onSnapshot(msg.Snap)
	case tea.KeyMsg:
		if m.filter.Update(msg) {
			m.table.SetFilter(m.filter.Value())
			m.updateKeys()
			m.dirty = true
			return nil
		}
		if m.table.Update(msg) {
			m.dirty = true
			m.updateKeys()
			return nil
		}
		cmd := m.handleKey(msg)
		m.updateKeys()
		m.dirty = true
		return cmd
	}
	return nil
}

func (m *Model) handleKey(msg tea.KeyMsg) tea.Cmd {
	switch {
	case key.Matches(msg, m.keys.Load):
		name := m.Selected()
		if m.gen != nil && m.gen.Spec().Ability == name {
			m.stopLoad()
			return pane.Status("load on "+name+" stopped", false)
		}
		return m.startLoad(name)
	case key.Matches(msg, m.keys.Faster):
		m.rateStep = min(m.rateStep+1, len(rateSteps)-1)
		return m.restartLoad()
	case key.Matches(msg, m.keys.Slower):
		m.rateStep = max(m.rateStep-1, 0)
		return m.restartLoad()
	case key.Matches(msg, m.keys.Mode):
		m.mode = nextMode(m.mode)
		return m.restartLoad()
	case key.Matches(msg, m.keys.Spark):
		m.showLat = !m.showLat
		m.table.SetRows(m.rows())
	}
	return nil
}

// startLoad (re)targets the generator at ability name with the current
// rate and mode.
func (m *Model) startLoad(name string) tea.Cmd {
	if name == "" {
		return nil
	}
	m.stopLoad()
	g, err := m.loader.StartLoad(m.c.Ctx, load.Spec{Ability: name, Rate: rateSteps[m.rateStep], Mode: m.mode})
	if err != nil {
		m.loadErr = err.Error()
		return pane.Status(err.Error(), true)
	}
	m.gen, m.loadErr = g, ""
	return pane.Status("load: "+rateText(rateSteps[m.rateStep])+" "+m.mode.String()+" → "+name, false)
}

// restartLoad applies a new rate or mode to a running generator, whose
// counts carry on: they are the load session's, from l to l.
func (m *Model) restartLoad() tea.Cmd {
	if m.gen == nil {
		return nil
	}
	rate := rateSteps[m.rateStep]
	if err := m.gen.Retune(rate, m.mode); err != nil {
		return pane.Status(err.Error(), true)
	}
	return pane.Status("load: "+rateText(rate)+" "+m.mode.String()+" → "+m.gen.Spec().Ability, false)
}

// stopLoad stops the generator without blocking the UI: outstanding calls
// are canceled and waited for in the background; Close waits for them.
func (m *Model) stopLoad() {
	if m.gen == nil {
		return
	}
	g := m.gen
	m.gen = nil
	m.stopping.Add(1)
	go func() {
		defer m.stopping.Done()
		g.Stop()
	}()
}

func (m *Model) onSnapshot(s agent.Snapshot) {
	m.snap, m.stats = s, s.Abilities
	for i := range m.stats {
		a := &m.stats[i]
		ls := m.lat[a.Name]
		if ls == nil {
			ls = &latSeries{}
			m.lat[a.Name] = ls
		}
		ls.observe(s.Taken, a.Latency)
	}
	m.table.SetRows(m.rows())
	m.updateKeys()
	m.dirty = true
}

func (m *Model) updateKeys() {
	has := m.focused && !m.filter.Typing() && m.Selected() != ""
	for _, b := range m.keys.all() {
		b.SetEnabled(has)
	}
	running := m.gen != nil
	m.keys.Faster.SetEnabled(has && m.rateStep < len(rateSteps)-1)
	m.keys.Slower.SetEnabled(has && m.rateStep > 0)
	if running && m.gen.Spec().Ability == m.Selected() {
		m.keys.Load.SetHelp("l", "stop load")
	} else {
		m.keys.Load.SetHelp("l", "start load")
	}
	if m.showLat {
		m.keys.Spark.SetHelp("v", "show calls/s")
	} else {
		m.keys.Spark.SetHelp("v", "show latency")
	}
}

// ShortHelp implements help.KeyMap.
func (m *Model) ShortHelp() []key.Binding {
	if m.filter.Typing() {
		return m.filter.ShortHelp()
	}
	return m.table.ShortHelp(m.filter, m.keys.all()...)
}

// FullHelp implements help.KeyMap: every key, grouped by when it applies.
func (m *Model) FullHelp() [][]key.Binding {
	return [][]key.Binding{
		append([]key.Binding{pane.Heading("table")}, m.table.NavKeys()...),
		m.filter.FullHelp(),
		append([]key.Binding{pane.Heading("load and sparkline")}, m.keys.all()...),
	}
}

// loadModes are the argument modes m cycles through.
var loadModes = [...]load.Mode{load.Repeat, load.Vary, load.Mixed}

func nextMode(cur load.Mode) load.Mode {
	for i, md := range loadModes {
		if md == cur {
			return loadModes[(i+1)%len(loadModes)]
		}
	}
	return loadModes[0]
}

func rateText(r float64) string { return strconv.FormatFloat(r, 'f', -1, 64) + "/s" }

// latSeries turns the all-time latency sum and count into the mean latency
// of each second, for the last seriesLen seconds (NaN where no call ended).
type latSeries struct {
	sec        int64 // unix second of the open bucket
	sum        time.Duration
	count      uint64
	values     [seriesLen]float64 // ring, milliseconds
	head, size int
}

func (l *latSeries) observe(now time.Time, s latency.Summary) {
	sec := now.Unix()
	switch {
	case l.sec == 0:
		// first observation: establish the baseline
	case sec > l.sec:
		for range min(sec-l.sec, seriesLen) {
			v := math.NaN()
			if dc := s.Count - l.count; dc > 0 {
				v = float64(s.Sum-l.sum) / float64(dc) / float64(time.Millisecond)
			}
			l.push(v)
			l.sum, l.count = s.Sum, s.Count // gaps of several seconds: one mean, rest NaN
		}
	default:
		return
	}
	l.sec, l.sum, l.count = sec, s.Sum, s.Count
}

func (l *latSeries) push(v float64) {
	l.values[l.head] = v
	l.head = (l.head + 1) % seriesLen
	l.size = min(l.size+1, seriesLen)
}

// appendTo appends the series oldest first.
func (l *latSeries) appendTo(dst []float64) []float64 {
	start := (l.head - l.size + seriesLen) % seriesLen
	for i := range l.size {
		dst = append(dst, l.values[(start+i)%seriesLen])
	}
	return dst
}
