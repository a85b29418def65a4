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
	"path/filepath"
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

// Chromium returns a Chromium or Chrome binary: $CHROME_PATH, else the
// usual names on PATH; none fails t (or skips it, SkipEnv).
func Chromium(t testing.TB) string {
	t.Helper()
	if p := os.Getenv("CHROME_PATH"); p != "" {
		return p
	}
	return Need(t, "Debian package chromium, or set CHROME_PATH", "chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
}

// ArtifactsDir is where a test leaves files for people to look at
// (screenshots): $REMIT_ARTIFACTS_DIR/sub, else test-artifacts/sub at the
// repository root, which is root relative to the test's package.
func ArtifactsDir(t testing.TB, root, sub string) string {
	t.Helper()
	dir := os.Getenv("REMIT_ARTIFACTS_DIR")
	if dir == "" {
		abs, err := filepath.Abs(root)
		if err != nil {
			t.Fatal(err)
		}
		dir = filepath.Join(abs, "test-artifacts")
	}
	dir = filepath.Join(dir, sub)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatalf("artifacts dir: %v", err)
	}
	return dir
}
