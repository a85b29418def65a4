package customers

import (
	"context"
	"sync"

	"github.com/remitbilling/remit/ent"
	"github.com/remitbilling/remit/internal/viewer"
)

// maxKnown bounds Known; past it, it starts over.
const maxKnown = 10_000

// Known keeps customers as last read, each under the revision its row had,
// so that a statement which already reads a customer's revision
// (finalization reads it beside the invoice) need not read the row again
// while it is unchanged. The revision moves with every update of the row,
// in any process, so a kept customer whose revision is the row's is the
// row.
//
// Only rows read from committed data may be kept (Keep's callers read
// outside write transactions): a row read inside a transaction may carry
// another transaction's change that is then rolled back, and a later
// change would bring the row to that same revision with other values.
//
// What At returns is a copy to use as a value: it is bound to the client
// that read it, not to the caller's transaction, so it must not run
// queries of its own (QueryX, Update).
type Known struct {
	mu   sync.RWMutex
	rows map[string]*ent.Customer
}

// NewKnown returns an empty Known.
func NewKnown() *Known {
	return &Known{rows: map[string]*ent.Customer{}}
}

// Keep remembers c, read from committed data.
func (k *Known) Keep(c *ent.Customer) {
	kept := *c
	k.mu.Lock()
	defer k.mu.Unlock()
	if len(k.rows) >= maxKnown {
		clear(k.rows)
	}
	if old, ok := k.rows[c.ID]; ok && old.Revision > c.Revision {
		return // a slower reader brings an older row
	}
	k.rows[c.ID] = &kept
}

// At returns a copy of the customer id as kept, if it was kept at revision
// and the viewer in ctx may read it (as the privacy rules of a read would
// decide: its account, its mode, in the portal its customer).
func (k *Known) At(ctx context.Context, id string, revision int64) (*ent.Customer, bool) {
	k.mu.RLock()
	c, ok := k.rows[id]
	k.mu.RUnlock()
	if !ok || c.Revision != revision {
		return nil, false
	}
	v, ok := viewer.FromContext(ctx)
	if !ok || !v.Sees(c.AccountID, c.Mode) || (v.CustomerID != "" && v.CustomerID != c.ID) {
		return nil, false
	}
	cp := *c
	return &cp, true
}

// ReadAt returns the customer id of the caller for tx: the kept row when
// revision (as the caller read it in tx, nil for a customer deleted or not
// found) is the kept one's, else the row read in tx as Read does. A row
// read here is not kept (see Known).
func (k *Known) ReadAt(ctx context.Context, tx *ent.Tx, dialect, id string, revision *int64) (*ent.Customer, error) {
	if revision != nil {
		if c, ok := k.At(ctx, id, *revision); ok {
			return c, nil
		}
	}
	return Read(ctx, tx, dialect, id)
}
