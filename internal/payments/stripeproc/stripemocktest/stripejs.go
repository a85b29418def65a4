package stripemocktest

import (
	"net"
	"net/http"
	"net/http/httptest"
	"testing"
)

// FakeStripeJS stands in for Stripe.js (https://js.stripe.com/v3/) in a
// headless browser, which has no network: it implements the calls Remit's
// pages make (Stripe(), elements(), create("payment").mount(),
// elements.submit(), createPaymentMethod(), confirmSetup(),
// handleNextAction()) as Stripe documents them, answering what Stripe's
// test mode answers for the card 4242 4242 4242 4242, and records each
// call in the tab's sessionStorage ("stripeCalls", a JSON list of
// {name, arg}) for the test to read.
//
// window.__stripeNext (a PaymentMethod id) changes what the next
// createPaymentMethod or confirmSetup returns; window.__stripeFail (a
// message) makes the next call fail as a declined card does.
const FakeStripeJS = `(function () {
  // Kept in the tab's sessionStorage, so the calls of every page the
  // payer went through (a payment, then its 3-D Secure page) add up.
  function calls() { return JSON.parse(sessionStorage.getItem("stripeCalls") || "[]"); }
  function record(name, arg) {
    var all = calls();
    all.push({name: name, arg: arg === undefined ? null : arg});
    sessionStorage.setItem("stripeCalls", JSON.stringify(all));
  }
  function answer(ok) {
    if (window.__stripeFail) {
      var msg = window.__stripeFail; window.__stripeFail = "";
      return Promise.resolve({error: {type: "card_error", code: "card_declined", message: msg}});
    }
    return Promise.resolve(ok);
  }
  function next() { var id = window.__stripeNext || "pm_card_visa"; window.__stripeNext = ""; return id; }
  window.Stripe = function (key) {
    record("Stripe", key);
    return {
      elements: function (options) {
        record("elements", options);
        return {
          create: function (type) {
            record("create", type);
            return {mount: function (el) {
              record("mount", el.id || "");
              var frame = document.createElement("div");
              frame.setAttribute("data-fake-stripe-element", "mounted");
              frame.textContent = "Card number (Stripe)";
              el.appendChild(frame);
            }};
          },
          submit: function () { record("submit"); return Promise.resolve({}); }
        };
      },
      createPaymentMethod: function (args) { record("createPaymentMethod"); return answer({paymentMethod: {id: next(), object: "payment_method"}}); },
      confirmSetup: function (args) { record("confirmSetup", {redirect: args.redirect}); return answer({setupIntent: {status: "succeeded", payment_method: next()}}); },
      handleNextAction: function (args) { record("handleNextAction", args.clientSecret); return answer({paymentIntent: {status: "succeeded"}}); }
    };
  };
})();`

// StripeJS serves FakeStripeJS over HTTPS and returns the Chromium flags
// that send js.stripe.com to it: the page still loads
// https://js.stripe.com/v3/, so its Content-Security-Policy is what a
// real payer's browser enforces. The server stops when the test ends.
func StripeJS(t testing.TB) (flags map[string]any) {
	t.Helper()
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/javascript; charset=utf-8")
		_, _ = w.Write([]byte(FakeStripeJS))
	}))
	t.Cleanup(srv.Close)
	_, port, err := net.SplitHostPort(srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	return map[string]any{
		"host-resolver-rules":       "MAP js.stripe.com 127.0.0.1:" + port,
		"ignore-certificate-errors": true,
	}
}
