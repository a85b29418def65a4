package payer

import (
	_ "embed"
	"strings"
)

// ProcessorScript is the payer pages' glue to the processor's own form
// (Stripe.js's Payment Element): served once at ProcessorScriptPath for
// the hosted page and the portal.
//
//go:embed assets/processor.js
var ProcessorScript []byte

// ProcessorScriptPath is where the server serves ProcessorScript.
const ProcessorScriptPath = "/assets/payer/processor.js"

// StripeScript is Stripe.js, which must be loaded from Stripe itself.
const StripeScript = "https://js.stripe.com/v3/"

// stripeSources are what a page showing Stripe's Payment Element must
// admit beyond its own policy, per Stripe's Content-Security-Policy
// guide: its script, its frames (the element, 3-D Secure), its API.
var stripeSources = map[string]string{
	"script-src":  "'self' https://js.stripe.com https://*.js.stripe.com",
	"frame-src":   "https://js.stripe.com https://*.js.stripe.com https://hooks.stripe.com",
	"connect-src": "https://api.stripe.com",
}

// ContentSecurityPolicy is a page's policy base, widened by exactly what
// the processor's form needs when the page shows it (v uses it) and
// nothing otherwise: a page without it keeps refusing every script.
func ContentSecurityPolicy(base string, withProcessorForm bool) string {
	if !withProcessorForm {
		return base
	}
	parts := strings.Split(base, ";")
	seen := map[string]bool{}
	for i, p := range parts {
		name, _, _ := strings.Cut(strings.TrimSpace(p), " ")
		if extra, ok := stripeSources[name]; ok {
			parts[i] = " " + strings.TrimSpace(p) + " " + extra
			seen[name] = true
		}
	}
	for _, name := range []string{"script-src", "frame-src", "connect-src"} {
		if !seen[name] {
			parts = append(parts, " "+name+" "+stripeSources[name])
		}
	}
	return strings.TrimSpace(strings.Join(parts, ";"))
}
