package configedit

import (
	"errors"
	"flag"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/agentdash/agentdash/internal/config"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// TestSetGolden edits files and compares the result with golden files:
// comments, their alignment, quoting and key order are kept, values are
// replaced in place (block and flow mappings), missing keys are inserted
// after the last key of their mapping, and missing sections are created.
func TestSetGolden(t *testing.T) {
	type ability struct {
		name  string
		edits []Edit
	}
	tests := []struct {
		name string
		do   []ability
	}{
		{"issue15", []ability{
			{"weather", []Edit{{"breaker.cooldown", "10s"}, {"timeout", "3s"}, {"breaker.success_threshold", "2"}}},
			{"sum", []Edit{{"timeout", "750ms"}}},
			{"word_count", []Edit{{"breaker.failure_rate", "25%"}}},
			{"uppercase", []Edit{{"cache_ttl", "1m"}}},
		}},
		{"aligned", []ability{
			{"sum", []Edit{{"breaker.cooldown", "7s"}, {"cache_ttl", "10m"}, {"breaker.min_calls", "5"}}},
			{"uppercase", []Edit{{"timeout", "2s"}, {"breaker.cooldown", "1m"}}},
		}},
		{"noabilities", []ability{{"sum", []Edit{{"breaker.cooldown", "9s"}}}}},
		{"nullsection", []ability{
			{"sum", []Edit{{"cache_ttl", "1m"}, {"breaker.window", "10"}}},
			{"uppercase", []Edit{{"timeout", "4s"}, {"breaker.cooldown", "3s"}}},
		}},
		{"empty", []ability{{"sum", []Edit{{"breaker.cooldown", "9s"}, {"timeout", "1s"}}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join("testdata", tt.name+".in.yaml"))
			if err != nil {
				t.Fatal(err)
			}
			for _, ab := range tt.do {
				data, err = Set(data, ab.name, ab.edits)
				if err != nil {
					t.Fatalf("Set %s: %v", ab.name, err)
				}
			}
			golden := filepath.Join("testdata", tt.name+".golden.yaml")
			if *update {
				if err := os.WriteFile(golden, data, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatal(err)
			}
			if string(data) != string(want) {
				t.Errorf("got:\n%s\nwant:\n%s", data, want)
			}
			cfg, err := config.Parse(tt.name, data, nil)
			if err != nil {
				t.Fatalf("the edited file does not parse: %v", err)
			}
			for _, ab := range tt.do {
				vals, err := Values(data, ab.name, keys(ab.edits))
				if err != nil {
					t.Fatal(err)
				}
				for _, e := range ab.edits {
					if vals[e.Key] != e.Value {
						t.Errorf("%s.%s = %q, want %q", ab.name, e.Key, vals[e.Key], e.Value)
					}
				}
				if cfg.Abilities[ab.name] == nil {
					t.Errorf("abilities.%s missing after the edit", ab.name)
				}
			}
		})
	}
}

func keys(edits []Edit) []string {
	var ks []string
	for _, e := range edits {
		ks = append(ks, e.Key)
	}
	return ks
}

// TestSetKeepsOtherLines: an edit changes only the line of the value it
// replaces.
func TestSetKeepsOtherLines(t *testing.T) {
	data, err := os.ReadFile("testdata/aligned.in.yaml")
	if err != nil {
		t.Fatal(err)
	}
	out, err := Set(data, "sum", []Edit{{"cache_ttl", "1h"}})
	if err != nil {
		t.Fatal(err)
	}
	before, after := strings.Split(string(data), "\n"), strings.Split(string(out), "\n")
	if len(before) != len(after) {
		t.Fatalf("lines: %d, want %d", len(after), len(before))
	}
	for i := range before {
		if before[i] != after[i] && !strings.Contains(after[i], "cache_ttl: 1h           # results kept five minutes") {
			t.Errorf("line %d changed: %q -> %q", i+1, before[i], after[i])
		}
	}
}

// FuzzSet: whatever is typed in a field, the edited file is still YAML,
// the key reads back exactly as typed, and every other setting of the
// file is unchanged.
func FuzzSet(f *testing.F) {
	for _, s := range []string{"5s", "50%", "20", "", "a: b", "{x}", "# c", "'q", `"q`, "- 1", "1\n2", "\\", "%x", "-", "*a", "&a b", "!t", "µs", "\x00", "\xff"} {
		f.Add(s)
	}
	base, err := os.ReadFile("testdata/issue15.in.yaml")
	if err != nil {
		f.Fatal(err)
	}
	want, err := config.Parse("x", base, nil)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, v string) {
		for _, key := range []string{"breaker.cooldown", "timeout", "breaker.slow_call_rate"} {
			for _, name := range []string{"weather", "sum", "new_one"} {
				out, err := Set(base, name, []Edit{{key, v}})
				if errors.Is(err, ErrNotUTF8) && !utf8.ValidString(v) {
					continue
				}
				if err != nil {
					t.Fatalf("Set %s %s %q: %v", name, key, v, err)
				}
				vals, err := Values(out, name, []string{key})
				if err != nil || vals[key] != v {
					t.Fatalf("Set %s %s %q: reads back %q, %v", name, key, v, vals[key], err)
				}
				// Put the old value back (or drop the new section): the
				// rest of the file must not have moved.
				if old, ok := oldValue(t, base, name, key); ok {
					back, err := Set(out, name, []Edit{{key, old}})
					if err != nil {
						t.Fatal(err)
					}
					got, err := config.Parse("x", back, nil)
					if err != nil {
						t.Fatalf("restored file: %v", err)
					}
					if len(got.Abilities) != len(want.Abilities) || got.MaxConcurrent != want.MaxConcurrent ||
						got.Abilities["weather"].URL != want.Abilities["weather"].URL {
						t.Fatalf("other settings changed by editing %s %s = %q:\n%s", name, key, v, out)
					}
				}
			}
		}
	})
}

func oldValue(t *testing.T, data []byte, name, key string) (string, bool) {
	vals, err := Values(data, name, []string{key})
	if err != nil {
		t.Fatal(err)
	}
	v, ok := vals[key]
	return v, ok
}

// TestWriteFile: the file is replaced with its mode kept; a directory that
// cannot be written is an error that leaves the file as it was.
func TestWriteFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "agentdash.yaml")
	if err := os.WriteFile(path, []byte("demo: true\n"), 0o640); err != nil {
		t.Fatal(err)
	}
	if err := WriteFile(path, []byte("demo: false\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(path); string(got) != "demo: false\n" {
		t.Errorf("content %q", got)
	}
	if runtime.GOOS != "windows" && st.Mode().Perm() != 0o640 {
		t.Errorf("mode %v, want 0640", st.Mode().Perm())
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("files left in the directory: %v", entries)
	}
	if runtime.GOOS == "windows" || os.Geteuid() == 0 {
		return // no read-only directories to test with
	}
	if err := os.Chmod(dir, 0o500); err != nil {
		t.Fatal(err)
	}
	defer os.Chmod(dir, 0o700)
	err = WriteFile(path, []byte("demo: true\n"), 0o600)
	if err == nil || !strings.Contains(err.Error(), path) {
		t.Errorf("WriteFile in a read-only directory: %v, want an error naming the file", err)
	}
	if got, _ := os.ReadFile(path); string(got) != "demo: false\n" {
		t.Errorf("content after the failed write %q", got)
	}
}
