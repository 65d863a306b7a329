package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode"

	"github.com/mattn/go-isatty"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/agentdash/agentdash/internal/agent"
	"github.com/agentdash/agentdash/internal/buildinfo"
	"github.com/agentdash/agentdash/internal/config"
	"github.com/agentdash/agentdash/internal/declared"
	"github.com/agentdash/agentdash/internal/demo"
	"github.com/agentdash/agentdash/internal/upstream"
)

// Exit statuses.
const (
	exitOK     = 0
	exitFailed = 1 // the call or job failed
	exitUsage  = 2 // usage or input error
)

// environment is the process environment a command runs in.
type environment struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	getenv         func(string) string
	args           []string // the command line, without the program's name
	aborts         *abortHooks
	// helpErr is a usage error found while answering --help, which cobra
	// gives no way to return.
	helpErr error
	// config is the configuration file loaded before the command runs;
	// nil without one.
	config *config.Config
	// onHangup, when set, is what a SIGHUP does instead of stopping the
	// command (see hangup).
	onHangup atomic.Pointer[func()]
}

// hangup runs the command's own answer to SIGHUP, if it has one, and
// reports whether it did: serve started with a configuration file reloads
// it; every other command stops, as for a closed terminal.
func (e *environment) hangup() bool {
	f := e.onHangup.Load()
	if f == nil {
		return false
	}
	(*f)()
	return true
}

// isTerminal reports whether w is a terminal (so progress bars and colour
// make sense).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	return isatty.IsTerminal(f.Fd()) || isatty.IsCygwinTerminal(f.Fd())
}

// noColor reports whether the user asked for no colour (https://no-color.org).
func (e *environment) noColor() bool { return e.getenv("NO_COLOR") != "" }

// usageError marks an error as a usage or input error (exit 2), found
// where flags, arguments and files are read; every other error means that
// the job failed (exit 1).
type usageError struct{ err error }

func (u usageError) Error() string { return u.err.Error() }
func (u usageError) Unwrap() error { return u.err }

// usage marks err, if any, as a usage or input error.
func usage(err error) error {
	if err == nil {
		return nil
	}
	return usageError{err}
}

// errSilentFailure marks an error that the command has already reported
// (for example as a JSON object on stdout), so report prints nothing more.
var errSilentFailure = errors.New("failed")

// report prints err as one line on stderr and returns the exit status.
func (e *environment) report(err error) int {
	if err == nil {
		return exitOK
	}
	code := exitFailed
	if errors.As(err, new(usageError)) {
		code = exitUsage
	}
	if errors.Is(err, errSilentFailure) {
		return code
	}
	msg := strings.ReplaceAll(strings.TrimSpace(err.Error()), "\n", "; ")
	fmt.Fprintf(e.stderr, "agentdash: %s\n", escapeControls(msg))
	return code
}

// escapeControls writes the control characters of s (which may quote the
// user's input: a path, an ability name) as Go escapes, so that an error
// message cannot drive the terminal (ESC sequences) or hide text (NUL,
// carriage return).
func escapeControls(s string) string {
	if !strings.ContainsFunc(s, unicode.IsControl) {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		if unicode.IsControl(r) {
			q := strconv.QuoteRune(r) // '\x1b', '\r', '\x00'
			b.WriteString(q[1 : len(q)-1])
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// agentFlags are the flags of every command that builds the demo agent.
type agentFlags struct {
	root          string
	checkpoint    string
	maxConcurrent int
	maxWait       time.Duration
	cacheSize     int
	faults        []string

	// abilities are those the file and the built-ins gave the agent
	// newAgent built, for a reload to start from (see startReload).
	abilities []declared.Ability
	// live applies the abilities to that agent: the file's and the
	// gateway's together.
	live *declared.Live
	// gateway proxies the tools of the file's MCP servers; nil without a
	// file.
	gateway *upstream.Gateway
	// onTools, when set, is told when the gateway's tools have changed
	// the agent's abilities.
	onTools atomic.Pointer[func()]
	// gatewayOptions are the gateway's options but those startGateway
	// sets (tests: a longer backoff).
	gatewayOptions upstream.Options
}

func (f *agentFlags) register(fs *pflag.FlagSet) {
	fs.StringVar(&f.root, "root", ".", "directory that the read_file ability may read below")
	fs.StringVar(&f.checkpoint, "checkpoint", "", "model checkpoint served by the predict ability (default "+defaultCheckpoint()+")")
	intVar(fs, &f.maxConcurrent, "max-concurrent", agent.DefaultMaxConcurrent, "global limit on concurrently running calls")
	fs.DurationVar(&f.maxWait, "max-wait", agent.DefaultMaxWait, "how long a call waits for a free slot before it is rejected")
	intVar(fs, &f.cacheSize, "cache-size", agent.DefaultCacheSize, "most results kept in each ability's cache")
	fs.StringArrayVar(&f.faults, "fault", nil, "inject a fault: NAME=RATE[/LATENCY], e.g. flaky=0.9/50ms (repeatable; flaky=0 removes flaky's default)")
}

// newAgent builds the agent the flags and the configuration file describe.
// The caller closes it. Its errors are usage errors: the flags or the file
// describe no agent.
func (f *agentFlags) newAgent(env *environment) (*agent.Agent, error) {
	a, err := f.build(env)
	return a, usage(err)
}

func (f *agentFlags) build(env *environment) (*agent.Agent, error) {
	if f.maxConcurrent < 1 {
		return nil, fmt.Errorf("--max-concurrent %d: must be at least 1", f.maxConcurrent)
	}
	if f.maxWait <= 0 {
		return nil, fmt.Errorf("--max-wait %v: must be positive", f.maxWait)
	}
	if f.cacheSize < 1 {
		return nil, fmt.Errorf("--cache-size %d: must be at least 1", f.cacheSize)
	}
	if f.root == "" {
		return nil, errors.New("--root is empty: give the directory read_file may read below")
	}
	st, err := os.Stat(f.root)
	if err != nil {
		return nil, fmt.Errorf("--root %s: %w", f.root, err)
	}
	if !st.IsDir() {
		return nil, fmt.Errorf("--root %s: not a directory", f.root)
	}
	specs := make([]faultSpec, 0, len(f.faults))
	for _, s := range f.faults {
		spec, err := parseFault(s)
		if err != nil {
			return nil, err
		}
		specs = append(specs, spec)
	}
	opts := agent.Options{Name: "demo", MaxConcurrent: f.maxConcurrent, MaxWait: f.maxWait, CacheSize: f.cacheSize}
	if cfg := env.config; cfg != nil {
		if cfg.Timeout > 0 {
			opts.DefaultTimeout = time.Duration(cfg.Timeout)
		}
		if cfg.Demo != nil && !*cfg.Demo {
			opts.Name = agent.DefaultName
		}
	}
	abs, _, err := configAbilities(env, env.config, demo.Config{Root: f.root, Checkpoint: f.checkpoint})
	if err != nil {
		return nil, err
	}
	a, err := agent.New(opts)
	if err != nil {
		return nil, err
	}
	if err := declared.Register(a, abs); err != nil {
		a.Close()
		return nil, err
	}
	f.abilities = abs
	f.live = declared.NewLive(a, abs)
	if env.config != nil {
		f.startGateway(env)
	}
	for _, s := range specs {
		if _, ok := a.Lookup(s.ability); !ok {
			f.closeAgent(a)
			return nil, fmt.Errorf("--fault %q: unknown ability %q (known: %s)", s.raw, s.ability, knownAbilities(a))
		}
		if err := a.SetFault(s.ability, s.fault); err != nil {
			f.closeAgent(a)
			return nil, fmt.Errorf("--fault: %w", err)
		}
	}
	return a, nil
}

func newRootCmd(env *environment) *cobra.Command {
	var (
		dash        dashFlags
		showVersion bool
	)
	root := &cobra.Command{
		Use:   "agentdash",
		Short: "Run abilities for an agent, train small models, and watch it all live",
		Long: `agentdash runs tools ("abilities") for an agent through a resilience core
(schema validation, circuit breakers, a TTL cache with duplicate suppression,
a concurrency limit, timeouts and panic recovery), trains linear models, and
shows what happens. With no command it opens the terminal dashboard on the
built-in demo agent.

Exit status: 0 ok, 1 the call or job failed, 2 usage or input error.`,
		Args:          cobra.NoArgs,
		SilenceErrors: true,
		SilenceUsage:  true,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if showVersion {
				_, err := fmt.Fprintf(env.stdout, "agentdash %s\n", buildinfo.Version())
				return err
			}
			return runDashboard(cmd.Context(), env, &dash)
		},
	}
	// --version is a flag of the root's own rather than cobra's, which
	// answers it before checking the arguments ("agentdash fly --version"
	// would print the version and succeed).
	root.Flags().BoolVarP(&showVersion, "version", "v", false, "print the version and exit")
	dash.register(root.Flags())
	root.SetIn(env.stdin)
	root.SetOut(env.stdout)
	root.SetErr(env.stderr)
	root.SetFlagErrorFunc(flagError)
	root.SetHelpCommand(newHelpCmd())
	// cobra answers --help before it checks the arguments, so "agentdash
	// fly --help" would print the root's help and succeed; the root takes
	// no arguments, so "fly" is an unknown command, reported as without
	// --help.
	help := root.HelpFunc()
	root.SetHelpFunc(func(c *cobra.Command, args []string) {
		if c == root {
			if err := c.ValidateArgs(c.Flags().Args()); err != nil {
				env.helpErr = err
				return
			}
		}
		help(c, args)
	})
	root.AddCommand(
		newDemoCmd(env),
		newAbilitiesCmd(env),
		newCallCmd(env),
		newServeCmd(env),
		newMCPCmd(env),
		newTrainCmd(env),
		newPsCmd(env),
		newAttachCmd(env),
	)
	addConfig(root, env)
	initCompletion(root)
	for _, c := range append(root.Commands(), root) {
		c.Args = usageArgs(c.Args)
	}
	return root
}

// noArgs refuses positional arguments for a command without
// subcommands, saying so: cobra.NoArgs would call the first one an unknown
// command.
func noArgs(_ *cobra.Command, args []string) error {
	if len(args) > 0 {
		return fmt.Errorf("takes no arguments, got %q", args[0])
	}
	return nil
}

// newHelpCmd is "agentdash help [command]", which cobra would also answer
// for an unknown topic with the root's help and exit status 0.
func newHelpCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "help [command]",
		Short: "Help about any command",
		RunE: func(c *cobra.Command, args []string) error {
			target, rest, err := c.Root().Find(args)
			if err != nil || len(rest) > 0 {
				return usage(fmt.Errorf("help: unknown command %q (see 'agentdash --help')", strings.Join(args, " ")))
			}
			return target.Help()
		},
	}
}

// flagError says which command a flag error is about and how to call it.
func flagError(c *cobra.Command, err error) error {
	return usage(fmt.Errorf("%s%w%s (see '%s --help')", where(c), err, flagHint(c, err), c.CommandPath()))
}

// wantsJSON reports whether args ask for --json (before any "--"): when a
// flag cannot be parsed, --json may not have been parsed yet.
func wantsJSON(args []string) bool {
	for _, arg := range args {
		switch arg {
		case "--":
			return false
		case "--json", "--json=true", "--json=1":
			return true
		}
	}
	return false
}

// where prefixes a usage error of c: errors are printed after
// "agentdash: ", so a subcommand names itself without the program's name,
// as its other errors do, and the root adds nothing.
func where(c *cobra.Command) string {
	if c == c.Root() {
		return ""
	}
	return strings.TrimPrefix(c.CommandPath(), c.Root().Name()+" ") + ": "
}

// usageArgs wraps a cobra check of the positional arguments so that its
// error says which command it is about and how to call it. newRoot wraps
// every command's.
func usageArgs(check cobra.PositionalArgs) cobra.PositionalArgs {
	if check == nil {
		return nil // cobra's own default
	}
	return func(c *cobra.Command, args []string) error {
		if err := check(c, args); err != nil {
			if c.HasAvailableSubCommands() { // a mistyped command: list them
				return usage(fmt.Errorf("%s%w (see '%s --help')", where(c), err, c.CommandPath()))
			}
			return usage(fmt.Errorf("%s%w (usage: %s)", where(c), err, c.UseLine()))
		}
		return nil
	}
}

// abortHooks are what commands ask to be done if the process ends at once,
// on a second interrupt, without waiting for them: undo what a step cut
// short would leave behind.
type abortHooks struct {
	mu   sync.Mutex
	next int
	fns  map[int]func()
}

// add registers f until the returned function is called.
func (h *abortHooks) add(f func()) (remove func()) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.fns == nil {
		h.fns = make(map[int]func())
	}
	id := h.next
	h.next++
	h.fns[id] = f
	return func() {
		h.mu.Lock()
		defer h.mu.Unlock()
		delete(h.fns, id)
	}
}

// run calls the registered functions.
func (h *abortHooks) run() {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, f := range h.fns {
		f()
	}
}
