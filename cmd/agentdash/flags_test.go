package main

import (
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// pascal writes a long flag as PowerShell would: val-fraction is
// ValFraction.
func pascal(name string) string {
	var b strings.Builder
	for _, part := range strings.Split(name, "-") {
		if part != "" {
			b.WriteString(strings.ToUpper(part[:1]) + part[1:])
		}
	}
	return b.String()
}

// TestPowerShellFlagsHinted: every long flag of every command, written
// -PascalCase as in the seed's PowerShell runner, is a usage error that
// names the flag meant.
func TestPowerShellFlagsHinted(t *testing.T) {
	var cmds []*cobra.Command
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		if !c.Hidden && c.Name() != "help" {
			cmds = append(cmds, c)
		}
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(newRootCmd(newEnvironment(nil, nil, nil, nil, func(string) string { return "" })))
	tried := 0
	for _, c := range cmds {
		path := strings.Fields(c.CommandPath())[1:]
		c.InitDefaultHelpFlag()
		c.Flags().VisitAll(func(f *pflag.Flag) {
			if f.Hidden {
				return
			}
			args := append(append([]string(nil), path...), "-"+pascal(f.Name), "1")
			t.Run(strings.Join(args, " "), func(t *testing.T) {
				r := runCmd(t, "", args...)
				if r.code != 2 {
					t.Fatalf("exit %d, want 2 (stderr %q)", r.code, r.stderr)
				}
				r.wantOneLine(t, "; did you mean --"+f.Name+"?")
			})
			tried++
		})
	}
	if tried < 40 {
		t.Fatalf("only %d flags tried: the walk missed commands", tried)
	}
}

func TestFlagHints(t *testing.T) {
	tests := []struct {
		args []string
		want string // "" for no hint
	}{
		{[]string{"train", "-Epochs", "8"}, `agentdash: train: unknown shorthand flag: 'E' in -Epochs; did you mean --epochs? (see 'agentdash train --help')`},
		{[]string{"train", "-ValFraction", "0.2"}, "did you mean --val-fraction?"},
		{[]string{"train", "-VAL_FRACTION", "0.2"}, "did you mean --val-fraction?"},
		{[]string{"train", "-epochs=8"}, "did you mean --epochs?"},
		{[]string{"train", "--Epochs", "8"}, "unknown flag: --Epochs; did you mean --epochs?"},
		{[]string{"-version"}, "did you mean --version?"}, // -v is taken as --version's shorthand before -e fails
		{[]string{"serve", "-MetricsAddr", "127.0.0.1:0"}, "did you mean --metrics-addr?"},
		{[]string{"call", "-Json", "sum"}, "did you mean --json?"},
		{[]string{"train", "-Zzz"}, ""},
		{[]string{"train", "--epoch", "8"}, ""},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			r := runCmd(t, "", tt.args...)
			if r.code != 2 {
				t.Fatalf("exit %d, want 2 (stderr %q)", r.code, r.stderr)
			}
			if tt.want == "" {
				r.wantOneLine(t)
				if strings.Contains(r.stderr, "did you mean") {
					t.Errorf("stderr %q suggests a flag for a word like none", r.stderr)
				}
				return
			}
			r.wantOneLine(t, tt.want)
		})
	}
}
