package config

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/dustin/go-humanize"
	"github.com/goccy/go-yaml/ast"
)

// A scalar is a value type read from one YAML node; decodeNode returns
// what is wrong with the node, saying what is allowed.
type scalar interface {
	decodeNode(n ast.Node) error
}

// Duration is a Go duration written as "5s", "1m30s" or "250ms".
type Duration time.Duration

const durationWant = "a duration such as 250ms, 5s or 1m30s"

func (d *Duration) decodeNode(n ast.Node) error {
	s, ok := n.(*ast.StringNode)
	if !ok {
		if _, num := n.(*ast.IntegerNode); num {
			return fmt.Errorf("%s has no unit: want %s", text(n), durationWant)
		}
		return fmt.Errorf("want %s, got %s", durationWant, describe(n))
	}
	v, err := time.ParseDuration(s.Value)
	if err != nil {
		return fmt.Errorf("%q is not %s", s.Value, durationWant)
	}
	*d = Duration(v)
	return nil
}

// String returns the duration as Go writes it.
func (d Duration) String() string { return time.Duration(d).String() }

// Percent is a fraction in [0,1], written as a percentage ("50%") or a
// fraction (0.5).
type Percent float64

const percentWant = "a percentage such as 50% or a fraction such as 0.5"

func (p *Percent) decodeNode(n ast.Node) error {
	var v float64
	switch n := n.(type) {
	case *ast.FloatNode:
		v = n.Value
	case *ast.IntegerNode:
		v = float64(toInt64(n))
	case *ast.StringNode:
		num, ok := strings.CutSuffix(strings.TrimSpace(n.Value), "%")
		f, err := strconv.ParseFloat(strings.TrimSpace(num), 64)
		if !ok || err != nil || strings.Contains(num, "_") {
			return fmt.Errorf("%q is not %s", n.Value, percentWant)
		}
		if math.IsNaN(f) || f < 0 || f > 100 {
			return fmt.Errorf("%q is outside 0%% to 100%%", n.Value)
		}
		*p = Percent(f / 100)
		return nil
	default:
		return fmt.Errorf("want %s, got %s", percentWant, describe(n))
	}
	if math.IsNaN(v) || v < 0 || v > 1 {
		return fmt.Errorf("%s is outside 0 to 1 (or write a percentage: 50%%)", text(n))
	}
	*p = Percent(v)
	return nil
}

// Size is a number of bytes, written as a number or with a unit: "512KiB",
// "1MiB", "10MB".
type Size int64

const sizeWant = "a size such as 512KiB or 1MiB, or a number of bytes"

// maxSize bounds a Size so that it converts to int on every platform.
const maxSize = math.MaxInt32

func (z *Size) decodeNode(n ast.Node) error {
	var v uint64
	switch n := n.(type) {
	case *ast.IntegerNode:
		i := toInt64(n)
		if i < 0 {
			return fmt.Errorf("%s is negative: want %s", text(n), sizeWant)
		}
		v = uint64(i)
	case *ast.StringNode:
		// humanize reads "1MiB", "1 mib" and "1.5MB"; it also takes
		// digit groups ("1,000"), harmless in a size.
		b, err := humanize.ParseBytes(n.Value)
		if err != nil {
			return fmt.Errorf("%q is not %s", n.Value, sizeWant)
		}
		v = b
	default:
		return fmt.Errorf("want %s, got %s", sizeWant, describe(n))
	}
	if v > maxSize {
		return fmt.Errorf("%s is more than %s", text(n), humanize.IBytes(maxSize))
	}
	*z = Size(v)
	return nil
}

// JSONSchema is a JSON Schema, decoded from YAML into JSON-compatible
// values (map[string]any, []any, string, float64, int64, bool, nil).
type JSONSchema map[string]any

// Properties returns the names of the schema's properties.
func (s JSONSchema) Properties() map[string]bool {
	props, _ := s["properties"].(map[string]any)
	names := make(map[string]bool, len(props))
	for name := range props {
		names[name] = true
	}
	return names
}

// toInt64 returns an integer node's value, clamped to the int64 range
// (goccy/go-yaml reads a large positive one as uint64).
func toInt64(n *ast.IntegerNode) int64 {
	switch v := n.Value.(type) {
	case int64:
		return v
	case uint64:
		if v > math.MaxInt64 {
			return math.MaxInt64
		}
		return int64(v)
	}
	return 0
}

// describe names the type of value a node holds, for "want X, got Y".
func describe(n ast.Node) string {
	switch n := n.(type) {
	case *ast.NullNode:
		return "nothing"
	case *ast.StringNode:
		return fmt.Sprintf("the string %q", n.Value)
	case *ast.LiteralNode:
		return "a block of text"
	case *ast.IntegerNode, *ast.FloatNode, *ast.InfinityNode, *ast.NanNode:
		return "the number " + text(n)
	case *ast.BoolNode:
		return text(n)
	case *ast.MappingNode, *ast.MappingValueNode:
		return "a mapping"
	case *ast.SequenceNode:
		return "a list"
	}
	return n.Type().String()
}

// text is a scalar node's text as written.
func text(n ast.Node) string {
	if tk := n.GetToken(); tk != nil {
		return tk.Value
	}
	return n.Type().String()
}

// kind names the type of value a node holds without showing the value.
func kind(n ast.Node) string {
	switch n.(type) {
	case *ast.IntegerNode, *ast.FloatNode, *ast.InfinityNode, *ast.NanNode:
		return "a number"
	case *ast.BoolNode:
		return "a boolean"
	case *ast.NullNode, *ast.MappingNode, *ast.MappingValueNode, *ast.SequenceNode:
		return describe(n)
	}
	return "a " + strings.ToLower(n.Type().String())
}
