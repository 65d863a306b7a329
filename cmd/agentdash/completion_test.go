package main

import (
	"os/exec"
	"strings"
	"testing"
)

func TestCompletionScripts(t *testing.T) {
	for _, shell := range []string{"bash", "zsh", "fish", "powershell"} {
		t.Run(shell, func(t *testing.T) {
			r := runCmd(t, "", "completion", shell)
			if r.code != 0 || r.stderr != "" {
				t.Fatalf("completion %s: exit %d, stderr %q", shell, r.code, r.stderr)
			}
			if len(r.stdout) < 100 || !strings.Contains(r.stdout, "agentdash") {
				t.Fatalf("completion %s printed %d bytes that do not look like a script for agentdash:\n%s", shell, len(r.stdout), r.stdout)
			}
			if r := runCmd(t, "", "completion", shell, "--help"); r.code != 0 || !strings.Contains(r.stdout, "agentdash completion "+shell) {
				t.Fatalf("completion %s --help: exit %d, stdout %q", shell, r.code, r.stdout)
			}
			// The shells at hand check the syntax without running the script.
			check := map[string][]string{"bash": {"bash", "-n"}, "zsh": {"zsh", "-n"}, "fish": {"fish", "--no-execute"}}[shell]
			if check == nil {
				return
			}
			if _, err := exec.LookPath(check[0]); err != nil {
				t.Logf("%s not installed: syntax not checked", check[0])
				return
			}
			cmd := exec.Command(check[0], check[1:]...)
			cmd.Stdin = strings.NewReader(r.stdout)
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("%s rejects the script: %v\n%s", strings.Join(check, " "), err, out)
			}
		})
	}
}

// TestCompletionErrors: a shell cobra cannot write for, or an extra
// argument, is a usage error (cobra's command would print its help and
// succeed).
func TestCompletionErrors(t *testing.T) {
	r := runCmd(t, "", "completion", "tcsh")
	if r.code != 2 {
		t.Fatalf("completion tcsh: exit %d, want 2 (stdout %q)", r.code, r.stdout)
	}
	r.wantOneLine(t, `completion: unknown shell "tcsh": want one of bash, fish, powershell, zsh`)
	r = runCmd(t, "", "completion", "bash", "extra")
	if r.code != 2 {
		t.Fatalf("completion bash extra: exit %d, want 2", r.code)
	}
	r.wantOneLine(t, `completion bash: takes no arguments, got "extra"`)
	if r := runCmd(t, "", "completion"); r.code != 0 || !strings.Contains(r.stdout, "powershell") {
		t.Fatalf("completion alone: exit %d, stdout %q; want its help", r.code, r.stdout)
	}
}

// TestCompletionCandidates: the scripts ask the program itself (cobra's
// hidden __complete command) for candidates; it knows the commands and
// their flags.
func TestCompletionCandidates(t *testing.T) {
	if r := runCmd(t, "", "__complete", "tr"); r.code != 0 || !strings.Contains(r.stdout, "train\t") {
		t.Fatalf("__complete tr: exit %d, stdout %q; want train", r.code, r.stdout)
	}
	if r := runCmd(t, "", "__complete", "train", "--ep"); r.code != 0 || !strings.Contains(r.stdout, "--epochs\t") {
		t.Fatalf("__complete train --ep: exit %d, stdout %q; want --epochs", r.code, r.stdout)
	}
}
