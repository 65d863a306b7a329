package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync/atomic"

	"github.com/spf13/pflag"

	"github.com/agentdash/agentdash/internal/control"
	"github.com/agentdash/agentdash/internal/dataset"
	"github.com/agentdash/agentdash/internal/exporter"
	"github.com/agentdash/agentdash/internal/reload"
	"github.com/agentdash/agentdash/internal/train"
	"github.com/agentdash/agentdash/ui/dashboard"
)

// dashFlags are the flags of the dashboard (the root command).
type dashFlags struct {
	agent       agentFlags
	control     controlFlags
	metricsAddr string
	dataset     string
	fps         int
}

func (f *dashFlags) register(fs *pflag.FlagSet) {
	f.agent.register(fs)
	f.control.register(fs)
	fs.StringVar(&f.metricsAddr, "metrics-addr", "", "also export Prometheus metrics on this address (e.g. "+exporter.DefaultAddr+"); off by default")
	fs.StringVar(&f.dataset, "dataset", "", "CSV dataset to prefill the training form with (default: synthetic data)")
	intVar(fs, &f.fps, "fps", 15, "maximum frames per second of the dashboard (1-60)")
}

// defaultCheckpoint is where the trainer writes and predict reads by default.
func defaultCheckpoint() string { return train.DefaultConfig().Checkpoint }

// checkTrainingFiles refuses, at the start, a --dataset or --checkpoint
// that training from the dashboard would refuse later, with the error
// train gives. Only paths given as flags are checked: the default
// checkpoint's place matters only once the user trains, and the form can
// change it.
func checkTrainingFiles(f *dashFlags) error {
	if f.dataset != "" {
		if err := dataset.CheckFile(f.dataset); err != nil {
			return err
		}
	}
	if f.agent.checkpoint != "" {
		if err := train.CheckCheckpoint(f.agent.checkpoint); err != nil {
			return err
		}
	}
	return nil
}

func runDashboard(ctx context.Context, env *environment, f *dashFlags) error {
	if f.fps < 1 || f.fps > 60 {
		return usage(fmt.Errorf("--fps %d: must be between 1 and 60", f.fps))
	}
	if err := checkTrainingFiles(f); err != nil {
		return usage(err)
	}
	if err := f.control.check(); err != nil {
		return usage(err)
	}
	if !isTerminal(env.stdout) {
		return usage(errors.New("the dashboard needs a terminal; for scripts use a subcommand (see 'agentdash --help')"))
	}
	a, err := f.agent.newAgent(env)
	if err != nil {
		return err
	}
	defer closeAgent(a)

	tc := train.DefaultConfig()
	if f.agent.checkpoint != "" {
		tc.Checkpoint = f.agent.checkpoint
	}
	tc.Dataset = f.dataset

	// The file is applied again when it changes and on f5; the outcome
	// shows in the footer. SIGHUP still stops the dashboard: it is how a
	// closed terminal is told.
	var status atomic.Pointer[func(string, bool)]
	r, err := startReload(env, &f.agent, a, io.Discard, func(ev reload.Event) {
		if show := status.Load(); show != nil {
			(*show)(statusMessage(ev), ev.Err != nil)
		}
	})
	if err != nil {
		return err
	}
	var reloadNow func()
	if r != nil {
		defer r.Close()
		reloadNow = func() { r.Reload(reload.TriggerKey) }
	}

	var addr string
	if f.metricsAddr != "" {
		srv, stop, err := startExporter(f.metricsAddr, metricsSource(a, r))
		if err != nil {
			return err
		}
		defer stop()
		addr = srv.Addr()
	}
	// Other terminals can attach to this dashboard's agent too.
	stopControl, err := startControl(env, &f.control, a, controlEndpoint{command: "dashboard", transport: "terminal", metrics: addr, reloader: r}, env.stderr)
	if err != nil {
		return err
	}
	defer stopControl()
	return dashboard.Run(ctx, dashboard.Config{
		Agent:       control.NewLocal(a, "local dashboard"),
		Train:       tc,
		MetricsAddr: addr,
		FPS:         f.fps,
		NoColor:     env.noColor(),
		OnAbort:     env.aborts.add,
		Reload:      reloadNow,
		OnStatus: func(show func(string, bool)) func() {
			status.Store(&show)
			return func() { status.Store(nil) }
		},
	})
}
