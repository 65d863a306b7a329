package declared_test

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/agentdash/agentdash/internal/config"
	"github.com/agentdash/agentdash/internal/declared"
	"github.com/agentdash/agentdash/internal/schema"
)

func jsonSchema(t testing.TB, src string) config.JSONSchema {
	t.Helper()
	var s config.JSONSchema
	if err := json.Unmarshal([]byte(src), &s); err != nil {
		t.Fatal(err)
	}
	return s
}

func TestCovered(t *testing.T) {
	for _, tc := range []struct {
		schema string
		want   bool
	}{
		{`{"type":"object"}`, true},
		{`{"$schema":"https://json-schema.org/draft/2020-12/schema","type":"object","properties":{"m":{"type":"string","description":"d"}},"required":["m"],"additionalProperties":false}`, true},
		{`{"$schema":"http://json-schema.org/draft-07/schema#","type":"object","properties":{"n":{"type":"integer","minimum":1}}}`, true},
		{`{"type":"object","properties":{"o":{"type":"object","properties":{"a":{"type":"array","items":{"type":"number","enum":[1,2]}}}}}}`, true},
		// Draft 4's integer is not the subset's.
		{`{"$schema":"http://json-schema.org/draft-04/schema#","type":"object"}`, false},
		{`{"$schema":5,"type":"object"}`, false},
		// Keywords outside the subset, at any level, even annotations.
		{`{"type":"object","title":"t"}`, false},
		{`{"type":"object","properties":{"s":{"type":"string","pattern":"^a"}}}`, false},
		{`{"type":"object","properties":{"s":{"type":"string","format":"email"}}}`, false},
		{`{"type":"object","properties":{"o":{"type":"object","properties":{"s":{"type":"string","pattern":"^a"}}}}}`, false},
		{`{"type":"object","properties":{"a":{"type":"array","items":{"type":"string","pattern":"^a"}}}}`, false},
		{`{"type":"object","properties":{"a":{"type":"array","items":[{"type":"string"}]}}}`, false},
		{`{"type":"object","properties":{"a":true}}`, false},
		{`{"type":"object","properties":{"n":{"type":"number","exclusiveMinimum":0}}}`, false},
		// The decoding into the subset ignores case; JSON Schema does not.
		{`{"type":"object","properties":{"n":{"type":"number","Minimum":5}}}`, false},
		{`{"Type":"object"}`, false},
		{`{"type":"object","properties":{"x":{"$ref":"#/properties/y"},"y":{"type":"string"}}}`, false},
	} {
		s := jsonSchema(t, tc.schema)
		if got := declared.Covered(s); got != tc.want {
			t.Errorf("Covered(%s) = %v, want %v", tc.schema, got, tc.want)
		}
		if _, ok := declared.FastSchema(s); ok && !tc.want {
			t.Errorf("FastSchema(%s) fits, but the schema is not covered", tc.schema)
		}
	}
}

// covered are schemas of the fast subset, the keywords all used.
var covered = []string{
	`{"type":"object","properties":{"message":{"type":"string","description":"Message to echo"}},"required":["message"],"additionalProperties":false,"$schema":"http://json-schema.org/draft-07/schema#"}`,
	`{"type":"object","properties":{"s":{"type":"string","minLength":1,"maxLength":3},"n":{"type":"number","minimum":-1.5,"maximum":10},"i":{"type":"integer","minimum":0,"default":2},"b":{"type":"boolean"}},"required":["s"]}`,
	`{"type":"object","properties":{"e":{"enum":["a",1,null,[1,"x"],{"k":true}]},"c":{"type":"string","enum":["x","y"]},"any":{}},"additionalProperties":true}`,
	`{"type":"object","properties":{"a":{"type":"array","items":{"type":"integer","maximum":5},"minItems":1,"maxItems":3},"t":{"type":"array"}},"additionalProperties":false}`,
	`{"type":"object","properties":{"o":{"type":"object","properties":{"x":{"type":"number"},"y":{"type":"string","default":"d"}},"required":["x"],"additionalProperties":false},"p":{"type":"object"}}}`,
	`{"type":"object","properties":{"a":{"type":"array","items":{"type":"object","properties":{"k":{"type":"string","minLength":2}},"required":["k"]}}}}`,
}

// The fast subset alone decides as the full validator would, for every
// schema Covered accepts: the reason a covered tool's call is checked once.
func TestFastAgreesWithFull(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for i, src := range covered {
		s := jsonSchema(t, src)
		fast, full := compileBoth(t, s)
		keys := []string{"zz"}
		collectKeys(s, &keys)
		agreed, accepted := 0, 0
		for range 5000 {
			doc := map[string]any{}
			for range rng.IntN(5) {
				doc[keys[rng.IntN(len(keys))]] = randomValue(rng, keys, 3)
			}
			data, err := json.Marshal(doc)
			if err != nil {
				t.Fatal(err)
			}
			if ok := agree(t, fast, full, data); ok {
				accepted++
			}
			agreed++
		}
		if accepted == 0 || accepted == agreed {
			t.Errorf("schema %d: %d of %d documents accepted: the corpus does not test both verdicts", i, accepted, agreed)
		}
	}
}

// FuzzFastAgreesWithFull checks the same on arguments the fuzzer makes.
func FuzzFastAgreesWithFull(f *testing.F) {
	for i := range covered {
		for _, doc := range []string{`{}`, `{"message":"hi"}`, `{"s":"ab","n":1.0,"i":3}`, `{"i":1.5}`, `{"s":"αβγδ"}`,
			`{"e":[1,"x"],"c":"z"}`, `{"e":{"k":true}}`, `{"a":[1,2,6]}`, `{"a":[]}`, `{"o":{"x":1,"z":2}}`,
			`{"a":[{"k":"ab"},{"k":"a"}]}`, `{"n":1e300}`, `{"zz":null}`} {
			f.Add(uint8(i), []byte(doc))
		}
	}
	f.Fuzz(func(t *testing.T, which uint8, data []byte) {
		s := jsonSchema(t, covered[int(which)%len(covered)])
		fast, full := compileBoth(t, s)
		agree(t, fast, full, data)
	})
}

func compileBoth(t testing.TB, s config.JSONSchema) (*schema.Schema, interface{ Validate(any) error }) {
	t.Helper()
	if !declared.Covered(s) {
		t.Fatalf("not covered: %v", s)
	}
	fast, ok := declared.FastSchema(s)
	if !ok {
		t.Fatalf("no fast schema: %v", s)
	}
	full, err := s.Compile()
	if err != nil {
		t.Fatal(err)
	}
	return fast, full
}

// agree fails the test unless both validators give data the same verdict
// (and the full one accepts what the fast one made of it, defaults
// applied); it returns the verdict.
func agree(t testing.TB, fast *schema.Schema, full interface{ Validate(any) error }, data []byte) bool {
	t.Helper()
	args, err := schema.ParseArgs(data)
	if err != nil {
		return false // refused before any validator sees it
	}
	out, fastErr := fast.Validate(args)
	fullErr := full.Validate(map[string]any(args))
	if (fastErr == nil) != (fullErr == nil) {
		t.Fatalf("%s: fast says %v, full says %v", data, fastErr, fullErr)
	}
	if fastErr == nil {
		if err := full.Validate(map[string]any(out)); err != nil {
			t.Fatalf("%s: the defaults applied, the full validator refuses: %v", data, err)
		}
	}
	return fastErr == nil
}

// collectKeys gathers every property name of the schema.
func collectKeys(v any, keys *[]string) {
	switch v := v.(type) {
	case map[string]any:
		if props, ok := v["properties"].(map[string]any); ok {
			for k := range props {
				*keys = append(*keys, k)
			}
		}
		for _, w := range v {
			collectKeys(w, keys)
		}
	case config.JSONSchema:
		collectKeys(map[string]any(v), keys)
	}
}

// randomValue is a JSON value of the kinds the validators tell apart,
// near the schemas' bounds.
func randomValue(rng *rand.Rand, keys []string, depth int) any {
	n := 9
	if depth == 0 {
		n = 7
	}
	switch rng.IntN(n) {
	case 0:
		return nil
	case 1:
		return rng.IntN(2) == 0
	case 2:
		return []float64{-2, -1.5, 0, 1, 1.5, 2, 3, 5, 6, 10, 10.5, 1e300, -1e300}[rng.IntN(13)]
	case 3, 4:
		return strings.Repeat([]string{"a", "x", "y", "α", "d"}[rng.IntN(5)], rng.IntN(5))
	case 5:
		return []any{"a", "x", "y", 1.0, 1, true}[rng.IntN(6)]
	case 6:
		return fmt.Sprint(rng.IntN(3))
	case 7:
		a := make([]any, rng.IntN(5))
		for i := range a {
			a[i] = randomValue(rng, keys, depth-1)
		}
		if rng.IntN(4) == 0 {
			return []any{1.0, "x"}
		}
		return a
	default:
		m := map[string]any{}
		for range rng.IntN(4) {
			m[keys[rng.IntN(len(keys))]] = randomValue(rng, keys, depth-1)
		}
		if rng.IntN(4) == 0 {
			return map[string]any{"k": true}
		}
		return m
	}
}
