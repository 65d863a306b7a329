//go:build unix && !linux

package command

// started does nothing here: without waitid's WNOWAIT the group is killed
// only after Wait (see kill).
func (g *group) started() {}
