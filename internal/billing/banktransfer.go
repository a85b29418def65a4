package billing

import (
	"slices"
	"strings"
	"time"

	"github.com/remitbilling/remit/ent"
	"github.com/remitbilling/remit/ent/invoice"
	"github.com/remitbilling/remit/internal/banking"
	"github.com/remitbilling/remit/internal/document"
	"github.com/remitbilling/remit/internal/payer/words"
	"github.com/remitbilling/remit/internal/values"
)

// qrSize is the printed side of the EPC QR code, quiet zone included:
// about half a millimetre a module for the usual payload, which phone
// cameras read at arm's length.
const qrSize = "32mm"

// bankAccountOf is the account's bank details as an invoice freezes them
// at finalization; nil without an IBAN. The beneficiary defaults to the
// legal name, the name the bank account is held under in most cases.
func bankAccountOf(a *ent.Account) *values.BankAccount {
	if a.BankIban == "" {
		return nil
	}
	name := a.BankAccountName
	if name == "" {
		name = a.LegalName
	}
	if name == "" {
		name = a.Name
	}
	return &values.BankAccount{IBAN: a.BankIban, BIC: a.BankBic, Beneficiary: name}
}

// BankTransferOf is how to pay inv by bank transfer, for every surface
// that prints it: the bank details frozen on the invoice at finalization
// (the account's current ones when none were), its creditor reference, and, for a EUR invoice with money
// owed, the EPC QR code for the amount asked now (the next installment of
// a plan, else what remains). Nil when the invoice does not take
// transfers or no IBAN is known.
func BankTransferOf(acct *ent.Account, inv *ent.Invoice, now time.Time) *document.BankTransfer {
	if !slices.Contains(AcceptedMethodTypes(acct, inv), "BANK_TRANSFER") {
		return nil
	}
	bank := inv.Terms.Bank
	if bank == nil {
		// Nothing frozen: a draft, or an invoice finalized before the
		// account had an IBAN (or before IBANs were frozen). Pointing
		// its customer to the account's IBAN now misleads no one, where
		// the rule is only that a frozen IBAN never changes.
		bank = bankAccountOf(acct)
	}
	if bank == nil {
		return nil
	}
	out := &document.BankTransfer{IBAN: banking.PrintedIBAN(bank.IBAN), BIC: bank.BIC, Beneficiary: bank.Beneficiary}
	ref := inv.CreditorReference()
	if ref == nil {
		return out
	}
	out.Reference = banking.Printed(*ref)
	if inv.Status != invoice.StatusOpen && inv.Status != invoice.StatusUncollectible {
		return out
	}
	amount := AmountRemaining(inv)
	if next := nextInstallment(inv, now); next != nil {
		amount = next.Amount
	}
	// A currency or amount the EPC code cannot carry prints no code;
	// the details above still say how to pay.
	qr, err := banking.EPCQRCode(banking.CreditTransfer{
		Name: bank.Beneficiary, IBAN: bank.IBAN, BIC: bank.BIC,
		Amount: amount, Currency: inv.Currency, Reference: *ref,
	}, qrSize)
	if err == nil {
		out.QRCode = qr
	}
	return out
}

// transferText is b as the plain-text lines emails print, in lang; ""
// when b is nil.
func transferText(b *document.BankTransfer, lang string) string {
	if b == nil {
		return ""
	}
	t := words.T(lang)
	lines := []string{t["BankTransfer"] + ":", t["Beneficiary"] + ": " + b.Beneficiary, "IBAN: " + b.IBAN}
	if b.BIC != "" {
		lines = append(lines, "BIC: "+b.BIC)
	}
	if b.Reference != "" {
		lines = append(lines, t["TransferReference"]+": "+b.Reference)
	}
	return strings.Join(lines, "\n")
}
