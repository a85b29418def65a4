package server

import (
	"entgo.io/contrib/entgql"

	"github.com/remitbilling/remit/ent"
	"github.com/remitbilling/remit/graph/generated"
	"github.com/remitbilling/remit/graph/model"
)

// linesWeight prices an invoice's line list, which holds up to 250 lines
// but usually a handful.
const linesWeight = 10

// setComplexity prices connections by the page asked for, so a deep or
// wide query is refused before it runs.
func setComplexity(c *generated.ComplexityRoot) {
	page := func(child, first int) int { return 2 + first*child }
	c.Query.Invoices = func(child, first int, _ *entgql.Cursor[string], _ *model.InvoiceFilter, _ *ent.InvoiceOrder) int {
		return page(child, first)
	}
	c.Query.Customers = func(child, first int, _ *entgql.Cursor[string], _ *model.CustomerFilter, _ *ent.CustomerOrder) int {
		return page(child, first)
	}
	c.Query.Products = func(child, first int, _ *entgql.Cursor[string], _ *bool) int { return page(child, first) }
	c.Query.TaxRates = func(child, first int, _ *entgql.Cursor[string], _ *bool) int { return page(child, first) }
	c.Query.Nodes = func(child int, ids []string) int { return 1 + len(ids)*child }
	c.Customer.Invoices = func(child, first int, _ *entgql.Cursor[string]) int { return page(child, first) }
	c.Customer.BalanceTransactions = func(child, first int, _ *entgql.Cursor[string]) int { return page(child, first) }
	c.Invoice.Lines = func(child int) int { return 1 + linesWeight*child }
	c.Query.CreditNotes = func(child, first int, _ *entgql.Cursor[string], _ *model.CreditNoteFilter) int {
		return page(child, first)
	}
	c.CreditNote.Lines = func(child int) int { return 1 + linesWeight*child }
	c.CreditNotePreview.Lines = func(child int) int { return 1 + linesWeight*child }
	c.Invoice.CreditNotes = func(child int) int { return 1 + linesWeight*child }
}
