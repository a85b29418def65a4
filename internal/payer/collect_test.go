package payer

import "testing"

func TestContentSecurityPolicy(t *testing.T) {
	base := "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; form-action 'self'"
	if got := ContentSecurityPolicy(base, false); got != base {
		t.Fatalf("without the form the policy changed: %q", got)
	}
	want := "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; form-action 'self';" +
		" script-src 'self' https://js.stripe.com https://*.js.stripe.com;" +
		" frame-src https://js.stripe.com https://*.js.stripe.com https://hooks.stripe.com;" +
		" connect-src https://api.stripe.com"
	if got := ContentSecurityPolicy(base, true); got != want {
		t.Fatalf("policy\n got %q\nwant %q", got, want)
	}
	// A directive the page already has is widened, not repeated.
	if got := ContentSecurityPolicy("default-src 'none'; frame-src 'self'", true); got !=
		"default-src 'none'; frame-src 'self' https://js.stripe.com https://*.js.stripe.com https://hooks.stripe.com;"+
			" script-src 'self' https://js.stripe.com https://*.js.stripe.com; connect-src https://api.stripe.com" {
		t.Fatalf("widened policy = %q", got)
	}
}
