package banktransfers

import (
	"github.com/remitbilling/remit/ent"
	"github.com/remitbilling/remit/ent/banktransfer"
)

// Filter narrows the list of transfers.
type Filter struct {
	Statuses   []banktransfer.Status
	CustomerID string
}

// Apply adds f's conditions to q.
func (f Filter) Apply(q *ent.BankTransferQuery) *ent.BankTransferQuery {
	if len(f.Statuses) > 0 {
		q = q.Where(banktransfer.StatusIn(f.Statuses...))
	}
	if f.CustomerID != "" {
		q = q.Where(banktransfer.CustomerID(f.CustomerID))
	}
	return q
}
