// Package demo builds the agent that agentdash runs out of the box: the two
// abilities of the original demo (uppercase and sum) plus abilities that make
// the dashboard worth exploring: read_file, sleep, flaky and predict.
package demo

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/agentdash/agentdash/internal/agent"
	"github.com/agentdash/agentdash/internal/schema"
	"github.com/agentdash/agentdash/internal/train"
)

// DefaultMaxFileBytes is the largest file read_file returns.
const DefaultMaxFileBytes = 1 << 20

// Config configures the demo agent.
type Config struct {
	// Root is the directory read_file may read below; "" means the working
	// directory.
	Root string
	// MaxFileBytes is the largest file read_file returns; 0 means
	// DefaultMaxFileBytes.
	MaxFileBytes int64
	// Checkpoint is the model that predict serves; "" means the trainer's
	// default checkpoint path.
	Checkpoint string
	// Flaky is the fault injected into the flaky ability at start: nil
	// means DefaultFlakyFault(), and a pointer to the zero Fault means none.
	Flaky *agent.Fault
	// Agent configures the agent itself.
	Agent agent.Options
}

// DefaultFlakyFault returns the fault the flaky ability starts with: it
// fails one call in five and adds 20 ms of latency.
func DefaultFlakyFault() agent.Fault {
	return agent.Fault{FailureRate: 0.2, Latency: 20 * time.Millisecond}
}

// New returns an agent with the demo abilities registered. The caller owns
// the agent and must Close it.
func New(cfg Config) (*agent.Agent, error) {
	if cfg.Agent.Name == "" {
		cfg.Agent.Name = "demo"
	}
	abilities, faults, err := Abilities(cfg)
	if err != nil {
		return nil, err
	}
	a, err := agent.New(cfg.Agent)
	if err != nil {
		return nil, fmt.Errorf("demo: %w", err)
	}
	for _, ab := range abilities {
		if err := a.Register(ab); err != nil {
			a.Close()
			return nil, fmt.Errorf("demo: %w", err)
		}
	}
	for name, f := range faults {
		if err := a.SetFault(name, f); err != nil {
			a.Close()
			return nil, fmt.Errorf("demo: %w", err)
		}
	}
	return a, nil
}

// Source is the Source of the demo abilities.
const Source = "built-in"

// Abilities returns the demo abilities, for an agent built elsewhere, and
// the faults they start with, by name. cfg.Agent is not used.
func Abilities(cfg Config) ([]agent.Ability, map[string]agent.Fault, error) {
	if cfg.Root == "" {
		cfg.Root = "."
	}
	if cfg.MaxFileBytes == 0 {
		cfg.MaxFileBytes = DefaultMaxFileBytes
	}
	if cfg.MaxFileBytes < 0 {
		return nil, nil, fmt.Errorf("demo: max file bytes %d is negative", cfg.MaxFileBytes)
	}
	if cfg.Checkpoint == "" {
		cfg.Checkpoint = train.DefaultConfig().Checkpoint
	}
	abilities := []agent.Ability{
		Uppercase(),
		Sum(),
		ReadFile(cfg.Root, cfg.MaxFileBytes),
		Sleep(),
		Flaky(),
		Predict(cfg.Checkpoint),
	}
	for i := range abilities {
		abilities[i].Source = Source
		// None changes anything or reaches beyond the machine (read_file
		// reads below its root; predict a local checkpoint).
		abilities[i].Hints = agent.Hints{ReadOnly: new(true), OpenWorld: new(false)}
	}
	fault := DefaultFlakyFault()
	if cfg.Flaky != nil {
		fault = *cfg.Flaky
	}
	return abilities, map[string]agent.Fault{"flaky": fault}, nil
}

func ptr[T any](v T) *T { return &v }

// Uppercase returns the original demo's uppercase ability:
// {"text": "orfeas"} → "ORFEAS".
func Uppercase() agent.Ability {
	return agent.Ability{
		Name:        "uppercase",
		Description: "Convert text to upper case.",
		Schema: &schema.Schema{
			Type: "object",
			Properties: map[string]*schema.Property{
				"text": {Type: "string", Description: "Text to convert.", Examples: []any{"orfeas"}},
			},
			Required:             []string{"text"},
			AdditionalProperties: ptr(false),
		},
		CacheTTL: time.Minute,
		Func: func(_ context.Context, args map[string]any) (any, error) {
			return strings.ToUpper(args["text"].(string)), nil
		},
	}
}

// Sum returns the original demo's sum ability: {"a": 2, "b": 3} → 5.
func Sum() agent.Ability {
	return agent.Ability{
		Name:        "sum",
		Description: "Add two numbers.",
		Schema: &schema.Schema{
			Type: "object",
			Properties: map[string]*schema.Property{
				"a": {Type: "number", Description: "First addend.", Examples: []any{2.0}},
				"b": {Type: "number", Description: "Second addend.", Examples: []any{3.0}},
			},
			Required:             []string{"a", "b"},
			AdditionalProperties: ptr(false),
		},
		CacheTTL: time.Minute,
		Func: func(_ context.Context, args map[string]any) (any, error) {
			a, _ := schema.Number(args["a"]) // the schema guarantees numbers
			b, _ := schema.Number(args["b"])
			if s := a + b; !math.IsInf(s, 0) {
				return s, nil
			}
			return nil, fmt.Errorf("%w: %g + %g overflows float64", agent.ErrBadArgs, a, b)
		},
	}
}

// FileContent is the result of read_file.
type FileContent struct {
	Path    string `json:"path"`
	Size    int64  `json:"size"`
	Content string `json:"content"`
}

// ReadFile returns an ability that reads a UTF-8 text file below root.
// Paths are resolved through os.Root, which refuses any path that escapes
// root (.., absolute paths, symlinks pointing outside). Files over maxBytes
// and files that are not text are rejected.
func ReadFile(root string, maxBytes int64) agent.Ability {
	return agent.Ability{
		Name:        "read_file",
		Description: fmt.Sprintf("Read a UTF-8 text file of at most %d KiB below the directory %s.", maxBytes>>10, absPath(root)),
		Schema: &schema.Schema{
			Type: "object",
			Properties: map[string]*schema.Property{
				"path": {Type: "string", Description: "Path relative to the root.", Examples: fileExamples(root, maxBytes), MinLength: ptr(1)},
			},
			Required:             []string{"path"},
			AdditionalProperties: ptr(false),
		},
		CacheTTL: 5 * time.Second,
		Timeout:  5 * time.Second,
		// File reads do not honour a context (a slow or hung network file
		// system blocks them), so read_file runs isolated: the caller gets
		// its timeout on time whatever the disk does.
		Isolate: true,
		Func: func(_ context.Context, args map[string]any) (any, error) {
			return readFile(root, args["path"].(string), maxBytes)
		},
	}
}

// Limits of fileExamples: the directory entries it looks at, the examples
// it keeps, and the size of a file it reads to check that read_file would
// return it. They keep the check quick whatever the root holds.
const (
	maxExampleEntries = 64
	maxExamples       = 8
	maxExampleBytes   = 64 << 10
)

// fileExamples returns paths that read_file reads without error: the
// small text files directly below root, README.md first when it is one,
// hidden files left out (the dashboard shows the first example unasked).
// They are the ability's examples, so that tools that vary its arguments
// (the load generator) vary among files that exist instead of inventing
// paths. A single file is offered under two spellings ("f" and "./f"),
// so there is still something to vary; with none, the example is the
// conventional README.md.
func fileExamples(root string, maxBytes int64) []any {
	var names []string
	if _, err := readFile(root, "README.md", maxBytes); err == nil {
		names = append(names, "README.md")
	}
	entries, _ := os.ReadDir(root) // what it listed before an error is still good
	for i, e := range entries {
		if i == maxExampleEntries || len(names) == maxExamples {
			break
		}
		if e.Name() == "README.md" || strings.HasPrefix(e.Name(), ".") || !e.Type().IsRegular() {
			continue
		}
		if info, err := e.Info(); err != nil || info.Size() > min(maxBytes, maxExampleBytes) {
			continue
		}
		if _, err := readFile(root, e.Name(), maxBytes); err == nil {
			names = append(names, e.Name())
		}
	}
	switch len(names) {
	case 0:
		return []any{"README.md"}
	case 1:
		names = append(names, "./"+names[0])
	}
	examples := make([]any, len(names))
	for i, n := range names {
		examples[i] = n
	}
	return examples
}

// badPath reports a path the caller should not have asked for: it wraps
// agent.ErrBadArgs, so the call counts as bad arguments (exit status 2 in
// the CLI) and not against the breaker — a typo in a path says nothing about
// the health of read_file.
func badPath(path, format string, args ...any) error {
	return fmt.Errorf("%w: read %s: %s", agent.ErrBadArgs, path, fmt.Sprintf(format, args...))
}

func readFile(root, path string, maxBytes int64) (*FileContent, error) {
	if filepath.IsAbs(path) || strings.HasPrefix(path, "/") || strings.HasPrefix(path, `\`) {
		return nil, badPath(path, "absolute paths are not allowed; give a path relative to the root")
	}
	r, err := os.OpenRoot(root)
	if err != nil {
		return nil, fmt.Errorf("open root %s: %w", root, err)
	}
	defer r.Close()
	// The type is checked before opening: opening a named pipe waits for a
	// writer, which may never come.
	switch st, err := r.Stat(path); {
	case errors.Is(err, fs.ErrNotExist):
		return nil, badPath(path, "no such file below %s", root)
	case err != nil:
		// os.Root refuses paths that leave the root (.., symlinks out of
		// it) with an error naming the path.
		return nil, badPath(path, "%v", unwrapPathError(err))
	case !st.Mode().IsRegular():
		return nil, badPath(path, "not a regular file")
	}
	f, err := r.Open(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, badPath(path, "no such file below %s", root)
		}
		return nil, badPath(path, "%v", unwrapPathError(err))
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	if !st.Mode().IsRegular() {
		return nil, badPath(path, "not a regular file")
	}
	if st.Size() > maxBytes {
		return nil, badPath(path, "file is %d bytes, over the %d-byte limit", st.Size(), maxBytes)
	}
	// Read one byte past the limit in case the file grew since Stat.
	data, err := io.ReadAll(io.LimitReader(f, maxBytes+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	if int64(len(data)) > maxBytes {
		return nil, badPath(path, "file is over the %d-byte limit", maxBytes)
	}
	if !utf8.Valid(data) || bytes.IndexByte(data, 0) >= 0 {
		return nil, badPath(path, "not a UTF-8 text file")
	}
	return &FileContent{Path: path, Size: int64(len(data)), Content: string(data)}, nil
}

// unwrapPathError drops the *fs.PathError wrapper, whose message repeats
// the operation and path that badPath already names.
func unwrapPathError(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// Sleep returns a latency probe: it waits for the given number of
// milliseconds, or until the call is canceled or times out.
func Sleep() agent.Ability {
	return agent.Ability{
		Name:        "sleep",
		Description: "Wait for ms milliseconds (a latency probe; over 5000 ms it times out).",
		Schema: &schema.Schema{
			Type: "object",
			Properties: map[string]*schema.Property{
				"ms": {Type: "integer", Description: "Milliseconds to wait.", Default: 100.0,
					Minimum: ptr(0.0), Maximum: ptr(60_000.0)},
			},
			AdditionalProperties: ptr(false),
		},
		Timeout: 5 * time.Second,
		Func: func(ctx context.Context, args map[string]any) (any, error) {
			ms, _ := schema.Number(args["ms"])
			t := time.NewTimer(time.Duration(ms * float64(time.Millisecond)))
			defer t.Stop()
			select {
			case <-t.C:
				return map[string]any{"slept_ms": ms}, nil
			case <-ctx.Done():
				return nil, ctx.Err()
			}
		},
	}
}

// Flaky returns an ability that does no work of its own: its failures and
// latency come from the agent's fault injection (see agent.SetFault), which
// New sets to DefaultFlakyFault(). It is the ability to watch a breaker trip.
func Flaky() agent.Ability {
	return agent.Ability{
		Name:        "flaky",
		Description: "Succeed or fail as its injected fault says (use it to watch a breaker trip and recover).",
		Schema: &schema.Schema{
			Type: "object",
			Properties: map[string]*schema.Property{
				"id": {Type: "integer", Description: "Any number; echoed back.", Default: 0.0},
			},
			AdditionalProperties: ptr(false),
		},
		Timeout: 2 * time.Second,
		Func: func(_ context.Context, args map[string]any) (any, error) {
			return map[string]any{"ok": true, "id": args["id"]}, nil
		},
	}
}

// absPath returns path made absolute for display, or path itself if that
// fails.
func absPath(path string) string {
	if abs, err := filepath.Abs(path); err == nil {
		return abs
	}
	return path
}
