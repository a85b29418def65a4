package billing

import (
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/remitbilling/remit/ent/invoice"
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
)

// Actions lists every action in display order.
var Actions = []Action{
	ActionEdit, ActionEditMemo, ActionDelete, ActionFinalize, ActionMarkPaid,
	ActionVoid, ActionMarkUncollectible, ActionRevise, ActionDuplicate,
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
	},
	invoice.StatusUncollectible: {
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
