//go:build unix

package command

import (
	"errors"
	"os/exec"
	"syscall"
)

var baseEnv = []string{"PATH", "HOME"}

// group is the process group the program leads (Setpgid), killed as a
// whole with kill(-pgid).
type group struct {
	cmd  *exec.Cmd
	done bool // killed while the leader was a zombie (Linux); nothing left to kill
}

func newGroup(cmd *exec.Cmd) (*group, error) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	g := &group{cmd: cmd}
	cmd.Cancel = g.signal
	return g, nil
}

// signal kills every process of the group; exec calls it when the run's
// context ends.
func (g *group) signal() error {
	err := syscall.Kill(-g.cmd.Process.Pid, syscall.SIGKILL)
	if errors.Is(err, syscall.ESRCH) {
		return nil
	}
	return err
}

// kill cleans up after Wait has reaped the leader, where waitExit could not
// do it before (other Unixes). The group id is the leader's pid, which the
// kernel does not give to a new process while any member of the group is
// alive; once all are gone the signal finds no one, unless the pid has been
// recycled for a new group leader in the microseconds in between.
func (g *group) kill() {
	if !g.done {
		_ = g.signal()
	}
}

func (g *group) close() {}
