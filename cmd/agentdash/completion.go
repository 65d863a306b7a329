package main

import (
	"fmt"
	"slices"
	"strings"

	"github.com/spf13/cobra"
)

// initCompletion adds cobra's "completion bash|zsh|fish|powershell"
// command to root, which prints the shell's completion script. It is
// given a run that shows its help, so that cobra checks its arguments
// first: an unknown shell is a usage error, not help and exit 0.
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
