package schema

import (
	"math"
	"strings"
)

// Example returns arguments prefilled for an editor: every property gets its
// default, else its first example, else its first enum value, else a
// placeholder of its type (empty string, 0, false, empty array or object)
// adjusted to the property's minimum, length and item bounds where that is
// possible. For a schema that passes Check the result usually validates;
// it is a starting point for a user, not a guarantee. The map is new on
// every call.
func (s *Schema) Example() map[string]any {
	if s == nil {
		return map[string]any{}
	}
	return exampleObject(s.Properties, 0)
}

func exampleObject(props map[string]*Property, depth int) map[string]any {
	m := make(map[string]any, len(props))
	for name, p := range props {
		if p != nil {
			m[name] = exampleValue(p, depth+1)
		}
	}
	return m
}

func exampleValue(p *Property, depth int) any {
	switch {
	case p.Default != nil:
		return cloneValue(p.Default)
	case len(p.Examples) > 0:
		return cloneValue(p.Examples[0])
	case len(p.Enum) > 0:
		return cloneValue(p.Enum[0])
	}
	switch p.Type {
	case TypeString:
		if p.MinLength != nil && *p.MinLength > 0 {
			return strings.Repeat("x", *p.MinLength)
		}
		return ""
	case TypeNumber, TypeInteger:
		v := 0.0
		if p.Minimum != nil && *p.Minimum > 0 {
			v = *p.Minimum
		} else if p.Maximum != nil && *p.Maximum < 0 {
			v = *p.Maximum
		}
		if p.Type == TypeInteger {
			if v > 0 {
				v = math.Ceil(v)
			} else {
				v = math.Floor(v)
			}
		}
		return v
	case TypeBoolean:
		return false
	case TypeArray:
		a := []any{}
		if p.MinItems != nil && depth < maxDepth {
			for range *p.MinItems {
				var item any
				if p.Items != nil {
					item = exampleValue(p.Items, depth+1)
				}
				a = append(a, item)
			}
		}
		return a
	case TypeObject:
		if depth >= maxDepth {
			return map[string]any{}
		}
		return exampleObject(p.Properties, depth)
	}
	return nil
}
