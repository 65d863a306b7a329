package schema

import (
	"encoding/json"
	"fmt"
	"math"
	"strings"
	"testing"
)

func TestAppendCanonical(t *testing.T) {
	tests := []struct {
		name    string
		in      any
		want    string
		wantErr string
	}{
		{name: "null", in: nil, want: `null`},
		{name: "bools", in: []any{true, false}, want: `[true,false]`},
		{name: "sorted keys", in: map[string]any{"b": 1, "a": 2, "": 3, "B": 4, "é": 5}, want: `{"":3,"B":4,"a":2,"b":1,"é":5}`},
		{name: "nested", in: map[string]any{"z": map[string]any{"y": []any{}, "x": map[string]any{}}, "a": []any{nil}}, want: `{"a":[null],"z":{"x":{},"y":[]}}`},
		{name: "floats", in: []any{1.5, 0.1, 1e21, 1e-7, 100.0, 1e6, float32(0.5)}, want: `[1.5,0.1,1e+21,1e-07,100,1e+06,0.5]`},
		{name: "float32 keeps its exact value", in: float32(0.1), want: `0.10000000149011612`},
		{name: "negative zero", in: math.Copysign(0, -1), want: `0`},
		{name: "ints equal floats", in: []any{int(2), int8(-3), int16(4), int32(5), int64(6), uint(7), uint8(8), uint16(9), uint32(10), uint64(11), 2.0},
			want: `[2,-3,4,5,6,7,8,9,10,11,2]`},
		{name: "int within 2^53 like float", in: int64(1 << 53), want: `9.007199254740992e+15`},
		{name: "big int exact", in: []any{int64(1<<53 + 1), uint64(math.MaxUint64), int64(math.MinInt64)},
			want: `[9007199254740993,18446744073709551615,-9223372036854775808]`},
		{name: "json.Number", in: []any{json.Number("2"), json.Number("2.50"), json.Number("-0"), json.Number("123456789012345678901234567890"), json.Number("1E2")},
			want: `[2,2.5,0,123456789012345678901234567890,100]`},
		{name: "typed slices", in: map[string]any{"s": []string{"a", "b"}, "f": []float64{1, 2.5}}, want: `{"f":[1,2.5],"s":["a","b"]}`},
		{name: "escapes", in: "q\"b\\n\n\r\t\b\f\x01\x1f</>&é\u2028", want: `"q\"b\\n\n\r\t\b\f\u0001\u001f</>&é` + "\u2028" + `"`},
		{name: "escaped key", in: map[string]any{"a\"b": 1}, want: `{"a\"b":1}`},
		{name: "invalid utf8", in: "a\xffb", wantErr: "string is not valid UTF-8"},
		{name: "invalid utf8 key", in: map[string]any{"k\xff": 1}, wantErr: "string is not valid UTF-8"},
		{name: "NaN", in: map[string]any{"a": []any{math.NaN()}}, wantErr: `"a": [0]: number NaN has no JSON encoding`},
		{name: "Inf in []float64", in: []float64{1, math.Inf(-1)}, wantErr: `[1]: number -Inf has no JSON encoding`},
		{name: "bad json.Number", in: json.Number("0x10"), wantErr: `json.Number "0x10" is not a valid JSON number`},
		{name: "json.Number out of range", in: json.Number("1e999"), wantErr: `json.Number "1e999" is out of range`},
		{name: "unsupported", in: map[string]any{"t": struct{}{}}, wantErr: `"t": unsupported type struct {}`},
		{name: "unsupported slice", in: []int{1}, wantErr: `unsupported type []int`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := AppendCanonical([]byte("prefix:"), tt.in)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("AppendCanonical() error = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("AppendCanonical() = %v", err)
			}
			if string(got) != "prefix:"+tt.want {
				t.Fatalf("AppendCanonical()\n got %s\nwant prefix:%s", got, tt.want)
			}
			if !json.Valid(got[len("prefix:"):]) {
				t.Fatalf("output %s is not valid JSON", got)
			}
		})
	}
}

func TestAppendCanonicalCycle(t *testing.T) {
	m := map[string]any{}
	m["self"] = m
	if _, err := AppendCanonical(nil, m); err == nil || !strings.Contains(err.Error(), "cyclic value") {
		t.Fatalf("AppendCanonical(cycle) = %v, want nesting error", err)
	}
	a := []any{nil}
	a[0] = a
	if _, err := AppendCanonical(nil, a); err == nil {
		t.Fatal("AppendCanonical(cyclic slice) succeeded")
	}
}

func TestAppendCanonicalKeyOrder(t *testing.T) {
	// The same logical object built in different insertion orders has the
	// same encoding (Go maps also randomize iteration per range).
	keys := []string{"alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta", "iota", "kappa",
		"lambda", "mu", "nu", "xi", "omicron", "pi", "rho", "sigma", "tau", "upsilon"} // > smallObject
	var want string
	for i := range 10 {
		m := map[string]any{}
		for j := range keys {
			k := keys[(i*7+j)%len(keys)]
			m[k] = len(k)
		}
		got, err := AppendCanonical(nil, m)
		if err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			want = string(got)
		} else if string(got) != want {
			t.Fatalf("encoding depends on insertion order:\n%s\n%s", got, want)
		}
	}
}

func TestAppendCanonicalAllocs(t *testing.T) {
	buf := make([]byte, 0, 256)
	cases := map[string]any{
		"small map":    map[string]any{"text": "orfeas"},
		"mixed values": map[string]any{"a": 2.0, "b": 3, "s": []any{"x", true, nil}, "o": map[string]any{"k": "v"}},
	}
	for name, v := range cases {
		allocs := testing.AllocsPerRun(200, func() {
			var err error
			if buf, err = AppendCanonical(buf[:0], v); err != nil {
				t.Fatal(err)
			}
		})
		if allocs != 0 {
			t.Errorf("%s: %v allocs per call, want 0", name, allocs)
		}
	}
}

func BenchmarkAppendCanonical(b *testing.B) {
	args := map[string]any{"text": "orfeas"}
	buf := make([]byte, 0, 64)
	b.ReportAllocs()
	for b.Loop() {
		buf, _ = AppendCanonical(buf[:0], args)
	}
}

func BenchmarkValidate(b *testing.B) {
	s := mustSchema(b, `{"type":"object","properties":{"text":{"type":"string","minLength":1}},"required":["text"],"additionalProperties":false}`)
	args := map[string]any{"text": "orfeas"}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.Validate(args); err != nil {
			b.Fatal(err)
		}
	}
}

// A value nested too deep (a cycle) gives a short error, not one path
// element per level.
func TestCanonicalTooDeepErrorIsShort(t *testing.T) {
	cyclic := map[string]any{}
	cyclic["a"] = []any{cyclic}
	_, err := AppendCanonical(nil, cyclic)
	if err == nil || len(err.Error()) > 100 || !strings.Contains(err.Error(), "nested more than 1000 levels deep") {
		t.Fatalf("error %q (%d bytes)", err, len(fmt.Sprint(err)))
	}
}
