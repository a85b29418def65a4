package billing

import (
	"slices"
	"testing"

	"github.com/remitbilling/remit/ent/invoice"
)

// TestLifecycle walks every (status, action) pair against the seed's table
// of what each invoice state allows.
func TestLifecycle(t *testing.T) {
	const no = invoice.Status("-")
	// want[status][action] is the status the action leads to, or no.
	want := map[invoice.Status]map[Action]invoice.Status{
		invoice.StatusDraft: {
			ActionEdit: invoice.StatusDraft, ActionEditMemo: invoice.StatusDraft, ActionDelete: invoice.StatusDraft,
			ActionFinalize: invoice.StatusOpen, ActionMarkPaid: no, ActionVoid: no,
			ActionMarkUncollectible: no, ActionRevise: no, ActionDuplicate: invoice.StatusDraft, ActionPay: no,
		},
		invoice.StatusOpen: {
			ActionEdit: no, ActionEditMemo: invoice.StatusOpen, ActionDelete: no, ActionFinalize: no,
			ActionMarkPaid: invoice.StatusPaid, ActionVoid: invoice.StatusVoid,
			ActionMarkUncollectible: invoice.StatusUncollectible, ActionRevise: invoice.StatusOpen,
			ActionDuplicate: invoice.StatusOpen, ActionPay: invoice.StatusOpen,
		},
		invoice.StatusUncollectible: {
			ActionEdit: no, ActionEditMemo: no, ActionDelete: no, ActionFinalize: no,
			ActionMarkPaid: invoice.StatusPaid, ActionVoid: invoice.StatusVoid,
			ActionMarkUncollectible: no, ActionRevise: invoice.StatusUncollectible,
			ActionDuplicate: invoice.StatusUncollectible, ActionPay: invoice.StatusUncollectible,
		},
		invoice.StatusPaid: {
			ActionEdit: no, ActionEditMemo: no, ActionDelete: no, ActionFinalize: no, ActionMarkPaid: no,
			ActionVoid: no, ActionMarkUncollectible: no, ActionRevise: no, ActionDuplicate: invoice.StatusPaid, ActionPay: no,
		},
		invoice.StatusVoid: {
			ActionEdit: no, ActionEditMemo: no, ActionDelete: no, ActionFinalize: no, ActionMarkPaid: no,
			ActionVoid: no, ActionMarkUncollectible: no, ActionRevise: no, ActionDuplicate: invoice.StatusVoid, ActionPay: no,
		},
	}
	all := []invoice.Status{invoice.StatusDraft, invoice.StatusOpen, invoice.StatusUncollectible, invoice.StatusPaid, invoice.StatusVoid}
	for _, st := range all {
		if err := invoice.StatusValidator(st); err != nil {
			t.Fatalf("status %s: %v", st, err)
		}
		row, ok := want[st]
		if !ok {
			t.Fatalf("status %s missing from the expected table", st)
		}
		for _, action := range Actions {
			t.Run(string(st)+"/"+string(action), func(t *testing.T) {
				expected, ok := row[action]
				if !ok {
					t.Fatalf("pair missing from the expected table")
				}
				got, err := Next(st, action)
				if expected == no {
					if err == nil {
						t.Fatalf("allowed, leading to %s; want refused", got)
					}
					if Can(st, action) || slices.Contains(AvailableActions(st), action) {
						t.Fatalf("refused by Next but offered by Can/AvailableActions")
					}
					return
				}
				if err != nil {
					t.Fatalf("refused (%v); want -> %s", err, expected)
				}
				if got != expected {
					t.Fatalf("leads to %s; want %s", got, expected)
				}
				if !Can(st, action) || !slices.Contains(AvailableActions(st), action) {
					t.Fatalf("allowed by Next but not offered by Can/AvailableActions")
				}
			})
		}
	}
}

// TestFinalStates checks paid and void are terminal: nothing moves them.
func TestFinalStates(t *testing.T) {
	for _, st := range []invoice.Status{invoice.StatusPaid, invoice.StatusVoid} {
		for _, a := range Actions {
			if to, err := Next(st, a); err == nil && to != st {
				t.Errorf("%s --%s--> %s: final states must not move", st, a, to)
			}
		}
	}
}
