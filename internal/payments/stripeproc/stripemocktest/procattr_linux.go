package stripemocktest

import (
	"os/exec"
	"syscall"
)

// dieWithParent makes the kernel kill stripe-mock if the test binary dies
// without running its cleanups (a panic in another goroutine, -timeout),
// so no orphan keeps a port.
func dieWithParent(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
