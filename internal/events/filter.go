package events

import (
	"time"

	"github.com/remitbilling/remit/ent"
	"github.com/remitbilling/remit/ent/event"
	"github.com/remitbilling/remit/internal/usererr"
)

// MaxFilterTypes bounds the types one listing asks for.
const MaxFilterTypes = 50

// Filter narrows a listing of events. Zero fields do not filter.
type Filter struct {
	Types         []string
	ObjectID      string
	CreatedAfter  *time.Time
	CreatedBefore *time.Time
}

// Validate refuses types no event has: a typo would otherwise list nothing
// and look like silence.
func (f Filter) Validate() error {
	if len(f.Types) > MaxFilterTypes {
		return usererr.Newf(usererr.LimitExceeded, []string{"types"}, "at most %d types", MaxFilterTypes)
	}
	for i, t := range f.Types {
		if !Known(t) {
			return usererr.Newf(usererr.Invalid, []string{"types", itoa(i)}, "%q is not an event type", t)
		}
	}
	return nil
}

// Apply adds the filter to q.
func (f Filter) Apply(q *ent.EventQuery) *ent.EventQuery {
	if len(f.Types) > 0 {
		q = q.Where(event.TypeIn(f.Types...))
	}
	if f.ObjectID != "" {
		q = q.Where(event.ObjectID(f.ObjectID))
	}
	if f.CreatedAfter != nil {
		q = q.Where(event.CreatedAtGTE(*f.CreatedAfter))
	}
	if f.CreatedBefore != nil {
		q = q.Where(event.CreatedAtLT(*f.CreatedBefore))
	}
	return q
}

func itoa(i int) string {
	const digits = "0123456789"
	if i < 10 {
		return digits[i : i+1]
	}
	return itoa(i/10) + digits[i%10:i%10+1]
}
