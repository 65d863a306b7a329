package pane

import (
	"strings"
	"testing"
)

func TestWrapWordsCutsAfterAWholeWord(t *testing.T) {
	tests := []struct {
		s    string
		w, n int
		want []string
	}{
		{"red green blue", 20, 2, []string{"red green blue"}},
		{"red green blue cyan", 10, 2, []string{"red green", "blue cyan"}},
		{"red green blue cyan", 12, 1, []string{"red green …"}},
		{"red green blue cyan", 9, 1, []string{"red …"}},
		{"abcdefghij", 5, 1, []string{"abc …"}},
	}
	for _, tt := range tests {
		if got := WrapWords(tt.s, tt.w, tt.n); strings.Join(got, "|") != strings.Join(tt.want, "|") {
			t.Errorf("WrapWords(%q, %d, %d) = %q, want %q", tt.s, tt.w, tt.n, got, tt.want)
		}
	}
}

func TestWrapCutCutsAtTheLastCell(t *testing.T) {
	tests := []struct {
		s       string
		w, n    int
		want    []string
		wantCut bool
	}{
		{"one two", 10, 2, []string{"one two"}, false},
		{"one two three four", 10, 1, []string{"one two…"}, true},
		{"abcdefghijkl", 6, 1, []string{"abcde…"}, true},
		{"abcdefghijkl", 6, 2, []string{"abcdef", "ghijkl"}, false},
		{"x", 0, 1, nil, true},
		{"", 5, 0, nil, false},
	}
	for _, tt := range tests {
		got, cut := WrapCut(tt.s, tt.w, tt.n)
		if strings.Join(got, "|") != strings.Join(tt.want, "|") || cut != tt.wantCut {
			t.Errorf("WrapCut(%q, %d, %d) = %q, %v, want %q, %v", tt.s, tt.w, tt.n, got, cut, tt.want, tt.wantCut)
		}
	}
}

func TestJoinColumns(t *testing.T) {
	got := JoinColumns("ab\ncd\nef", " | ", "1\n2\n3", 2)
	if want := "ab | 1\ncd | 2"; got != want {
		t.Errorf("JoinColumns = %q, want %q", got, want)
	}
}

func TestWord(t *testing.T) {
	if got := Word(1, "call", "calls"); got != "call" {
		t.Errorf("Word(1) = %q", got)
	}
	if got := Word(uint64(0), "call", "calls"); got != "calls" {
		t.Errorf("Word(0) = %q", got)
	}
	if got := Plural(2, "row", "rows"); got != "2 rows" {
		t.Errorf("Plural(2) = %q", got)
	}
}
