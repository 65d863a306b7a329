package main

import (
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"time"

	"github.com/spf13/pflag"

	"github.com/agentdash/agentdash/internal/agent"
	"github.com/agentdash/agentdash/internal/control"
	"github.com/agentdash/agentdash/internal/reload"
	"github.com/agentdash/agentdash/internal/upstream"
)

// controlFlags are the flags of every long-running command, which serves
// the control API that attach and ps use.
type controlFlags struct {
	addr        string
	allowRemote bool
}

func (f *controlFlags) register(fs *pflag.FlagSet) {
	fs.StringVar(&f.addr, "control-addr", "", "also serve the control API (attach) on TCP at this host:port, with a bearer token in a 0600 file (the Unix socket is always served)")
	fs.BoolVar(&f.allowRemote, "control-allow-remote", false, "let --control-addr listen beyond loopback (anyone who reaches it with the token controls the agent)")
}

// check refuses a --control-addr that Listen would refuse, before the
// agent starts.
func (f *controlFlags) check() error {
	if f.addr == "" {
		if f.allowRemote {
			return errors.New("--control-allow-remote applies to --control-addr only")
		}
		return nil
	}
	host, _, err := net.SplitHostPort(f.addr)
	if err != nil {
		return fmt.Errorf("--control-addr %q: want host:port, e.g. 127.0.0.1:8766", f.addr)
	}
	if !control.IsLoopback(host) && !f.allowRemote {
		return fmt.Errorf("--control-addr %s is not a loopback address: add --control-allow-remote to allow it, or listen on 127.0.0.1", f.addr)
	}
	return nil
}

// controlEndpoint describes what startControl serves.
type controlEndpoint struct {
	command, transport string
	metrics            string            // the Prometheus exporter's address, "" when off
	live               *liveConfig       // the configuration reloaded and edited
	gateway            *upstream.Gateway // the file's MCP servers; nil for none
	sessions           func() int        // nil: not an MCP server
}

// startControl serves a's control API on a socket in the per-user
// directory and, with --control-addr, on TCP; stop ends it and removes its
// files. Without --control-addr, a socket that cannot be made is a warning
// on log, not a failure: the command's own work goes on.
func startControl(env *environment, f *controlFlags, a *agent.Agent, ce controlEndpoint, log io.Writer) (stop func(), err error) {
	var reloadFn func() (string, error)
	var settings control.Settings
	if ce.live != nil {
		settings = ce.live
		// The file's watch of now: a file created from the settings form
		// is reloaded too.
		reloadFn = func() (string, error) {
			r := ce.live.reloader()
			if r == nil {
				return "", control.ErrNoReload
			}
			ev := r.Reload(reload.TriggerKey)
			if ev.Err != nil {
				return "", errors.New(reloadMessage(ev))
			}
			return reloadMessage(ev), nil
		}
	}
	var ups func() []upstream.Status
	if ce.gateway != nil {
		ups = ce.gateway.Status
	}
	srv := control.NewServer(control.ServerOptions{
		Agent: a,
		Info: control.Info{Name: a.Snapshot().Name, PID: os.Getpid(), Started: time.Now().UTC().Truncate(time.Second),
			Command: ce.command, Transport: ce.transport, Metrics: ce.metrics},
		Reload:    reloadFn,
		Sessions:  ce.sessions,
		Settings:  settings,
		Upstreams: ups,
	})
	ep, err := control.Listen(srv, control.ListenOptions{Dir: control.DefaultDir(env.getenv), TCPAddr: f.addr, AllowRemote: f.allowRemote})
	if err != nil {
		srv.Close()
		if f.addr != "" {
			return nil, err
		}
		fmt.Fprintf(log, "agentdash: warning: no control socket (attach and ps will not see this process): %v\n", err)
		return func() {}, nil
	}
	if in := ep.Info(); in.TCP != "" {
		host, _, _ := net.SplitHostPort(in.TCP)
		if !control.IsLoopback(host) {
			fmt.Fprintf(log, "agentdash: warning: the control API listens on %s, beyond this machine: whoever has the token in %s controls the agent\n", in.TCP, in.TokenFile)
		}
	}
	return ep.Close, nil
}
