package payer

// Templates are the parts of the payer's pages the hosted invoice page and
// the portal's invoice page both show, written once: each page's template
// set parses them and calls them with its data ({T: words, I: View}).
//
// "bank-transfer" is how to pay by transfer: the account and the creditor
// reference to quote, the EPC QR code, and the account's own wording.
//
// "processor-form-attrs" (called in a form tag with a *Collect) and
// "processor-form" (inside it) are the processor's own form in place of
// Remit's card fields; "confirm-form" answers a payment awaiting the
// payer: Remit's simulated challenge, or the processor's, which the
// script runs; "processor-scripts" loads Stripe.js and Remit's glue
// (ProcessorScript) on a page that shows them.
const Templates = `{{define "processor-form-attrs"}}{{with .}} data-publishable-key="{{.PublishableKey}}" data-intent="{{.Intent}}"{{if .ClientSecret}} data-client-secret="{{.ClientSecret}}"{{end}}{{if .Amount}} data-amount="{{.Amount}}" data-currency="{{.Currency}}"{{end}}{{end}}{{end}}` +
	`{{define "processor-form"}}<input type="hidden" name="payment_method" value="">
    <div class="processor-element" data-payment-element id="payment-element"></div>
    <p class="error" role="alert" data-processor-error="{{.T.ProcessorFormUnavailable}}" hidden></p>
    <noscript><p class="error">{{.T.ProcessorFormNeedsScript}}</p></noscript>{{end}}` +
	`{{define "confirm-form"}}{{with .I.Confirm}}<form method="post" action="{{.URL}}" id="confirm-form"{{template "processor-form-attrs" .Collect}}><input type="hidden" name="payment" value="{{.PaymentID}}">
    {{if .Collect}}<input type="hidden" name="outcome" value="approve">
    <p class="error" role="alert" data-processor-error="{{$.T.ProcessorFormUnavailable}}" hidden></p>
    <noscript><p class="error">{{$.T.ProcessorFormNeedsScript}}</p></noscript>
    <button type="submit">{{$.T.ConfirmContinue}}</button>{{else}}<button type="submit" name="outcome" value="approve">{{$.T.Approve}}</button>
    <button type="submit" name="outcome" value="decline" class="secondary">{{$.T.Decline}}</button>{{end}}
  </form>{{end}}{{end}}` +
	`{{define "processor-scripts"}}<script src="` + StripeScript + `"></script>
<script src="` + ProcessorScriptPath + `"></script>{{end}}` + `{{define "bank-transfer"}}{{with .I}}{{if or .BankTransfer .Transfer}}<section class="card" aria-labelledby="bank-title" id="bank-transfer">
  <h2 id="bank-title">{{$.T.BankTransfer}}</h2>
  {{with .Transfer}}<dl class="bank-details">
    <dt>{{$.T.Beneficiary}}</dt><dd>{{.Beneficiary}}</dd>
    <dt>IBAN</dt><dd id="bank-iban">{{.IBAN}}</dd>
    {{if .BIC}}<dt>BIC</dt><dd id="bank-bic">{{.BIC}}</dd>{{end}}
    {{if .Reference}}<dt>{{$.T.TransferReference}}</dt><dd id="bank-reference">{{.Reference}}</dd>{{end}}
  </dl>{{end}}
  {{if .TransferQR}}<figure class="qr" id="bank-qr">{{.TransferQR}}<figcaption>{{$.T.ScanToPay}}</figcaption></figure>{{end}}
  {{if .BankTransfer}}<pre class="bank">{{.BankTransfer}}</pre>{{end}}
</section>{{end}}{{end}}{{end}}`
