package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/agentdash/agentdash/internal/control"
	"github.com/agentdash/agentdash/internal/train"
	"github.com/agentdash/agentdash/ui/chooser"
	"github.com/agentdash/agentdash/ui/dashboard"
	"github.com/agentdash/agentdash/ui/pane"
)

// psEntry is one process in `ps --json`: its sidecar with the live
// counts. The token file's path is there; the token never is.
type psEntry = control.Info

func newPsCmd(env *environment) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "ps",
		Short: "List the running agentdash processes you can attach to",
		Long: `List this user's running agentdash processes (dashboards, serve, mcp) that
'agentdash attach' can open: name, PID, uptime, abilities, how each serves
(terminal, metrics address, MCP over stdio or HTTP) and its open MCP sessions.
They are found by their control sockets in the per-user directory
($XDG_RUNTIME_DIR/agentdash, else agentdash-UID in the temporary directory);
the files of processes that died without removing them are removed.`,
		Example: `  agentdash ps
  agentdash ps --json`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			list, err := runningAgents(cmd.Context(), env)
			if err != nil {
				return err
			}
			if asJSON {
				if list == nil {
					list = []psEntry{}
				}
				return writeJSON(env.stdout, list, isTerminal(env.stdout))
			}
			return writePs(env, list)
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the processes as a JSON array")
	return cmd
}

// runningAgents lists the live processes, each with its counts of now.
func runningAgents(ctx context.Context, env *environment) ([]psEntry, error) {
	list, err := control.List(control.DefaultDir(env.getenv))
	if err != nil {
		return nil, err
	}
	out := list[:0]
	for _, in := range list {
		qctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		live, err := control.FetchInfo(qctx, control.Target{Socket: in.Socket})
		cancel()
		if err != nil {
			continue // it just ended
		}
		live.Socket = in.Socket
		out = append(out, live)
	}
	return out, nil
}

func writePs(env *environment, list []psEntry) error {
	if len(list) == 0 {
		_, err := fmt.Fprintln(env.stdout, "no agentdash process is running")
		return err
	}
	tw := tabwriter.NewWriter(env.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tPID\tUPTIME\tABILITIES\tCOMMAND\tTRANSPORT\tMCP SESSIONS\tCONTROL")
	for _, in := range list {
		sessions := "-"
		if in.Sessions != nil {
			sessions = strconv.Itoa(*in.Sessions)
		}
		ctl := in.Socket
		if in.TCP != "" {
			ctl += " tcp " + in.TCP
		}
		fmt.Fprintf(tw, "%s\t%d\t%s\t%d\t%s\t%s\t%s\t%s\n", in.Name, in.PID, pane.Uptime(time.Since(in.Started)),
			in.Abilities, in.Command, in.Transport, sessions, ctl)
	}
	if err := tw.Flush(); err != nil {
		return fmt.Errorf("write ps: %w", err)
	}
	return nil
}

type attachFlags struct {
	tokenFile  string
	fps        int
	dataset    string
	checkpoint string
}

func newAttachCmd(env *environment) *cobra.Command {
	var f attachFlags
	cmd := &cobra.Command{
		Use:   "attach [TARGET]",
		Short: "Open the dashboard on a running agentdash (serve, mcp, another dashboard)",
		Long: `Open the dashboard on the agent of a running agentdash process: its abilities
and calls (those of its MCP clients with who made them), breakers (trip,
reset, reset all, faults), cache and latency, the load generator (which runs
in that process), its configuration (the settings form: e edits, w writes the
process's file or creates one), reloads (f5) and its MCP servers (u). The Training pane
trains here; the agent's predict picks the checkpoint up as usual.

TARGET is a name, a PID or a socket path from 'agentdash ps', or host:port of a
--control-addr endpoint with --token-file. Without TARGET it attaches to the
only running process; when several run, it lets you choose one in a list
(enter attaches, q or esc leaves with exit 0), or, when stdin or stdout is
not a terminal, names them in its error (exit 2). When the process ends the header says
"disconnected — retrying" until a process of the same name is back. Quitting
never affects the agent, except that load started from this dashboard stops.
Every change made here is recorded in the agent's events as made by this
attach (its PID).`,
		Example: `  agentdash attach
  agentdash attach demo
  agentdash attach 4242
  agentdash attach 127.0.0.1:8766 --token-file $XDG_RUNTIME_DIR/agentdash/demo-4242.token`,
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) > 1 {
				return fmt.Errorf("takes one TARGET at most, got %d", len(args))
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			target := ""
			if len(args) == 1 {
				target = args[0]
			}
			return runAttach(cmd.Context(), env, &f, target)
		},
	}
	cmd.Flags().StringVar(&f.tokenFile, "token-file", "", "file holding the bearer token of a TCP TARGET (host:port)")
	intVar(cmd.Flags(), &f.fps, "fps", 15, "maximum frames per second of the dashboard (1-60)")
	cmd.Flags().StringVar(&f.dataset, "dataset", "", "CSV dataset to prefill the training form with (default: synthetic data)")
	cmd.Flags().StringVar(&f.checkpoint, "checkpoint", "", "where training here writes the model (default "+defaultCheckpoint()+")")
	return cmd
}

// isTCPTarget tells host:port from a name, a PID or a path.
func isTCPTarget(s string) bool {
	return strings.Contains(s, ":") && !strings.ContainsAny(s, `/\`)
}

// resolveTarget finds the process to attach to, and where it exports
// metrics ("" when it does not), for the header.
func resolveTarget(ctx context.Context, env *environment, f *attachFlags, target string) (control.Target, string, error) {
	dir := control.DefaultDir(env.getenv)
	if isTCPTarget(target) {
		if f.tokenFile == "" {
			return control.Target{}, "", usage(fmt.Errorf("attach %s: a TCP target needs --token-file (ps shows the file)", target))
		}
		tok, err := control.ReadToken(f.tokenFile)
		if err != nil {
			return control.Target{}, "", usage(err)
		}
		t := control.Target{Addr: target, Token: tok}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		in, _ := control.FetchInfo(ctx, t) // Dial reports an agent out of reach
		return t, in.Metrics, nil
	}
	if f.tokenFile != "" {
		return control.Target{}, "", usage(errors.New("--token-file applies to a host:port TARGET only"))
	}
	in, err := control.Find(dir, target)
	if err != nil && target == "" && interactive(env) {
		// Several run and none was named: the user picks one.
		var list []control.Info
		if list, err = control.List(dir); err == nil && len(list) > 1 {
			in, err = chooser.Run(ctx, list, env.noColor(), env.stdin, env.stdout)
			if errors.Is(err, chooser.ErrLeft) {
				return control.Target{}, "", errLeft
			}
		} else if err == nil {
			in, err = control.Find(dir, target) // one ended meanwhile
		}
	}
	if err != nil {
		return control.Target{}, "", usage(err)
	}
	return control.Target{Dir: dir, Name: in.Name, Socket: in.Socket}, in.Metrics, nil
}

// errLeft says the user left attach's chooser: nothing to do, exit 0.
var errLeft = errors.New("no process chosen")

// interactive reports whether stdin and stdout are both terminals.
func interactive(env *environment) bool {
	in, ok := env.stdin.(*os.File)
	return ok && isTerminal(in) && isTerminal(env.stdout)
}

func runAttach(ctx context.Context, env *environment, f *attachFlags, target string) error {
	if f.fps < 1 || f.fps > 60 {
		return usage(fmt.Errorf("--fps %d: must be between 1 and 60", f.fps))
	}
	df := dashFlags{dataset: f.dataset}
	df.agent.checkpoint = f.checkpoint
	if err := checkTrainingFiles(&df); err != nil {
		return usage(err)
	}
	t, metrics, err := resolveTarget(ctx, env, f, target)
	if errors.Is(err, errLeft) {
		return nil
	}
	if err != nil {
		return err
	}
	if !isTerminal(env.stdout) {
		return usage(errors.New("attach needs a terminal; for scripts use the control API (see README) or 'agentdash ps --json'"))
	}
	// An MCP server's clients name themselves in their calls: the history
	// shows who made them, as a local --mcp-http dashboard does.
	ictx, cancel := context.WithTimeout(ctx, 5*time.Second)
	in, _ := control.FetchInfo(ictx, t) // Dial reports an agent out of reach
	cancel()
	callers := in.Sessions != nil
	c, err := control.Dial(ctx, t, control.ClientOptions{Actor: "attach pid " + strconv.Itoa(os.Getpid()), FPS: f.fps, Callers: callers})
	if err != nil {
		return fmt.Errorf("attach: %w", err)
	}
	defer c.Close()

	tc := train.DefaultConfig()
	if f.checkpoint != "" {
		tc.Checkpoint = f.checkpoint
	}
	tc.Dataset = f.dataset
	var status atomic.Pointer[func(string, bool)]
	reloadNow := func() {
		msg, err := c.Reload()
		if show := status.Load(); show != nil {
			if err != nil {
				(*show)(err.Error(), true)
			} else {
				(*show)(msg, false)
			}
		}
	}
	return dashboard.Run(ctx, dashboard.Config{
		Agent:       c,
		Train:       tc,
		MetricsAddr: metrics,
		FPS:         f.fps,
		NoColor:     env.noColor(),
		OnAbort:     env.aborts.add,
		Reload:      reloadNow,
		Settings:    c.Settings(),
		Upstreams:   c.Upstreams,
		Callers:     callers,
		OnStatus: func(show func(string, bool)) func() {
			status.Store(&show)
			return func() { status.Store(nil) }
		},
	})
}
