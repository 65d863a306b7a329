package schema

import (
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
)

func TestParseArgs(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    map[string]any
		wantErr string // full error text
	}{
		{name: "empty", in: "", want: map[string]any{}},
		{name: "whitespace", in: " \n\t", want: map[string]any{}},
		{name: "empty object", in: "{}", want: map[string]any{}},
		{name: "values", in: `{"text":"orfeas","a":2,"b":-3.5e1,"ok":true,"none":null,"list":[1,"x",[]],"o":{"k":{}}}`,
			want: map[string]any{"text": "orfeas", "a": 2.0, "b": -35.0, "ok": true, "none": nil,
				"list": []any{1.0, "x", []any{}}, "o": map[string]any{"k": map[string]any{}}}},
		{name: "escapes", in: `{"s":"a\"b\\c\u00e9\n"}`, want: map[string]any{"s": "a\"b\\cé\n"}},
		{name: "surrounding space", in: " \n {\"a\" : 1 } \n", want: map[string]any{"a": 1.0}},
		{name: "largest exact integer", in: `{"n":9007199254740992}`, want: map[string]any{"n": 9007199254740992.0}},
		{name: "big float is fine", in: `{"n":1e300}`, want: map[string]any{"n": 1e300}},
		{name: "array", in: `[1,2]`, wantErr: "invalid arguments at line 1, column 1: arguments must be a JSON object, got an array"},
		{name: "string", in: `  "x"`, wantErr: "invalid arguments at line 1, column 3: arguments must be a JSON object, got a string"},
		{name: "number", in: `12`, wantErr: "invalid arguments at line 1, column 1: arguments must be a JSON object, got a number"},
		{name: "null", in: "\nnull", wantErr: "invalid arguments at line 2, column 1: arguments must be a JSON object, got null"},
		{name: "boolean", in: `true`, wantErr: "invalid arguments at line 1, column 1: arguments must be a JSON object, got a boolean"},
		{name: "trailing comma", in: `{"a":1,}`, wantErr: "invalid arguments at line 1, column 8: invalid character '}' looking for beginning of object key string"},
		{name: "missing colon", in: "{\n  \"a\" 1}", wantErr: "invalid arguments at line 2, column 7: invalid character '1' after object key"},
		{name: "bad literal", in: `{"a":tru}`, wantErr: "invalid arguments at line 1, column 9: invalid character '}' in literal true (expecting 'e')"},
		{name: "column counts characters", in: `{"é":tru}`, wantErr: "invalid arguments at line 1, column 9: invalid character '}' in literal true (expecting 'e')"},
		{name: "truncated", in: `{"a":1`, wantErr: "invalid arguments at line 1, column 7: unexpected end of input"},
		{name: "truncated string", in: "{\"a\":\n\"x", wantErr: "invalid arguments at line 2, column 3: unexpected end of input"},
		{name: "leading zero", in: `{"a":01}`, wantErr: "invalid arguments at line 1, column 7: invalid character '1' after object key:value pair"},
		{name: "trailing data", in: `{"a":1} x`, wantErr: "invalid arguments at line 1, column 9: unexpected data after the JSON object"},
		{name: "two objects", in: "{}\n{}", wantErr: "invalid arguments at line 2, column 1: unexpected data after the JSON object"},
		{name: "duplicate key", in: `{"a":1, "b":2,  "a":3}`, wantErr: `invalid arguments at line 1, column 17: duplicate key "a"`},
		{name: "nested duplicate key", in: "{\"o\":{\n\"k\":1,\"k\":2}}", wantErr: `invalid arguments at line 2, column 7: duplicate key "k"`},
		{name: "escaped duplicate key", in: `{"a":1,"\u0061":2}`, wantErr: `invalid arguments at line 1, column 8: duplicate key "a"`},
		{name: "control character", in: "{\"a\":\"\x01\"}", wantErr: `invalid arguments at line 1, column 7: invalid character '\x01' in string literal`},
		{name: "out of range", in: `{"a":[1e400]}`, wantErr: "invalid arguments at line 1, column 7: number 1e400 is out of range"},
		{name: "underflow", in: `{"a":1.5e-400}`, wantErr: "invalid arguments at line 1, column 6: number 1.5e-400 is too small for float64 (it would become 0)"},
		{name: "inexact integer", in: `{"a":9007199254740993}`, wantErr: "invalid arguments at line 1, column 6: integer 9007199254740993 has no exact float64 representation (nearest is 9007199254740992)"},
		{name: "big exact integers", in: `{"a":100000000000000000,"b":-1152921504606846976}`, want: map[string]any{"a": 1e17, "b": -1152921504606846976.0}},
		{name: "huge inexact integer", in: `{"a":123456789012345678901234567890}`, wantErr: "invalid arguments at line 1, column 6: integer 123456789012345678901234567890 has no exact float64 representation (nearest is 123456789012345677877719597056)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseArgs([]byte(tt.in))
			if tt.wantErr != "" {
				if err == nil {
					t.Fatalf("ParseArgs(%q) = %v, want error %q", tt.in, got, tt.wantErr)
				}
				if err.Error() != tt.wantErr {
					t.Fatalf("ParseArgs(%q) error\n got %q\nwant %q", tt.in, err, tt.wantErr)
				}
				var pe *ParseError
				if !errors.As(err, &pe) {
					t.Fatalf("error %T is not a *ParseError", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseArgs(%q) = %v", tt.in, err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("ParseArgs(%q) = %#v, want %#v", tt.in, got, tt.want)
			}
		})
	}
}

func TestParseArgsDeepNesting(t *testing.T) {
	deep := make([]byte, 0, 30000)
	deep = append(deep, `{"a":`...)
	for range 20000 {
		deep = append(deep, '[')
	}
	_, err := ParseArgs(deep)
	var pe *ParseError
	if !errors.As(err, &pe) {
		t.Fatalf("ParseArgs(deep) = %v, want *ParseError", err)
	}
}

// Zero written any way, and numbers that round to a subnormal float64,
// are not underflows.
func TestParseArgsSmallNumbers(t *testing.T) {
	got, err := ParseArgs([]byte(`{"a": 0e-400, "b": -0.000, "c": 1e-320, "d": 12345678901234567890.5}`))
	if err != nil {
		t.Fatal(err)
	}
	if got["a"] != 0.0 || got["b"] != 0.0 || got["c"] != 1e-320 || got["d"] != 12345678901234567890.5 {
		t.Errorf("ParseArgs = %v", got)
	}
}

// Nesting is limited to the depth validation and cache keys accept, so
// that arguments which parse are never refused later for depth alone.
func TestParseArgsDepth(t *testing.T) {
	nested := func(n int) []byte {
		return []byte(`{"a":` + strings.Repeat("[", n-1) + strings.Repeat("]", n-1) + `}`)
	}
	v, err := ParseArgs(nested(maxDepth))
	if err != nil {
		t.Fatalf("depth %d: %v", maxDepth, err)
	}
	if _, err := AppendCanonical(nil, v); err != nil {
		t.Fatalf("depth %d parses but has no cache key: %v", maxDepth, err)
	}
	_, err = ParseArgs(nested(maxDepth + 1))
	var pe *ParseError
	if !errors.As(err, &pe) || !strings.Contains(err.Error(), "nested more than 1000 levels deep") || pe.Column != 1005 {
		t.Fatalf("depth %d: %v, want a ParseError at column 1005 (the 1001st level)", maxDepth+1, err)
	}
}

// Valid text is parsed in one pass (parseValid); any text it refuses is
// parsed again by parseExplained for the error. The two agree on every
// text that one pass accepts, and ParseArgs answers as parseExplained
// would for the others.
func TestParseArgsPathsAgree(t *testing.T) {
	texts := append(slices.Clone(fuzzSeeds),
		`{"a":{"b":[1,2,{"c":[]}]},"d":"\ud83d\ude00","e":false,"f":-1.25e-3}`,
		`{"a":"\ud800"}`, "{\"a\":\"\xff\"}", `{"a":1,"\u0061":2}`, `{"a":[1e-400]}`, "\ufeff{}",
		`{"a":`+strings.Repeat("[", maxDepth-1)+strings.Repeat("]", maxDepth-1)+`}`,
		`{"a":`+strings.Repeat("[", maxDepth)+strings.Repeat("]", maxDepth)+`}`)
	for _, text := range texts {
		data := []byte(text)
		start := skipSpace(data, 0)
		if start == len(data) {
			continue
		}
		want, wantErr := parseExplained(data, start)
		if got, ok := parseValid(data); ok {
			if wantErr != nil || !reflect.DeepEqual(got, want) {
				t.Errorf("%q: one pass gives %v, the explained parse %v, %v", text, got, want, wantErr)
			}
			continue
		}
		got, err := ParseArgs(data)
		if !reflect.DeepEqual(got, want) || fmt.Sprint(err) != fmt.Sprint(wantErr) {
			t.Errorf("%q: ParseArgs = %v, %v; want %v, %v", text, got, err, want, wantErr)
		}
	}
}

// BenchmarkParseArgs: a tool call's arguments, small and nested, parsed
// by ParseArgs (one pass) and by the two passes of parseExplained alone.
func BenchmarkParseArgs(b *testing.B) {
	for _, tc := range []struct{ name, text string }{
		{"small", `{"message":"hello"}`},
		{"nested", `{"path":"/tmp/x","limit":10,"tags":["a","b"],"opts":{"deep":true}}`},
	} {
		data := []byte(tc.text)
		b.Run(tc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := ParseArgs(data); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(tc.name+"/explained", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := parseExplained(data, 0); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
