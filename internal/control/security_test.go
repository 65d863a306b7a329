package control

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// TestOtherUserCannotConnect: user nobody can neither enter the per-user
// directory nor, were it open, connect to the 0600 socket; with a socket
// everyone may write, it can (so the test can see a connection). It needs
// root, to act as nobody: CI runs it (AGENTDASH_SECURITY_TEST=1 makes a
// missing prerequisite a failure there); elsewhere it is skipped.
func TestOtherUserCannotConnect(t *testing.T) {
	required := os.Getenv("AGENTDASH_SECURITY_TEST") == "1"
	skip := func(why string) {
		if required {
			t.Fatalf("AGENTDASH_SECURITY_TEST=1 but %s", why)
		}
		t.Skip(why)
	}
	if runtime.GOOS != "linux" {
		skip("needs Linux")
	}
	if os.Getuid() != 0 {
		skip("needs root, to connect as user nobody")
	}
	setpriv, err := exec.LookPath("setpriv")
	if err != nil {
		skip("needs setpriv (util-linux)")
	}
	curl, err := exec.LookPath("curl")
	if err != nil {
		skip("needs curl")
	}
	dir := shortDir(t)
	if err := os.Chmod(filepath.Dir(dir), 0o755); err != nil { // as /run/user or /tmp: others may pass through
		t.Fatal(err)
	}
	f := start(t, newTestAgent(t), dir, 501, ListenOptions{}, ServerOptions{})
	socket := f.ep.Info().Socket
	asNobody := func() (string, error) {
		out, err := exec.Command(setpriv, "--reuid=65534", "--regid=65534", "--clear-groups",
			curl, "-sS", "--max-time", "10", "--unix-socket", socket, "http://agentdash/v1/info").CombinedOutput()
		return string(out), err
	}
	if out, err := exec.Command(curl, "-sS", "--max-time", "10", "--unix-socket", socket, "http://agentdash/v1/info").CombinedOutput(); err != nil || !strings.Contains(string(out), `"pid":501`) {
		t.Fatalf("the owner cannot connect: %v %s", err, out)
	}
	if out, err := asNobody(); err == nil || strings.Contains(out, `"pid"`) {
		t.Fatalf("nobody connected through the 0700 directory: %s", out)
	}
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if out, err := asNobody(); err == nil || strings.Contains(out, `"pid"`) {
		t.Fatalf("nobody connected to the 0600 socket: %s", out)
	} else if !strings.Contains(out, "Permission denied") && !strings.Contains(out, "Couldn't connect") {
		t.Fatalf("nobody's connection failed for another reason: %s", out)
	}
	if err := os.Chmod(socket, 0o666); err != nil {
		t.Fatal(err)
	}
	if out, err := asNobody(); err != nil || !strings.Contains(out, `"pid":501`) {
		t.Fatalf("with a socket open to all, nobody still cannot connect (the test cannot see a connection): %v %s", err, out)
	}
}
