package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/agentdash/agentdash/assets"
	"github.com/agentdash/agentdash/internal/config"
	"github.com/agentdash/agentdash/internal/declared"
	"github.com/agentdash/agentdash/internal/demo"
)

// addConfig gives root the --config flag of every command, which loads and
// checks the configuration file before the command runs, and the "config"
// command.
func addConfig(root *cobra.Command, env *environment) {
	var flag string
	root.PersistentFlags().StringVar(&flag, "config", "",
		"configuration file (default $"+config.EnvVar+", else ./"+config.LocalFile+", else agentdash/config.yaml in the user config dir)")
	root.PersistentPreRunE = func(c *cobra.Command, _ []string) error {
		if skipsConfig(c) {
			return nil
		}
		cfg, err := loadConfig(env, flag)
		if err != nil || cfg == nil {
			return err
		}
		env.config = cfg
		return applyConfig(c.Flags(), cfg)
	}
	root.AddCommand(newConfigCmd(env, &flag))
}

// skipsConfig reports whether c runs without loading the configuration:
// the config commands read it themselves, and help and completion must
// work even with a broken file.
func skipsConfig(c *cobra.Command) bool {
	for ; c != nil; c = c.Parent() {
		switch c.Name() {
		case "config", "help", "completion", cobra.ShellCompRequestCmd, cobra.ShellCompNoDescRequestCmd:
			return true
		}
	}
	return false
}

// configPath returns the configuration file's path and where it came from:
// --config, else what config.Find finds; "" without one.
func configPath(env *environment, flag string) (path, from string, err error) {
	if flag != "" {
		return flag, config.FromFlag, nil
	}
	path, from, err = config.Find(env.getenv)
	return path, from, usage(err)
}

// loadConfig loads and checks the configuration file, if there is one,
// printing its warnings. A file that cannot be read or is wrong is a usage
// error listing every problem.
func loadConfig(env *environment, flag string) (*config.Config, error) {
	path, from, err := configPath(env, flag)
	if err != nil || path == "" {
		return nil, err
	}
	cfg, warnings, err := readConfig(env, path)
	printWarnings(env, warnings)
	if err != nil {
		var errs config.Errors
		if errors.As(err, &errs) {
			return nil, usage(fmt.Errorf("config: %s: %w", countErrors(len(errs)), errs))
		}
		if from != config.FromFlag {
			err = fmt.Errorf("%w (found as %s)", err, from)
		}
		return nil, usage(err)
	}
	return cfg, nil
}

// readConfig loads the file at path and checks it as start-up would use
// it: against the built-in abilities, and by building the abilities it
// declares (a program not found is an error at its key).
func readConfig(env *environment, path string) (*config.Config, []string, error) {
	names, err := builtinNames()
	if err != nil {
		return nil, nil, err
	}
	cfg, warnings, err := config.Load(path, names)
	if err != nil {
		return cfg, warnings, err
	}
	_, more, err := configAbilities(env, cfg, demo.Config{})
	return cfg, append(warnings, more...), err
}

// configAbilities returns the abilities of an agent built from cfg (nil:
// no file), with the built-ins demoCfg describes.
func configAbilities(env *environment, cfg *config.Config, demoCfg demo.Config) ([]declared.Ability, []string, error) {
	builtins, faults, err := demo.Abilities(demoCfg)
	if err != nil {
		return nil, nil, err
	}
	lookup := func(name string) (string, bool) {
		v := env.getenv(name)
		return v, v != ""
	}
	abs, warnings, err := declared.Abilities(cfg, builtins, faults, declared.Env{LookupEnv: lookup})
	var errs config.Errors
	if errors.As(err, &errs) {
		err = usage(fmt.Errorf("config: %s: %w", countErrors(len(errs)), errs))
	}
	return abs, warnings, err
}

// builtinNames returns the names of the built-in abilities.
func builtinNames() ([]string, error) {
	abs, _, err := demo.Abilities(demo.Config{})
	if err != nil {
		return nil, err
	}
	names := make([]string, len(abs))
	for i, ab := range abs {
		names[i] = ab.Name
	}
	slices.Sort(names)
	return names, nil
}

func printWarnings(env *environment, warnings []string) {
	for _, w := range warnings {
		fmt.Fprintf(env.stderr, "agentdash: warning: %s\n", escapeControls(w))
	}
}

func countErrors(n int) string {
	if n == 1 {
		return "1 error"
	}
	return strconv.Itoa(n) + " errors"
}

// applyConfig sets the flags of fs that the file has a value for and the
// command line does not: flags override the file. Only the agent-wide
// settings that are flags today are applied.
func applyConfig(fs *pflag.FlagSet, cfg *config.Config) error {
	set := func(name, value string, ok bool) error {
		f := fs.Lookup(name)
		if f == nil || f.Changed || !ok {
			return nil
		}
		// Value.Set rather than fs.Set: the flag stays unchanged, as
		// the command line left it.
		if err := f.Value.Set(value); err != nil {
			return usage(fmt.Errorf("%s: %s: %w", cfg.File, name, err))
		}
		return nil
	}
	return errors.Join(
		set("max-concurrent", strconv.Itoa(cfg.MaxConcurrent), cfg.MaxConcurrent > 0),
		set("max-wait", cfg.MaxWait.String(), cfg.MaxWait > 0),
		set("cache-size", strconv.Itoa(cfg.CacheSize), cfg.CacheSize > 0),
		set("metrics-addr", cfg.MetricsAddr, cfg.MetricsAddr != ""),
	)
}

func newConfigCmd(env *environment, flag *string) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "config",
		Short: "Check, create or describe the configuration file",
		Long: `The configuration file holds the agent-wide settings and, per ability, its
tuning and, for abilities declared in it, how to run them (a command or an
HTTP request). It is --config PATH, else $` + config.EnvVar + `, else
./` + config.LocalFile + `, else agentdash/config.yaml in the user config dir.`,
		Args: cobra.NoArgs,
		// A run, so that cobra checks the arguments: "config chek" is a
		// usage error, not help and exit 0.
		RunE: func(c *cobra.Command, _ []string) error { return c.Help() },
	}
	cmd.AddCommand(newConfigCheckCmd(env, flag), newConfigInitCmd(env, flag), newConfigSchemaCmd(env))
	for _, c := range cmd.Commands() {
		c.Args = usageArgs(c.Args)
	}
	return cmd
}

func newConfigCheckCmd(env *environment, flag *string) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "check [PATH]",
		Short: "Check a configuration file and list every problem in it",
		Long: `Check a configuration file (PATH, else the one agentdash would read) and
print "PATH: ok (N abilities)" (and how many MCP servers it has), or every problem, one a line, each as
file:line:column: key path: what is wrong and what is allowed (exit 2).`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			path := ""
			if len(args) > 0 {
				path = args[0]
			} else {
				p, _, err := configPath(env, *flag)
				if err != nil {
					return err
				}
				if p == "" {
					return usage(errors.New("config check: no configuration file found: give PATH, --config or $" + config.EnvVar))
				}
				path = p
			}
			return checkConfig(env, path, asJSON)
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the result as a JSON object on stdout (exit status as without)")
	return cmd
}

// checkJSON is the output of "config check --json".
type checkJSON struct {
	Path      string `json:"path"`
	OK        bool   `json:"ok"`
	Abilities int    `json:"abilities"`
	// MCPServers counts the upstream MCP servers, when there are any.
	MCPServers int              `json:"mcp_servers,omitempty"`
	Errors     []checkErrorJSON `json:"errors"`
	Warnings   []string         `json:"warnings"`
}

type checkErrorJSON struct {
	File    string `json:"file"`
	Line    int    `json:"line"`
	Column  int    `json:"column"`
	Key     string `json:"key,omitempty"`
	Message string `json:"message"`
}

// checkConfig prints whether the file at path is valid, or each of its
// errors on a line of its own under a summary line.
func checkConfig(env *environment, path string, asJSON bool) error {
	cfg, warnings, err := readConfig(env, path)
	var errs config.Errors
	if asJSON && (err == nil || errors.As(err, &errs)) {
		out := checkJSON{Path: path, OK: err == nil, Errors: []checkErrorJSON{}, Warnings: warnings}
		if out.Warnings == nil {
			out.Warnings = []string{}
		}
		if cfg != nil {
			out.Abilities = len(cfg.Abilities)
			out.MCPServers = len(cfg.MCPServers)
		}
		for _, e := range errs {
			out.Errors = append(out.Errors, checkErrorJSON{File: e.File, Line: e.Line, Column: e.Column, Key: e.Path, Message: e.Msg})
		}
		if err := writeJSON(env.stdout, out, isTerminal(env.stdout)); err != nil {
			return err
		}
		if !out.OK {
			return usage(errSilentFailure)
		}
		return nil
	}
	printWarnings(env, warnings)
	if errors.As(err, &errs) {
		fmt.Fprintf(env.stderr, "agentdash: config check: %s: %s\n", escapeControls(path), countErrors(len(errs)))
		for _, e := range errs {
			fmt.Fprintln(env.stderr, escapeControls(e.Error()))
		}
		return usage(errSilentFailure)
	}
	if err != nil {
		return usage(fmt.Errorf("config check: %w", err))
	}
	n := len(cfg.Abilities)
	noun := "abilities"
	if n == 1 {
		noun = "ability"
	}
	servers := ""
	switch m := len(cfg.MCPServers); m {
	case 0:
	case 1:
		servers = ", 1 MCP server"
	default:
		servers = fmt.Sprintf(", %d MCP servers", m)
	}
	_, err = fmt.Fprintf(env.stdout, "%s: ok (%d %s%s)\n", path, n, noun, servers)
	return err
}

func newConfigInitCmd(env *environment, flag *string) *cobra.Command {
	var force bool
	cmd := &cobra.Command{
		Use:   "init [PATH]",
		Short: "Write the commented example configuration file",
		Long: `Write the commented example configuration to PATH (else --config, else
$` + config.EnvVar + `, else ./` + config.LocalFile + `). An existing file is
kept unless --force is given.`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(_ *cobra.Command, args []string) error {
			path := firstOf(args, *flag, env.getenv(config.EnvVar), config.LocalFile)
			if err := writeNewFile(path, assets.ExampleConfig(), force); err != nil {
				return err
			}
			_, err := fmt.Fprintf(env.stdout, "%s: wrote the example configuration; check it with 'agentdash config check %s'\n", path, path)
			return err
		},
	}
	cmd.Flags().BoolVar(&force, "force", false, "overwrite an existing file")
	return cmd
}

// firstOf returns the first argument, else the first non-empty choice.
func firstOf(args []string, choices ...string) string {
	if len(args) > 0 {
		return args[0]
	}
	i := slices.IndexFunc(choices, func(s string) bool { return s != "" })
	return choices[i] // the last choice is never empty
}

// writeNewFile writes data to path, refusing to replace a file unless
// force; a replacement is atomic (a temporary file renamed over it), so
// that a crash leaves the old file or the new one, never half of one.
func writeNewFile(path string, data []byte, force bool) error {
	if !force {
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
		if errors.Is(err, fs.ErrExist) {
			return usage(fmt.Errorf("config init: %s exists: keeping it (--force overwrites it)", path))
		}
		if err != nil {
			return usage(fmt.Errorf("config init: %w", err))
		}
		_, err = f.Write(data)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			os.Remove(path)
			return fmt.Errorf("config init: write %s: %w", path, err)
		}
		return nil
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return usage(fmt.Errorf("config init: %w", err))
	}
	defer os.Remove(tmp.Name()) // after a successful rename, nothing is there
	_, err = tmp.Write(data)
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(tmp.Name(), 0o644)
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		return fmt.Errorf("config init: write %s: %w", path, err)
	}
	return nil
}

func newConfigSchemaCmd(env *environment) *cobra.Command {
	return &cobra.Command{
		Use:   "schema",
		Short: "Print the JSON Schema of the configuration file, for editors",
		Args:  noArgs,
		RunE: func(*cobra.Command, []string) error {
			_, err := env.stdout.Write(assets.ConfigSchema())
			return err
		},
	}
}
