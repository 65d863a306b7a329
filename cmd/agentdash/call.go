package main

import (
	"bytes"
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
			name := args[0]
			out := callPrinter{env: env, name: name, asJSON: asJSON}
			if timeout < 0 {
				return out.inputError(usage(fmt.Errorf("--timeout %v: must not be negative (0 means the ability's own timeout)", timeout)))
			}
			raw := "{}"
			if len(args) == 2 {
				raw = args[1]
			}
			if raw == "-" {
				data, err := readStdin(cmd.Context(), env.stdin, maxStdinArgs)
				if err != nil {
					return out.inputError(fmt.Errorf("call %s: %w", name, err))
				}
				raw = string(data)
			}
			callArgs, err := schema.ParseArgs([]byte(raw))
			if err != nil {
				return out.inputError(usage(fmt.Errorf("call %s: arguments: %w", name, err)))
			}
			a, err := af.newAgent(env)
			if err != nil {
				return out.inputError(err)
			}
			defer af.closeAgent(a)
			ctx := cmd.Context()
			if timeout > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeoutCause(ctx, timeout, errCallTimeout{timeout})
				defer cancel()
			}
			return out.call(ctx, a, callArgs)
		},
	}
	af.register(cmd.Flags())
	// A flag that cannot be parsed is an input error too, which --json
	// reports as an object.
	cmd.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		err = flagError(c, err)
		if !wantsJSON(env.args) {
			return err
		}
		return callPrinter{env: env, asJSON: true}.inputError(err)
	})
	cmd.Flags().BoolVar(&asJSON, "json", false, "print an object with outcome, cached flag, latency and result or error")
	cmd.Flags().DurationVar(&timeout, "timeout", 0, "give up after this long (e.g. 2s), within the ability's own timeout, which still applies; 0: only the ability's")
	return cmd
}

// maxStdinArgs bounds the arguments read from standard input.
const maxStdinArgs = 16 << 20

// shutdownGrace is how long a command waits, once its work is done, for
// abilities still running (one that ignores its context after a timeout)
// before it exits without them.
const shutdownGrace = time.Second

// closeAgent closes a, waiting at most shutdownGrace.
func closeAgent(a *agent.Agent) {
	ctx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
	defer cancel()
	_ = a.Shutdown(ctx) // past the grace, the process exits without them
}

// errCallTimeout is the cause of a call that --timeout ended.
type errCallTimeout struct{ d time.Duration }

func (e errCallTimeout) Error() string { return fmt.Sprintf("no result within --timeout %v", e.d) }

// readStdin reads all of r, at most limit bytes, unless ctx ends first (a
// user who forgot to pipe the arguments presses Ctrl-C). The read itself
// cannot be interrupted; the process exits without it.
func readStdin(ctx context.Context, r io.Reader, limit int64) ([]byte, error) {
	type read struct {
		data []byte
		err  error
	}
	done := make(chan read, 1)
	go func() {
		data, err := io.ReadAll(io.LimitReader(r, limit+1))
		done <- read{data, err}
	}()
	select {
	case <-ctx.Done():
		return nil, errors.New("interrupted while reading the arguments from standard input")
	case rd := <-done:
		switch {
		case rd.err != nil:
			return nil, usage(fmt.Errorf("read arguments from standard input: %w", rd.err))
		case int64(len(rd.data)) > limit:
			return nil, usage(fmt.Errorf("arguments on standard input exceed the %d MiB limit", limit>>20))
		}
		return rd.data, nil
	}
}

// callPrinter runs the call of one ability and prints its outcome: the
// result as JSON, or with --json one object whatever happened. The errors
// it returns keep their exit status (usage errors marked, failures not).
type callPrinter struct {
	env    *environment
	name   string
	asJSON bool
}

// inputError reports err, found before the call while its input was
// read: a usage error, or else the wait for the input was interrupted.
func (p callPrinter) inputError(err error) error {
	if !p.asJSON {
		return err
	}
	outcome := agent.OutcomeCanceled
	if errors.As(err, new(usageError)) {
		outcome = agent.OutcomeBadArgs
	}
	return p.object(callOutput{Ability: p.name, Outcome: outcome.String(), Error: err.Error()}, err)
}

// object prints out and returns err marked as already reported, keeping
// its exit status.
func (p callPrinter) object(out callOutput, err error) error {
	if werr := writeJSON(p.env.stdout, out, isTerminal(p.env.stdout)); werr != nil {
		return werr
	}
	if err == nil {
		return nil
	}
	return fmt.Errorf("%w: %w", errSilentFailure, err)
}

func (p callPrinter) call(ctx context.Context, a *agent.Agent, args map[string]any) error {
	res, err := a.Call(ctx, p.name, args)
	outcome := res.Outcome.String()
	var te errCallTimeout
	if res.Outcome == agent.OutcomeCanceled && errors.As(context.Cause(ctx), &te) {
		// The caller here is the command: its --timeout is a timeout.
		outcome, err = agent.OutcomeTimeout.String(), fmt.Errorf("call %s: %w", p.name, te)
	}
	var value json.RawMessage // the result, encoded once for both outputs
	if err == nil {
		if value, err = encodeValue(res.Value); err != nil {
			outcome, err = agent.OutcomeFailure.String(), fmt.Errorf("call %s: the result cannot be written as JSON: %w", p.name, err)
		}
	}
	if errors.Is(err, agent.ErrUnknownAbility) || errors.Is(err, agent.ErrBadArgs) {
		err = usage(err)
	}
	if p.asJSON {
		out := callOutput{Ability: p.name, Outcome: outcome, Cached: res.Cached, LatencySeconds: res.Latency.Seconds()}
		if value != nil {
			out.Result = value
		}
		if err != nil {
			out.Error = err.Error()
		}
		return p.object(out, err)
	}
	if err != nil {
		return err
	}
	return writeJSON(p.env.stdout, value, isTerminal(p.env.stdout))
}

// encodeValue encodes a call's result as JSON, keeping < > & as they are;
// it fails on NaN and infinities, which results of arithmetic can hold.
func encodeValue(v any) (json.RawMessage, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// writeJSON writes v as one line of JSON, or indented when pretty. HTML
// characters are written as they are (a terminal is not a web page).
func writeJSON(w io.Writer, v any, pretty bool) error {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if pretty {
		enc.SetIndent("", "  ")
	}
	if err := enc.Encode(v); err != nil {
		return fmt.Errorf("encode output: %w", err)
	}
	if _, err := w.Write(buf.Bytes()); err != nil {
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
