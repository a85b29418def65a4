package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/remitbilling/remit/internal/store/storetest"
)

// remitBin is the real binary, built once for the package's tests.
var remitBin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "remit-bin")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	remitBin = filepath.Join(dir, "remit")
	build := exec.Command("go", "build", "-o", remitBin, ".")
	build.Stderr = os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "build remit:", err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// cli runs a remit command with env and returns stdout, stderr and the
// exit code.
func cli(t *testing.T, env []string, args ...string) (string, string, int) {
	t.Helper()
	cmd := exec.Command(remitBin, args...)
	cmd.Env = append(os.Environ(), env...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("run remit %v: %v", args, err)
	}
	return out.String(), errb.String(), code
}

// procServer is a running `remit serve`.
type procServer struct {
	url    string
	stdout func() string
	stop   func()
}

// waitStdout polls the server's stdout until it matches re, which may lag
// the log line announcing the listener: the two pipes are copied apart.
func (s *procServer) waitStdout(t *testing.T, re *regexp.Regexp) string {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if m := re.FindString(s.stdout()); m != "" {
			return m
		}
		time.Sleep(20 * time.Millisecond)
	}
	return ""
}

var listenRE = regexp.MustCompile(`msg="remit listening" addr=(\S+)`)

func startServer(t *testing.T, env []string) *procServer {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, remitBin, "serve")
	cmd.Env = append(os.Environ(), append(env, "REMIT_ADDR=127.0.0.1:0")...)
	cmd.Cancel = func() error { return cmd.Process.Signal(os.Interrupt) }
	var stdout bytes.Buffer
	var mu sync.Mutex
	cmd.Stdout = writerFunc(func(p []byte) (int, error) { mu.Lock(); defer mu.Unlock(); return stdout.Write(p) })
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			if m := listenRE.FindStringSubmatch(sc.Text()); m != nil {
				addr <- m[1]
			}
			if testing.Verbose() {
				t.Log(sc.Text())
			}
		}
	}()
	s := &procServer{}
	select {
	case a := <-addr:
		s.url = "http://" + a
	case <-time.After(60 * time.Second):
		cancel()
		t.Fatal("server did not start")
	}
	s.stdout = func() string {
		mu.Lock()
		defer mu.Unlock()
		return stdout.String()
	}
	var once sync.Once
	s.stop = func() {
		once.Do(func() {
			cancel()
			if err := cmd.Wait(); err != nil && ctx.Err() == nil {
				t.Errorf("server exited: %v", err)
			}
		})
	}
	t.Cleanup(s.stop)
	return s
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }

func (s *procServer) graphql(t *testing.T, key, query string) (int, map[string]any) {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"query": query})
	req, _ := http.NewRequest(http.MethodPost, s.url+"/graphql", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+key)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	var out map[string]any
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Fatalf("decode %s: %v", raw, err)
	}
	return res.StatusCode, out
}

var keyRE = regexp.MustCompile(`sk_test_[a-z2-7]{52}`)

// TestCLI drives the operator commands against a real server process on
// each database: first start, keys, accounts, revocation, migrations.
func TestCLI(t *testing.T) {
	for _, d := range storetest.Dialects() {
		t.Run(d, func(t *testing.T) {
			cfg := storetest.Fresh(t, d)
			env := []string{"REMIT_DATA_DIR=" + cfg.DataDir, "REMIT_DATABASE_URL=" + cfg.DatabaseURL}
			if cfg.DataDir == "" {
				env[0] = "REMIT_DATA_DIR=" + t.TempDir()
			}

			srv := startServer(t, env)
			key := srv.waitStdout(t, keyRE)
			if key == "" {
				t.Fatalf("first start printed no test key: %q", srv.stdout())
			}
			status, res := srv.graphql(t, key, `{ account { id name mode } }`)
			if status != 200 || res["errors"] != nil {
				t.Fatalf("account query: %d %v", status, res)
			}
			acct := res["data"].(map[string]any)["account"].(map[string]any)
			if acct["mode"] != "TEST" || acct["name"] != "My Business" {
				t.Fatalf("account = %v", acct)
			}
			status, res = srv.graphql(t, key, `mutation { customerCreate(input:{customer:{name:"Jenny Rosen"}}) { customer { id } userErrors { code } } }`)
			if status != 200 || res["errors"] != nil {
				t.Fatalf("customerCreate: %d %v", status, res)
			}

			// A bank statement imported from the command line: the
			// transfer carries the customer's reference, so it is matched
			// (to the customer's cash balance); importing it again changes
			// nothing; a statement that cannot be read is refused.
			cusID := res["data"].(map[string]any)["customerCreate"].(map[string]any)["customer"].(map[string]any)["id"].(string)
			_, res = srv.graphql(t, key, `{ customer(id: "`+cusID+`") { transferReference } }`)
			ref := res["data"].(map[string]any)["customer"].(map[string]any)["transferReference"].(string)
			statement := filepath.Join(t.TempDir(), "statement.csv")
			if err := os.WriteFile(statement, []byte("date,amount,currency,reference,counterparty,id\n2026-11-30,120.00,EUR,"+ref+",Jenny Rosen,BANK-1\n2026-11-30,-3.50,EUR,fees,Bank,BANK-2\n"), 0o600); err != nil {
				t.Fatal(err)
			}
			bankEnv := append(env, "REMIT_API_KEY="+key)
			if out, errOut, code := cli(t, bankEnv, "bank", "import", "--api", srv.url, statement); code != 0 || !strings.Contains(out, "1 new transfers matched, 0 unmatched; 0 imported before; 1 debits skipped") || !strings.Contains(out, "by customer_reference") {
				t.Fatalf("bank import: code %d, stdout %q, stderr %q", code, out, errOut)
			}
			if out, _, code := cli(t, bankEnv, "bank", "import", "--api", srv.url, statement); code != 0 || !strings.Contains(out, "1 imported before") {
				t.Fatalf("bank import again: code %d, stdout %q", code, out)
			}
			if err := os.WriteFile(statement, []byte("nothing,useful\n1,2\n"), 0o600); err != nil {
				t.Fatal(err)
			}
			if _, errOut, code := cli(t, bankEnv, "bank", "import", "--api", srv.url, statement); code != 1 || !strings.Contains(errOut, "refused") {
				t.Fatalf("bank import of a bad file: code %d, stderr %q", code, errOut)
			}

			// A live key prints only itself and sees none of the test data.
			out, _, code := cli(t, env, "apikey", "create", "--mode", "live")
			live := strings.TrimSpace(out)
			if code != 0 || !regexp.MustCompile(`^sk_live_[a-z2-7]{52}$`).MatchString(live) {
				t.Fatalf("apikey create --mode live: code %d, stdout %q", code, out)
			}
			_, res = srv.graphql(t, live, `{ customers(first: 10) { totalCount } account { mode } }`)
			data := res["data"].(map[string]any)
			if n := data["customers"].(map[string]any)["totalCount"]; n != float64(0) {
				t.Fatalf("live key sees %v test customers", n)
			}

			// Revocation is immediate, even from another process.
			_, res = srv.graphql(t, live, `{ apiKeys { id redacted } }`)
			keys := res["data"].(map[string]any)["apiKeys"].([]any)
			if len(keys) != 1 {
				t.Fatalf("live apiKeys = %v", keys)
			}
			liveID := keys[0].(map[string]any)["id"].(string)
			if out, errOut, code := cli(t, env, "apikey", "revoke", liveID); code != 0 || !strings.Contains(out, liveID) {
				t.Fatalf("revoke: code %d %q %q", code, out, errOut)
			}
			if status, _ := srv.graphql(t, live, `{ account { id } }`); status != http.StatusUnauthorized {
				t.Fatalf("revoked key: status %d, want 401", status)
			}

			// A second account; keys must then name their account.
			out, _, code = cli(t, env, "account", "create", "--name", "Other Ltd")
			other := strings.TrimSpace(out)
			if code != 0 || !strings.HasPrefix(other, "acct_") {
				t.Fatalf("account create: code %d %q", code, out)
			}
			if _, errOut, code := cli(t, env, "apikey", "create", "--mode", "test"); code != 2 || !strings.Contains(errOut, "--account") {
				t.Fatalf("ambiguous apikey create: code %d, stderr %q", code, errOut)
			}
			out, _, code = cli(t, env, "apikey", "create", "--mode", "test", "--account", other)
			otherKey := strings.TrimSpace(out)
			if code != 0 || !keyRE.MatchString(otherKey) {
				t.Fatalf("apikey create --account: code %d %q", code, out)
			}
			_, res = srv.graphql(t, otherKey, `{ account { id name } customers(first: 5) { totalCount } }`)
			data = res["data"].(map[string]any)
			if data["account"].(map[string]any)["id"] != other || data["customers"].(map[string]any)["totalCount"] != float64(0) {
				t.Fatalf("other account sees %v", data)
			}

			// Bad usage exits 2 with the usage text.
			if _, errOut, code := cli(t, env, "apikey", "create", "--mode", "prod"); code != 2 || !strings.Contains(errOut, "usage") {
				t.Fatalf("bad mode: code %d %q", code, errOut)
			}
			if _, _, code := cli(t, env, "frobnicate"); code != 2 {
				t.Fatalf("unknown command: code %d", code)
			}

			// Migrations are applied; a restart creates no second account.
			out, errOut, code := cli(t, env, "migrate")
			if code != 0 || !strings.Contains(errOut, "applied 0 migration") {
				t.Fatalf("migrate: code %d %q %q", code, out, errOut)
			}
			srv.stop()
			again := startServer(t, env)
			if status, _ := again.graphql(t, key, `{ account { id } }`); status != 200 {
				t.Fatalf("first key after restart: %d", status)
			}
			// Anything printed before the listener is in the pipe by now.
			time.Sleep(200 * time.Millisecond)
			if keyRE.MatchString(again.stdout()) {
				t.Fatalf("second start printed a key again: %q", again.stdout())
			}
		})
	}
}
