package main

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/agentdash/agentdash/internal/agent"
	"github.com/agentdash/agentdash/internal/config"
	"github.com/agentdash/agentdash/internal/exporter"
	"github.com/agentdash/agentdash/internal/reload"
	"github.com/agentdash/agentdash/internal/upstream"
)

// startReload applies the configuration file again to a, the agent f
// built from it, whenever the file changes: its abilities and their
// settings change at once (see agent.Apply), while the agent-wide limits
// (max_concurrent, max_wait, cache_size, metrics_addr), which size what
// is running, keep their start values until the next start. A file that
// is wrong keeps the running configuration. Each reload is logged on log,
// with the file's errors at their file:line:column, and told to notify,
// if not nil. nil without a file.
// The live configuration returned is what the control API's settings
// edit; its close stops the watch.
func startReload(env *environment, f *agentFlags, a *agent.Agent, log io.Writer, notify func(reload.Event)) (*liveConfig, *reload.Reloader, error) {
	lc := newLiveConfig(env, f, a, log, notify)
	r, err := lc.watch()
	return lc, r, err
}

// reloadingAgent is an agent whose configuration is reloaded live: the
// exporter reads the reloads' counts from it too (once there is a file:
// one created from the dashboard counts from then on), and the state of
// the file's MCP servers.
type reloadingAgent struct {
	*agent.Agent
	lc *liveConfig
	gw *upstream.Gateway
}

// ReloadStats implements exporter.ReloadSource; all zero without a file.
func (ra reloadingAgent) ReloadStats() (uint64, uint64, time.Time) {
	if r := ra.lc.reloader(); r != nil {
		return r.ReloadStats()
	}
	return 0, 0, time.Time{}
}

// Upstreams implements exporter.UpstreamSource.
func (ra reloadingAgent) Upstreams() []upstream.Status {
	if ra.gw == nil {
		return nil
	}
	return ra.gw.Status()
}

// metricsSource is what the exporter reads: a, with the reloads of lc's
// file and the gateway's servers.
func metricsSource(a *agent.Agent, lc *liveConfig, gw *upstream.Gateway) exporter.Source {
	return reloadingAgent{a, lc, gw}
}

// reloadOnHangup makes SIGHUP reload the file through r, until the
// returned function is called.
func reloadOnHangup(env *environment, r *reload.Reloader) (restore func()) {
	hook := func() { r.Reload(reload.TriggerSignal) }
	env.onHangup.Store(&hook)
	return func() { env.onHangup.Store(nil) }
}

// reloadMessage says what a reload did, in a line: "reloaded (file)", or
// why the running configuration stays.
func reloadMessage(ev reload.Event) string {
	if ev.Err != nil {
		return "reload failed, the running configuration stays: " + escapeControls(oneLine(ev.Err.Error()))
	}
	return "reloaded (" + ev.Trigger + ")"
}

// statusMessage is reloadMessage for the dashboard's footer, which
// has a line of some 80 characters: the first error of the file, where it
// is first, and how many more there are.
func statusMessage(ev reload.Event) string {
	if ev.Err == nil {
		return "config " + reloadMessage(ev)
	}
	msg := ev.Err.Error()
	var errs config.Errors
	if errors.As(ev.Err, &errs) && len(errs) > 0 {
		msg = errs[0].Error()
		if len(errs) > 1 {
			msg += fmt.Sprintf(" (and %d more)", len(errs)-1)
		}
	}
	return "config not reloaded: " + escapeControls(oneLine(msg))
}

// restartNotes says which agent-wide settings of next differ from those
// the agent started with, which a reload does not change.
func restartNotes(start, next *config.Config) []string {
	var notes []string
	note := func(key string, changed bool) {
		if changed {
			notes = append(notes, next.File+": "+key+" changed: it applies at the next start")
		}
	}
	note("max_concurrent", start.MaxConcurrent != next.MaxConcurrent)
	note("max_wait", start.MaxWait != next.MaxWait)
	note("cache_size", start.CacheSize != next.CacheSize)
	note("metrics_addr", start.MetricsAddr != next.MetricsAddr)
	return notes
}

// oneLine joins the lines of msg with "; ".
func oneLine(msg string) string { return strings.ReplaceAll(msg, "\n", "; ") }
