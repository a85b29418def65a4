package billing

import (
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/remitbilling/remit/ent"
	"github.com/remitbilling/remit/ent/invoice"
	"github.com/remitbilling/remit/internal/usererr"
)

// Action is something a caller can do to an invoice. AvailableActions tells
// clients which ones apply, so none of them re-implements these rules.
type Action string

const (
	// ActionEdit changes any field or line of a draft.
	ActionEdit Action = "EDIT"
	// ActionEditMemo changes only the memo and metadata, which stay
	// editable after finalization.
	ActionEditMemo          Action = "EDIT_MEMO"
	ActionDelete            Action = "DELETE"
	ActionFinalize          Action = "FINALIZE"
	ActionMarkPaid          Action = "MARK_PAID"
	ActionVoid              Action = "VOID"
	ActionMarkUncollectible Action = "MARK_UNCOLLECTIBLE"
	ActionRevise            Action = "REVISE"
	ActionDuplicate         Action = "DUPLICATE"
	// ActionPay collects a payment through Remit.
	ActionPay Action = "PAY"
)

// Actions lists every action in display order.
var Actions = []Action{
	ActionEdit, ActionEditMemo, ActionDelete, ActionFinalize, ActionMarkPaid,
	ActionVoid, ActionMarkUncollectible, ActionRevise, ActionDuplicate, ActionPay,
}

// stay marks an action that does not change the status.
const stay invoice.Status = ""

// lifecycle is the one state machine of an invoice (seed "invoice
// lifecycle"): for each status, the actions allowed and the status they lead
// to. Paid and void are final: only duplication remains.
var lifecycle = map[invoice.Status]map[Action]invoice.Status{
	invoice.StatusDraft: {
		ActionEdit:      stay,
		ActionEditMemo:  stay,
		ActionDelete:    stay,
		ActionFinalize:  invoice.StatusOpen,
		ActionDuplicate: stay,
	},
	invoice.StatusOpen: {
		ActionEditMemo:          stay,
		ActionMarkPaid:          invoice.StatusPaid,
		ActionVoid:              invoice.StatusVoid,
		ActionMarkUncollectible: invoice.StatusUncollectible,
		ActionRevise:            stay,
		ActionDuplicate:         stay,
		ActionPay:               stay,
		actionSettle:            invoice.StatusPaid,
	},
	invoice.StatusUncollectible: {
		ActionPay:       stay,
		actionSettle:    invoice.StatusPaid,
		ActionMarkPaid:  invoice.StatusPaid,
		ActionVoid:      invoice.StatusVoid,
		ActionRevise:    stay,
		ActionDuplicate: stay,
	},
	invoice.StatusPaid: {
		ActionDuplicate: stay,
	},
	invoice.StatusVoid: {
		ActionDuplicate: stay,
	},
}

// TransitionError says an action is not allowed in a status.
type TransitionError struct {
	Status invoice.Status
	Action Action
}

func (e *TransitionError) Error() string {
	return fmt.Sprintf("cannot %s an invoice that is %s", actionVerb(e.Action), strings.ToLower(string(e.Status)))
}

func actionVerb(a Action) string {
	switch a {
	case ActionEdit:
		return "edit"
	case ActionEditMemo:
		return "edit the memo of"
	case ActionDelete:
		return "delete"
	case ActionFinalize:
		return "finalize"
	case ActionMarkPaid:
		return "mark paid"
	case ActionVoid:
		return "void"
	case ActionMarkUncollectible:
		return "mark uncollectible"
	case ActionRevise:
		return "revise"
	case ActionDuplicate:
		return "duplicate"
	case ActionPay:
		return "pay"
	}
	return string(a)
}

// Can reports whether action is allowed in status.
func Can(status invoice.Status, action Action) bool {
	_, ok := lifecycle[status][action]
	return ok
}

// Next returns the status action leads to from status; the same status for
// actions that do not move the invoice.
func Next(status invoice.Status, action Action) (invoice.Status, error) {
	to, ok := lifecycle[status][action]
	if !ok {
		return "", &TransitionError{Status: status, Action: action}
	}
	if to == stay {
		return status, nil
	}
	return to, nil
}

// AvailableActions lists the actions allowed in status, in display order.
func AvailableActions(status invoice.Status) []Action {
	var out []Action
	for _, a := range Actions {
		if Can(status, a) {
			out = append(out, a)
		}
	}
	return out
}

// ActionsFor lists what can be done to inv: the state machine's actions
// for its status, less those its payments rule out.
func ActionsFor(inv *ent.Invoice) []Action {
	var out []Action
	for _, a := range AvailableActions(inv.Status) {
		if paymentGuard(inv, a) == nil {
			out = append(out, a)
		}
	}
	return out
}

// paymentGuard refuses what money already received forbids: voiding or
// revising an invoice with payments (a credit note corrects it) or with
// credit notes standing (they would correct an invoice that no longer
// exists), marking a
// payment plan uncollectible after its first payment (seed "payment
// plans"), and marking paid out of band while a payment is in flight.
func paymentGuard(inv *ent.Invoice, a Action) error {
	received := inv.AmountPaid > 0 && inv.Status != invoice.StatusPaid
	inFlight := inv.AmountPending > 0
	switch a {
	case ActionVoid, ActionRevise:
		verb := map[Action]string{ActionVoid: "voided", ActionRevise: "revised"}[a]
		switch {
		case received:
			return usererr.New(usererr.HasPayments, "this invoice has payments: it can no longer be "+verb+"; issue a credit note (creditNoteCreate) to correct it", "id")
		case inFlight:
			return usererr.New(usererr.HasPayments, "a payment of this invoice is in progress: it cannot be "+verb+" until its outcome is known (once paid, issue a credit note (creditNoteCreate) to correct it)", "id")
		case inv.PrePaymentCreditNotesAmount > 0 || inv.PostPaymentCreditNotesAmount > 0:
			return usererr.New(usererr.HasCreditNotes, "this invoice has credit notes: void them (creditNoteVoid) before it can be "+verb, "id")
		}
	case ActionMarkUncollectible:
		if len(inv.AmountsDue) > 0 && (received || inFlight) {
			return usererr.New(usererr.HasPayments, "a payment plan that has received a payment cannot be marked uncollectible", "id")
		}
	case ActionMarkPaid:
		if inFlight {
			return usererr.New(usererr.HasPayments, "a payment is in progress; wait for its outcome before marking the invoice paid", "id")
		}
	case ActionPay:
		if AmountRemaining(inv) <= 0 {
			return usererr.New(usererr.InvalidTransition, "nothing remains to pay", "id")
		}
	}
	return nil
}

// MarshalGQL writes the action as a GraphQL enum value.
func (a Action) MarshalGQL(w io.Writer) { _, _ = io.WriteString(w, strconv.Quote(string(a))) }

// UnmarshalGQL reads a GraphQL enum value.
func (a *Action) UnmarshalGQL(v any) error {
	s, ok := v.(string)
	if !ok {
		return fmt.Errorf("action must be a string")
	}
	*a = Action(s)
	return nil
}
