// Command agentdash runs abilities on behalf of an agent and trains small
// models, and shows what happens: with no arguments it opens a terminal
// dashboard on a built-in demo agent; its subcommands do the same work
// headless, for scripts.
//
// Exit status: 0 success, 1 the call or job failed, 2 usage or input error
// (with one line on stderr saying what and where).
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, cancel := context.WithCancel(context.Background())
	env := newEnvironment(os.Args[1:], os.Stdin, os.Stdout, os.Stderr, os.Getenv)
	signals := make(chan os.Signal, 2)
	notifyStop(signals)
	go func() {
		s := awaitForce(signals, cancel, env.hangup)
		env.aborts.run()
		fmt.Fprintf(os.Stderr, "agentdash: %v again: stopped without waiting for the rest\n", s)
		os.Exit(exitFailed)
	}()
	code := env.run(ctx)
	signal.Stop(signals)
	cancel()
	os.Exit(code)
}

// awaitForce calls stop on the first signal from signals, which asks the
// command to stop, and returns the signal that asks to end the process at
// once, even if something does not stop: the next one that is not a
// hangup, which a closing terminal sends more than once (the kernel, then
// the shell). (Restoring the default handling after the first signal
// would not do: a signal ignored at start would get "ignore" back.)
// Before that, a hangup that hangup takes (it returns true: serve with a
// configuration file reloads it, as daemons do) does not ask to stop.
func awaitForce(signals <-chan os.Signal, stop func(), hangup func() bool) os.Signal {
	for s := range signals {
		if s != syscall.SIGHUP || hangup == nil || !hangup() {
			break
		}
	}
	stop()
	for s := range signals {
		if s != syscall.SIGHUP {
			return s
		}
	}
	return nil // not reached: signals is never closed
}

// stopSignals ask agentdash to stop: Ctrl-C, kill's default, and the
// terminal going away.
var stopSignals = []os.Signal{os.Interrupt, syscall.SIGTERM, syscall.SIGHUP}

// notifyStop relays the stop signals to c, except those ignored when the
// process started, which must stay ignored (Notify would turn them back
// on): nohup ignores SIGHUP, a shell ignores SIGINT for a background job.
func notifyStop(c chan<- os.Signal) {
	for _, s := range stopSignals {
		if !signal.Ignored(s) {
			signal.Notify(c, s)
		}
	}
}

// run executes the command line args and returns the process exit status.
// It is main without the process: tests call it directly.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, getenv func(string) string) int {
	return newEnvironment(args, stdin, stdout, stderr, getenv).run(ctx)
}

func newEnvironment(args []string, stdin io.Reader, stdout, stderr io.Writer, getenv func(string) string) *environment {
	return &environment{stdin: stdin, stdout: stdout, stderr: stderr, getenv: getenv, args: args, aborts: &abortHooks{}}
}

// run executes the command line and returns the exit status.
func (env *environment) run(ctx context.Context) int {
	cmd := newRootCmd(env)
	cmd.SetArgs(env.args)
	err := cmd.ExecuteContext(ctx)
	if err == nil {
		err = env.helpErr
	}
	return env.report(err)
}
