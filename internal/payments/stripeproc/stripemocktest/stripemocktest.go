// Package stripemocktest runs stripe-mock, Stripe's official mock API
// server, for tests. stripe-mock validates every request against Stripe's
// OpenAPI specification and answers with fixtures, but keeps no state: it
// proves requests are well formed, not what Stripe would decide.
//
// The binary is built from the module's pinned tool dependency
// (go.mod: tool github.com/stripe/stripe-mock) once per test binary, so the
// tests need no network beyond the module cache and no installed program.
package stripemocktest

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

var (
	buildOnce sync.Once
	buildDir  string
	buildBin  string
	buildErr  error
)

// binary builds stripe-mock on first use. The build directory lives until
// Main removes it (or the OS cleans its temp dir): a per-test TempDir would
// vanish after the first test that used it.
func binary() (string, error) {
	buildOnce.Do(func() {
		buildDir, buildErr = os.MkdirTemp("", "stripe-mock-")
		if buildErr != nil {
			return
		}
		buildBin = filepath.Join(buildDir, "stripe-mock")
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, goTool(), "build", "-o", buildBin, "github.com/stripe/stripe-mock")
		if out, err := cmd.CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("go build github.com/stripe/stripe-mock: %v\n%s", err, out)
		}
	})
	return buildBin, buildErr
}

func goTool() string {
	if p := filepath.Join(os.Getenv("GOROOT"), "bin", "go"); os.Getenv("GOROOT") != "" {
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	return "go"
}

// Main runs the tests, then stops the Shared server and removes the built
// binary. Use it from
// TestMain: func TestMain(m *testing.M) { stripemocktest.Main(m) }.
func Main(m *testing.M) {
	code := m.Run()
	if sharedStop != nil {
		sharedStop()
	}
	if buildDir != "" {
		os.RemoveAll(buildDir)
	}
	os.Exit(code)
}

// Start runs a stripe-mock on a loopback port chosen by the system and
// returns its base URL (http://127.0.0.1:port). The server is stopped when
// the test ends. The test fails at once if stripe-mock cannot be built or
// does not come up.
func Start(t testing.TB) string {
	t.Helper()
	url, stop, err := start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(stop)
	return url
}

var (
	sharedMu   sync.Mutex
	sharedURL  string
	sharedStop func()
)

// Shared is Start for a server shared by every test of the binary: stripe-mock
// keeps no state, so sharing it loses nothing and saves a start per test.
// Main stops it; a package using Shared must use Main in its TestMain, or
// the server outlives the tests.
func Shared(t testing.TB) string {
	t.Helper()
	sharedMu.Lock()
	defer sharedMu.Unlock()
	if sharedURL == "" {
		url, stop, err := start()
		if err != nil {
			t.Fatal(err)
		}
		sharedURL, sharedStop = url, stop
	}
	return sharedURL
}

func start() (url string, stop func(), err error) {
	bin, err := binary()
	if err != nil {
		return "", nil, fmt.Errorf("stripemocktest: cannot build stripe-mock (is the module cache populated? try `go mod download`): %v", err)
	}
	// Port 0 lets the kernel pick a free port with no race between picking
	// and binding; stripe-mock prints the address it got.
	// stripe-mock also serves HTTPS, on a fixed port unless told otherwise;
	// port 0 there too, so parallel test binaries never collide.
	cmd := exec.Command(bin, "-http-addr", "127.0.0.1:0", "-https-addr", "127.0.0.1:0")
	dieWithParent(cmd)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return "", nil, fmt.Errorf("stripemocktest: %v", err)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		return "", nil, fmt.Errorf("stripemocktest: start stripe-mock: %v", err)
	}
	stop = func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	}

	const marker = "Listening for HTTP at address: "
	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if rest, ok := strings.CutPrefix(sc.Text(), marker); ok {
				addr <- rest
				break
			}
		}
		// Keep draining so a chatty stripe-mock never blocks on a full pipe.
		_, _ = io.Copy(io.Discard, stdout)
	}()
	select {
	case a := <-addr:
		return "http://" + strings.TrimSpace(a), stop, nil
	case <-time.After(30 * time.Second):
		stop()
		return "", nil, fmt.Errorf("stripemocktest: stripe-mock did not start within 30s; stderr:\n%s", stderr.String())
	}
}
