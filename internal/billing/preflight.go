package billing

import (
	"context"
	"fmt"
	"strings"

	"github.com/remitbilling/remit/ent"
	"github.com/remitbilling/remit/ent/customer"
	"github.com/remitbilling/remit/internal/usererr"
	"github.com/remitbilling/remit/internal/validate"
	"github.com/remitbilling/remit/internal/values"
)

// Preflight is what the e-invoicing rules still miss for an invoice to
// be finalized, and whether finalizing refuses it while they do.
type Preflight struct {
	Missing usererr.List
	Strict  bool
}

// Preflight lists the mandatory mentions the invoice lacks, as finalizing
// would judge them now.
func (s *Service) Preflight(ctx context.Context, id string) (Preflight, error) {
	acct, err := s.accounts.Get(ctx)
	if err != nil {
		return Preflight{}, fmt.Errorf("load account: %w", err)
	}
	inv, err := s.db.Invoice.Get(ctx, id)
	if ent.IsNotFound(err) {
		return Preflight{}, usererr.New(usererr.NotFound, "no such invoice", "id")
	} else if err != nil {
		return Preflight{}, fmt.Errorf("load invoice: %w", err)
	}
	cus, err := s.db.Customer.Query().Where(customer.ID(inv.CustomerID)).Only(ctx)
	if err != nil {
		return Preflight{}, fmt.Errorf("load customer: %w", err)
	}
	return Preflight{Missing: mandatoryMentions(acct, cus, inv), Strict: acct.EinvoiceStrict}, nil
}

// mandatoryMentions are the mentions an invoice of acct to cus lacks that
// a French seller's invoices must carry (CGI ann. II art. 242 nonies A, C.
// com. L441-9, and the e-invoicing rules EN 16931 / BR-FR): the seller's
// SIREN, address and (when VAT is charged) VAT number, whether it sells
// goods, services or both, and a French business buyer's SIREN.
func mandatoryMentions(acct *ent.Account, cus *ent.Customer, inv *ent.Invoice) usererr.List {
	if !frenchSeller(acct) {
		return nil
	}
	var out usererr.List
	missing := func(why string, field ...string) {
		out = append(out, usererr.New(usererr.MandatoryMentionMissing, why, field...))
	}
	if acct.Siren == "" {
		missing("a French seller's invoices carry its SIREN: set the account's siren", "account", "siren")
	}
	if acct.Address.IsZero() {
		missing("a French seller's invoices carry its address: set the account's address", "account", "address")
	}
	if acct.VatNumber == "" && inv.TotalTax != 0 {
		missing("an invoice charging VAT carries the seller's VAT number: set the account's vatNumber", "account", "vatNumber")
	}
	if inv.OperationCategory == nil && acct.OperationCategory == nil {
		missing("say whether the invoice sells goods, services or both: set its operationCategory, or the account's", "operationCategory")
	}
	if frenchBusiness(cus) && SIRENOf("", "", cus.TaxIds) == "" {
		missing("a French business buyer's SIREN is mandatory: add the customer's fr_siren (or its SIRET or French VAT number) to taxIds, or say it is an INDIVIDUAL", "customer", "taxIds")
	}
	return out
}

// frenchSeller says whether the account issues French invoices.
func frenchSeller(acct *ent.Account) bool {
	return acct.Country == "FR" || acct.Address.Country == "FR"
}

// frenchBusiness says whether cus is a business established in France: so
// it says, or, saying nothing, it has a tax id.
func frenchBusiness(cus *ent.Customer) bool {
	if cus.Address == nil || cus.Address.Country != "FR" {
		return false
	}
	if cus.EntityType != nil {
		return *cus.EntityType == customer.EntityTypeBusiness
	}
	return len(cus.TaxIds) > 0
}

// SIRENOf is a French company's SIREN: siren when known, else the first
// nine digits of its SIRET (siret, or a fr_siret tax id), else the last
// nine of its French VAT number (FR, two check characters, the SIREN); ""
// when none.
func SIRENOf(siren, siret string, ids []values.TaxID) string {
	if siren != "" {
		return siren
	}
	var fromVAT string
	for _, t := range ids {
		v := strings.ReplaceAll(t.Value, " ", "")
		switch {
		case t.Type == validate.TaxIDFRSIREN:
			return v
		case t.Type == validate.TaxIDFRSIRET && siret == "":
			siret = v
		case t.Type == validate.TaxIDEUVAT && len(v) == 13 && strings.HasPrefix(strings.ToUpper(v), "FR"):
			fromVAT = v[4:]
		}
	}
	if len(siret) == 14 {
		return siret[:9]
	}
	return fromVAT
}
