package billing

import (
	"context"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode"

	"github.com/remitbilling/remit/ent"
	"github.com/remitbilling/remit/ent/event"
	"github.com/remitbilling/remit/ent/invoice"
	"github.com/remitbilling/remit/ent/invoicetransition"
	"github.com/remitbilling/remit/internal/clock"
	"github.com/remitbilling/remit/internal/events"
)

// HistoryAction names a step of an invoice's history, as clients read it
// in history.action. The values are stable.
type HistoryAction string

const (
	HistoryCreate             HistoryAction = "create"
	HistoryRevise             HistoryAction = "revise"
	HistoryDuplicate          HistoryAction = "duplicate"
	HistoryFinalize           HistoryAction = "finalize"
	HistorySend               HistoryAction = "send"
	HistoryPayment            HistoryAction = "payment"
	HistoryPaymentFailed      HistoryAction = "payment_failed"
	HistoryPaymentDisputed    HistoryAction = "payment_disputed"
	HistoryMarkPaid           HistoryAction = "mark_paid"
	HistoryRecordPayment      HistoryAction = "record_payment"
	HistoryVoid               HistoryAction = "void"
	HistoryMarkUncollectible  HistoryAction = "mark_uncollectible"
	HistoryOverdue            HistoryAction = "overdue"
	HistoryReminder           HistoryAction = "reminder"
	HistoryCollectionSettings HistoryAction = "collection_settings"
	HistoryScheduled          HistoryAction = "payment_scheduled"
	HistoryScheduleCanceled   HistoryAction = "payment_schedule_canceled"
)

// actionSettle is the state machine's move when what is due has been paid
// (a payment completing it, or nothing due at finalization). It is no
// caller's action, so it is not in Actions.
const actionSettle Action = "SETTLE"

// step is one entry of an invoice's history: the lifecycle action that
// moves its status (none for a step that only records, such as a send),
// the event it records and a note for people.
type step struct {
	history HistoryAction
	action  Action
	event   events.Type
	note    string
}

// update starts the update of inv that transition saves: a plain UPDATE
// by id (scoped like every write), because an UpdateOne would read the
// row back, and transition already knows what it becomes.
func update(tx *ent.Tx, inv *ent.Invoice) *ent.InvoiceUpdate {
	return tx.Invoice.Update().Where(invoice.ID(inv.ID))
}

// transition is the one writer of an invoice's status. It asks the state
// machine where each step leads from the status the previous one reached,
// sets the status and its timestamp on u (an update of inv, see update,
// which the caller may have filled with the step's other changes), saves
// it, then records each step (its event, which is its history entry), in order, all
// in tx. It returns the invoice as it now stands.
func transition(ctx context.Context, tx *ent.Tx, inv *ent.Invoice, u *ent.InvoiceUpdate, steps ...step) (*ent.Invoice, error) {
	now := clock.Now(ctx)
	status := inv.Status
	moves := make([][2]invoice.Status, len(steps))
	for i, st := range steps {
		from := status
		if st.action != "" {
			to, err := Next(status, st.action)
			if err != nil {
				return nil, err
			}
			if to != status {
				stamp(u, to, now)
			}
			status = to
		}
		moves[i] = [2]invoice.Status{from, status}
	}
	u.SetStatus(status)
	if status != invoice.StatusOpen && inv.NextCollectionAt != nil {
		clearCollection(u) // nothing more is chased once it is not open
	}
	n, err := u.Save(ctx)
	if err != nil {
		return nil, fmt.Errorf("%s invoice: %w", steps[0].history, err)
	}
	if n != 1 {
		// The caller loaded inv in tx (locked where the database needs
		// it): it cannot have gone.
		return nil, fmt.Errorf("%s invoice %s: %d rows updated", steps[0].history, inv.ID, n)
	}
	after := applied(inv, u.Mutation())
	for i, st := range steps {
		if err := writeStep(ctx, tx, after, st, moves[i][0], moves[i][1]); err != nil {
			return nil, err
		}
	}
	return after, nil
}

// stamp sets the timestamp of reaching status, unless the caller set it
// (a payment received outside Remit carries its own date).
func stamp(u *ent.InvoiceUpdate, status invoice.Status, now time.Time) {
	m := u.Mutation()
	switch status {
	case invoice.StatusOpen:
		if _, ok := m.FinalizedAt(); !ok {
			u.SetFinalizedAt(now)
		}
	case invoice.StatusPaid:
		if _, ok := m.PaidAt(); !ok {
			u.SetPaidAt(now)
		}
	case invoice.StatusVoid:
		if _, ok := m.VoidedAt(); !ok {
			u.SetVoidedAt(now)
		}
	case invoice.StatusUncollectible:
		if _, ok := m.MarkedUncollectibleAt(); !ok {
			u.SetMarkedUncollectibleAt(now)
		}
	}
}

// note records a step that does not move the status (a send, a failed
// payment, the creation of a draft): its event, which is its history entry.
func note(ctx context.Context, tx *ent.Tx, inv *ent.Invoice, st step) error {
	from := inv.Status
	switch st.history {
	case HistoryCreate, HistoryRevise, HistoryDuplicate:
		from = ""
	}
	return writeStep(ctx, tx, inv, st, from, inv.Status)
}

// writeStep records one step of inv's history: its event, which carries
// the step (the history is read from the invoice's events).
func writeStep(ctx context.Context, tx *ent.Tx, inv *ent.Invoice, st step, from, to invoice.Status) error {
	return events.RecordStep(ctx, tx, st.event, inv, events.Step{
		Action: string(st.history), From: string(from), To: string(to), Note: st.note,
	})
}

// applied returns inv with the changes of m, an update of it, applied: the
// invoice as it stands after the update, without reading it back (ent's
// UpdateOne would, one SELECT of the whole row per transition). Every
// field m sets, adds to or clears is carried; TestAppliedIsWhatIsStored
// compares the result with a read.
func applied(inv *ent.Invoice, m *ent.InvoiceMutation) *ent.Invoice {
	out := *inv
	v := reflect.ValueOf(&out).Elem()
	cols := invoiceColumns()
	for _, name := range m.Fields() {
		i, ok := cols[name]
		if !ok {
			continue
		}
		val, _ := m.Field(name)
		f := v.Field(i)
		nv := reflect.ValueOf(val)
		if f.Kind() == reflect.Pointer && nv.Kind() != reflect.Pointer {
			p := reflect.New(f.Type().Elem())
			p.Elem().Set(nv.Convert(f.Type().Elem()))
			nv = p
		}
		f.Set(nv.Convert(f.Type()))
	}
	for _, name := range m.AddedFields() {
		if i, ok := cols[name]; ok {
			add, _ := m.AddedField(name)
			f := v.Field(i)
			f.SetInt(f.Int() + reflect.ValueOf(add).Int())
		}
	}
	for _, name := range m.ClearedFields() {
		if i, ok := cols[name]; ok {
			f := v.Field(i)
			f.Set(reflect.Zero(f.Type()))
		}
	}
	return &out
}

// invoiceColumns maps each column of ent.Invoice to its struct field: the
// JSON name ent gives the field, or, for fields it hides from JSON
// (json:"-"), the field's name in snake case.
var invoiceColumns = sync.OnceValue(func() map[string]int {
	t := reflect.TypeFor[ent.Invoice]()
	out := make(map[string]int, t.NumField())
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() || f.Name == "Edges" {
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" || name == "" {
			name = snake(f.Name)
		}
		out[name] = i
	}
	return out
})

// snake turns ent's Go field name back into its column name
// (HostedTokenExpiresAt → hosted_token_expires_at, CustomerID →
// customer_id).
func snake(s string) string {
	var b strings.Builder
	for i, r := range s {
		upper := r >= 'A' && r <= 'Z'
		if upper && i > 0 && !(s[i-1] >= 'A' && s[i-1] <= 'Z') {
			b.WriteByte('_')
		}
		b.WriteRune(unicode.ToLower(r))
	}
	return b.String()
}

// History returns the steps of invoice id's history, oldest first: those
// recorded as events, after the rows of invoice_transitions written before
// events carried them.
func (s *Service) History(ctx context.Context, id string) ([]*ent.InvoiceTransition, error) {
	legacy, err := s.db.InvoiceTransition.Query().Where(invoicetransition.InvoiceID(id)).All(ctx)
	if err != nil {
		return nil, fmt.Errorf("history of %s: %w", id, err)
	}
	evs, err := s.db.Event.Query().
		Where(event.ObjectID(id), event.HistoryActionNEQ("")).
		Order(ent.Asc(event.FieldCreatedAt), ent.Asc(event.FieldID)).
		All(ctx)
	if err != nil {
		return nil, fmt.Errorf("history of %s: %w", id, err)
	}
	out := slices.Grow(legacy, len(evs))
	for _, e := range evs {
		out = append(out, &ent.InvoiceTransition{
			ID:         e.ID,
			CreatedAt:  e.CreatedAt,
			UpdatedAt:  e.CreatedAt,
			AccountID:  e.AccountID,
			Mode:       e.Mode,
			InvoiceID:  e.ObjectID,
			Action:     e.HistoryAction,
			FromStatus: e.FromStatus,
			ToStatus:   e.ToStatus,
			Actor:      events.Actor{Type: events.ActorType(e.ActorType), ID: e.ActorID}.String(),
			Note:       e.Note,
		})
	}
	return out, nil
}
