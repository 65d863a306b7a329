package schema

import (
	"fmt"
	"slices"
	"strconv"
)

// Compiled is a checked schema prepared for validating many calls: its
// properties sorted once, so that the common case (valid arguments, no
// default missing) costs one map lookup per property and no iteration over
// maps. It is safe for concurrent use and must not outlive changes to the
// Schema it was compiled from (a Schema must not change after Compile).
type Compiled struct {
	s      *Schema
	props  []compiledProp // sorted by name
	closed bool           // additionalProperties is false
}

type compiledProp struct {
	name     string
	member   string // canonical `"name":`
	p        *Property
	required bool
}

// Compile checks the schema (see Check) and prepares it for Validate and
// AppendKey. A nil schema compiles to one that accepts any object.
func (s *Schema) Compile() (*Compiled, error) {
	if err := s.Check(); err != nil {
		return nil, err
	}
	c := &Compiled{s: s}
	if s == nil {
		return c, nil
	}
	c.closed = s.AdditionalProperties != nil && !*s.AdditionalProperties
	for _, name := range sortedKeys(s.Properties) {
		member, err := appendString(nil, name)
		if err != nil {
			return nil, err // unreachable: names come from JSON or Go strings checked above
		}
		c.props = append(c.props, compiledProp{
			name:     name,
			member:   string(member) + ":",
			p:        s.Properties[name],
			required: slices.Contains(s.Required, name),
		})
	}
	return c, nil
}

// Schema returns the schema c was compiled from.
func (c *Compiled) Schema() *Schema { return c.s }

// Validate is Schema.Validate: same result, same errors. Arguments that
// are valid and need no default are checked with one lookup per property;
// anything else (an error to report, a default to apply) takes
// Schema.Validate's path.
func (c *Compiled) Validate(args map[string]any) (map[string]any, error) {
	if c.s == nil {
		return args, nil
	}
	present := 0
	for i := range c.props {
		cp := &c.props[i]
		v, ok := args[cp.name]
		if !ok {
			if cp.required || cp.p.Default != nil {
				return c.s.Validate(args)
			}
			continue
		}
		present++
		if _, changed, err := validateValue(cp.p, v, 1); err != nil || changed {
			return c.s.Validate(args)
		}
	}
	if c.closed && present < len(args) {
		return c.s.Validate(args)
	}
	return args, nil
}

// AppendKey appends the canonical JSON of args, byte for byte what
// AppendCanonical appends, and returns the extended buffer. For arguments
// that Validate accepted under a schema without additional properties it
// visits the properties in their precomputed order instead of collecting
// and sorting the map's keys.
//
// Unlike AppendCanonical, AppendKey does not let dst escape, so a caller
// can pass a buffer on its stack: scalar members are appended directly,
// while composite members (arrays, objects) and the general case (an open
// schema, unexpected keys) are encoded into a scratch buffer first, which
// costs one allocation.
func (c *Compiled) AppendKey(dst []byte, args map[string]any) ([]byte, error) {
	if !c.closed {
		return appendScratch(dst, args)
	}
	start := len(dst)
	dst = append(dst, '{')
	n := 0
	for i := range c.props {
		cp := &c.props[i]
		v, ok := args[cp.name]
		if !ok {
			continue
		}
		if n > 0 {
			dst = append(dst, ',')
		}
		n++
		dst = append(dst, cp.member...)
		var err error
		if dst, err = appendScalar(dst, v); err != nil {
			return dst[:start], fmt.Errorf("%q: %w", cp.name, err)
		}
	}
	if n != len(args) { // keys outside the schema: not validated; encode them all
		return appendScratch(dst[:start], args)
	}
	return append(dst, '}'), nil
}

// appendScalar appends a member value; only composite values go through
// the recursive encoder (through a scratch buffer, see AppendKey).
func appendScalar(dst []byte, v any) ([]byte, error) {
	switch x := v.(type) {
	case nil:
		return append(dst, "null"...), nil
	case bool:
		return strconv.AppendBool(dst, x), nil
	case string:
		return appendString(dst, x)
	case float64:
		return appendFloat(dst, x)
	case int:
		return appendInt(dst, int64(x))
	case int64:
		return appendInt(dst, x)
	}
	scratch, err := appendValue(nil, v, 1)
	return append(dst, scratch...), err
}

// appendScratch is AppendCanonical through a scratch buffer.
func appendScratch(dst []byte, v map[string]any) ([]byte, error) {
	scratch, err := AppendCanonical(nil, v)
	if err != nil {
		return dst, err
	}
	return append(dst, scratch...), nil
}

// ValidateKey is Validate followed by AppendKey on the validated
// arguments, in one pass over the properties when the arguments are valid,
// need no default and the schema admits no additional properties (the
// cache-hit path of every call of a cached ability).
func (c *Compiled) ValidateKey(dst []byte, args map[string]any) (map[string]any, []byte, error) {
	if c.closed {
		start := len(dst)
		dst = append(dst, '{')
		n := 0
		for i := range c.props {
			cp := &c.props[i]
			v, ok := args[cp.name]
			if !ok {
				if cp.required || cp.p.Default != nil {
					return c.validateThenKey(dst[:start], args)
				}
				continue
			}
			if _, changed, err := validateValue(cp.p, v, 1); err != nil || changed {
				return c.validateThenKey(dst[:start], args)
			}
			if n > 0 {
				dst = append(dst, ',')
			}
			n++
			dst = append(dst, cp.member...)
			var err error
			if dst, err = appendScalar(dst, v); err != nil {
				return args, dst[:start], fmt.Errorf("%q: %w", cp.name, err)
			}
		}
		if n == len(args) {
			return args, append(dst, '}'), nil
		}
		dst = dst[:start]
	}
	return c.validateThenKey(dst, args)
}

func (c *Compiled) validateThenKey(dst []byte, args map[string]any) (map[string]any, []byte, error) {
	out, err := c.Validate(args)
	if err != nil {
		return nil, dst, err
	}
	dst, err = c.AppendKey(dst, out)
	return out, dst, err
}
