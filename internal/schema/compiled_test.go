package schema

import (
	"bytes"
	"errors"
	"reflect"
	"testing"
)

// TestCompiledAgrees checks that Compiled.Validate and AppendKey give
// exactly what Schema.Validate and AppendCanonical give, on every case of
// TestValidate's schema and on an open schema.
func TestCompiledAgrees(t *testing.T) {
	open := mustSchema(t, `{"type":"object","properties":{"a":{"type":"integer"},"b":{"type":"string","default":"x"}}}`)
	closed := mustSchema(t, richSchema)
	argsList := []map[string]any{
		nil, {}, {"text": "hi"}, {"text": "hi", "mode": "lower"}, {"text": 3}, {"text": "a", "zzz": 1},
		{"text": "a", "mode": "upper", "n": 1, "count": 2, "flag": true, "tags": []any{"x"}, "opts": map[string]any{"limit": 3}},
		{"text": "a", "mode": "upper", "opts": map[string]any{}}, {"a": 1, "b": "y"}, {"a": 1.5}, {"a": 1, "extra": []any{1, "z"}},
	}
	for _, s := range []*Schema{open, closed, nil} {
		c, err := s.Compile()
		if err != nil {
			t.Fatal(err)
		}
		if c.Schema() != s {
			t.Fatal("Schema() is not the compiled schema")
		}
		for _, args := range argsList {
			want, wantErr := s.Validate(args)
			got, gotErr := c.Validate(args)
			if !reflect.DeepEqual(got, want) || !reflect.DeepEqual(gotErr, wantErr) {
				t.Fatalf("Validate(%v): compiled %v, %v; schema %v, %v", args, got, gotErr, want, wantErr)
			}
			wantKey, wantKeyErr := AppendCanonical([]byte("k:"), args)
			gotKey, gotKeyErr := c.AppendKey([]byte("k:"), args)
			if !bytes.Equal(gotKey, wantKey) || (gotKeyErr == nil) != (wantKeyErr == nil) {
				t.Fatalf("AppendKey(%v) = %s, %v; AppendCanonical %s, %v", args, gotKey, gotKeyErr, wantKey, wantKeyErr)
			}
			// ValidateKey = Validate, then the key of the validated args.
			vout, vkey, verr := c.ValidateKey([]byte("k:"), args)
			if !reflect.DeepEqual(verr, wantErr) || !reflect.DeepEqual(vout, want) {
				t.Fatalf("ValidateKey(%v) = %v, %v; Validate %v, %v", args, vout, verr, want, wantErr)
			}
			if wantErr == nil {
				k, kerr := AppendCanonical([]byte("k:"), want)
				if !bytes.Equal(vkey, k) || kerr != nil {
					t.Fatalf("ValidateKey(%v) key %s, want %s", args, vkey, k)
				}
			}
		}
	}
}

func TestCompileRejectsBadSchema(t *testing.T) {
	if _, err := (&Schema{Type: "array"}).Compile(); err == nil {
		t.Fatal("Compile accepted a malformed schema")
	}
}

func TestCompiledKeyError(t *testing.T) {
	c, err := mustSchema(t, `{"type":"object","properties":{"o":{"type":"object"}},"additionalProperties":false}`).Compile()
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.AppendKey(nil, map[string]any{"o": map[string]any{"x": struct{}{}}})
	if err == nil || err.Error() != `"o": "x": unsupported type struct {}` {
		t.Fatalf("AppendKey error = %v", err)
	}
	var want error
	if _, want = AppendCanonical(nil, map[string]any{"o": map[string]any{"x": struct{}{}}}); want.Error() != err.Error() {
		t.Fatalf("messages differ: %v vs %v", err, want)
	}
	_ = errors.Unwrap(err)
}

func TestCompiledValidateAllocs(t *testing.T) {
	c, err := mustSchema(t, `{"type":"object","properties":{"text":{"type":"string","minLength":1}},"required":["text"],"additionalProperties":false}`).Compile()
	if err != nil {
		t.Fatal(err)
	}
	args := map[string]any{"text": "orfeas"}
	buf := make([]byte, 0, 64)
	allocs := testing.AllocsPerRun(200, func() {
		if _, err := c.Validate(args); err != nil {
			t.Fatal(err)
		}
		if buf, err = c.AppendKey(buf[:0], args); err != nil {
			t.Fatal(err)
		}
		if _, buf, err = c.ValidateKey(buf[:0], args); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Fatalf("%v allocs per Validate+AppendKey, want 0", allocs)
	}
}

func BenchmarkCompiledValidateKey(b *testing.B) {
	c, err := mustSchema(b, `{"type":"object","properties":{"text":{"type":"string","minLength":1}},"required":["text"],"additionalProperties":false}`).Compile()
	if err != nil {
		b.Fatal(err)
	}
	args := map[string]any{"text": "orfeas"}
	buf := make([]byte, 0, 64)
	b.ReportAllocs()
	for b.Loop() {
		if _, buf, err = c.ValidateKey(buf[:0], args); err != nil {
			b.Fatal(err)
		}
	}
}
