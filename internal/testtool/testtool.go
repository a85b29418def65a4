// Package testtool finds the external programs some tests use (poppler's
// pdftotext and pdfimages, qpdf, Chromium).
//
// `make test` installs them (the Makefile's test-tools target), so a
// missing program fails the test instead of letting it pass without
// checking anything. Where they cannot be installed, setting
// REMIT_SKIP_TOOL_TESTS=1 turns those checks into skips, said in the test
// output.
package testtool

import (
	"os"
	"os/exec"
	"testing"
)

// SkipEnv is the variable that lets tests skip their checks that need a
// missing program.
const SkipEnv = "REMIT_SKIP_TOOL_TESTS"

// Need returns the path of the first of names found on PATH. When none is,
// it fails t, or skips it when SkipEnv is set; install says where the
// program comes from.
func Need(t testing.TB, install string, names ...string) string {
	t.Helper()
	for _, name := range names {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	Missing(t, names[0], install)
	return ""
}

// Missing fails t, or skips it when SkipEnv is set, for want of program.
func Missing(t testing.TB, program, install string) {
	t.Helper()
	if os.Getenv(SkipEnv) != "" {
		t.Skipf("%s is not installed (%s); skipped because %s is set", program, install, SkipEnv)
	}
	t.Fatalf("%s is not installed (%s; `make test-tools` installs it), or set %s=1 to skip the checks that need it", program, install, SkipEnv)
}
