package payer

// Templates are the parts of the payer's pages the hosted invoice page and
// the portal's invoice page both show, written once: each page's template
// set parses them and calls them with its data ({T: words, I: View}).
//
// "bank-transfer" is how to pay by transfer: the account and the creditor
// reference to quote, the EPC QR code, and the account's own wording.
const Templates = `{{define "bank-transfer"}}{{with .I}}{{if or .BankTransfer .Transfer}}<section class="card" aria-labelledby="bank-title" id="bank-transfer">
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
