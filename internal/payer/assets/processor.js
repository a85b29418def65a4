// Remit's glue to Stripe.js on the payer's pages (the hosted invoice page
// and the portal). Card and bank details are typed into Stripe's Payment
// Element, inside Stripe's own frames: this script only ever sees the
// PaymentMethod id Stripe returns, which the page's form posts to Remit.
// Without JavaScript the pages say so; nothing falls back to Remit's own
// card fields, which a connected Stripe account refuses.
(function () {
  "use strict";

  function fail(form, message) {
    var out = form.querySelector("[data-processor-error]");
    if (out) {
      out.textContent = message || out.getAttribute("data-processor-error");
      out.hidden = false;
    }
    var button = form.querySelector("button[type=submit]");
    if (button) button.disabled = false;
  }

  function submitWith(form, name, value) {
    var input = form.querySelector("input[name=" + name + "]");
    input.value = value;
    // HTMLFormElement.submit skips this listener: the post goes to Remit.
    form.submit();
  }

  function start(form) {
    var c = form.dataset;
    if (typeof window.Stripe !== "function") {
      fail(form);
      return;
    }
    var stripe = window.Stripe(c.publishableKey);
    if (c.intent === "action") {
      // A payment awaiting the payer: Stripe runs the bank's challenge
      // (3-D Secure), then Remit asks Stripe how it ended.
      stripe.handleNextAction({ clientSecret: c.clientSecret }).then(function (result) {
        submitWith(form, "outcome", result && result.error ? "decline" : "approve");
      });
      return;
    }
    var options = c.intent === "setup"
      ? { clientSecret: c.clientSecret }
      : { mode: "payment", amount: Number(c.amount), currency: c.currency, paymentMethodCreation: "manual", paymentMethodTypes: ["card"] };
    var elements = stripe.elements(options);
    elements.create("payment").mount(form.querySelector("[data-payment-element]"));
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var button = form.querySelector("button[type=submit]");
      if (button) button.disabled = true;
      elements.submit().then(function (checked) {
        if (checked && checked.error) return fail(form, checked.error.message);
        if (c.intent === "setup") {
          return stripe.confirmSetup({ elements: elements, redirect: "if_required" }).then(function (result) {
            if (result.error) return fail(form, result.error.message);
            var pm = result.setupIntent.payment_method;
            submitWith(form, "payment_method", typeof pm === "string" ? pm : pm.id);
          });
        }
        return stripe.createPaymentMethod({ elements: elements }).then(function (result) {
          if (result.error) return fail(form, result.error.message);
          submitWith(form, "payment_method", result.paymentMethod.id);
        });
      });
    });
  }

  var forms = document.querySelectorAll("form[data-publishable-key]");
  for (var i = 0; i < forms.length; i++) start(forms[i]);
})();
