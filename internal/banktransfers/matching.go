package banktransfers

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/remitbilling/remit/ent"
	"github.com/remitbilling/remit/ent/banktransfer"
	"github.com/remitbilling/remit/ent/customer"
	"github.com/remitbilling/remit/ent/invoice"
	"github.com/remitbilling/remit/internal/banking"
	"github.com/remitbilling/remit/internal/billing"
)

// Reason is why automatic matching left a transfer for the merchant.
type Reason string

const (
	// NoMatch: nothing in the transfer points at an invoice or a customer.
	NoMatch Reason = "no_match"
	// InvoiceVoid: it names an invoice that was voided (refund it).
	InvoiceVoid Reason = "invoice_void"
	// InvoicePaid: it names an invoice already paid (refund it, or keep it
	// on the customer's cash balance).
	InvoicePaid Reason = "invoice_paid"
	// CurrencyMismatch: it is in another currency than what it names.
	CurrencyMismatch Reason = "currency_mismatch"
	// Ambiguous: it names invoices of several customers.
	Ambiguous Reason = "ambiguous"
)

// Limits of the amount rules: how many invoices a transfer may pay when
// matched by amount alone, and how many of a customer's oldest open
// invoices are tried.
const (
	maxSet  = 5
	maxScan = 40
	// maxTokens bounds the words of a remittance looked up as invoice
	// numbers.
	maxTokens = 20
)

type allocation struct {
	invoiceID string
	amount    int64
}

// matching is what automatic matching decided: the rule, the customer,
// what each invoice gets (the rest goes to the customer's cash balance),
// or the reason it could not.
type matching struct {
	rule        banktransfer.MatchedBy
	customerID  string
	allocations []allocation
	reason      Reason
}

// match applies the rules in order: a creditor reference or invoice
// number in the remittance; the customer's reference (its invoices by
// amount, else all to its cash balance); an exact amount (one invoice,
// then a set of up to five) of the customer the sender's account paid for
// before. Who sent it by name alone is not enough: names repeat.
func (s *Service) match(ctx context.Context, db *ent.Client, t *ent.BankTransfer) (matching, error) {
	bodies := referenceBodies(t.Remittance)
	named, rule, err := s.namedInvoices(ctx, db, t.Remittance, bodies)
	if err != nil {
		return matching{}, err
	}
	if len(named) > 0 {
		return byInvoices(t, named, rule), nil
	}
	if len(bodies) > 0 {
		cus, err := db.Customer.Query().Where(customer.TransferReferenceIn(bodies...), customer.DeletedAtIsNil()).First(ctx)
		if err != nil && !ent.IsNotFound(err) {
			return matching{}, fmt.Errorf("customer by reference: %w", err)
		}
		if cus != nil {
			if cus.Currency != "" && cus.Currency != t.Currency {
				return matching{reason: CurrencyMismatch}, nil
			}
			m, err := s.byAmount(ctx, db, t, cus.ID)
			if err != nil {
				return m, err
			}
			if m.reason == "" {
				m.rule = banktransfer.MatchedByCustomerReference
				return m, nil
			}
			// Money on account: all of it to the customer's cash balance.
			return matching{rule: banktransfer.MatchedByCustomerReference, customerID: cus.ID}, nil
		}
	}
	sender, err := s.sender(ctx, db, t)
	if err != nil || sender == "" {
		return matching{reason: NoMatch}, err
	}
	return s.byAmount(ctx, db, t, sender)
}

// referenceBodies are the bodies of the creditor references in text.
func referenceBodies(text string) []string {
	var bodies []string
	for _, ref := range banking.ScanReferences(text) {
		if _, body, err := banking.ParseReference(ref); err == nil {
			bodies = append(bodies, body)
		}
	}
	return bodies
}

// namedInvoices are the invoices the remittance names by creditor
// reference or, failing that, by number.
func (s *Service) namedInvoices(ctx context.Context, db *ent.Client, text string, bodies []string) ([]*ent.Invoice, banktransfer.MatchedBy, error) {
	if len(bodies) > 0 {
		invs, err := db.Invoice.Query().Where(invoice.TransferReferenceIn(bodies...)).All(ctx)
		if err != nil {
			return nil, "", fmt.Errorf("invoices by reference: %w", err)
		}
		if len(invs) > 0 {
			return invs, banktransfer.MatchedByReference, nil
		}
	}
	words := numberCandidates(text)
	if len(words) == 0 {
		return nil, "", nil
	}
	invs, err := db.Invoice.Query().Where(invoice.NumberIn(words...)).All(ctx)
	if err != nil {
		return nil, "", fmt.Errorf("invoices by number: %w", err)
	}
	return invs, banktransfer.MatchedByInvoiceNumber, nil
}

// numberCandidates are the words of text that could be invoice numbers,
// as written and upper-cased.
func numberCandidates(text string) []string {
	var out []string
	for _, w := range strings.FieldsFunc(text, func(r rune) bool {
		return r == ' ' || r == ',' || r == ';' || r == ':' || r == '\t' || r == '\n' || r == '(' || r == ')' || r == '"' || r == '\''
	}) {
		w = strings.TrimRight(w, ".")
		if len(w) < 3 || len(w) > 64 || !strings.ContainsAny(w, "0123456789") {
			continue
		}
		for _, v := range []string{w, strings.ToUpper(w)} {
			if !slices.Contains(out, v) {
				out = append(out, v)
			}
		}
		if len(out) >= 2*maxTokens {
			break
		}
	}
	return out
}

// byInvoices pays the invoices a transfer names, oldest due first, and
// puts the rest on their customer's cash balance.
func byInvoices(t *ent.BankTransfer, named []*ent.Invoice, rule banktransfer.MatchedBy) matching {
	var open []*ent.Invoice
	reason := Reason("")
	for _, inv := range named {
		switch {
		case inv.Currency != t.Currency:
			reason = CurrencyMismatch
		case inv.Status == invoice.StatusVoid:
			reason = InvoiceVoid
		case inv.Status == invoice.StatusPaid:
			reason = InvoicePaid
		case billing.AmountAvailable(inv) > 0:
			open = append(open, inv)
		default:
			// Open, with everything left in flight.
			reason = InvoicePaid
		}
	}
	if len(open) == 0 {
		return matching{reason: reason}
	}
	for _, inv := range open[1:] {
		if inv.CustomerID != open[0].CustomerID {
			return matching{reason: Ambiguous}
		}
	}
	slices.SortStableFunc(open, oldestDue)
	m := matching{rule: rule, customerID: open[0].CustomerID}
	left := t.Amount
	for _, inv := range open {
		if left == 0 {
			break
		}
		n := min(left, billing.AmountAvailable(inv))
		m.allocations = append(m.allocations, allocation{inv.ID, n})
		left -= n
	}
	return m
}

func oldestDue(a, b *ent.Invoice) int {
	switch {
	case a.DueDate == nil || b.DueDate == nil:
		return 0
	case a.DueDate.Before(*b.DueDate):
		return -1
	case b.DueDate.Before(*a.DueDate):
		return 1
	}
	return strings.Compare(a.ID, b.ID)
}

// byAmount matches t against the customer's open invoices in its
// currency: one whose available amount (or next installment) is exactly
// t's, oldest first; else the fewest of the oldest that add up to it.
func (s *Service) byAmount(ctx context.Context, db *ent.Client, t *ent.BankTransfer, customerID string) (matching, error) {
	open, err := openInvoices(ctx, db, customerID, t.Currency, maxScan)
	if err != nil {
		return matching{}, err
	}
	for _, inv := range open {
		if billing.AmountAvailable(inv) == t.Amount || (len(inv.AmountsDue) > 0 && billing.NextInstallmentAmount(inv) == t.Amount) {
			return matching{rule: banktransfer.MatchedBySenderAmount, customerID: customerID, allocations: []allocation{{inv.ID, t.Amount}}}, nil
		}
	}
	amounts := make([]int64, len(open))
	for i, inv := range open {
		amounts[i] = billing.AmountAvailable(inv)
	}
	set := smallestSet(amounts, t.Amount, maxSet, maxScan)
	if set == nil {
		return matching{reason: NoMatch}, nil
	}
	m := matching{rule: banktransfer.MatchedByAmountSet, customerID: customerID}
	for _, i := range set {
		m.allocations = append(m.allocations, allocation{open[i].ID, amounts[i]})
	}
	return m, nil
}

// openInvoices are a customer's invoices awaiting payment in currency,
// oldest due first.
func openInvoices(ctx context.Context, db *ent.Client, customerID, currency string, limit int) ([]*ent.Invoice, error) {
	invs, err := db.Invoice.Query().
		Where(invoice.CustomerID(customerID), invoice.Currency(currency), invoice.StatusIn(invoice.StatusOpen, invoice.StatusUncollectible)).
		Order(invoice.ByDueDate(), invoice.ByID()).Limit(limit).All(ctx)
	if err != nil {
		return nil, fmt.Errorf("open invoices: %w", err)
	}
	return invs, nil
}

// sender is the one customer the transfer's account paid for before; ""
// when none or several.
func (s *Service) sender(ctx context.Context, db *ent.Client, t *ent.BankTransfer) (string, error) {
	if t.CounterpartyIban == "" {
		return "", nil
	}
	ids, err := db.BankTransfer.Query().
		Where(banktransfer.CounterpartyIban(t.CounterpartyIban), banktransfer.CustomerIDNotNil(), banktransfer.IDNEQ(t.ID)).
		Limit(2).Unique(true).Select(banktransfer.FieldCustomerID).Strings(ctx)
	if err != nil || len(ids) != 1 {
		return "", err
	}
	return ids[0], nil
}
