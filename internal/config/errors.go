package config

import (
	"fmt"
	"strings"
)

// Error is one problem with the file, at a position.
type Error struct {
	File string
	Pos
	// Path is the key path the problem is about, such as
	// "abilities.weather.breaker.cooldown"; "" for the file as a whole.
	Path string
	// Msg says what is wrong and what is allowed.
	Msg string
}

// Error returns "file:line:column: path: message".
func (e *Error) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s:%d:%d: ", e.File, e.Line, e.Column)
	if e.Path != "" {
		b.WriteString(e.Path + ": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// Errors is every problem found with a file, in the order of the file.
type Errors []*Error

// Error returns the errors one per line.
func (es Errors) Error() string {
	lines := make([]string, len(es))
	for i, e := range es {
		lines[i] = e.Error()
	}
	return strings.Join(lines, "\n")
}

// Unwrap returns the errors, for errors.As and errors.Is.
func (es Errors) Unwrap() []error {
	errs := make([]error, len(es))
	for i, e := range es {
		errs[i] = e
	}
	return errs
}
