package main

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/agentdash/agentdash/internal/train"
)

// Whole-number flags are read in base 10 only: pflag's IntVar reads Go
// integer literals ("010" is 8, "0x10" 16), which nobody writing a count means.

// decimal is a pflag.Value for an int or a uint64 written in base 10.
type decimal[T int | uint64] struct{ p *T }

func (d decimal[T]) String() string {
	if d.p == nil {
		return "0"
	}
	return fmt.Sprint(*d.p)
}

func (d decimal[T]) Set(s string) error {
	var v T
	switch p := any(&v).(type) {
	case *int:
		n, err := strconv.ParseInt(s, 10, strconv.IntSize)
		if err != nil {
			return numError(s, err)
		}
		*p = int(n)
	case *uint64:
		n, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			return numError(s, err)
		}
		*p = n
	}
	*d.p = v
	return nil
}

func (d decimal[T]) Type() string {
	if _, ok := any(*new(T)).(uint64); ok {
		return "uint"
	}
	return "int"
}

// numError says why s is not a whole number in range.
func numError(s string, err error) error {
	if ne, ok := err.(*strconv.NumError); ok && ne.Err == strconv.ErrRange {
		return fmt.Errorf("%q is out of range", s)
	}
	return fmt.Errorf("%q is not a whole number (digits 0-9)", s)
}

// intVar defines an int flag read in base 10, with default def.
func intVar(fs *pflag.FlagSet, p *int, name string, def int, usage string) {
	*p = def
	fs.Var(decimal[int]{p}, name, usage)
}

// uintVar defines a uint64 flag read in base 10, with default def.
func uintVar(fs *pflag.FlagSet, p *uint64, name string, def uint64, usage string) {
	*p = def
	fs.Var(decimal[uint64]{p}, name, usage)
}

// flagHint suggests the long flag that an unknown flag was meant to be:
// PowerShell and other Windows tools write flags with one dash and in
// PascalCase (-Epochs 8, -ValFraction 0.2), which pflag reads as the
// shorthands -E, -p, … It compares the word with c's long flags ignoring
// case, dashes and underscores, and returns "; did you mean --epochs?" or
// "" when nothing matches.
func flagHint(c *cobra.Command, err error) string {
	var ne *pflag.NotExistError
	if !errors.As(err, &ne) {
		return ""
	}
	word := ne.GetSpecifiedShortnames() // -Epochs: "Epochs"
	if word == "" {
		word = ne.GetSpecifiedName() // --Epochs: "Epochs"
	}
	word, _, _ = strings.Cut(word, "=") // -Epochs=8
	if word == "" {
		return ""
	}
	// A word that starts with a shorthand's letter (-version, -help) has
	// lost it to that shorthand by the time pflag finds the next letter
	// unknown: the word is also tried with each one put back.
	keys := []string{flagKey(word)}
	c.Flags().VisitAll(func(f *pflag.Flag) {
		if f.Shorthand != "" {
			keys = append(keys, flagKey(f.Shorthand+word))
		}
	})
	var match string
	c.Flags().VisitAll(func(f *pflag.Flag) {
		if match == "" && !f.Hidden && slices.Contains(keys, flagKey(f.Name)) {
			match = f.Name
		}
	})
	if match == "" {
		return ""
	}
	return "; did you mean --" + match + "?"
}

// flagKey is name in lower case without dashes and underscores, so that
// val-fraction, ValFraction and VAL_FRACTION compare equal.
func flagKey(name string) string {
	return strings.Map(func(r rune) rune {
		if r == '-' || r == '_' {
			return -1
		}
		return unicode.ToLower(r)
	}, name)
}

// fraction is a pflag.Value for train.Config.ValFraction: a number, or
// "auto" for train.ValFractionAuto.
type fraction struct{ p *float64 }

func (f fraction) String() string {
	if f.p == nil || *f.p == train.ValFractionAuto {
		return "auto"
	}
	return strconv.FormatFloat(*f.p, 'g', -1, 64)
}

func (f fraction) Set(s string) error {
	if strings.EqualFold(strings.TrimSpace(s), "auto") {
		*f.p = train.ValFractionAuto
		return nil
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return fmt.Errorf("%q is not a number or auto", s)
	}
	*f.p = v
	return nil
}

func (f fraction) Type() string { return "fraction" }
