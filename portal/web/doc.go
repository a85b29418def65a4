// Package web is the customer portal's web UI at /portal/{slug}: sign in
// with a one-time code sent by email (or a merchant's single-use link),
// then invoices (list, detail, PDF, payment), payment methods, billing
// details and the payment history, as the merchant's feature flags allow.
//
// # Design decision
//
// The portal is server-rendered html/template pages with plain HTML forms
// (POST, then a 303 redirect), not a single-page application, and nothing
// is built with npm:
//
//   - it works without JavaScript (the pages carry none, and the
//     Content-Security-Policy forbids scripts altogether);
//   - there is nothing to build or ship besides the Go binary: templates
//     and the stylesheet are embedded with the embed package;
//   - it is accessible by default: real forms, labels, buttons and links,
//     landmarks, role=status messages, keyboard navigation and visible
//     focus, and it is responsive with CSS alone.
//
// Every state change is a POST. POSTs are refused when a browser says they
// come from another site (http.NewCrossOriginProtection, on Sec-Fetch-Site
// and Origin), and the session lives in the HttpOnly, Secure, SameSite=Lax
// "__Host-" cookie of portalauth, which cross-site subrequests and POSTs
// never carry. Each request acts for the signed-in customer through the
// request context, so the data layer itself confines every read and write
// to that customer's rows (and hides drafts); a session of another portal
// (another account or mode) counts as signed out.
//
// Pages are in English or French, chosen from the browser's
// Accept-Language (English when neither is asked for), and branded with
// the account's logo and colours.
package web
