// This file is written by hand, not generated: methods the GraphQL APIs
// (merchant and portal) bind to directly, like the generated <Field>Money
// methods, so each is computed in one place.

package ent

import "github.com/remitbilling/remit/internal/banking"

// CreditorReference is the invoice's ISO 11649 creditor reference in
// electronic form ("RF97INV0042"), built from the body frozen at
// finalization; nil for a draft, which has no number yet.
func (_m *Invoice) CreditorReference() *string {
	if _m.TransferReference == nil || *_m.TransferReference == "" {
		return nil
	}
	ref := banking.Reference(*_m.TransferReference)
	return &ref
}

// CreditorReference is the customer's ISO 11649 creditor reference for
// payments on account, in electronic form; "" while the customer has no
// reference body ("RF04", the reference of nothing, would match no one).
func (_m *Customer) CreditorReference() string {
	if _m.TransferReference == "" {
		return ""
	}
	return banking.Reference(_m.TransferReference)
}
