package billing

import (
	"time"

	"github.com/remitbilling/remit/ent"
	"github.com/remitbilling/remit/ent/creditnote"
)

// CreditNoteFilter narrows a listing of credit notes; zero fields do not
// filter.
type CreditNoteFilter struct {
	InvoiceID     string
	CustomerID    string
	Statuses      []creditnote.Status
	CreatedAfter  *time.Time
	CreatedBefore *time.Time
}

// Apply adds the filter to q.
func (f CreditNoteFilter) Apply(q *ent.CreditNoteQuery) *ent.CreditNoteQuery {
	if f.InvoiceID != "" {
		q = q.Where(creditnote.InvoiceID(f.InvoiceID))
	}
	if f.CustomerID != "" {
		q = q.Where(creditnote.CustomerID(f.CustomerID))
	}
	if len(f.Statuses) > 0 {
		q = q.Where(creditnote.StatusIn(f.Statuses...))
	}
	if f.CreatedAfter != nil {
		q = q.Where(creditnote.CreatedAtGTE(*f.CreatedAfter))
	}
	if f.CreatedBefore != nil {
		q = q.Where(creditnote.CreatedAtLT(*f.CreatedBefore))
	}
	return q
}
