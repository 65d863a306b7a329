package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"sync/atomic"

	"github.com/spf13/pflag"

	"github.com/agentdash/agentdash/internal/control"
	"github.com/agentdash/agentdash/internal/dataset"
	"github.com/agentdash/agentdash/internal/exporter"
	"github.com/agentdash/agentdash/internal/mcpserver"
	"github.com/agentdash/agentdash/internal/reload"
	"github.com/agentdash/agentdash/internal/train"
	"github.com/agentdash/agentdash/internal/upstream"
	"github.com/agentdash/agentdash/ui/dashboard"
)

// dashFlags are the flags of the dashboard (the root command).
type dashFlags struct {
	agent       agentFlags
	control     controlFlags
	metricsAddr string
	dataset     string
	fps         int
	// mcpHTTP, if not "", is where MCP is served beside the dashboard,
	// with the bearer token of mcpTokenFile or $AGENTDASH_MCP_TOKEN.
	mcpHTTP      string
	mcpTokenFile string
}

func (f *dashFlags) register(fs *pflag.FlagSet) {
	f.agent.register(fs)
	f.control.register(fs)
	fs.StringVar(&f.metricsAddr, "metrics-addr", "", "also export Prometheus metrics on this address (e.g. "+exporter.DefaultAddr+"); off by default")
	fs.StringVar(&f.dataset, "dataset", "", "CSV dataset to prefill the training form with (default: synthetic data)")
	intVar(fs, &f.fps, "fps", 15, "maximum frames per second of the dashboard (1-60)")
	fs.StringVar(&f.mcpHTTP, "mcp-http", "", "also serve every ability over MCP (Streamable HTTP) at http://ADDR/mcp, as 'mcp --http' does; the calls of its clients show in the dashboard")
	fs.StringVar(&f.mcpTokenFile, "mcp-token-file", "", "file holding the bearer token --mcp-http clients must send (mode 0600; default $"+tokenEnv+")")
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
	var mcpToken string
	if f.mcpHTTP != "" {
		var err error
		if mcpToken, err = httpToken(env, "--mcp-http", f.mcpHTTP, "--mcp-token-file", f.mcpTokenFile); err != nil {
			return usage(err)
		}
	} else if f.mcpTokenFile != "" {
		return usage(errors.New("--mcp-token-file applies to --mcp-http only"))
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
	defer f.agent.closeAgent(a)

	tc := train.DefaultConfig()
	if f.agent.checkpoint != "" {
		tc.Checkpoint = f.agent.checkpoint
	}
	tc.Dataset = f.dataset

	// MCP clients call the same agent; the dashboard owns the terminal,
	// so the server's own log lines are dropped.
	var mcpSrv *mcpserver.Server
	if f.mcpHTTP != "" {
		var opts mcpserver.Options
		if gw := f.agent.gateway; gw != nil {
			opts.Upstream = gw.Tool
		}
		if mcpSrv, err = mcpserver.New(a, opts); err != nil {
			return err
		}
		// The tools of the file's MCP servers come and go with them.
		resync := func() { _ = mcpSrv.Sync() }
		f.agent.onTools.Store(&resync)
		defer f.agent.onTools.Store(nil)
	}

	// The file is applied again when it changes and on f5; the outcome
	// shows in the footer (and reaches MCP clients). SIGHUP still stops
	// the dashboard: it is how a closed terminal is told.
	var status atomic.Pointer[func(string, bool)]
	lc := newLiveConfig(env, &f.agent, a, io.Discard, func(ev reload.Event) {
		if show := status.Load(); show != nil {
			(*show)(statusMessage(ev), ev.Err != nil)
		}
		if mcpSrv != nil {
			if ev.Err == nil {
				_ = mcpSrv.Sync() // an ability that cannot be a tool stays out; the dashboard still has it
			}
			mcpSrv.Reloaded(ctx, ev.Trigger, ev.Err)
		}
	})
	defer lc.close()
	if _, err := lc.watch(); err != nil {
		return err
	}

	var addr string
	if f.metricsAddr != "" {
		srv, stop, err := startExporter(f.metricsAddr, metricsSource(a, lc, f.agent.gateway))
		if err != nil {
			return err
		}
		defer stop()
		addr = srv.Addr()
	}
	var mcpURL string
	if mcpSrv != nil {
		ln, err := net.Listen("tcp", f.mcpHTTP)
		if err != nil {
			return fmt.Errorf("--mcp-http: %w", err)
		}
		m := startMCPHTTP(mcpSrv, ln, mcpToken)
		defer m.stop()
		mcpURL = m.URL()
	}
	var upstreams func() []upstream.Status
	if gw := f.agent.gateway; gw != nil {
		upstreams = gw.Status
	}
	// Other terminals can attach to this dashboard's agent too.
	ce := controlEndpoint{command: "dashboard", transport: "terminal", metrics: addr, live: lc, gateway: f.agent.gateway}
	if mcpSrv != nil {
		ce.sessions = func() int { return countSessions(mcpSrv) }
	}
	stopControl, err := startControl(env, &f.control, a, ce, env.stderr)
	if err != nil {
		return err
	}
	defer stopControl()
	return dashboard.Run(ctx, dashboard.Config{
		Agent:       control.NewLocal(a, "local dashboard"),
		Train:       tc,
		MetricsAddr: addr,
		MCPAddr:     mcpURL,
		Callers:     mcpSrv != nil,
		FPS:         f.fps,
		NoColor:     env.noColor(),
		OnAbort:     env.aborts.add,
		Reload:      lc.reloadNow, // f5 is on while there is a file (Settings.File)
		Settings:    control.RecordSettings(a, "local dashboard", lc),
		Upstreams:   upstreams,
		OnStatus: func(show func(string, bool)) func() {
			status.Store(&show)
			return func() { status.Store(nil) }
		},
	})
}
