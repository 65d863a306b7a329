package schema

import (
	"testing"
)

func TestExample(t *testing.T) {
	tests := []struct {
		name   string
		schema string
		want   string // canonical JSON of Example()
	}{
		{"empty", `{"type":"object"}`, `{}`},
		{"zero values", `{"type":"object","properties":{"s":{"type":"string"},"n":{"type":"number"},"i":{"type":"integer"},"b":{"type":"boolean"},"a":{"type":"array"},"o":{"type":"object"}}}`,
			`{"a":[],"b":false,"i":0,"n":0,"o":{},"s":""}`},
		{"default before example before enum", `{"type":"object","properties":{
			"d":{"type":"string","default":"dflt","examples":["ex"],"enum":["dflt","ex","en"]},
			"e":{"type":"string","examples":["ex"],"enum":["en","ex"]},
			"n":{"type":"string","enum":["en","ex"]}}}`,
			`{"d":"dflt","e":"ex","n":"en"}`},
		{"bounds", `{"type":"object","properties":{
			"s":{"type":"string","minLength":3},
			"pos":{"type":"number","minimum":0.5},
			"neg":{"type":"integer","maximum":-1.5},
			"ipos":{"type":"integer","minimum":2.5,"maximum":10},
			"arr":{"type":"array","minItems":2,"items":{"type":"integer","minimum":1}}}}`,
			`{"arr":[1,1],"ipos":3,"neg":-2,"pos":0.5,"s":"xxx"}`},
		{"nested object", `{"type":"object","properties":{"o":{"type":"object","properties":{"k":{"type":"boolean","default":true}}}}}`,
			`{"o":{"k":true}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := mustSchema(t, tt.schema)
			ex := s.Example()
			got, err := AppendCanonical(nil, ex)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tt.want {
				t.Fatalf("Example() = %s, want %s", got, tt.want)
			}
			if _, err := s.Validate(ex); err != nil {
				t.Fatalf("Example() does not validate: %v", err)
			}
		})
	}
	var nilSchema *Schema
	if ex := nilSchema.Example(); ex == nil || len(ex) != 0 {
		t.Fatalf("nil schema Example() = %v, want empty map", ex)
	}
}

func TestExampleDoesNotShareDefaults(t *testing.T) {
	s := mustSchema(t, `{"type":"object","properties":{"l":{"type":"array","default":[1]}}}`)
	s.Example()["l"].([]any)[0] = 2.0
	if got := s.Properties["l"].Default.([]any)[0]; got != 1.0 {
		t.Fatalf("Example exposed the schema's default: now %v", got)
	}
}
