package schema

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// FieldError reports an argument that does not satisfy the schema.
type FieldError struct {
	// Field is the path of the offending value: "text", "opts.limit",
	// "items[2]".
	Field string
	// Msg says what is wrong, e.g. "want string, got number".
	Msg string
}

// Error renders the error as `argument "text": want string, got number`.
func (e *FieldError) Error() string {
	return fmt.Sprintf("argument %q: %s", e.Field, e.Msg)
}

// Validate checks args against the schema and returns them with the
// defaults of missing optional arguments applied. When no default is
// missing it returns args itself without allocating; otherwise it returns a
// copy, so the caller's map is never modified. A nil args map is treated as
// an empty object.
//
// Errors are of type *FieldError. When several arguments are wrong, the one
// with the smallest path is reported, so the message does not depend on map
// iteration order. Validate assumes the schema passed Check.
func (s *Schema) Validate(args map[string]any) (map[string]any, error) {
	if s == nil {
		return args, nil
	}
	out, _, err := validateObject(s.Properties, s.Required, s.AdditionalProperties, args, 0)
	if err != nil {
		return nil, err
	}
	return out, nil
}

// Validation runs on every call, so it builds no path while descending:
// a *FieldError starts with the path relative to the failing value and
// each enclosing level prefixes its own segment on the way out (see
// under). Success costs nothing.

// validateObject validates the members of obj. It returns obj itself when
// nothing had to change, or a copy with defaults applied (and changed
// reports which).
func validateObject(props map[string]*Property, required []string, additional *bool,
	obj map[string]any, depth int) (out map[string]any, changed bool, ferr *FieldError) {
	out = obj
	present := 0
	for name, prop := range props {
		v, ok := obj[name]
		if !ok {
			if prop.Default != nil && ferr == nil {
				if !changed {
					out = make(map[string]any, len(obj)+len(props))
					maps.Copy(out, obj)
					changed = true
				}
				out[name] = cloneValue(prop.Default)
			}
			continue
		}
		present++
		nv, vchanged, err := validateValue(prop, v, depth+1)
		if err != nil {
			ferr = first(ferr, err.under(name))
			continue
		}
		if vchanged && ferr == nil {
			if !changed {
				out = maps.Clone(obj)
				changed = true
			}
			out[name] = nv
		}
	}
	// Required names are properties (Check ensures it), so when every
	// property is present there is nothing to look up.
	if present < len(props) {
		for _, name := range required {
			if _, ok := obj[name]; !ok {
				ferr = first(ferr, (&FieldError{Msg: "missing required argument"}).under(name))
			}
		}
	}
	if additional != nil && !*additional && present < len(obj) {
		for name := range obj {
			if _, ok := props[name]; !ok {
				ferr = first(ferr, (&FieldError{
					Msg: fmt.Sprintf("unknown argument (known: %s)", strings.Join(sortedKeys(props), ", ")),
				}).under(name))
			}
		}
	}
	if ferr != nil {
		return nil, false, ferr
	}
	return out, changed, nil
}

// under prefixes the path of e with the object member name.
func (e *FieldError) under(name string) *FieldError {
	seg := keySegment(name)
	switch {
	case e.Field == "":
		e.Field = seg
	case e.Field[0] == '[':
		e.Field = seg + e.Field
	default:
		e.Field = seg + "." + e.Field
	}
	return e
}

// keySegment renders an object member name for a path: as is when it is a
// plain name, else quoted in brackets (`["a.b"]`, `[""]`) so that paths stay
// unambiguous.
func keySegment(name string) string {
	if name != "" && !strings.ContainsFunc(name, func(r rune) bool {
		return r == '.' || r == '[' || r == ']' || r == '"' || unicode.IsSpace(r) || !unicode.IsPrint(r)
	}) {
		return name
	}
	return "[" + strconv.Quote(name) + "]"
}

// at prefixes the path of e with the array index i.
func (e *FieldError) at(i int) *FieldError {
	idx := "[" + strconv.Itoa(i) + "]"
	switch {
	case e.Field == "":
		e.Field = idx
	case e.Field[0] == '[':
		e.Field = idx + e.Field
	default:
		e.Field = idx + "." + e.Field
	}
	return e
}

// first returns whichever of two errors has the smaller field path; it makes
// the reported error independent of map iteration order.
func first(a, b *FieldError) *FieldError {
	if a == nil || b.Field < a.Field || (b.Field == a.Field && b.Msg < a.Msg) {
		return b
	}
	return a
}

// validateValue validates v against prop. It returns v itself unless nested
// defaults had to be applied, in which case it returns a copy and changed
// is true.
func validateValue(prop *Property, v any, depth int) (out any, changed bool, ferr *FieldError) {
	if depth > maxDepth {
		return nil, false, &FieldError{Msg: fmt.Sprintf("nested more than %d levels deep", maxDepth)}
	}
	out = v
	switch prop.Type {
	case TypeString:
		s, ok := v.(string)
		if !ok {
			return nil, false, typeError(prop.Type, v)
		}
		if !utf8.ValidString(s) {
			return nil, false, &FieldError{Msg: "string is not valid UTF-8"}
		}
		if prop.MinLength != nil || prop.MaxLength != nil {
			n := utf8.RuneCountInString(s)
			if prop.MinLength != nil && n < *prop.MinLength {
				return nil, false, &FieldError{
					Msg: fmt.Sprintf("must be at least %s long, got %d", plural(*prop.MinLength, "character"), n)}
			}
			if prop.MaxLength != nil && n > *prop.MaxLength {
				return nil, false, &FieldError{
					Msg: fmt.Sprintf("must be at most %s long, got %d", plural(*prop.MaxLength, "character"), n)}
			}
		}
	case TypeNumber, TypeInteger:
		f, ok := Number(v)
		if !ok {
			return nil, false, typeError(prop.Type, v)
		}
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return nil, false, &FieldError{Msg: fmt.Sprintf("want a finite %s, got %v", prop.Type, f)}
		}
		if prop.Type == TypeInteger && f != math.Trunc(f) {
			return nil, false, &FieldError{Msg: "want integer, got number " + formatValue(v)}
		}
		if prop.Minimum != nil && f < *prop.Minimum {
			return nil, false, &FieldError{
				Msg: fmt.Sprintf("must be >= %v, got %s", *prop.Minimum, formatValue(v))}
		}
		if prop.Maximum != nil && f > *prop.Maximum {
			return nil, false, &FieldError{
				Msg: fmt.Sprintf("must be <= %v, got %s", *prop.Maximum, formatValue(v))}
		}
	case TypeBoolean:
		if _, ok := v.(bool); !ok {
			return nil, false, typeError(prop.Type, v)
		}
	case TypeArray:
		out, changed, ferr = validateArray(prop, v, depth)
		if ferr != nil {
			return nil, false, ferr
		}
	case TypeObject:
		m, ok := v.(map[string]any)
		if !ok {
			return nil, false, typeError(prop.Type, v)
		}
		if prop.Properties != nil || prop.Required != nil || prop.AdditionalProperties != nil {
			var nm map[string]any
			nm, changed, ferr = validateObject(prop.Properties, prop.Required, prop.AdditionalProperties, m, depth)
			if ferr != nil {
				return nil, false, ferr
			}
			out = nm
		}
	case TypeAny:
	default:
		return nil, false, &FieldError{Msg: fmt.Sprintf("schema has unknown type %q (run Check)", prop.Type)}
	}
	if len(prop.Enum) > 0 && !slices.ContainsFunc(prop.Enum, func(e any) bool { return equal(out, e) }) {
		vals := make([]string, len(prop.Enum))
		for i, e := range prop.Enum {
			vals[i] = formatValue(e)
		}
		return nil, false, &FieldError{
			Msg: fmt.Sprintf("must be one of %s, got %s", strings.Join(vals, ", "), formatValue(v))}
	}
	return out, changed, nil
}

func validateArray(prop *Property, v any, depth int) (out any, changed bool, ferr *FieldError) {
	n := 0
	switch a := v.(type) {
	case []any:
		n = len(a)
	case []string:
		n = len(a)
	case []float64:
		n = len(a)
	default:
		return nil, false, typeError(prop.Type, v)
	}
	if prop.MinItems != nil && n < *prop.MinItems {
		return nil, false, &FieldError{Msg: fmt.Sprintf("must have at least %s, got %d", plural(*prop.MinItems, "item"), n)}
	}
	if prop.MaxItems != nil && n > *prop.MaxItems {
		return nil, false, &FieldError{Msg: fmt.Sprintf("must have at most %s, got %d", plural(*prop.MaxItems, "item"), n)}
	}
	if prop.Items == nil {
		return v, false, nil
	}
	switch a := v.(type) {
	case []any:
		var copied []any
		for i, e := range a {
			ne, echanged, err := validateValue(prop.Items, e, depth+1)
			if err != nil {
				return nil, false, err.at(i)
			}
			if echanged {
				if copied == nil {
					copied = slices.Clone(a)
				}
				copied[i] = ne
			}
		}
		if copied != nil {
			return copied, true, nil
		}
	case []string:
		for i, e := range a {
			if _, _, err := validateValue(prop.Items, e, depth+1); err != nil {
				return nil, false, err.at(i)
			}
		}
	case []float64:
		for i, e := range a {
			if _, _, err := validateValue(prop.Items, e, depth+1); err != nil {
				return nil, false, err.at(i)
			}
		}
	}
	return v, false, nil
}

func typeError(want string, v any) *FieldError {
	return &FieldError{Msg: fmt.Sprintf("want %s, got %s", want, kindOf(v))}
}

// kindOf names the JSON type of a Go value.
func kindOf(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case bool:
		return TypeBoolean
	case string:
		return TypeString
	case []any, []string, []float64:
		return TypeArray
	case map[string]any:
		return TypeObject
	}
	if _, ok := Number(v); ok {
		return TypeNumber
	}
	return fmt.Sprintf("unsupported Go type %T", v)
}

// equal reports whether two argument values are equal as JSON values
// (so 2, 2.0 and int64(2) are equal).
func equal(a, b any) bool {
	switch x := a.(type) {
	case nil:
		return b == nil
	case string:
		y, ok := b.(string)
		return ok && x == y
	case bool:
		y, ok := b.(bool)
		return ok && x == y
	}
	if x, ok := Number(a); ok {
		y, ok := Number(b)
		return ok && x == y
	}
	// Composite values: compare canonical encodings.
	ca, errA := AppendCanonical(nil, a)
	cb, errB := AppendCanonical(nil, b)
	return errA == nil && errB == nil && bytes.Equal(ca, cb)
}

// cloneValue deep-copies composite JSON values so that a default applied to
// one call's arguments is never shared with (and mutated by) another.
func cloneValue(v any) any {
	switch x := v.(type) {
	case []any:
		c := make([]any, len(x))
		for i, e := range x {
			c[i] = cloneValue(e)
		}
		return c
	case map[string]any:
		c := make(map[string]any, len(x))
		for k, e := range x {
			c[k] = cloneValue(e)
		}
		return c
	case []string:
		return slices.Clone(x)
	case []float64:
		return slices.Clone(x)
	case json.Number:
		return x
	}
	return v
}

// plural returns "1 item", "2 items".
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return strconv.Itoa(n) + " " + noun + "s"
}
