package viewer_test

import (
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"entgo.io/ent/privacy"

	"github.com/remitbilling/remit/internal/events"
	"github.com/remitbilling/remit/internal/viewer"
)

// TestConstructors checks what each constructor grants and that events
// read its actor back as the right kind.
func TestConstructors(t *testing.T) {
	cases := []struct {
		name         string
		v            viewer.Viewer
		wantCustomer string
		wantActor    events.Actor
	}{
		{"merchant", viewer.Merchant("acct_1", viewer.Live, "key_1"), "", events.Actor{Type: events.ActorAPIKey, ID: "key_1"}},
		{"cli", viewer.CLI("acct_1", viewer.Test), "", events.Actor{Type: events.ActorCLI}},
		{"portal customer", viewer.PortalCustomer("acct_1", viewer.Test, "cus_1"), "cus_1", events.Actor{Type: events.ActorCustomer, ID: "cus_1"}},
		{"portal customer widened", viewer.PortalCustomer("acct_1", viewer.Test, "cus_1").WithoutCustomer(), "", events.Actor{Type: events.ActorCustomer, ID: "cus_1"}},
		{"hosted payer", viewer.HostedPayer("acct_1", viewer.Test), "", events.Actor{Type: events.ActorPayer}},
		{"system", viewer.System("acct_1", viewer.Test, "worker"), "", events.Actor{Type: events.ActorSystem, ID: "worker"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if tc.v.AccountID != "acct_1" {
				t.Errorf("account %q", tc.v.AccountID)
			}
			if tc.v.CustomerID != tc.wantCustomer {
				t.Errorf("customer %q, want %q", tc.v.CustomerID, tc.wantCustomer)
			}
			if got := events.ActorOf(tc.v); got.Type != tc.wantActor.Type || got.ID != tc.wantActor.ID {
				t.Errorf("actor %+v, want %+v", got, tc.wantActor)
			}
			ctx := viewer.NewContext(context.Background(), tc.v)
			if got, ok := viewer.FromContext(ctx); !ok || got != tc.v {
				t.Errorf("FromContext = %+v, %v", got, ok)
			}
		})
	}
}

func TestBypass(t *testing.T) {
	ctx := viewer.Bypass(context.Background(), "test")
	// ent reports an Allow decision as (nil, true).
	if d, ok := privacy.DecisionFromContext(ctx); !ok || d != nil {
		t.Fatalf("decision %v, %v; want Allow", d, ok)
	}
}

// privilegeLiteral matches a viewer built by hand or a privacy bypass
// outside this package's helpers.
var privilegeLiteral = regexp.MustCompile(`viewer\.Viewer\{\s*[A-Z]|privacy\.DecisionContext\(`)

// TestPrivilegesAreNamed fails when code outside tests, the generated ent
// code and this package builds a viewer by hand or bypasses the privacy
// rules directly: grants go through the named constructors and Bypass, so
// grep finds every one.
func TestPrivilegesAreNamed(t *testing.T) {
	root := filepath.Join("..", "..")
	var found []string
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		if d.IsDir() {
			if rel == "ent" || strings.HasPrefix(d.Name(), ".") && rel != "." {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") || rel == filepath.Join("internal", "viewer", "viewer.go") {
			return nil
		}
		src, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, loc := range privilegeLiteral.FindAllIndex(src, -1) {
			line := 1 + strings.Count(string(src[:loc[0]]), "\n")
			found = append(found, rel+":"+strconv.Itoa(line))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(found) > 0 {
		t.Errorf("hand-built viewers or privacy bypasses (use viewer.Merchant, PortalCustomer, System, … and viewer.Bypass):\n%s", strings.Join(found, "\n"))
	}
}
