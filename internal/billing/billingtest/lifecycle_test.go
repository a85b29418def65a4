package billingtest_test

import (
	"slices"
	"testing"

	"github.com/remitbilling/remit/internal/apitest"
)

// lifecycleAction is one mutation tried on an invoice in every status.
type lifecycleAction struct {
	name   string
	action string // the availableActions entry it needs
	field  string // the mutation
	input  func(id string) map[string]any
	// refusedCode is the code when the status does not allow it.
	refusedCode string
	// after is the status the invoice is in afterwards when allowed; ""
	// for "unchanged", "-" for "deleted".
	after string
}

var lifecycleActions = []lifecycleAction{
	{
		name: "update", action: "EDIT", field: "invoiceUpdate",
		input:       func(id string) map[string]any { return map[string]any{"id": id, "footer": "Merci de votre confiance."} },
		refusedCode: "INVOICE_NOT_EDITABLE",
	},
	{
		name: "update memo", action: "EDIT_MEMO", field: "invoiceUpdate",
		input: func(id string) map[string]any {
			return map[string]any{"id": id, "memo": "Paiement à 30 jours", "metadata": map[string]any{"po": "12345"}}
		},
		refusedCode: "INVOICE_NOT_EDITABLE",
	},
	{
		name: "add line", action: "EDIT", field: "invoiceLineAdd",
		input: func(id string) map[string]any {
			return map[string]any{"invoice": id, "lines": []any{line("Support", "1", "100")}}
		},
		refusedCode: "INVOICE_NOT_EDITABLE",
	},
	{
		name: "delete", action: "DELETE", field: "invoiceDelete",
		input:       func(id string) map[string]any { return map[string]any{"id": id} },
		refusedCode: "INVALID_TRANSITION", after: "-",
	},
	{
		name: "finalize", action: "FINALIZE", field: "invoiceFinalize",
		input:       func(id string) map[string]any { return map[string]any{"id": id} },
		refusedCode: "INVALID_TRANSITION", after: "OPEN",
	},
	{
		name: "mark paid", action: "MARK_PAID", field: "invoiceMarkPaid",
		input: func(id string) map[string]any {
			return map[string]any{"id": id, "method": "check", "reference": "CHQ 0042"}
		},
		refusedCode: "INVALID_TRANSITION", after: "PAID",
	},
	{
		name: "void", action: "VOID", field: "invoiceVoid",
		input:       func(id string) map[string]any { return map[string]any{"id": id} },
		refusedCode: "INVALID_TRANSITION", after: "VOID",
	},
	{
		name: "mark uncollectible", action: "MARK_UNCOLLECTIBLE", field: "invoiceMarkUncollectible",
		input:       func(id string) map[string]any { return map[string]any{"id": id} },
		refusedCode: "INVALID_TRANSITION", after: "UNCOLLECTIBLE",
	},
	{
		name: "revise", action: "REVISE", field: "invoiceRevise",
		input:       func(id string) map[string]any { return map[string]any{"id": id} },
		refusedCode: "INVALID_TRANSITION",
	},
	{
		// The customer's default card (4242…) pays everything remaining.
		name: "pay", action: "PAY", field: "invoicePay",
		input:       func(id string) map[string]any { return map[string]any{"id": id} },
		refusedCode: "INVALID_TRANSITION", after: "PAID",
	},
	{
		name: "duplicate", action: "DUPLICATE", field: "invoiceDuplicate",
		input:       func(id string) map[string]any { return map[string]any{"id": id} },
		refusedCode: "INVALID_TRANSITION",
	},
}

// allowed is the lifecycle of the seed and of the reference (§2.2): what
// each status allows.
var allowed = map[string][]string{
	"DRAFT":         {"update", "update memo", "add line", "delete", "finalize", "duplicate"},
	"OPEN":          {"update memo", "mark paid", "void", "mark uncollectible", "revise", "duplicate", "pay"},
	"UNCOLLECTIBLE": {"mark paid", "void", "revise", "duplicate", "pay"},
	"PAID":          {"duplicate"},
	"VOID":          {"duplicate"},
}

// inStatus creates an invoice and moves it to status.
func (c *client) inStatus(cus, status string) string {
	c.t.Helper()
	id := apitest.Str(c.t, c.createInvoice(cus, nil), "id")
	if status == "DRAFT" {
		return id
	}
	c.finalize(id)
	switch status {
	case "PAID":
		c.markPaid(id)
	case "UNCOLLECTIBLE":
		c.byID("invoiceMarkUncollectible", id)
	case "VOID":
		c.byID("invoiceVoid", id)
	}
	return id
}

// TestLifecycleMatrix tries every action on an invoice in every status
// through the API: allowed ones succeed and do what they say, refused ones
// fail with the right code and write nothing, and availableActions lists
// exactly the ones that succeeded.
func TestLifecycleMatrix(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, c *client) {
		cus := c.newCustomer("Jenny Rosen", "jenny@example.com")
		c.Mutate("paymentMethodAttach", `mutation($c: ID!) { paymentMethodAttach(input: {customer: $c, card: {number: "4242424242424242", expMonth: 12, expYear: 2034, cvc: "123"}}) { paymentMethod { id } userErrors { code } } }`, map[string]any{"c": cus})
		for _, status := range []string{"DRAFT", "OPEN", "UNCOLLECTIBLE", "PAID", "VOID"} {
			t.Run(status, func(t *testing.T) {
				c := c.with(t)
				var succeeded []string
				var available []string
				for _, a := range lifecycleActions {
					t.Run(a.name, func(t *testing.T) {
						c := c.with(t)
						id := c.inStatus(cus, status)
						before := c.invoice(id)
						if available == nil {
							available = strs(before["availableActions"])
						}
						db := dbState(t, c.Env)
						mutation := invoiceMutation(a.field, invoiceInputTypes[a.field])
						if a.field == "invoiceDelete" {
							mutation = `mutation($input: InvoiceIDInput!) { invoiceDelete(input: $input) { deletedId ` + userErrorFields + ` } }`
						}
						var p map[string]any
						if a.field == "invoicePay" {
							p = c.MutateKeyed(a.field, mutation, map[string]any{"input": a.input(id)}, "pay-"+id)
						} else {
							p = c.MutateErr(a.field, mutation, map[string]any{"input": a.input(id)})
						}
						want := slices.Contains(allowed[status], a.name)
						if !want {
							field := "input.id"
							if a.field == "invoiceLineAdd" {
								field = "input.invoice"
							}
							wantCodes(t, p, field+":"+a.refusedCode)
							if p["invoice"] != nil {
								t.Errorf("a refused mutation returns no invoice, got %v", p["invoice"])
							}
							sameJSON(t, "invoice after a refused "+a.name, c.invoice(id), before)
							sameDB(t, c.Env, db)
							return
						}
						if ue := p["userErrors"].([]any); len(ue) > 0 {
							t.Fatalf("%s on %s refused: %v", a.name, status, ue)
						}
						succeeded = append(succeeded, a.action)
						after := c.invoice(id)
						switch a.after {
						case "-":
							eq(t, "deletedId", p["deletedId"], any(id))
							if after != nil {
								t.Errorf("deleted invoice still readable: %v", after)
							}
							return
						case "":
							eq(t, "status", after["status"], before["status"])
						default:
							eq(t, "status", after["status"], any(a.after))
						}
						switch a.name {
						case "update":
							eq(t, "footer", after["footer"], any("Merci de votre confiance."))
						case "update memo":
							eq(t, "memo", after["memo"], any("Paiement à 30 jours"))
							eq(t, "metadata.po", apitest.Str(t, after, "metadata", "po"), "12345")
							sameJSON(t, "lines after a memo edit", after["lines"], before["lines"])
						case "add line":
							eq(t, "lines", len(after["lines"].([]any)), 2)
							eq(t, "total", money(t, after, "total"), "5100.00")
						case "revise", "duplicate":
							cp := p["invoice"].(map[string]any)
							eq(t, "copy status", cp["status"], any("DRAFT"))
							if cp["id"] == id || cp["number"] != nil {
								t.Errorf("the copy is a new unnumbered draft, got %v %v", cp["id"], cp["number"])
							}
							eq(t, "copy total", money(t, cp, "total"), "5000.00")
							link, other := "duplicatedFrom", "fromInvoice"
							if a.name == "revise" {
								link, other = other, link
							}
							eq(t, link, apitest.Str(t, cp, link, "id"), id)
							if cp[other] != nil {
								t.Errorf("%s = %v, want null", other, cp[other])
							}
						}
					})
				}
				slices.Sort(available)
				slices.Sort(succeeded)
				succeeded = slices.Compact(succeeded)
				sameJSON(t, "availableActions of a "+status+" invoice vs the actions that succeeded", available, succeeded)
			})
		}
	})
}
