package main

import (
	"fmt"
	"slices"
	"strings"

	"github.com/spf13/cobra"
)

// initCompletion adds cobra's "completion bash|zsh|fish|powershell"
// command to root, which prints the shell's completion script (with how
// to install it in each one's --help). cobra's command is not runnable, so
// it would answer an unknown shell with its help and exit 0: it is given a
// run that shows the help, so that its arguments are checked first, and an
// unknown shell is a usage error (exit 2) like an unknown command.
func initCompletion(root *cobra.Command) {
	root.InitDefaultCompletionCmd()
	c, _, err := root.Find([]string{"completion"})
	if err != nil || c == root {
		return
	}
	var shells []string
	for _, sh := range c.Commands() {
		shells = append(shells, sh.Name())
		sh.Args = usageArgs(noArgs)
	}
	slices.Sort(shells)
	c.Args = func(_ *cobra.Command, args []string) error {
		if len(args) > 0 {
			return fmt.Errorf("unknown shell %q: want one of %s", args[0], strings.Join(shells, ", "))
		}
		return nil
	}
	c.RunE = func(c *cobra.Command, _ []string) error { return c.Help() }
}
