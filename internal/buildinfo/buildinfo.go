// Package buildinfo describes the running agentdash binary: its module
// version, the VCS revision it was built from and the Go version, as the
// go command stamped them into the binary.
package buildinfo

import (
	"runtime"
	"runtime/debug"
	"strings"
)

// Version returns the module version, the first 12 characters of the VCS
// revision (with "+dirty" when the work tree had changes) unless the
// version already holds it, and the Go version: for example
// "v0.0.0-20261126044544-7b596e686b65+dirty go1.26.8" for a build from a
// checkout, or "(devel) go1.26.8" when the build recorded no revision.
func Version() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "(unknown version) " + runtime.Version()
	}
	parts := []string{bi.Main.Version}
	var rev, dirty string
	for _, s := range bi.Settings {
		switch {
		case s.Key == "vcs.revision" && len(s.Value) >= 12:
			rev = s.Value[:12]
		case s.Key == "vcs.modified" && s.Value == "true":
			dirty = "+dirty"
		}
	}
	// Since Go 1.24 a build from a checkout gets a pseudo-version that
	// already holds the revision (and +dirty).
	if rev != "" && !strings.Contains(bi.Main.Version, rev) {
		parts = append(parts, rev+dirty)
	}
	parts = append(parts, bi.GoVersion)
	return strings.Join(strings.Fields(strings.Join(parts, " ")), " ")
}
