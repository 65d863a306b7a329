package schema

import (
	"encoding/json"
	"strings"
	"testing"
)

// mustSchema decodes a schema from JSON (the way an MCP client would send
// it) and fails the test if it is malformed.
func mustSchema(t testing.TB, text string) *Schema {
	t.Helper()
	var s Schema
	if err := json.Unmarshal([]byte(text), &s); err != nil {
		t.Fatalf("decode schema %s: %v", text, err)
	}
	if err := s.Check(); err != nil {
		t.Fatalf("check schema %s: %v", text, err)
	}
	return &s
}

func TestCheck(t *testing.T) {
	tests := []struct {
		name    string
		schema  string
		wantErr string // "" = valid
	}{
		{"empty object", `{"type":"object"}`, ""},
		{"all types", `{"type":"object","properties":{
			"s":{"type":"string","minLength":1,"maxLength":5,"default":"ab","examples":["x"]},
			"n":{"type":"number","minimum":-1.5,"maximum":2},
			"i":{"type":"integer","enum":[1,2,3]},
			"b":{"type":"boolean","default":true},
			"a":{"type":"array","items":{"type":"string"},"minItems":0,"maxItems":3},
			"o":{"type":"object","properties":{"x":{"type":"integer"}},"required":["x"],"additionalProperties":false}},
			"required":["n"],"additionalProperties":false}`, ""},
		{"missing type", `{}`, `type must be "object", got ""`},
		{"not object", `{"type":"array"}`, `type must be "object", got "array"`},
		{"property without type accepts any value", `{"type":"object","properties":{"a":{}}}`, ""},
		{"untyped property with minimum", `{"type":"object","properties":{"a":{"minimum":1}}}`, `property "a": minimum/maximum are only allowed on a number or integer, not on a property without a type`},
		{"untyped property with items", `{"type":"object","properties":{"a":{"items":{"type":"string"}}}}`, `items is only allowed on an array, not on a property without a type`},
		{"unknown property type", `{"type":"object","properties":{"a":{"type":"strnig"}}}`, `property "a": unknown type "strnig"`},
		{"null property", `{"type":"object","properties":{"a":null}}`, `property "a": is null`},
		{"empty property name", `{"type":"object","properties":{"":{"type":"string"}}}`, `empty name`},
		{"required unknown", `{"type":"object","properties":{"a":{"type":"string"}},"required":["b"]}`, `required argument "b" is not among the properties (a)`},
		{"required twice", `{"type":"object","properties":{"a":{"type":"string"}},"required":["a","a"]}`, `required argument "a" is listed twice`},
		{"required with default", `{"type":"object","properties":{"a":{"type":"string","default":"x"}},"required":["a"]}`, `property "a": has a default but is required`},
		{"default wrong type", `{"type":"object","properties":{"a":{"type":"string","default":3}}}`, `property "a": default 3 is invalid: want string, got number`},
		{"default not integer", `{"type":"object","properties":{"a":{"type":"integer","default":1.5}}}`, `default 1.5 is invalid: want integer`},
		{"default below minimum", `{"type":"object","properties":{"a":{"type":"number","minimum":2,"default":1}}}`, `default 1 is invalid: must be >= 2`},
		{"default not in enum", `{"type":"object","properties":{"a":{"type":"string","enum":["x"],"default":"y"}}}`, `default "y" is invalid: must be one of "x"`},
		{"example wrong type", `{"type":"object","properties":{"a":{"type":"boolean","examples":[true,"no"]}}}`, `examples[1] "no" is invalid: want boolean, got string`},
		{"empty enum", `{"type":"object","properties":{"a":{"type":"string","enum":[]}}}`, `enum is empty`},
		{"enum wrong type", `{"type":"object","properties":{"a":{"type":"string","enum":["x",1]}}}`, `enum[1]: want string, got number`},
		{"enum repeats", `{"type":"object","properties":{"a":{"type":"number","enum":[1,2,1.0]}}}`, `enum[2] repeats the value 1`},
		{"minimum on string", `{"type":"object","properties":{"a":{"type":"string","minimum":1}}}`, `minimum/maximum are only allowed on a number or integer, not on string`},
		{"minimum above maximum", `{"type":"object","properties":{"a":{"type":"number","minimum":3,"maximum":2}}}`, `minimum 3 is greater than maximum 2`},
		{"minLength on number", `{"type":"object","properties":{"a":{"type":"number","minLength":1}}}`, `minLength/maxLength are not allowed on number`},
		{"negative maxLength", `{"type":"object","properties":{"a":{"type":"string","maxLength":-1}}}`, `maxLength must not be negative`},
		{"minLength above maxLength", `{"type":"object","properties":{"a":{"type":"string","minLength":4,"maxLength":2}}}`, `minLength 4 is greater than maxLength 2`},
		{"minItems on string", `{"type":"object","properties":{"a":{"type":"string","minItems":1}}}`, `minItems/maxItems are not allowed on string`},
		{"negative minItems", `{"type":"object","properties":{"a":{"type":"array","minItems":-2}}}`, `minItems must not be negative`},
		{"items on string", `{"type":"object","properties":{"a":{"type":"string","items":{"type":"string"}}}}`, `items is only allowed on an array`},
		{"bad items", `{"type":"object","properties":{"a":{"type":"array","items":{"type":"date"}}}}`, `property "a[]": unknown type "date"`},
		{"properties on array", `{"type":"object","properties":{"a":{"type":"array","properties":{}}}}`, `only allowed on an object, not on array`},
		{"nested bad type", `{"type":"object","properties":{"o":{"type":"object","properties":{"x":{"type":"int"}}}}}`, `property "o.x": unknown type "int"`},
		{"nested required unknown", `{"type":"object","properties":{"o":{"type":"object","properties":{"x":{"type":"integer"}},"required":["y"]}}}`, `property "o": required argument "y"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var s Schema
			if err := json.Unmarshal([]byte(tt.schema), &s); err != nil {
				t.Fatalf("decode: %v", err)
			}
			err := s.Check()
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("Check() = %v, want nil", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("Check() = nil, want error containing %q", tt.wantErr)
			}
			if !strings.Contains(err.Error(), tt.wantErr) || !strings.HasPrefix(err.Error(), "schema: ") {
				t.Fatalf("Check() = %q, want it to start with \"schema: \" and contain %q", err, tt.wantErr)
			}
		})
	}
}

func TestCheckGoValues(t *testing.T) {
	nan := 0.0
	nan /= nan
	tests := []struct {
		name    string
		s       *Schema
		wantErr string
	}{
		{"nil schema", nil, ""},
		{"NaN minimum", &Schema{Type: "object", Properties: map[string]*Property{"a": {Type: "number", Minimum: &nan}}}, "minimum must be a finite number"},
		{"int default for integer", &Schema{Type: "object", Properties: map[string]*Property{"a": {Type: "integer", Default: 3}}}, ""},
		{"int default for string", &Schema{Type: "object", Properties: map[string]*Property{"a": {Type: "string", Default: 3}}}, "want string, got number"},
		{"unsupported default", &Schema{Type: "object", Properties: map[string]*Property{"a": {Type: "string", Default: struct{}{}}}}, "got unsupported Go type struct {}"},
	}
	cyclic := &Property{Type: "array"}
	cyclic.Items = cyclic
	tests = append(tests, struct {
		name    string
		s       *Schema
		wantErr string
	}{"cyclic items", &Schema{Type: "object", Properties: map[string]*Property{"a": cyclic}}, "cyclic schema"})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.s.Check()
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("Check() = %v, want nil", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("Check() = %v, want error containing %q", err, tt.wantErr)
			}
		})
	}
}

// TestSchemaJSONRoundTrip: a schema encodes back to the JSON it was
// decoded from, so that it can be exported (abilities --json, an MCP
// tool's inputSchema) as valid JSON Schema.
func TestSchemaJSONRoundTrip(t *testing.T) {
	for _, text := range []string{
		`{"type":"object","properties":{"text":{"type":"string","description":"d","minLength":1}},"required":["text"],"additionalProperties":false}`,
		// A property of any type has no "type" keyword at all: "type": ""
		// is not a JSON Schema type.
		`{"type":"object","properties":{"x":{"description":"a number or an array"}},"required":["x"]}`,
		`{"type":"object","properties":{"xs":{"type":"array","items":{"description":"anything"}}}}`,
	} {
		s := mustSchema(t, text)
		b, err := json.Marshal(s)
		if err != nil {
			t.Fatal(err)
		}
		if string(b) != text {
			t.Errorf("Marshal = %s\nwant      %s", b, text)
		}
	}
}

func TestNumber(t *testing.T) {
	tests := []struct {
		v    any
		want float64
		ok   bool
	}{
		{2.5, 2.5, true}, {float32(0.5), 0.5, true}, {int(-3), -3, true}, {int8(4), 4, true},
		{int16(5), 5, true}, {int32(6), 6, true}, {int64(7), 7, true}, {uint(8), 8, true},
		{uint8(9), 9, true}, {uint16(10), 10, true}, {uint32(11), 11, true}, {uint64(12), 12, true},
		{json.Number("1e3"), 1000, true}, {json.Number("x"), 0, false}, {"1", 0, false}, {nil, 0, false}, {true, 0, false},
	}
	for _, tt := range tests {
		got, ok := Number(tt.v)
		if got != tt.want || ok != tt.ok {
			t.Errorf("Number(%#v) = %v, %v; want %v, %v", tt.v, got, ok, tt.want, tt.ok)
		}
	}
}
