// Package schema implements the subset of JSON Schema that describes the
// arguments of an ability. It has the shape of an MCP tool's inputSchema:
//
//	{"type": "object",
//	 "properties": {"text": {"type": "string", "minLength": 1}},
//	 "required": ["text"],
//	 "additionalProperties": false}
//
// The package provides four things the agent needs on every call or at
// registration: [Schema.Check] (the schema itself is well formed),
// [Schema.Validate] (arguments conform, defaults applied), [ParseArgs]
// (strict JSON object parsing with positioned errors) and [AppendCanonical]
// (the canonical JSON encoding used as a cache key).
//
// Validation and canonical encoding are written by hand rather than with a
// general JSON Schema library: they run on the hot path of every call
// (including cache hits), where the general libraries allocate and reflect,
// and the supported subset is small enough to test exhaustively.
package schema

import (
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strings"
)

// Property types understood by the package.
const (
	TypeString  = "string"
	TypeNumber  = "number"
	TypeInteger = "integer"
	TypeBoolean = "boolean"
	TypeArray   = "array"
	TypeObject  = "object"
	// TypeAny (an omitted "type") accepts any JSON value, as in JSON
	// Schema; the ability checks the value itself. predict uses it for an
	// argument that is a number or an array of numbers.
	TypeAny = ""
)

// maxSafeInteger is the largest integer n such that every integer in
// [-n, n] is exactly representable as a float64 (2^53).
const maxSafeInteger = 1 << 53

// maxDepth bounds recursion over nested values so that a cyclic Go value
// (a map that contains itself) is an error rather than a stack overflow.
const maxDepth = 1000

// Schema describes the arguments of an ability: a JSON object with typed
// properties. The zero value is not valid (Type must be "object"); a nil
// *Schema accepts any object.
type Schema struct {
	// Type must be "object".
	Type string `json:"type"`
	// Properties maps argument names to their descriptions.
	Properties map[string]*Property `json:"properties,omitempty"`
	// Required lists the names of arguments that must be present.
	Required []string `json:"required,omitempty"`
	// AdditionalProperties, when false, rejects arguments that are not in
	// Properties. Nil or true allows them.
	AdditionalProperties *bool `json:"additionalProperties,omitempty"`
}

// Property describes one argument (or an array item, or a member of a
// nested object).
type Property struct {
	// Type is one of string, number, integer, boolean, array or object,
	// or TypeAny (no "type" keyword). An integer is a number with an
	// integral value.
	Type string `json:"type,omitempty"`
	// Description is shown to users and models.
	Description string `json:"description,omitempty"`
	// Default is applied by Validate when an optional argument is missing.
	Default any `json:"default,omitempty"`
	// Examples are sample values; the first one prefills Schema.Example.
	Examples []any `json:"examples,omitempty"`
	// Enum, when not empty, lists the only values allowed.
	Enum []any `json:"enum,omitempty"`
	// Minimum and Maximum bound a number or integer (inclusive).
	Minimum *float64 `json:"minimum,omitempty"`
	Maximum *float64 `json:"maximum,omitempty"`
	// MinLength and MaxLength bound the length of a string in characters
	// (Unicode code points).
	MinLength *int `json:"minLength,omitempty"`
	MaxLength *int `json:"maxLength,omitempty"`
	// Items describes every element of an array; nil allows any element.
	Items *Property `json:"items,omitempty"`
	// MinItems and MaxItems bound the length of an array.
	MinItems *int `json:"minItems,omitempty"`
	MaxItems *int `json:"maxItems,omitempty"`
	// Properties, Required and AdditionalProperties describe the members
	// of an object, with the same meaning as in Schema. Without
	// Properties an object property accepts any object.
	Properties           map[string]*Property `json:"properties,omitempty"`
	Required             []string             `json:"required,omitempty"`
	AdditionalProperties *bool                `json:"additionalProperties,omitempty"`
}

// Check reports whether the schema is well formed: type "object", every
// property of a known type with constraints that fit its type, required
// names that exist, defaults, examples and enum values that satisfy their
// property. A nil schema is valid (it accepts any object). Check is meant to
// run once, when an ability is registered; Validate assumes it passed.
func (s *Schema) Check() error {
	if s == nil {
		return nil
	}
	if s.Type != TypeObject {
		return fmt.Errorf("schema: type must be %q, got %q", TypeObject, s.Type)
	}
	if err := checkMembers(nil, s.Properties, s.Required, 0); err != nil {
		return fmt.Errorf("schema: %w", err)
	}
	return nil
}

// checkMembers checks the properties and required list of an object at path
// p (nil for the top level).
func checkMembers(p *path, props map[string]*Property, required []string, depth int) error {
	for _, name := range sortedKeys(props) {
		if name == "" {
			return fmt.Errorf("%s has a property with an empty name", p.describe())
		}
		if err := checkProperty(p.key(name), props[name], depth+1); err != nil {
			return err
		}
	}
	for i, name := range required {
		prop, ok := props[name]
		if !ok {
			return fmt.Errorf("%s: required argument %q is not among the properties (%s)",
				p.describe(), name, strings.Join(sortedKeys(props), ", "))
		}
		if slices.Contains(required[:i], name) {
			return fmt.Errorf("%s: required argument %q is listed twice", p.describe(), name)
		}
		if prop.Default != nil {
			return fmt.Errorf("property %q: has a default but is required; a default only applies to optional arguments",
				p.key(name).String())
		}
	}
	return nil
}

func checkProperty(p *path, prop *Property, depth int) error {
	name := p.String()
	if prop == nil {
		return fmt.Errorf("property %q: is null", name)
	}
	if depth > maxDepth {
		return fmt.Errorf("property %q: nested more than %d levels deep (cyclic schema?)", name, maxDepth)
	}
	switch prop.Type {
	case TypeString, TypeNumber, TypeInteger, TypeBoolean, TypeArray, TypeObject, TypeAny:
	default:
		return fmt.Errorf("property %q: unknown type %q (want string, number, integer, boolean, array, object, or no type for any value)", name, prop.Type)
	}
	numeric := prop.Type == TypeNumber || prop.Type == TypeInteger
	if err := checkBounds(name, "minimum", "maximum", prop.Type, numeric, prop.Minimum, prop.Maximum); err != nil {
		return err
	}
	if err := checkLengths(name, "minLength", "maxLength", prop.Type, prop.Type == TypeString, prop.MinLength, prop.MaxLength); err != nil {
		return err
	}
	if err := checkLengths(name, "minItems", "maxItems", prop.Type, prop.Type == TypeArray, prop.MinItems, prop.MaxItems); err != nil {
		return err
	}
	if prop.Items != nil {
		if prop.Type != TypeArray {
			return fmt.Errorf("property %q: items is only allowed on an array, not on %s", name, typeName(prop.Type))
		}
		if err := checkProperty(p.items(), prop.Items, depth+1); err != nil {
			return err
		}
	}
	if prop.Type != TypeObject && (prop.Properties != nil || prop.Required != nil || prop.AdditionalProperties != nil) {
		return fmt.Errorf("property %q: properties, required and additionalProperties are only allowed on an object, not on %s", name, typeName(prop.Type))
	}
	if prop.Type == TypeObject {
		if err := checkMembers(p, prop.Properties, prop.Required, depth); err != nil {
			return err
		}
	}
	// Values given in the schema must satisfy it, or the schema promises
	// something it cannot deliver.
	if prop.Enum != nil {
		if len(prop.Enum) == 0 {
			return fmt.Errorf("property %q: enum is empty, so no value would be allowed", name)
		}
		for i, v := range prop.Enum {
			if _, _, err := validateValue(prop, v, 0); err != nil {
				return fmt.Errorf("property %q: enum[%d]: %s", name, i, err.Msg)
			}
			for _, w := range prop.Enum[:i] {
				if equal(v, w) {
					return fmt.Errorf("property %q: enum[%d] repeats the value %s", name, i, formatValue(v))
				}
			}
		}
	}
	if prop.Default != nil {
		if _, _, err := validateValue(prop, prop.Default, 0); err != nil {
			return fmt.Errorf("property %q: default %s is invalid: %s", name, formatValue(prop.Default), err.Msg)
		}
	}
	for i, v := range prop.Examples {
		if _, _, err := validateValue(prop, v, 0); err != nil {
			return fmt.Errorf("property %q: examples[%d] %s is invalid: %s", name, i, formatValue(v), err.Msg)
		}
	}
	return nil
}

func checkBounds(name, minName, maxName, typ string, allowed bool, lo, hi *float64) error {
	if lo == nil && hi == nil {
		return nil
	}
	if !allowed {
		return fmt.Errorf("property %q: %s/%s are only allowed on a number or integer, not on %s", name, minName, maxName, typeName(typ))
	}
	for _, b := range []struct {
		name string
		v    *float64
	}{{minName, lo}, {maxName, hi}} {
		if b.v != nil && (math.IsNaN(*b.v) || math.IsInf(*b.v, 0)) {
			return fmt.Errorf("property %q: %s must be a finite number, got %v", name, b.name, *b.v)
		}
	}
	if lo != nil && hi != nil && *lo > *hi {
		return fmt.Errorf("property %q: %s %v is greater than %s %v", name, minName, *lo, maxName, *hi)
	}
	return nil
}

func checkLengths(name, minName, maxName, typ string, allowed bool, lo, hi *int) error {
	if lo == nil && hi == nil {
		return nil
	}
	if !allowed {
		return fmt.Errorf("property %q: %s/%s are not allowed on %s", name, minName, maxName, typeName(typ))
	}
	if lo != nil && *lo < 0 {
		return fmt.Errorf("property %q: %s must not be negative, got %d", name, minName, *lo)
	}
	if hi != nil && *hi < 0 {
		return fmt.Errorf("property %q: %s must not be negative, got %d", name, maxName, *hi)
	}
	if lo != nil && hi != nil && *lo > *hi {
		return fmt.Errorf("property %q: %s %d is greater than %s %d", name, minName, *lo, maxName, *hi)
	}
	return nil
}

// typeName names a property type in an error message.
func typeName(t string) string {
	if t == TypeAny {
		return "a property without a type"
	}
	return t
}

// sortedKeys returns the keys of m in ascending order.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// formatValue renders v for an error message, as canonical JSON when
// possible.
func formatValue(v any) string {
	b, err := AppendCanonical(nil, v)
	if err != nil {
		return fmt.Sprintf("%v", v)
	}
	const limit = 64
	if len(b) > limit {
		return string(b[:limit]) + "…"
	}
	return string(b)
}

// path is the location of a property inside a schema, built on the stack
// while the schema is checked and rendered only when an error is reported.
type path struct {
	parent *path
	name   string // the member's name, unless each
	each   bool   // the items of an array
}

func (p *path) key(name string) *path { return &path{parent: p, name: name} }
func (p *path) items() *path          { return &path{parent: p, each: true} }

// String renders the path as in `opts.tags[]`.
func (p *path) String() string {
	if p == nil {
		return ""
	}
	var b strings.Builder
	p.write(&b)
	return b.String()
}

func (p *path) write(b *strings.Builder) {
	if p.parent != nil {
		p.parent.write(b)
	}
	switch {
	case p.each:
		b.WriteString("[]")
	case p.parent != nil:
		b.WriteByte('.')
		fallthrough
	default:
		b.WriteString(p.name)
	}
}

// describe names the object at p for a schema error.
func (p *path) describe() string {
	if p == nil {
		return "object"
	}
	return fmt.Sprintf("property %q", p.String())
}

// Number converts any numeric argument value (a float, an integer of any
// size, or a json.Number) to a float64. Abilities may receive numbers of
// different Go types: float64 when the arguments came from JSON, and
// whatever a Go caller or a schema default used otherwise.
func Number(v any) (float64, bool) {
	switch n := v.(type) {
	case float64:
		return n, true
	case float32:
		return float64(n), true
	case int:
		return float64(n), true
	case int8:
		return float64(n), true
	case int16:
		return float64(n), true
	case int32:
		return float64(n), true
	case int64:
		return float64(n), true
	case uint:
		return float64(n), true
	case uint8:
		return float64(n), true
	case uint16:
		return float64(n), true
	case uint32:
		return float64(n), true
	case uint64:
		return float64(n), true
	case json.Number:
		f, err := n.Float64()
		return f, err == nil
	}
	return 0, false
}
