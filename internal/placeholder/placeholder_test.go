package placeholder

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

func TestParseRender(t *testing.T) {
	args := map[string]any{"city": "São Paulo", "n": 3.0, "big": 1e21, "int": 1048577.0, "frac": 0.000001, "ok": true, "html": "<&>",
		"obj": map[string]any{"b": 1.0, "a": []any{"x", nil}}, "null": nil}
	tests := []struct {
		in, want string
		names    []string
	}{
		{"", "", nil},
		{"plain }} text {", "plain }} text {", nil},
		{"--city={{city}}", "--city=São Paulo", []string{"city"}},
		{"{{ n }}/{{n}}", "3/3", []string{"n"}},
		{"{{big}} {{ok}} {{null}}", "1e+21 true null", []string{"big", "null", "ok"}},
		{"{{obj}}", `{"a":["x",null],"b":1}`, []string{"obj"}},
		{"{{int}} {{frac}} {{html}}", "1048577 0.000001 <&>", []string{"frac", "html", "int"}},
	}
	for _, tt := range tests {
		tpl, err := Parse(tt.in)
		if err != nil {
			t.Fatalf("Parse(%q): %v", tt.in, err)
		}
		if got := tpl.Names(); !slices.Equal(got, tt.names) {
			t.Errorf("Parse(%q).Names() = %q, want %q", tt.in, got, tt.names)
		}
		if tpl.String() != tt.in {
			t.Errorf("Parse(%q).String() = %q", tt.in, tpl.String())
		}
		got, err := tpl.Render(args, nil)
		if err != nil || got != tt.want {
			t.Errorf("Parse(%q).Render = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
}

func TestRenderEscapeAndMissing(t *testing.T) {
	tpl, err := Parse("a={{a}}&b={{b}}")
	if err != nil {
		t.Fatal(err)
	}
	got, err := tpl.Render(map[string]any{"a": "x y", "b": 2.5}, strings.ToUpper)
	if err != nil || got != "a=X Y&b=2.5" {
		t.Errorf("Render with escape = %q, %v", got, err)
	}
	_, err = tpl.Render(map[string]any{"a": "x"}, nil)
	if !errors.Is(err, ErrMissing) || !strings.Contains(err.Error(), `"b"`) {
		t.Errorf("Render without b: %v, want ErrMissing naming b", err)
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct{ in, want string }{
		{"--x={{x", `offset 4: "{{" is not closed`},
		{"{{}}", "offset 0: placeholder {{}}: no argument name"},
		{"ab{{ 1x }}", `offset 2: placeholder {{ 1x }}: character '1' at position 1`},
		{"{{a b}}", `character ' ' at position 2`},
		{"{{x}}{{$y}}", `offset 5: placeholder {{$y}}`},
	}
	for _, tt := range tests {
		_, err := Parse(tt.in)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Parse(%q) = %v, want an error containing %q", tt.in, err, tt.want)
		}
	}
}

// FuzzParse checks that a template that parses prints back as written and
// renders each placeholder as its argument.
func FuzzParse(f *testing.F) {
	for _, s := range []string{"", "--city={{city}}", "{{ a }}{{b}}}}", "{{", "{{a}", "x{{.}}"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		tpl, err := Parse(s)
		if err != nil {
			return
		}
		if tpl.String() != s {
			t.Fatalf("String() = %q, want %q", tpl.String(), s)
		}
		args := map[string]any{}
		for _, n := range tpl.Names() {
			args[n] = "<" + n + ">"
		}
		got, err := tpl.Render(args, nil)
		if err != nil {
			t.Fatal(err)
		}
		var want strings.Builder
		for _, p := range tpl.Parts() {
			if p.Name != "" {
				want.WriteString("<" + p.Name + ">")
			} else {
				if strings.Contains(p.Text, "{{") {
					t.Fatalf("literal part %q holds {{", p.Text)
				}
				want.WriteString(p.Text)
			}
		}
		if got != want.String() {
			t.Fatalf("Render = %q, want %q", got, want.String())
		}
	})
}
