package main

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/agentdash/agentdash/internal/agent"
	"github.com/agentdash/agentdash/internal/config"
	"github.com/agentdash/agentdash/internal/configedit"
	"github.com/agentdash/agentdash/internal/declared"
	"github.com/agentdash/agentdash/internal/demo"
	"github.com/agentdash/agentdash/internal/reload"
	"github.com/agentdash/agentdash/internal/upstream"
)

// liveConfig is the running configuration of an agent: the file (if any)
// with the settings edited in the dashboard on top, not yet written.
// Every change takes one path, apply: the file is read, the edits are
// spliced into its text, the result is checked as a file is, and its
// abilities replace the agent's (declared.Live, agent.Apply). A reload of
// the file and an edit in the dashboard both go through it, so that an
// edited setting behaves as if the file said it.
type liveConfig struct {
	env     *environment
	a       *agent.Agent
	live    *declared.Live
	gw      *upstream.Gateway // the file's MCP servers; nil without a file at start
	demoCfg demo.Config
	start   *config.Config // what the agent started with; nil without a file
	log     io.Writer
	notify  func(reload.Event)

	mu    sync.Mutex
	path  string                       // the file; "" without one
	edits map[string]map[string]string // ability → key path → value, not yet written
	notes []string                     // what the latest file says that needs a restart
	r     *reload.Reloader             // the file's watch, once started

	// unsaved and file mirror len(edits) > 0 and path for the dashboard,
	// which reads them every frame and must not wait for an apply.
	unsaved atomic.Bool
	file    atomic.Pointer[string]
}

// newLiveConfig returns the live configuration of a, the agent f built
// from env's configuration file (if any).
func newLiveConfig(env *environment, f *agentFlags, a *agent.Agent, log io.Writer, notify func(reload.Event)) *liveConfig {
	lc := &liveConfig{
		env:     env,
		a:       a,
		live:    f.live,
		gw:      f.gateway,
		demoCfg: demo.Config{Root: f.root, Checkpoint: f.checkpoint},
		start:   env.config,
		log:     log,
		notify:  notify,
		edits:   map[string]map[string]string{},
	}
	if env.config != nil {
		lc.path = env.config.File
	}
	file := lc.path // a copy: path changes under mu
	lc.file.Store(&file)
	return lc
}

// watch starts applying the file again whenever it changes; nil without
// a file.
func (lc *liveConfig) watch() (*reload.Reloader, error) {
	lc.mu.Lock()
	defer lc.mu.Unlock()
	return lc.watchLocked()
}

func (lc *liveConfig) watchLocked() (*reload.Reloader, error) {
	if lc.path == "" {
		return nil, nil
	}
	r, err := reload.Watch(reload.Options{Path: lc.path, Apply: lc.apply, Report: lc.report})
	lc.r = r
	return r, err
}

// close stops the file's watch, if one was started.
func (lc *liveConfig) close() {
	lc.mu.Lock()
	r := lc.r
	lc.mu.Unlock()
	if r != nil {
		r.Close() // not under mu: a reload under way needs it to end
	}
}

// reloader returns the file's watch of now: nil without a file, until
// Create writes one.
func (lc *liveConfig) reloader() *reload.Reloader {
	lc.mu.Lock()
	defer lc.mu.Unlock()
	return lc.r
}

// reloadNow applies the file again, as its change would; it does nothing
// without a file.
func (lc *liveConfig) reloadNow() {
	lc.mu.Lock()
	r := lc.r
	lc.mu.Unlock()
	if r != nil {
		r.Reload(reload.TriggerKey)
	}
}

// apply reads, checks and applies the file and the edits, as a reload.
func (lc *liveConfig) apply() error {
	lc.mu.Lock()
	defer lc.mu.Unlock()
	return lc.applyLocked()
}

func (lc *liveConfig) applyLocked() error {
	name, data, err := lc.text()
	if err != nil {
		return err
	}
	names, err := builtinNames()
	if err != nil {
		return err
	}
	cfg, err := config.Parse(name, data, names)
	if err != nil {
		var errs config.Errors
		if errors.As(err, &errs) {
			return fmt.Errorf("config: %s: %w", countErrors(len(errs)), errs)
		}
		return err
	}
	if lc.path == "" {
		cfg.File = ""
	}
	abs, _, err := configAbilities(lc.env, cfg, lc.demoCfg)
	if err != nil {
		return err
	}
	if cfg.Timeout > 0 { // the default timeout of the file, which the agent took at start
		for i := range abs {
			if abs[i].Timeout == 0 {
				abs[i].Timeout = time.Duration(cfg.Timeout)
			}
		}
	}
	if lc.gw != nil { // servers come, go or restart; their tools take the file's settings
		lc.gw.Update(cfg)
	}
	if err := lc.live.Apply(abs); err != nil {
		return err
	}
	if lc.start != nil {
		lc.notes = restartNotes(lc.start, cfg)
	}
	return nil
}

// noFile names the settings edited without a file, in errors.
const noFile = "(settings)"

// text returns the name of the configuration in errors, and its text: the
// file's (none without a file) with the edits spliced in. A file that the
// edits cannot be spliced into (it is no longer YAML) is an error as its
// parse gives it.
func (lc *liveConfig) text() (name string, data []byte, err error) {
	name = noFile
	if lc.path != "" {
		name = lc.path
		var warnings []string
		data, warnings, err = config.ReadFile(lc.path)
		for _, w := range warnings {
			fmt.Fprintf(lc.log, "agentdash: warning: %s\n", escapeControls(w))
		}
		if err != nil {
			return "", nil, err
		}
	}
	edited, err := lc.splice(data)
	if err != nil {
		if _, perr := config.Parse(name, data, nil); perr != nil {
			var errs config.Errors
			if errors.As(perr, &errs) {
				return "", nil, fmt.Errorf("config: %s: %w", countErrors(len(errs)), errs)
			}
		}
		return "", nil, fmt.Errorf("config %s: %w", name, err)
	}
	return name, edited, nil
}

// splice returns data with the edits in it.
func (lc *liveConfig) splice(data []byte) ([]byte, error) {
	for _, ability := range slices.Sorted(maps.Keys(lc.edits)) {
		vals := lc.edits[ability]
		edits := make([]configedit.Edit, 0, len(vals))
		for _, k := range slices.Sorted(maps.Keys(vals)) {
			edits = append(edits, configedit.Edit{Key: k, Value: vals[k]})
		}
		var err error
		if data, err = configedit.Set(data, ability, edits); err != nil {
			return nil, err
		}
	}
	return data, nil
}

// report logs a reload and tells notify.
func (lc *liveConfig) report(ev reload.Event) {
	if lc.notify != nil {
		lc.notify(ev)
	}
	at := ev.At.Format(time.TimeOnly)
	lc.mu.Lock()
	path, notes := lc.path, lc.notes
	lc.mu.Unlock()
	if ev.Err != nil {
		fmt.Fprintf(lc.log, "%s config %s: %s\n", at, path, reloadMessage(ev))
		return
	}
	fmt.Fprintf(lc.log, "%s config %s: %s, %d abilities\n", at, path, reloadMessage(ev), len(lc.a.Abilities()))
	for _, n := range notes {
		fmt.Fprintf(lc.log, "agentdash: note: %s\n", n)
	}
}

// Values returns the settings the configuration gives ability, the
// unsaved edits included, by key path.
func (lc *liveConfig) Values(ability string, keys []string) (map[string]string, error) {
	lc.mu.Lock()
	defer lc.mu.Unlock()
	_, data, err := lc.text()
	if err != nil {
		return nil, err
	}
	return configedit.Values(data, ability, keys)
}

// Apply sets settings of ability (key path → value as typed) and applies
// the configuration at once, as a reload. On an error (a config.Errors
// when a value is wrong, at its key path) nothing changes.
func (lc *liveConfig) Apply(ability string, values map[string]string) error {
	lc.mu.Lock()
	defer lc.mu.Unlock()
	old, had := lc.edits[ability]
	next := maps.Clone(old)
	if next == nil {
		next = map[string]string{}
	}
	maps.Copy(next, values)
	lc.edits[ability] = next
	if err := lc.applyLocked(); err != nil {
		if had {
			lc.edits[ability] = old
		} else {
			delete(lc.edits, ability)
		}
		return err
	}
	lc.unsaved.Store(true)
	return nil
}

// Unsaved reports whether settings were edited and not written.
func (lc *liveConfig) Unsaved() bool { return lc.unsaved.Load() }

// File returns the configuration file, "" without one.
func (lc *liveConfig) File() string { return *lc.file.Load() }

// errNoFile is Write's error without a configuration file.
var errNoFile = errors.New("no configuration file")

// Write writes the edited settings into the file, atomically, and
// forgets them: the file now says them, and the reload its change brings
// changes nothing. The file as it is now, with the edits, must be a valid
// configuration; if not, nothing is written and the edits stay.
func (lc *liveConfig) Write() error {
	lc.mu.Lock()
	defer lc.mu.Unlock()
	if lc.path == "" {
		return errNoFile
	}
	if len(lc.edits) == 0 {
		return nil
	}
	name, data, err := lc.text()
	if err != nil {
		return fmt.Errorf("not written, the edits are kept: %w", err)
	}
	names, err := builtinNames()
	if err != nil {
		return err
	}
	if _, err := config.Parse(name, data, names); err != nil {
		return fmt.Errorf("not written, the edits are kept: %w", err)
	}
	if err := configedit.WriteFile(lc.path, data, 0o644); err != nil {
		return fmt.Errorf("not written, the edits are kept: %w", err)
	}
	clear(lc.edits)
	lc.unsaved.Store(false)
	return nil
}

// CreatePath returns where Create writes: ./agentdash.yaml, the file the
// next start finds in this directory.
func (lc *liveConfig) CreatePath() string {
	if p, err := filepath.Abs(config.LocalFile); err == nil {
		return p
	}
	return config.LocalFile
}

// createHeader starts a file that Create writes.
const createHeader = "# agentdash configuration, written by the dashboard.\n" +
	"# Every key: 'agentdash config init'; check it: 'agentdash config check'.\n"

// Create writes the edited settings into a new configuration file at
// CreatePath, then watches it as the file found at start would be.
func (lc *liveConfig) Create() error {
	lc.mu.Lock()
	defer lc.mu.Unlock()
	if lc.path != "" {
		return fmt.Errorf("the configuration file %s exists", lc.path)
	}
	path := lc.CreatePath()
	if _, err := os.Lstat(path); err == nil {
		return fmt.Errorf("%s exists now: not overwritten; restart agentdash to use it", path)
	} else if !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("create %s: %w", path, err)
	}
	data, err := lc.splice([]byte(createHeader))
	if err != nil {
		return err
	}
	if err := configedit.WriteFile(path, data, 0o644); err != nil {
		return err
	}
	lc.path = path
	lc.file.Store(&path)
	clear(lc.edits)
	lc.unsaved.Store(false)
	if _, err := lc.watchLocked(); err != nil {
		return fmt.Errorf("created %s, but edits to it are not applied until the next start: %w", path, err)
	}
	return nil
}
