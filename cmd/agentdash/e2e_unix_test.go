//go:build unix

package main

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/agentdash/agentdash/internal/train"
)

// runLoop is the sh script of the signal tests' pane: it runs agentdash
// ($0) with the arguments after $2, $2 times, each in a cleared screen,
// with its process ID in $1/pid.N. After each run it prints "RUN N EXIT
// status TTY restored" (or "TTY changed" when the terminal's modes are not
// what they were before, which it then puts back) and waits for a line on
// its input before the next run. A -race agentdash does not wait the race
// detector's default second before exiting (atexit_sleep_ms), which would
// be most of each run.
const runLoop = `bin=$0 dir=$1 runs=$2
shift 2
saved=$(stty -g)
i=1
while [ "$i" -le "$runs" ]; do
	clear
	NO_COLOR=1 TERM=xterm-256color GORACE="log_path=$dir/race atexit_sleep_ms=0" \
		sh -c 'echo $$ >"$0.tmp" && mv "$0.tmp" "$0" && exec "$@"' "$dir/pid.$i" "$bin" "$@"
	code=$?
	tty=restored
	if [ "$(stty -g)" != "$saved" ]; then
		tty=changed
		stty "$saved"
	fi
	echo "RUN $i EXIT $code TTY $tty"
	read -r _
	i=$((i+1))
done
sleep 60`

// dashLoop is the dashboard run by runLoop in a tmux terminal.
type dashLoop struct {
	*tmuxTerm
	dir  string // the pid files and race reports
	work string // agentdash's working directory
}

// startDashLoop starts runLoop for runs runs of the dashboard with args.
func startDashLoop(t *testing.T, runs int, args ...string) *dashLoop {
	t.Helper()
	needTmux(t)
	bin := buildAgentdash(t)
	dir := t.TempDir()
	work := filepath.Join(dir, "work")
	if err := os.Mkdir(work, 0o755); err != nil {
		t.Fatal(err)
	}
	term := startTmuxScript(t, work, runLoop, append([]string{bin, dir, strconv.Itoa(runs)}, args...)...)
	t.Cleanup(func() { checkRaceReports(t, dir) })
	return &dashLoop{tmuxTerm: term, dir: dir, work: work}
}

// start waits for run i's process and its dashboard and returns the
// process.
func (d *dashLoop) start(i int) *os.Process {
	d.t.Helper()
	var pid int
	d.poll(fmt.Sprintf("the process ID of run %d", i), func() bool {
		b, err := os.ReadFile(filepath.Join(d.dir, fmt.Sprintf("pid.%d", i)))
		if err != nil {
			return false
		}
		pid, err = strconv.Atoi(strings.TrimSpace(string(b)))
		return err == nil
	})
	d.waitFor(fmt.Sprintf("the dashboard of run %d", i), onScreen("[1 Abilities]", "q quit"))
	p, err := os.FindProcess(pid)
	if err != nil {
		d.t.Fatal(err)
	}
	return p
}

// ended waits for run i to end and returns runLoop's line about it.
func (d *dashLoop) ended(i int) string {
	d.t.Helper()
	re := regexp.MustCompile(fmt.Sprintf(`(?m)^RUN %d EXIT .*$`, i))
	screen := d.waitFor(fmt.Sprintf("run %d to end", i), onScreenRE(re.String()))
	return strings.TrimSpace(re.FindString(screen))
}

// poll calls ok until it returns true, failing the test after
// e2eStepTimeout.
func (d *dashLoop) poll(what string, ok func() bool) {
	d.t.Helper()
	deadline := time.Now().Add(e2eStepTimeout)
	for !ok() {
		if time.Now().After(deadline) {
			d.t.Fatalf("waiting for %s: not after %v", what, e2eStepTimeout)
		}
		time.Sleep(e2ePoll)
	}
}

// checkRestored fails the test unless the terminal is as it was before the
// dashboard: main screen, cursor shown, no mouse reporting.
func (term *tmuxTerm) checkRestored(what string) {
	term.t.Helper()
	if got := term.display(terminalState); got != "0 1 0" {
		term.t.Errorf("%s: alternate screen, cursor visible, mouse = %q, want %q", what, got, "0 1 0")
	}
}

// checkRaceReports fails the test for each race report of a -race agentdash
// below dir.
func checkRaceReports(t *testing.T, dir string) {
	t.Helper()
	reports, _ := filepath.Glob(filepath.Join(dir, "race.*"))
	for _, r := range reports {
		b, _ := os.ReadFile(r)
		t.Errorf("race detector report %s:\n%s", r, b)
	}
}

// signalRuns is how many times TestDashboardSignals ends the dashboard.
const signalRuns = 50

// TestDashboardSignals ends the dashboard with SIGTERM, SIGINT and SIGHUP
// in turn, signalRuns times, at various moments after it is drawn: each
// time it must exit with status 0 and leave the terminal as it found it
// (main screen, cursor shown, mouse off, the terminal modes of before).
func TestDashboardSignals(t *testing.T) {
	d := startDashLoop(t, signalRuns)
	signals := []syscall.Signal{syscall.SIGTERM, syscall.SIGINT, syscall.SIGHUP}
	var slowest time.Duration
	for i := 1; i <= signalRuns; i++ {
		p := d.start(i)
		time.Sleep(time.Duration(i*37%250) * time.Millisecond)
		sig := signals[i%len(signals)]
		sent := time.Now()
		if err := p.Signal(sig); err != nil {
			t.Fatalf("run %d: %v: %v", i, sig, err)
		}
		line := d.ended(i)
		slowest = max(slowest, time.Since(sent))
		if want := fmt.Sprintf("RUN %d EXIT 0 TTY restored", i); line != want {
			t.Errorf("run %d, %v: %q, want %q", i, sig, line, want)
		}
		d.checkRestored(fmt.Sprintf("run %d, after %v", i, sig))
		if t.Failed() {
			t.Fatalf("screen after run %d:\n%s", i, d.scrollback())
		}
		d.keys("Enter")
	}
	t.Logf("%d runs; the slowest ended %v after its signal (polled every %v)", signalRuns, slowest, e2ePoll)
}

// TestDashboardSecondSignal sends two different signals at once (to the
// stopped process, which gets both as it continues), so that the second
// arrives while the first is still being handled: the process ends at
// once, restoring the terminal first. Should the first one win the race
// nonetheless, the dashboard quits normally (status 0).
func TestDashboardSecondSignal(t *testing.T) {
	pairs := [][2]syscall.Signal{
		{syscall.SIGTERM, syscall.SIGINT}, {syscall.SIGINT, syscall.SIGHUP}, {syscall.SIGHUP, syscall.SIGTERM},
	}
	d := startDashLoop(t, len(pairs))
	aborted := 0
	for i, pair := range pairs {
		run := i + 1
		p := d.start(run)
		for _, sig := range []syscall.Signal{syscall.SIGSTOP, pair[0], pair[1], syscall.SIGCONT} {
			if err := p.Signal(sig); err != nil {
				t.Fatalf("run %d: %v: %v", run, sig, err)
			}
		}
		line := d.ended(run)
		switch line {
		case fmt.Sprintf("RUN %d EXIT 1 TTY restored", run):
			aborted++
			if s, _ := d.screen(); !strings.Contains(s, "again: stopped without waiting for the rest") {
				t.Errorf("run %d: exit status 1 without the message of a second signal:\n%s", run, s)
			}
		case fmt.Sprintf("RUN %d EXIT 0 TTY restored", run):
		default:
			t.Errorf("run %d, %v then %v: %q, want exit status 1 (or 0) and the terminal modes restored", run, pair[0], pair[1], line)
		}
		d.checkRestored(fmt.Sprintf("run %d, after %v then %v", run, pair[0], pair[1]))
		if s, _ := d.screen(); strings.Contains(s, "Abilities") {
			t.Errorf("run %d: the dashboard is left on the screen:\n%s", run, s)
		}
		if t.Failed() {
			t.Fatalf("screen after run %d:\n%s", run, d.scrollback())
		}
		d.keys("Enter")
	}
	t.Logf("%d of %d runs ended by the second signal", aborted, len(pairs))
}

// TestDashboardSignalSavesTraining sends SIGTERM to a dashboard that is
// training and generating load: as on q, the training stops and its model
// is saved, and the process exits with status 0.
func TestDashboardSignalSavesTraining(t *testing.T) {
	checkpoint := filepath.Join(t.TempDir(), "model.json")
	d := startDashLoop(t, 1, "--checkpoint", checkpoint)
	p := d.start(1)
	startLoadAndTraining(d.tmuxTerm)

	if err := p.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if line := d.ended(1); line != "RUN 1 EXIT 0 TTY restored" {
		t.Errorf("after SIGTERM: %q, want %q\n%s", line, "RUN 1 EXIT 0 TTY restored", d.scrollback())
	}
	d.checkRestored("after SIGTERM")
	cp, err := train.LoadCheckpoint(checkpoint)
	if err != nil {
		t.Fatalf("the training's checkpoint: %v", err)
	}
	checkStoppedRun(t, cp)
}

// longRun is the epochs of the training runs that signals stop: far more
// than can run during a test.
const longRun = 1_000_000_000

// startLoadAndTraining starts load on the Cache & latency pane and a
// training run of longRun epochs on the Training pane, and waits for its
// first epochs.
func startLoadAndTraining(term *tmuxTerm) {
	term.t.Helper()
	term.keys("3")
	term.waitFor("the Cache & latency pane", onScreen("[3 Cache & latency]", "l sends it to"))
	term.keys("l")
	term.waitFor("load running", onScreenRE(`load ▶ \S+ \w+ → `))

	term.keys("4")
	term.waitFor("the Training pane", onScreen("[4 Training]", "▸ epochs"))
	term.keys("i")
	term.waitFor("the epochs field edited", onScreen("› epochs"))
	term.keys("C-u")
	term.text(strconv.Itoa(longRun))
	term.waitFor("the epochs typed", onScreen(fmt.Sprintf("› epochs         %d", longRun)))
	term.keys("Enter")
	term.waitFor("the epochs applied", onScreen(fmt.Sprintf("▸ epochs         %d", longRun)))
	term.keys("Enter")
	term.waitFor("training past epoch 1", onScreenRE(`▶ training · epoch \d[\d,]*/1,000,000,000`))
}

// checkStoppedRun fails the test unless cp is the checkpoint of a longRun
// run stopped after some epochs.
func checkStoppedRun(t *testing.T, cp *train.Checkpoint) {
	t.Helper()
	if cp.StopReason != train.StopCanceled || cp.Epoch < 1 || cp.Epoch >= longRun {
		t.Errorf("checkpoint: stop reason %q after epoch %d, want %q after an epoch in 1..%d",
			cp.StopReason, cp.Epoch, train.StopCanceled, longRun-1)
	}
}

// TestDashboardTerminalClosed closes the terminal (kills tmux) under an
// interactive bash running the dashboard, which is training: the hangups
// that follow (the kernel's, then bash's) end the dashboard as q would,
// saving the model.
func TestDashboardTerminalClosed(t *testing.T) {
	needTmux(t)
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Skip("bash not installed:", err)
	}
	bin := buildAgentdash(t)
	dir := t.TempDir()
	checkpoint := filepath.Join(dir, "model.json")
	pidFile := filepath.Join(dir, "pid")
	term := startTmuxScript(t, dir, `exec "$0" --norc --noprofile -i`, bash)
	t.Cleanup(func() { checkRaceReports(t, dir) })
	term.waitFor("the bash prompt", onScreenRE(`(?m)[$#]\s*$`))
	term.text(fmt.Sprintf(`NO_COLOR=1 TERM=xterm-256color GORACE=log_path=%q/race sh -c 'echo $$ >"$0"; exec "$@"' %q %q --checkpoint %q 2>%q/stderr`,
		dir, pidFile, bin, checkpoint, dir))
	term.keys("Enter")
	term.waitFor("the dashboard", onScreen("[1 Abilities]", "q quit"))
	b, err := os.ReadFile(pidFile)
	if err != nil {
		t.Fatal(err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		t.Fatal(err)
	}
	startLoadAndTraining(term)

	if out, err := term.tmux("kill-server"); err != nil {
		t.Fatalf("tmux kill-server: %v: %s", err, out)
	}
	var cp *train.Checkpoint
	deadline := time.Now().Add(e2eStepTimeout)
	for alive(pid) || cp == nil {
		if cp == nil {
			cp, _ = train.LoadCheckpoint(checkpoint)
		}
		if time.Now().After(deadline) {
			t.Fatalf("%v after the terminal closed: agentdash still running: %v, checkpoint written: %v",
				e2eStepTimeout, alive(pid), cp != nil)
		}
		time.Sleep(e2ePoll)
	}
	checkStoppedRun(t, cp)
	if b, _ := os.ReadFile(filepath.Join(dir, "stderr")); len(b) > 0 {
		t.Errorf("agentdash wrote to stderr: %s", b)
	}
}

// alive reports whether process pid is running (a zombie is not).
func alive(pid int) bool {
	if syscall.Kill(pid, 0) != nil {
		return false
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	// Field 3, after the parenthesized command name, is the state.
	i := strings.LastIndexByte(string(b), ')')
	return err != nil || i < 0 || i+2 >= len(b) || b[i+2] != 'Z'
}

// TestDashboardQuitAfterGrowing quits the dashboard after its terminal grew
// from 120x40 to 160x48: the shell's screen is as it was before the
// dashboard, with no part of the dashboard on it or in its scrollback.
func TestDashboardQuitAfterGrowing(t *testing.T) {
	needTmux(t)
	bin := buildAgentdash(t)
	dir := t.TempDir()
	const script = `printf 'shell line %s\n' 1 2 3
read -r _
NO_COLOR=1 TERM=xterm-256color GORACE="log_path=$1/race" "$0"
echo EXIT=$?
sleep 60`
	term := startTmuxScript(t, dir, script, bin, dir)
	t.Cleanup(func() { checkRaceReports(t, dir) })
	before := term.waitFor("the shell's lines", onScreen("shell line 3"))
	term.keys("Enter")
	term.waitFor("the dashboard", onScreen("[1 Abilities]", "q quit"))
	if _, err := term.tmux("resize-window", "-t", "e2e", "-x", "160", "-y", "48"); err != nil {
		t.Fatal(err)
	}
	// From 140 columns the panes are a 2x2 grid.
	term.waitFor("the dashboard redrawn at 160x48", onScreenRE(`\[1 Abilities\][^\n]*2 Breakers`))
	if got := term.display("#{pane_width}x#{pane_height}"); got != "160x48" {
		t.Fatalf("tmux pane is %s after resize-window, want 160x48", got)
	}
	term.keys("q")
	term.waitFor("the process to exit", onScreen("EXIT="))
	term.checkRestored("after quitting")

	var want []string
	for _, l := range strings.Split(before, "\n") {
		if l = strings.TrimRight(l, " "); l != "" {
			want = append(want, l)
		}
	}
	want = append(want, "EXIT=0")
	var got []string
	for _, l := range strings.Split(term.scrollback(), "\n") {
		if l = strings.TrimRight(l, " "); l != "" {
			got = append(got, l)
		}
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("the shell's screen and scrollback after quitting:\n%s\nwant (blank lines left out):\n%s",
			strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// TestHangupStops checks SIGHUP (the terminal closed) on a command other
// than the dashboard: it stops serve as SIGTERM does, unless the process
// started with SIGHUP ignored (nohup), which must keep it running.
func TestHangupStops(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary; skipped with -short")
	}
	bin := buildAgentdash(t)
	for _, nohup := range []bool{false, true} {
		t.Run(fmt.Sprintf("nohup=%v", nohup), func(t *testing.T) {
			script := `exec "$0" serve --metrics-addr 127.0.0.1:0`
			if nohup {
				script = `trap '' HUP; ` + script
			}
			cmd := exec.Command("/bin/sh", "-c", script, bin)
			stderr, err := cmd.StderrPipe()
			if err != nil {
				t.Fatal(err)
			}
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			lines := make(chan string, 16)
			go func() {
				defer close(lines)
				sc := bufio.NewScanner(stderr)
				for sc.Scan() {
					lines <- sc.Text()
				}
			}()
			waitLine := func(what string) {
				t.Helper()
				timeout := time.After(e2eStepTimeout)
				for {
					select {
					case l, ok := <-lines:
						if !ok {
							t.Fatalf("serve ended before saying %q", what)
						}
						if strings.Contains(l, what) {
							return
						}
					case <-timeout:
						_ = cmd.Process.Kill()
						t.Fatalf("serve did not say %q within %v", what, e2eStepTimeout)
					}
				}
			}
			waitLine("serving metrics on")
			if err := cmd.Process.Signal(syscall.SIGHUP); err != nil {
				t.Fatal(err)
			}
			if nohup {
				// Ignored, the hangup leaves serve running: give it time to
				// act on it wrongly, then stop it as usual.
				select {
				case l := <-lines:
					t.Errorf("serve under nohup reacted to SIGHUP: %q", l)
				case <-time.After(time.Second):
				}
				if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
					t.Fatal(err)
				}
			}
			waitLine("shutting down")
			waitLine("served for")
			for range lines { // until serve closes stderr
			}
			if err := cmd.Wait(); err != nil {
				t.Errorf("serve after SIGHUP: %v, want exit status 0", err)
			}
		})
	}
}
