package main

import (
	"fmt"
	"strconv"

	"github.com/spf13/pflag"
)

// Whole-number flags are read in base 10 only. pflag's IntVar reads Go
// integer literals, so "--epochs 010" meant 8 (octal) and "--samples 0x10"
// meant 16; nobody writing a count means that.

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
