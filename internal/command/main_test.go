package command

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestMain runs the test binary as the helper programs the tests declare
// abilities with (the pattern of os/exec's own tests): with
// GO_WANT_HELPER_PROCESS=1 in its environment, os.Args[1] names what to do.
func TestMain(m *testing.M) {
	if os.Getenv("GO_WANT_HELPER_PROCESS") == "1" {
		os.Exit(helper(os.Args[1], os.Args[2:]))
	}
	os.Exit(m.Run())
}

func helper(mode string, args []string) int {
	switch mode {
	case "args": // the arguments as a JSON array
		b, _ := json.Marshal(args)
		fmt.Printf("%s\n", b)
	case "print": // the arguments as text, one per line
		fmt.Print(strings.Join(args, "\n") + "\n")
	case "cat": // stdin to stdout
		_, _ = io.Copy(os.Stdout, os.Stdin)
	case "env": // the environment as a JSON array
		b, _ := json.Marshal(os.Environ())
		fmt.Printf("%s\n", b)
	case "pwd":
		wd, _ := os.Getwd()
		fmt.Print(wd)
	case "fail": // args[0] is the exit status, the rest lines of stderr
		for _, l := range args[1:] {
			fmt.Fprintln(os.Stderr, l)
		}
		code, _ := strconv.Atoi(args[0])
		return code
	case "sleep":
		d, _ := time.ParseDuration(args[0])
		time.Sleep(d)
	case "spawn", "spawn-exit": // start a sleeping grandchild, write its pid to args[0]
		c := exec.Command(os.Args[0], "sleep", "10m")
		c.Stdout = os.Stdout // holds the run's stdout open, as a background job would
		if err := c.Start(); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 3
		}
		if err := os.WriteFile(args[0], []byte(strconv.Itoa(c.Process.Pid)), 0o600); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 3
		}
		fmt.Println(`"spawned"`)
		if mode == "spawn" {
			time.Sleep(10 * time.Minute)
		}
	case "flood": // stdout without end
		line := []byte(strings.Repeat("x", 1023) + "\n")
		for {
			if _, err := os.Stdout.Write(line); err != nil {
				return 1
			}
		}
	default:
		fmt.Fprintf(os.Stderr, "unknown helper mode %q\n", mode)
		return 2
	}
	return 0
}

// helperSpec declares an ability that runs the test binary as the helper.
// Under -race, the helper skips the race detector's 1 s wait at exit.
func helperSpec(argv ...string) Spec {
	return Spec{
		Argv: append([]string{testExe()}, argv...),
		Env:  map[string]string{"GO_WANT_HELPER_PROCESS": "1", "GORACE": "atexit_sleep_ms=0"},
	}
}

func testExe() string {
	exe, err := os.Executable()
	if err != nil {
		panic(err)
	}
	return exe
}
