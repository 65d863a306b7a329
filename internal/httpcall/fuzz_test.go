package httpcall

import (
	"strings"
	"testing"
)

// FuzzParseEnvRefs checks that a header value that parses is its parts put
// back together, with no "${" left in its literal text.
func FuzzParseEnvRefs(f *testing.F) {
	for _, s := range []string{"", "Bearer ${TOKEN}", "$5 ${A}${B_2}$HOME", "${", "${}", "${1}", "a}b${c}"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		h, err := parseEnvRefs(s)
		if err != nil {
			return
		}
		var b strings.Builder
		for _, p := range h.parts {
			if p.env {
				if !validEnvName(p.text) {
					t.Fatalf("variable %q is not a valid name", p.text)
				}
				b.WriteString("${" + p.text + "}")
				continue
			}
			if strings.Contains(p.text, "${") || p.text == "" {
				t.Fatalf("literal part %q", p.text)
			}
			b.WriteString(p.text)
		}
		if b.String() != s {
			t.Fatalf("parts give %q, want %q", b.String(), s)
		}
	})
}
