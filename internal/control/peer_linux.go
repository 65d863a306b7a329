package control

import (
	"fmt"
	"net"

	"golang.org/x/sys/unix"
)

// unixPeer returns the process and user at the other end of c, which the
// kernel vouches for (SO_PEERCRED), or "" if it cannot tell.
func unixPeer(c *net.UnixConn) string {
	raw, err := c.SyscallConn()
	if err != nil {
		return ""
	}
	var cred *unix.Ucred
	var cerr error
	if err := raw.Control(func(fd uintptr) { cred, cerr = unix.GetsockoptUcred(int(fd), unix.SOL_SOCKET, unix.SO_PEERCRED) }); err != nil || cerr != nil {
		return ""
	}
	return fmt.Sprintf("pid %d, uid %d", cred.Pid, cred.Uid)
}
