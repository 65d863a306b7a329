package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/agentdash/agentdash/internal/agent"
	"github.com/agentdash/agentdash/internal/schema"
)

// callOutput is what `call --json` prints: one object, success or not.
type callOutput struct {
	Ability        string  `json:"ability"`
	Outcome        string  `json:"outcome"`
	Cached         bool    `json:"cached"`
	LatencySeconds float64 `json:"latency_seconds"`
	Result         any     `json:"result,omitempty"`
	Error          string  `json:"error,omitempty"`
}

func newCallCmd(env *environment) *cobra.Command {
	var (
		af      agentFlags
		asJSON  bool
		timeout time.Duration
	)
	cmd := &cobra.Command{
		Use:   "call NAME [ARGS_JSON|-]",
		Short: "Call one ability and print its result as JSON",
		Long: `Call one ability through the full pipeline (validation, breaker, cache,
concurrency limit, timeout) and print its result as JSON on stdout.

ARGS_JSON is a JSON object; "-" reads it from standard input; omitted means {}.
An unknown ability, malformed JSON or an argument that breaks the ability's
schema exits with status 2; a call that fails exits with status 1.`,
		Example: `  agentdash call uppercase '{"text": "orfeas"}'
  agentdash call sum '{"a": 2, "b": 3}'
  echo '{"x": 4}' | agentdash call predict -`,
		Args: cobra.RangeArgs(1, 2),
		RunE: func(cmd *cobra.Command, args []string) error {
			raw := "{}"
			if len(args) == 2 {
				raw = args[1]
			}
			if raw == "-" {
				data, err := io.ReadAll(io.LimitReader(env.stdin, 16<<20))
				if err != nil {
					return fmt.Errorf("read arguments from stdin: %w", err)
				}
				raw = string(data)
			}
			callArgs, err := schema.ParseArgs([]byte(raw))
			if err != nil {
				return fmt.Errorf("call %s: arguments: %w", args[0], err)
			}
			a, err := af.newAgent()
			if err != nil {
				return err
			}
			defer a.Close()
			ctx := cmd.Context()
			if timeout > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, timeout)
				defer cancel()
			}
			return callOnce(ctx, env, a, args[0], callArgs, asJSON)
		},
	}
	af.register(cmd.Flags())
	cmd.Flags().BoolVar(&asJSON, "json", false, "print an object with outcome, cached flag, latency and result or error")
	cmd.Flags().DurationVar(&timeout, "timeout", 0, "give up after this long (e.g. 2s); 0 means the ability's own timeout")
	return cmd
}

// callOnce calls name and prints the result; the returned error carries
// the exit status (input errors unmarked, call failures marked failed).
func callOnce(ctx context.Context, env *environment, a *agent.Agent, name string, args map[string]any, asJSON bool) error {
	res, err := a.Call(ctx, name, args)
	if err != nil {
		if errors.Is(err, agent.ErrUnknownAbility) || errors.Is(err, agent.ErrBadArgs) {
			return err
		}
		if asJSON {
			out := callOutput{Ability: name, Outcome: res.Outcome.String(), Cached: res.Cached,
				LatencySeconds: res.Latency.Seconds(), Error: err.Error()}
			if werr := writeJSON(env.stdout, out, false); werr != nil {
				return failed(werr)
			}
			return failed(fmt.Errorf("%w: %w", errSilentFailure, err))
		}
		return failed(err)
	}
	if asJSON {
		return failed(writeJSON(env.stdout, callOutput{Ability: name, Outcome: res.Outcome.String(),
			Cached: res.Cached, LatencySeconds: res.Latency.Seconds(), Result: res.Value}, false))
	}
	return failed(writeJSON(env.stdout, res.Value, isTerminal(env.stdout)))
}

// writeJSON writes v as one line of JSON, or indented when pretty.
func writeJSON(w io.Writer, v any, pretty bool) error {
	var (
		data []byte
		err  error
	)
	if pretty {
		data, err = json.MarshalIndent(v, "", "  ")
	} else {
		data, err = json.Marshal(v)
	}
	if err != nil {
		return fmt.Errorf("encode result: %w", err)
	}
	data = append(data, '\n')
	if _, err := w.Write(data); err != nil {
		return fmt.Errorf("write output: %w", err)
	}
	return nil
}

// knownAbilities lists the agent's ability names for error messages.
func knownAbilities(a *agent.Agent) string {
	var names []string
	for _, in := range a.Abilities() {
		names = append(names, in.Name)
	}
	return strings.Join(names, ", ")
}
