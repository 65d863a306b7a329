//go:build !linux

package control

import "net"

// unixPeer cannot tell the peer of a Unix socket on this system.
func unixPeer(*net.UnixConn) string { return "" }
