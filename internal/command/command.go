// Package command turns the declaration of a command ability (an argv with
// {{name}} placeholders, stdin, environment, working directory) into an
// agent.Func that runs the program directly, never through a shell.
//
// A run's whole process group is killed when the ability's context ends
// (its timeout, the caller giving up, the agent closing), when its output
// passes the limit, and once the program itself has exited, so no process
// it started outlives the call: on Unix the program leads a process group
// of its own, on Windows it is put in a job object. (A process that leaves
// the group on purpose, with setsid, is out of reach, as it is of a shell.)
package command

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/agentdash/agentdash/internal/agent"
	"github.com/agentdash/agentdash/internal/placeholder"
)

// DefaultMaxOutput is the most stdout a run may write when Spec.MaxOutput
// is 0.
const DefaultMaxOutput = 1 << 20

const (
	stderrKeep  = 4 << 10 // the end of stderr kept for the error of a failed run
	stderrLines = 5       // the last lines of it shown in the error
	stderrShown = 1 << 10 // and at most this many bytes of them
	// waitDelay bounds the wait for stdout and stderr to close once the
	// program has exited or been killed: a process that left its group
	// (setsid) could hold them open.
	waitDelay = 2 * time.Second
)

// Spec declares a command ability.
type Spec struct {
	// Argv is the program and its arguments. Argv[0] is fixed (looked up
	// in PATH when it has no path separator); the other elements may hold
	// {{name}} placeholders, with text around them ("--city={{city}}"),
	// each filled with one argument and never split or interpreted further.
	Argv []string
	// Stdin is a template written to the program's standard input; nil
	// writes the arguments as one line of JSON (keys sorted).
	Stdin *string
	// Env is the program's environment besides a minimal base taken from
	// agentdash's own (PATH and HOME; on Windows also SYSTEMROOT,
	// SYSTEMDRIVE, WINDIR, PATHEXT, COMSPEC, TEMP, TMP and USERPROFILE).
	// Nothing else is inherited.
	Env map[string]string
	// Dir is the working directory; "" means agentdash's.
	Dir string
	// MaxOutput is the most bytes of stdout a run may write; more is a
	// failure, and the program is killed. 0 means DefaultMaxOutput.
	MaxOutput int64
}

// Placeholders returns the argument names the spec's templates use, sorted,
// each once, so that they can be checked against the ability's schema. It
// fails if a template does not parse or argv[0] holds a placeholder.
func (s Spec) Placeholders() ([]string, error) {
	c, err := compile(s)
	if err != nil {
		return nil, err
	}
	return c.names, nil
}

// New checks the spec and returns the function that runs it. It fails with
// an error naming the problem if a template does not parse, the program
// is not found or not executable, Dir is not a directory, an environment
// name is invalid, or MaxOutput is negative.
//
// The function's result is the program's stdout: its JSON value when it
// parses as JSON, else the text with one trailing newline removed. A
// non-zero exit is a failure whose error ends with the last lines of
// stderr. An argument a placeholder needs but the call lacks is the
// caller's fault (an error wrapping agent.ErrBadArgs).
func New(spec Spec) (agent.Func, error) {
	c, err := compile(spec)
	if err != nil {
		return nil, err
	}
	if err := c.resolve(); err != nil {
		return nil, err
	}
	return c.run, nil
}

type runner struct {
	name  string // argv[0] as declared, for messages
	path  string // the program's absolute path
	args  []*placeholder.Template
	stdin *placeholder.Template // nil: the arguments as JSON
	env   []string
	dir   string
	max   int64
	names []string
}

func compile(s Spec) (*runner, error) {
	if len(s.Argv) == 0 || s.Argv[0] == "" {
		return nil, errors.New("argv: the program is missing (argv needs at least one element)")
	}
	if strings.Contains(s.Argv[0], "{{") {
		return nil, fmt.Errorf("argv[0] %q: the program must be fixed, without placeholders", s.Argv[0])
	}
	if s.MaxOutput < 0 {
		return nil, fmt.Errorf("max output must not be negative, got %d", s.MaxOutput)
	}
	r := &runner{name: s.Argv[0], dir: s.Dir, max: s.MaxOutput}
	if r.max == 0 {
		r.max = DefaultMaxOutput
	}
	for i, a := range s.Argv[1:] {
		t, err := placeholder.Parse(a)
		if err != nil {
			return nil, fmt.Errorf("argv[%d] %q: %w", i+1, a, err)
		}
		r.args = append(r.args, t)
		r.names = append(r.names, t.Names()...)
	}
	if s.Stdin != nil {
		t, err := placeholder.Parse(*s.Stdin)
		if err != nil {
			return nil, fmt.Errorf("stdin: %w", err)
		}
		r.stdin = t
		r.names = append(r.names, t.Names()...)
	}
	slices.Sort(r.names)
	r.names = slices.Compact(r.names)
	env, err := Environ(s.Env)
	if err != nil {
		return nil, err
	}
	r.env = env
	return r, nil
}

// resolve finds the program and checks the working directory, so that a
// typo shows when the ability is declared rather than at its first call.
func (r *runner) resolve() error {
	if r.dir != "" {
		fi, err := os.Stat(r.dir)
		if err != nil {
			return fmt.Errorf("dir: %w", err)
		}
		if !fi.IsDir() {
			return fmt.Errorf("dir %s is not a directory", r.dir)
		}
	}
	name := r.name
	if strings.ContainsRune(name, filepath.Separator) || strings.ContainsRune(name, '/') {
		if !filepath.IsAbs(name) && r.dir != "" {
			name = filepath.Join(r.dir, name) // the program runs from Dir
		}
	}
	path, err := exec.LookPath(name)
	if err != nil {
		if errors.Is(err, exec.ErrNotFound) {
			return fmt.Errorf("command %q not found in PATH", r.name)
		}
		return fmt.Errorf("command %q: %w", r.name, err)
	}
	if r.path, err = filepath.Abs(path); err != nil {
		return fmt.Errorf("command %q: %w", r.name, err)
	}
	return nil
}

// Environ returns a program's environment: the minimal base taken from
// agentdash's own (see Spec.Env) and extra.
func Environ(extra map[string]string) ([]string, error) {
	vars := map[string]string{}
	for _, k := range baseEnv {
		if v, ok := os.LookupEnv(k); ok {
			vars[k] = v
		}
	}
	for k, v := range extra {
		if k == "" || strings.ContainsAny(k, "=\x00") || strings.ContainsRune(v, 0) {
			return nil, fmt.Errorf("env %q: a name must be non-empty without '=' or NUL, and a value without NUL", k)
		}
		vars[k] = v
	}
	env := make([]string, 0, len(vars))
	for k, v := range vars {
		env = append(env, k+"="+v)
	}
	slices.Sort(env)
	return env, nil
}

var errOutputLimit = errors.New("output limit reached")

func (r *runner) run(ctx context.Context, args map[string]any) (any, error) {
	argv := make([]string, len(r.args))
	for i, t := range r.args {
		s, err := t.Render(args, nil)
		if err != nil {
			return nil, fmt.Errorf("%s: argv[%d]: %w: %w", r.name, i+1, agent.ErrBadArgs, err)
		}
		argv[i] = s
	}
	in, err := r.input(args)
	if err != nil {
		return nil, err
	}

	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	cmd := exec.CommandContext(ctx, r.path, argv...)
	cmd.Args[0] = r.name
	cmd.Env, cmd.Dir = r.env, r.dir
	cmd.Stdin = bytes.NewReader(in)
	stdout := &capped{max: r.max, full: func() { cancel(errOutputLimit) }}
	stderr := &tail{max: stderrKeep}
	cmd.Stdout, cmd.Stderr = stdout, stderr
	cmd.WaitDelay = waitDelay
	g, err := newGroup(cmd)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", r.name, err)
	}
	defer g.close()
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", r.name, err)
	}
	g.started()
	err = cmd.Wait()
	g.kill() // whatever the program left behind
	switch cause := context.Cause(ctx); {
	case errors.Is(cause, errOutputLimit):
		return nil, fmt.Errorf("%s: output passed the limit of %d bytes", r.name, r.max)
	case cause != nil:
		return nil, fmt.Errorf("%s: %w", r.name, cause)
	}
	if err != nil {
		return nil, r.exitError(err, stderr.lines())
	}
	return result(stdout.buf), nil
}

func (r *runner) input(args map[string]any) ([]byte, error) {
	if r.stdin != nil {
		s, err := r.stdin.Render(args, nil)
		if err != nil {
			return nil, fmt.Errorf("%s: stdin: %w: %w", r.name, agent.ErrBadArgs, err)
		}
		return []byte(s), nil
	}
	if args == nil {
		args = map[string]any{} // an object, as the schema's arguments always are
	}
	b, err := placeholder.JSON(args)
	if err != nil {
		return nil, fmt.Errorf("%s: arguments as JSON: %w: %w", r.name, agent.ErrBadArgs, err)
	}
	return append(b, '\n'), nil
}

func (r *runner) exitError(err error, stderr string) error {
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit) && exit.Exited():
		err = fmt.Errorf("%s exited with status %d", r.name, exit.ExitCode())
	case errors.As(err, &exit):
		err = fmt.Errorf("%s: %s", r.name, exit) // "signal: killed"
	case errors.Is(err, exec.ErrWaitDelay):
		return fmt.Errorf("%s exited but its output stayed open for %s (a process it started still holds it)", r.name, waitDelay)
	default:
		err = fmt.Errorf("%s: %w", r.name, err)
	}
	if stderr == "" {
		return err
	}
	return fmt.Errorf("%w; stderr ends: %s", err, stderr)
}

// result is stdout's JSON value if it has one, else its text without the
// trailing newline.
func result(out []byte) any {
	if json.Valid(out) {
		var v any
		if json.Unmarshal(out, &v) == nil {
			return v
		}
	}
	s := strings.TrimSuffix(string(out), "\n")
	return strings.TrimSuffix(s, "\r")
}
