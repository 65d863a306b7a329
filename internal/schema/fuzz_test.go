package schema

import (
	"bytes"
	"encoding/json"
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"
)

var fuzzSeeds = []string{
	``, `{}`, `{"text":"orfeas"}`, `{"a":2,"b":3}`, `{"a":[1,{"b":null}],"c":true}`,
	`{"a":1,"a":2}`, `[1]`, `{"a":1} x`, `{"a":01}`, `{"n":9007199254740993}`, `{"n":1e400}`,
	`{"s":"\u00e9\n\"\\"}`, "{\"a\":\n[\n}", `{"text":"", "tags":["abcd"], "opts":{"limit":1.5}}`,
	`{"text":"a","mode":"lower","count":3,"opts":{}}`, `{"x":-0,"y":1E2,"z":0.1}`,
}

// FuzzParseArgs checks ParseArgs against encoding/json: it accepts exactly
// the JSON objects without duplicate keys or inexact integers, decodes
// them to the same values, and positions every error inside the input.
func FuzzParseArgs(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		got, err := ParseArgs(data)
		if one, ok := parseValid(data); ok {
			// The one pass accepts only what the explained parse accepts,
			// with the same values.
			if two, err := parseExplained(data, skipSpace(data, 0)); err != nil || !reflect.DeepEqual(one, two) {
				t.Fatalf("one pass gives %v, the explained parse %v, %v", one, two, err)
			}
		}
		var ref map[string]any
		refErr := json.Unmarshal(data, &ref)
		if len(bytes.Trim(data, " \t\r\n")) == 0 { // JSON whitespace only
			if err != nil || got == nil || len(got) != 0 {
				t.Fatalf("ParseArgs(blank) = %v, %v; want empty map", got, err)
			}
			return
		}
		if err != nil {
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("error %v is %T, want *ParseError", err, err)
			}
			lines := bytes.Count(data, []byte("\n")) + 1
			if pe.Line < 1 || pe.Line > lines || pe.Column < 1 || pe.Msg == "" {
				t.Fatalf("bad error position %+v for %d-line input", pe, lines)
			}
			if refErr == nil && ref != nil {
				// encoding/json accepted an object: the only reasons to refuse
				// it are ours.
				if !strings.Contains(pe.Msg, "duplicate key") && !strings.Contains(pe.Msg, "no exact float64 representation") {
					t.Fatalf("ParseArgs rejected an object encoding/json accepts: %v", err)
				}
			}
			return
		}
		if got == nil {
			t.Fatal("ParseArgs returned a nil map without error")
		}
		if refErr != nil {
			t.Fatalf("ParseArgs accepted %q, encoding/json says %v", data, refErr)
		}
		a, errA := AppendCanonical(nil, got)
		b, errB := AppendCanonical(nil, ref)
		if errA != nil || errB != nil || !bytes.Equal(a, b) {
			t.Fatalf("ParseArgs and encoding/json disagree:\n%s (%v)\n%s (%v)", a, errA, b, errB)
		}
	})
}

// FuzzCanonical checks that the canonical form is stable: it is valid JSON,
// parsing it and encoding again yields the same bytes, and writing the
// same object with another key order and spacing does not change it.
func FuzzCanonical(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		args, err := ParseArgs(data)
		if err != nil {
			return
		}
		c1, err := AppendCanonical(nil, args)
		if err != nil {
			// Only strings that are not valid UTF-8 have no canonical
			// form, and encoding/json replaces those while decoding.
			t.Fatalf("AppendCanonical(%v) = %v", args, err)
		}
		if !json.Valid(c1) || !utf8.Valid(c1) {
			t.Fatalf("canonical form %q is not valid JSON", c1)
		}
		back, err := ParseArgs(c1)
		if err != nil {
			t.Fatalf("ParseArgs(canonical %s) = %v", c1, err)
		}
		c2, err := AppendCanonical(nil, back)
		if err != nil || !bytes.Equal(c1, c2) {
			t.Fatalf("canonical form is not stable:\n%s\n%s (%v)", c1, c2, err)
		}
		reordered, err := ParseArgs(appendReversed(nil, args))
		if err != nil {
			t.Fatalf("ParseArgs(reordered) = %v", err)
		}
		c3, err := AppendCanonical(nil, reordered)
		if err != nil || !bytes.Equal(c1, c3) {
			t.Fatalf("key order changed the canonical form:\n%s\n%s (%v)", c1, c3, err)
		}
	})
}

// appendReversed writes v as JSON with object keys in reverse order and
// extra whitespace, independently of AppendCanonical's object code.
func appendReversed(dst []byte, v any) []byte {
	switch x := v.(type) {
	case map[string]any:
		keys := sortedKeys(x)
		slices.Reverse(keys)
		dst = append(dst, "{ "...)
		for i, k := range keys {
			if i > 0 {
				dst = append(dst, " ,\n"...)
			}
			kb, _ := json.Marshal(k)
			dst = append(dst, kb...)
			dst = append(dst, " : "...)
			dst = appendReversed(dst, x[k])
		}
		return append(dst, " }"...)
	case []any:
		dst = append(dst, '[')
		for i, e := range x {
			if i > 0 {
				dst = append(dst, ", "...)
			}
			dst = appendReversed(dst, e)
		}
		return append(dst, ']')
	default:
		b, _ := json.Marshal(x)
		return append(dst, b...)
	}
}

// FuzzValidate runs arbitrary arguments through a schema using every rule:
// Validate never panics, never modifies its input, reports errors as a
// *FieldError naming an argument that exists (or a missing required one),
// and its output is a fixed point (validating it again changes nothing).
func FuzzValidate(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add([]byte(s))
	}
	s := mustSchema(f, richSchema)
	c, err := s.Compile()
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		args, err := ParseArgs(data)
		if err != nil {
			return
		}
		before, _ := AppendCanonical(nil, args)
		out, err := s.Validate(args)
		cout, cerr := c.Validate(args)
		if !reflect.DeepEqual(out, cout) || !reflect.DeepEqual(err, cerr) {
			t.Fatalf("Compiled.Validate disagrees: %v, %v vs %v, %v", cout, cerr, out, err)
		}
		vout, vkey, verr := c.ValidateKey(nil, args)
		if !reflect.DeepEqual(vout, out) || !reflect.DeepEqual(verr, err) {
			t.Fatalf("ValidateKey disagrees: %v, %v vs %v, %v", vout, verr, out, err)
		}
		if err == nil {
			k1, _ := AppendCanonical(nil, out)
			k2, err2 := c.AppendKey(nil, out)
			if err2 != nil || !bytes.Equal(k1, k2) || !bytes.Equal(k1, vkey) {
				t.Fatalf("AppendKey = %s (%v), ValidateKey = %s, AppendCanonical = %s", k2, err2, vkey, k1)
			}
		}
		after, _ := AppendCanonical(nil, args)
		if !bytes.Equal(before, after) {
			t.Fatalf("Validate modified its input: %s -> %s", before, after)
		}
		if err != nil {
			var fe *FieldError
			if !errors.As(err, &fe) || fe.Field == "" || fe.Msg == "" {
				t.Fatalf("Validate error %v (%T) is not a complete *FieldError", err, err)
			}
			named := slices.ContainsFunc(append(sortedKeys(args), s.Required...), func(k string) bool {
				seg := keySegment(k)
				return fe.Field == seg || strings.HasPrefix(fe.Field, seg+".") || strings.HasPrefix(fe.Field, seg+"[")
			})
			if !named {
				t.Fatalf("error names %q, which is neither an argument nor required", fe.Field)
			}
			return
		}
		for _, r := range s.Required {
			if _, ok := out[r]; !ok {
				t.Fatalf("Validate accepted %s without required %q", before, r)
			}
		}
		c1, err := AppendCanonical(nil, out)
		if err != nil {
			t.Fatal(err)
		}
		again, err := s.Validate(out)
		if err != nil {
			t.Fatalf("Validate(Validate(x)) = %v", err)
		}
		c2, _ := AppendCanonical(nil, again)
		if !bytes.Equal(c1, c2) {
			t.Fatalf("Validate is not idempotent: %s -> %s", c1, c2)
		}
	})
}
