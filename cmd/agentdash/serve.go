package main

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/agentdash/agentdash/internal/agent"
	"github.com/agentdash/agentdash/internal/exporter"
	"github.com/agentdash/agentdash/internal/load"
)

// defaultLoadAbilities are the abilities `serve --load` calls when
// --load-ability is not given: a cached one with varied arguments (misses),
// a cached one with repeated arguments (hits) and the flaky one (failures and
// breaker trips).
var defaultLoadAbilities = []string{"uppercase", "sum", "flaky"}

func newServeCmd(env *environment) *cobra.Command {
	var (
		af        agentFlags
		cf        controlFlags
		addr      string
		rate      float64
		abilities []string
		mode      string
		duration  time.Duration
	)
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run the agent headless and export its metrics to Prometheus",
		Long: `Run the demo agent headless with the Prometheus exporter on --metrics-addr
until interrupted (SIGINT/SIGTERM shut it down gracefully) or until --duration
has passed. With --load RATE it calls abilities RATE times per second in all,
spread evenly over --load-ability, so the metrics move. Breaker transitions
are logged on stderr as they happen.

With a configuration file, serve applies it again whenever it changes, and on
SIGHUP (which then reloads instead of stopping, as daemons do): abilities
appear, go and change at once, while unchanged ones keep their breaker state,
cache and metrics; a wrong file is logged at its file:line:column and the
running configuration stays.

'agentdash attach' opens the dashboard on it from another terminal ('agentdash
ps' lists what runs); changes made there or through the control API are logged
on stderr with who made them.`,
		Example: `  agentdash serve
  agentdash serve --metrics-addr 127.0.0.1:9400 --load 50
  agentdash serve --load 20 --load-ability flaky --duration 1m`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			m, err := checkServeFlags(rate, abilities, addr, duration, mode)
			if err != nil {
				return usage(err)
			}
			if err := cf.check(); err != nil {
				return usage(err)
			}
			a, err := af.newAgent(env)
			if err != nil {
				return err
			}
			defer af.closeAgent(a)
			for _, name := range abilities {
				if _, ok := a.Lookup(name); !ok {
					return usage(fmt.Errorf("--load-ability %q: unknown ability (known: %s)", name, knownAbilities(a)))
				}
			}
			lc, r, err := startReload(env, &af, a, env.stderr, nil)
			if err != nil {
				return err
			}
			defer lc.close()
			if r != nil {
				defer reloadOnHangup(env, r)()
			}
			// The control API says where the metrics are, once known.
			ctl := func(metrics string) (func(), error) {
				return startControl(env, &cf, a, controlEndpoint{command: "serve", transport: "metrics " + metrics, metrics: metrics, live: lc, gateway: af.gateway}, env.stderr)
			}
			return serve(cmd.Context(), env, metricsSource(a, lc, af.gateway), a, addr, rate, abilities, m, duration, ctl)
		},
	}
	af.register(cmd.Flags())
	cf.register(cmd.Flags())
	cmd.Flags().StringVar(&addr, "metrics-addr", exporter.DefaultAddr, "listen address of the Prometheus exporter (host:port)")
	cmd.Flags().Float64Var(&rate, "load", 0, "generate this many calls per second in all (0 = no load)")
	cmd.Flags().StringSliceVar(&abilities, "load-ability", defaultLoadAbilities, "abilities the load generator calls (repeatable or comma-separated)")
	cmd.Flags().StringVar(&mode, "load-mode", "mixed", "load arguments: repeat (cache hits), vary (cache misses) or mixed (half each)")
	cmd.Flags().DurationVar(&duration, "duration", 0, "stop after this long (0 = run until interrupted)")
	return cmd
}

// checkServeFlags checks the flags of serve and returns its load mode.
func checkServeFlags(rate float64, abilities []string, addr string, duration time.Duration, mode string) (load.Mode, error) {
	switch {
	case math.IsNaN(rate) || rate < 0:
		return 0, fmt.Errorf("--load %v: must be a number of calls per second, 0 or more", rate)
	case rate > 0 && len(abilities) == 0:
		return 0, errors.New("--load-ability names no ability for the load")
	case rate/float64(max(len(abilities), 1)) > load.MaxRate:
		return 0, fmt.Errorf("--load %v: at most %d calls/s per ability, %d in all for %s",
			rate, load.MaxRate, load.MaxRate*len(abilities), strings.Join(abilities, ", "))
	case addr == "":
		return 0, fmt.Errorf("--metrics-addr is empty: give host:port, e.g. %s", exporter.DefaultAddr)
	case duration < 0:
		return 0, fmt.Errorf("--duration %v: must not be negative", duration)
	}
	m, err := load.ParseMode(mode)
	if err != nil {
		return 0, fmt.Errorf("--load-mode: %w", err)
	}
	return m, nil
}

func serve(ctx context.Context, env *environment, src exporter.Source, a *agent.Agent, addr string, rate float64,
	abilities []string, mode load.Mode, duration time.Duration, startCtl func(metrics string) (func(), error)) error {
	srv, stop, err := startExporter(addr, src)
	if err != nil {
		return err
	}
	defer stop()
	stopCtl, err := startCtl(srv.Addr())
	if err != nil {
		return err
	}
	defer stopCtl()
	fmt.Fprintf(env.stderr, "agentdash: serving metrics on http://%s/metrics (Ctrl-C to stop)\n", srv.Addr())

	if duration > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, duration)
		defer cancel()
	}
	var gens []*load.Generator
	stopLoad := func() { // waits for the generators' calls, so the summary counts them
		for _, g := range gens {
			g.Stop()
		}
	}
	defer stopLoad()
	if rate > 0 && len(abilities) > 0 {
		per := rate / float64(len(abilities))
		for _, name := range abilities {
			g, err := load.Start(ctx, a, load.Spec{Ability: name, Rate: per, Mode: mode})
			if err != nil {
				return err
			}
			gens = append(gens, g)
		}
		fmt.Fprintf(env.stderr, "agentdash: generating %.4g calls/s over %v (%s)\n", rate, abilities, mode)
	}
	// Breaker transitions are logged as they happen, from the agent's event
	// stream (which never blocks calls: a slow reader only drops events).
	events := a.SubscribeTo(256, agent.EventTransition, agent.EventAction)
	defer events.Close()
	began := time.Now()
	for {
		select {
		case <-ctx.Done():
			if !errors.Is(ctx.Err(), context.DeadlineExceeded) { // interrupted, not --duration
				fmt.Fprintln(env.stderr, "agentdash: shutting down")
			}
			served := time.Since(began).Round(time.Millisecond)
			stopLoad()
			var skipped uint64
			for _, g := range gens {
				skipped += g.Skipped()
			}
			summary := callTotals(a.Snapshot())
			if skipped > 0 {
				// Ticks the generators could not send: the abilities were
				// slower than the rate, with load.DefaultMaxInFlight
				// calls already outstanding.
				summary += fmt.Sprintf("; %d more not sent, the abilities being too slow for --load %.4g", skipped, rate)
			}
			fmt.Fprintf(env.stderr, "agentdash: served for %s: %s\n", served, summary)
			return nil
		case ev, ok := <-events.C():
			if !ok {
				return nil
			}
			switch ev.Kind {
			case agent.EventTransition:
				fmt.Fprintf(env.stderr, "%s breaker %s\n", ev.At.Format(time.TimeOnly), ev.Transition)
			case agent.EventAction: // who changed what, through the control API
				fmt.Fprintf(env.stderr, "%s %s by %s\n", ev.At.Format(time.TimeOnly), strings.TrimSpace(ev.Action+" "+ev.Ability), escapeControls(ev.Actor))
			}
		}
	}
}

// startExporter starts the Prometheus exporter on addr; stop shuts it down,
// giving in-flight scrapes up to a second (a scrape takes milliseconds; a
// client that stalls must not hold the exit). A malformed address is a
// usage error; a failure to listen on a well-formed one (a port in use)
// is a job failure.
func startExporter(addr string, src exporter.Source) (srv *exporter.Server, stop func(), err error) {
	srv, err = exporter.Start(addr, src)
	if err != nil {
		var ae *exporter.AddressError
		if errors.As(err, &ae) {
			return nil, nil, usage(fmt.Errorf("--metrics-addr: %w", err))
		}
		if errors.Is(err, syscall.EADDRINUSE) {
			return nil, nil, fmt.Errorf("%w (choose another with --metrics-addr)", err)
		}
		return nil, nil, err
	}
	return srv, func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		_ = srv.Close(ctx)
	}, nil
}

// callTotals sums the calls of all abilities by outcome: "120 calls (100
// success, 20 failure)", or "no calls".
func callTotals(s agent.Snapshot) string {
	var total uint64
	var by [agent.NumOutcomes]uint64
	for _, ab := range s.Abilities {
		total += ab.Calls
		for o, n := range ab.Outcomes {
			by[o] += n
		}
	}
	if total == 0 {
		return "no calls"
	}
	var parts []string
	for o, n := range by {
		if n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n, agent.Outcome(o)))
		}
	}
	return fmt.Sprintf("%d calls (%s)", total, strings.Join(parts, ", "))
}
