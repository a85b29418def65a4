package servertest_test

import (
	"strings"
	"testing"

	"github.com/remitbilling/remit/internal/apitest"
	"github.com/remitbilling/remit/internal/viewer"
)

// TestPortalSettings: the merchant turns the portal on, gets its link (one
// per mode), chooses features, and makes single-use login links only for
// its own customers while the portal is on.
func TestPortalSettings(t *testing.T) {
	t.Parallel()
	e := apitest.Start(t, "sqlite3")
	const settings = `{ portalSettings { enabled updateBillingDetails managePaymentMethods payInvoices showHistory url } }`
	off := e.Query(settings, nil)
	if apitest.Get(t, off, "portalSettings", "enabled") != false {
		t.Fatalf("portal on by default: %v", off)
	}
	url := apitest.Str(t, off, "portalSettings", "url")
	if !strings.HasPrefix(url, "http://localhost:8080/portal/bp_") {
		t.Errorf("url %q", url)
	}
	cus := apitest.Str(t, e.Mutate("customerCreate", `mutation { customerCreate(input: {customer: {name: "Jenny Rosen", email: "jenny@example.com"}}) { customer { id } warnings { code } userErrors { code } } }`, nil), "customer", "id")
	const link = `mutation($c: ID!) { portalSessionCreate(input: {customer: $c}) { url expiresAt userErrors { field code } } }`
	if codes := apitest.ErrorCodes(t, e.MutateErr("portalSessionCreate", link, map[string]any{"c": cus})); len(codes) != 1 {
		t.Errorf("login link while the portal is off: %v", codes)
	}
	on := e.Mutate("portalSettingsUpdate", `mutation { portalSettingsUpdate(input: {enabled: true, managePaymentMethods: false}) { portalSettings { enabled managePaymentMethods payInvoices url } userErrors { code } } }`, nil)
	if apitest.Get(t, on, "portalSettings", "enabled") != true || apitest.Get(t, on, "portalSettings", "managePaymentMethods") != false ||
		apitest.Get(t, on, "portalSettings", "payInvoices") != true || apitest.Str(t, on, "portalSettings", "url") != url {
		t.Errorf("after update: %v", on)
	}
	l := e.Mutate("portalSessionCreate", link, map[string]any{"c": cus})
	if u := apitest.Str(t, l, "url"); !strings.HasPrefix(u, url+"/session/") || len(u) < len(url)+40 {
		t.Errorf("login link %q", u)
	}
	// Another account's customer, and the live mode's portal.
	_, otherKey := e.NewAccount("Other", viewer.Test)
	res := e.Do(apitest.Request{Query: link, Variables: map[string]any{"c": cus}, Key: otherKey})
	if p, _ := res.Data["portalSessionCreate"].(map[string]any); p == nil || p["url"] != nil {
		t.Errorf("another account made a link for this customer: %s", res.RawBody)
	}
	live := e.Do(apitest.Request{Query: settings, Key: e.NewKey(e.Account, viewer.Live)})
	lp, _ := live.Data["portalSettings"].(map[string]any)
	if lp == nil || lp["url"] == url || lp["enabled"] != false {
		t.Errorf("live portal: %s", live.RawBody)
	}
}
