package command

import (
	"errors"

	"golang.org/x/sys/unix"
)

// started waits for the leader to exit without reaping it (WNOWAIT), then
// kills what is left of its group: a zombie leader keeps the group id
// from being reused, so the signal cannot reach anyone else, and processes
// left in the background cannot hold stdout open and delay the result.
func (g *group) started() {
	var info unix.Siginfo
	for {
		err := unix.Waitid(unix.P_PID, g.cmd.Process.Pid, &info, unix.WEXITED|unix.WNOWAIT, nil)
		if !errors.Is(err, unix.EINTR) {
			if err == nil {
				_ = g.signal()
				g.done = true
			}
			return
		}
	}
}
