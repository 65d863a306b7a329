package schema

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"reflect"
	"testing"
)

const richSchema = `{"type":"object","properties":{
	"text":{"type":"string","minLength":1,"maxLength":5},
	"mode":{"type":"string","enum":["upper","lower"],"default":"upper"},
	"n":{"type":"number","minimum":-1,"maximum":1.5},
	"count":{"type":"integer","minimum":0},
	"flag":{"type":"boolean"},
	"tags":{"type":"array","items":{"type":"string","maxLength":3},"minItems":1,"maxItems":3},
	"matrix":{"type":"array","items":{"type":"array","items":{"type":"integer"}}},
	"any":{"type":"array"},
	"opts":{"type":"object","properties":{"limit":{"type":"integer","default":10},"deep":{"type":"boolean"}},"additionalProperties":false},
	"free":{"type":"object"}},
	"required":["text"],
	"additionalProperties":false}`

func TestValidate(t *testing.T) {
	s := mustSchema(t, richSchema)
	tests := []struct {
		name      string
		args      map[string]any
		wantField string // "" = valid
		wantMsg   string
		want      map[string]any // expected result when valid
	}{
		{name: "minimal gets default", args: map[string]any{"text": "hi"},
			want: map[string]any{"text": "hi", "mode": "upper"}},
		{name: "all present", args: map[string]any{"text": "héllo", "mode": "lower", "n": 1.5, "count": 3, "flag": true,
			"tags": []any{"a", "bc"}, "matrix": []any{[]any{1.0, 2}}, "any": []any{nil, "x", 1}, "free": map[string]any{"z": 1}}},
		{name: "typed slices", args: map[string]any{"text": "a", "mode": "upper", "tags": []string{"x"}, "any": []float64{1, 2}}},
		{name: "integral float is integer", args: map[string]any{"text": "a", "mode": "upper", "count": 4.0}},
		{name: "json.Number", args: map[string]any{"text": "a", "mode": "upper", "count": json.Number("4"), "n": json.Number("0.5")}},
		{name: "nested default", args: map[string]any{"text": "a", "opts": map[string]any{"deep": true}},
			want: map[string]any{"text": "a", "mode": "upper", "opts": map[string]any{"deep": true, "limit": 10.0}}},
		{name: "nil args", args: nil, wantField: "text", wantMsg: "missing required argument"},
		{name: "missing required", args: map[string]any{"mode": "upper"}, wantField: "text", wantMsg: "missing required argument"},
		{name: "string type", args: map[string]any{"text": 3}, wantField: "text", wantMsg: "want string, got number"},
		{name: "null is not a string", args: map[string]any{"text": nil}, wantField: "text", wantMsg: "want string, got null"},
		{name: "invalid utf8", args: map[string]any{"text": "a\xff"}, wantField: "text", wantMsg: "string is not valid UTF-8"},
		{name: "too short", args: map[string]any{"text": ""}, wantField: "text", wantMsg: "must be at least 1 character long, got 0"},
		{name: "too long counts characters", args: map[string]any{"text": "éééééé"}, wantField: "text", wantMsg: "must be at most 5 characters long, got 6"},
		{name: "enum", args: map[string]any{"text": "a", "mode": "title"}, wantField: "mode", wantMsg: `must be one of "upper", "lower", got "title"`},
		{name: "number type", args: map[string]any{"text": "a", "n": "1"}, wantField: "n", wantMsg: "want number, got string"},
		{name: "below minimum", args: map[string]any{"text": "a", "n": -2}, wantField: "n", wantMsg: "must be >= -1, got -2"},
		{name: "above maximum", args: map[string]any{"text": "a", "n": 1.75}, wantField: "n", wantMsg: "must be <= 1.5, got 1.75"},
		{name: "NaN", args: map[string]any{"text": "a", "n": math.NaN()}, wantField: "n", wantMsg: "want a finite number, got NaN"},
		{name: "infinity", args: map[string]any{"text": "a", "count": math.Inf(1)}, wantField: "count", wantMsg: "want a finite integer, got +Inf"},
		{name: "not integral", args: map[string]any{"text": "a", "count": 2.5}, wantField: "count", wantMsg: "want integer, got number 2.5"},
		{name: "integer minimum", args: map[string]any{"text": "a", "count": int64(-1)}, wantField: "count", wantMsg: "must be >= 0, got -1"},
		{name: "boolean", args: map[string]any{"text": "a", "flag": "true"}, wantField: "flag", wantMsg: "want boolean, got string"},
		{name: "array type", args: map[string]any{"text": "a", "tags": "x"}, wantField: "tags", wantMsg: "want array, got string"},
		{name: "min items", args: map[string]any{"text": "a", "tags": []any{}}, wantField: "tags", wantMsg: "must have at least 1 item, got 0"},
		{name: "max items", args: map[string]any{"text": "a", "tags": []string{"a", "b", "c", "d"}}, wantField: "tags", wantMsg: "must have at most 3 items, got 4"},
		{name: "item type", args: map[string]any{"text": "a", "tags": []any{"a", "b", 3}}, wantField: "tags[2]", wantMsg: "want string, got number"},
		{name: "typed item constraint", args: map[string]any{"text": "a", "tags": []string{"a", "long"}}, wantField: "tags[1]", wantMsg: "must be at most 3 characters long, got 4"},
		{name: "nested array path", args: map[string]any{"text": "a", "matrix": []any{[]any{1}, []any{2, 2.5}}}, wantField: "matrix[1][1]", wantMsg: "want integer, got number 2.5"},
		{name: "object type", args: map[string]any{"text": "a", "opts": []any{}}, wantField: "opts", wantMsg: "want object, got array"},
		{name: "nested path", args: map[string]any{"text": "a", "opts": map[string]any{"limit": "x"}}, wantField: "opts.limit", wantMsg: "want integer, got string"},
		{name: "nested unknown", args: map[string]any{"text": "a", "opts": map[string]any{"limt": 1}}, wantField: "opts.limt", wantMsg: "unknown argument (known: deep, limit)"},
		{name: "unknown argument", args: map[string]any{"text": "a", "txt": "b"}, wantField: "txt", wantMsg: "unknown argument (known: any, count, flag, free, matrix, mode, n, opts, tags, text)"},
		{name: "odd names are quoted", args: map[string]any{"text": "a", "a.b": 1}, wantField: `["a.b"]`, wantMsg: "unknown argument (known: any, count, flag, free, matrix, mode, n, opts, tags, text)"},
		{name: "empty name is quoted", args: map[string]any{"text": "a", "opts": map[string]any{"": 1}}, wantField: `opts[""]`, wantMsg: "unknown argument (known: deep, limit)"},
		{name: "unsupported Go type", args: map[string]any{"text": struct{}{}}, wantField: "text", wantMsg: "want string, got unsupported Go type struct {}"},
		// Several errors: the smallest path wins, whatever the map order.
		{name: "first of several", args: map[string]any{"text": 1, "n": "x", "count": 0.5, "zzz": 1}, wantField: "count", wantMsg: "want integer, got number 0.5"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := canonical(t, tt.args)
			for range 20 { // map order varies between runs; the answer must not
				got, err := s.Validate(tt.args)
				if tt.wantField != "" {
					var fe *FieldError
					if !errors.As(err, &fe) {
						t.Fatalf("Validate() error = %v, want *FieldError", err)
					}
					if fe.Field != tt.wantField || fe.Msg != tt.wantMsg {
						t.Fatalf("Validate() = {%q, %q}, want {%q, %q}", fe.Field, fe.Msg, tt.wantField, tt.wantMsg)
					}
					if got != nil {
						t.Fatalf("Validate() returned args %v with an error", got)
					}
					continue
				}
				if err != nil {
					t.Fatalf("Validate() = %v, want nil", err)
				}
				want := tt.want
				if want == nil {
					want = tt.args
				}
				if !reflect.DeepEqual(got, want) {
					t.Fatalf("Validate() = %#v, want %#v", got, want)
				}
			}
			if after := canonical(t, tt.args); after != before {
				t.Fatalf("Validate modified its input: %s -> %s", before, after)
			}
		})
	}
}

func TestFieldErrorMessage(t *testing.T) {
	s := mustSchema(t, `{"type":"object","properties":{"text":{"type":"string"}}}`)
	_, err := s.Validate(map[string]any{"text": 1.0})
	if got, want := err.Error(), `argument "text": want string, got number`; got != want {
		t.Fatalf("Error() = %q, want %q", got, want)
	}
}

func TestValidateReturnsSameMap(t *testing.T) {
	s := mustSchema(t, `{"type":"object","properties":{"text":{"type":"string"},"n":{"type":"integer","default":1}}}`)
	args := map[string]any{"text": "x", "n": 2}
	got, err := s.Validate(args)
	if err != nil {
		t.Fatal(err)
	}
	got["marker"] = true // same map: visible through args
	if _, ok := args["marker"]; !ok {
		t.Fatal("Validate copied args although no default was missing")
	}
	allocs := testing.AllocsPerRun(100, func() {
		if _, err := s.Validate(args); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Fatalf("Validate allocated %v times per call, want 0", allocs)
	}
}

func TestValidateDefaultIsNotShared(t *testing.T) {
	s := mustSchema(t, `{"type":"object","properties":{"list":{"type":"array","default":["a"]}}}`)
	first, err := s.Validate(nil)
	if err != nil {
		t.Fatal(err)
	}
	first["list"].([]any)[0] = "mutated"
	second, err := s.Validate(map[string]any{})
	if err != nil {
		t.Fatal(err)
	}
	if got := second["list"].([]any)[0]; got != "a" {
		t.Fatalf("default was shared between calls: got %v", got)
	}
}

func TestValidateNilSchema(t *testing.T) {
	var s *Schema
	args := map[string]any{"anything": []int{1}}
	got, err := s.Validate(args)
	if err != nil || !reflect.DeepEqual(got, args) {
		t.Fatalf("nil schema Validate = %v, %v", got, err)
	}
}

func TestValidateDeepNesting(t *testing.T) {
	// A schema nested deeper than the limit reports an error instead of
	// overflowing the stack (Check rejects it too).
	p := &Property{Type: "array"}
	root := p
	for range maxDepth + 5 {
		p.Items = &Property{Type: "array"}
		p = p.Items
	}
	s := &Schema{Type: "object", Properties: map[string]*Property{"a": root}}
	if err := s.Check(); err == nil {
		t.Fatal("Check accepted a schema nested beyond the limit")
	}
	var v any = []any{}
	for range maxDepth + 5 {
		v = []any{v}
	}
	_, err := s.Validate(map[string]any{"a": v})
	var fe *FieldError
	if !errors.As(err, &fe) || fe.Msg != "nested more than 1000 levels deep" {
		t.Fatalf("Validate = %v, want nesting error", err)
	}
}

// canonical renders v deterministically (fmt sorts map keys) to detect
// modifications of a test's input.
func canonical(t testing.TB, v map[string]any) string {
	t.Helper()
	return fmt.Sprintf("%#v", v)
}
