// Package reload applies a configuration file again when it changes: a
// Reloader watches the file's directory (so that an editor's save by
// rename, which replaces the file, is seen as well as a write in place),
// waits for the writes to settle, and calls the program's Apply, which
// reads, checks and applies the file. Apply also runs on demand (a SIGHUP,
// a key), through Reload. Reloads never overlap.
//
// A failed Apply is expected to keep the running configuration: the
// Reloader only counts it and reports it. The counts are those Prometheus
// itself exports for its own configuration (see Stats).
package reload

import (
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/fsnotify/fsnotify"
)

// DefaultDebounce is how long the file must stay unchanged before it is
// applied: an editor's save is several events (truncate, write, rename),
// and a script's burst of writes is applied once, at its end.
const DefaultDebounce = 100 * time.Millisecond

// Triggers of a reload, as Event.Trigger says them.
const (
	TriggerFile   = "file"   // the file changed
	TriggerSignal = "signal" // SIGHUP
	TriggerKey    = "key"    // asked for in the dashboard
)

// Options configures a Reloader.
type Options struct {
	// Path is the configuration file.
	Path string
	// Apply reads, checks and applies the file, keeping the running
	// configuration when it fails. Its error should say where the file is
	// wrong (file:line:column).
	Apply func() error
	// Report, if not nil, is told the outcome of every reload and the
	// errors of the watch itself (Trigger "watch"). It is called from the
	// Reloader's goroutine or Reload's caller, one call at a time.
	Report func(Event)
	// Debounce is how long the file must stay unchanged before it is
	// applied; 0 means DefaultDebounce.
	Debounce time.Duration
}

// Event is the outcome of a reload.
type Event struct {
	Trigger string    // TriggerFile, TriggerSignal, TriggerKey, or "watch" for an error of the watch
	At      time.Time // when it ended
	Err     error     // nil: applied
}

// Stats counts the reloads.
type Stats struct {
	Successes, Failures uint64
	// LastSuccess is when the configuration was last applied: the
	// Reloader's start (the program applied the file then) or the latest
	// successful reload.
	LastSuccess time.Time
	// LastError is the error of the latest reload if it failed, else nil.
	LastError error
}

// Reloader watches a configuration file and applies it again when it
// changes. Close stops it.
type Reloader struct {
	opts    Options
	base    string // the file's name in the watched directory
	watcher *fsnotify.Watcher
	done    chan struct{} // closed when the watch goroutine has returned
	stop    chan struct{}

	mu        sync.Mutex // serializes reloads
	closed    atomic.Bool
	closeOnce sync.Once

	statsMu     sync.Mutex // guards the fields below
	successes   uint64
	failures    uint64
	lastSuccess time.Time
	lastErr     error
}

// Watch starts watching opts.Path. The file is assumed applied at this
// moment (the program has just started from it).
func Watch(opts Options) (*Reloader, error) {
	if opts.Path == "" || opts.Apply == nil {
		return nil, errors.New("reload: Options.Path and Options.Apply are required")
	}
	if opts.Debounce <= 0 {
		opts.Debounce = DefaultDebounce
	}
	abs, err := filepath.Abs(opts.Path)
	if err != nil {
		return nil, fmt.Errorf("reload %s: %w", opts.Path, err)
	}
	w, err := fsnotify.NewWatcher()
	if err != nil {
		return nil, fmt.Errorf("reload: watch %s: %w", opts.Path, err)
	}
	if err := w.Add(filepath.Dir(abs)); err != nil {
		_ = w.Close()
		return nil, fmt.Errorf("reload: watch %s: %w", filepath.Dir(abs), err)
	}
	r := &Reloader{
		opts:        opts,
		base:        filepath.Base(abs),
		watcher:     w,
		done:        make(chan struct{}),
		stop:        make(chan struct{}),
		lastSuccess: time.Now(),
	}
	go r.loop()
	return r, nil
}

// loop applies the file once it has stayed unchanged for the debounce
// delay after a change.
func (r *Reloader) loop() {
	defer close(r.done)
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	defer timer.Stop()
	for {
		select {
		case <-r.stop:
			return
		case ev, ok := <-r.watcher.Events:
			if !ok {
				return
			}
			if filepath.Base(ev.Name) != r.base || ev.Op == fsnotify.Chmod {
				continue
			}
			timer.Reset(r.opts.Debounce)
		case err, ok := <-r.watcher.Errors:
			if !ok {
				return
			}
			r.mu.Lock() // reports come one at a time
			r.report(Event{Trigger: "watch", At: time.Now(), Err: fmt.Errorf("watch %s: %w", r.opts.Path, err)})
			r.mu.Unlock()
		case <-timer.C:
			r.Reload(TriggerFile)
		}
	}
}

// Reload applies the file now, after any reload under way, and returns
// the outcome, which it also reports. After Close it does nothing and
// returns an Event with an error.
func (r *Reloader) Reload(trigger string) Event {
	r.mu.Lock()
	if r.closed.Load() {
		r.mu.Unlock()
		return Event{Trigger: trigger, At: time.Now(), Err: errors.New("reload: closed")}
	}
	err := r.opts.Apply()
	ev := Event{Trigger: trigger, At: time.Now(), Err: err}
	r.statsMu.Lock()
	if err != nil {
		r.failures++
		r.lastErr = err
	} else {
		r.successes++
		r.lastSuccess = ev.At
		r.lastErr = nil
	}
	r.statsMu.Unlock()
	r.report(ev) // under mu: reports come one at a time, in order
	r.mu.Unlock()
	return ev
}

func (r *Reloader) report(ev Event) {
	if r.opts.Report != nil {
		r.opts.Report(ev)
	}
}

// Stats returns the counts of reloads so far.
func (r *Reloader) Stats() Stats {
	r.statsMu.Lock()
	defer r.statsMu.Unlock()
	return Stats{Successes: r.successes, Failures: r.failures, LastSuccess: r.lastSuccess, LastError: r.lastErr}
}

// ReloadStats is Stats in the form the Prometheus exporter reads.
func (r *Reloader) ReloadStats() (successes, failures uint64, lastSuccess time.Time) {
	s := r.Stats()
	return s.Successes, s.Failures, s.LastSuccess
}

// Close stops the watch and waits for its goroutine, and for a reload
// under way, to return. Reload does nothing afterwards. It is idempotent.
func (r *Reloader) Close() error {
	var err error
	r.closeOnce.Do(func() {
		close(r.stop)
		<-r.done // the loop has returned: no reload starts from it any more
		err = r.watcher.Close()
		r.mu.Lock() // waits for a Reload from another caller
		r.closed.Store(true)
		r.mu.Unlock()
	})
	return err
}
