package buildinfo

import (
	"runtime"
	"strings"
	"testing"
)

func TestVersionNamesTheGoVersion(t *testing.T) {
	v := Version()
	if !strings.HasSuffix(v, runtime.Version()) {
		t.Fatalf("Version() = %q, want it to end with the Go version %s", v, runtime.Version())
	}
	if strings.Contains(v, "  ") || strings.TrimSpace(v) != v {
		t.Fatalf("Version() = %q has stray spaces", v)
	}
}
