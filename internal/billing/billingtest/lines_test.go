package billingtest_test

import (
	"testing"

	"github.com/remitbilling/remit/internal/apitest"
)

// TestLineEdits checks a line edited from a catalog price to a free amount
// forgets the price, and edits and removals keep totals and positions right.
func TestLineEdits(t *testing.T) {
	each(t, func(t *testing.T, c *client) {
		prod := c.Mutate("productCreate", `mutation($in: ProductCreateInput!) { productCreate(input: $in) { product { id } userErrors { code } } }`,
			map[string]any{"in": map[string]any{"name": "Support plan"}})
		price := c.Mutate("priceCreate", `mutation($in: PriceCreateInput!) { priceCreate(input: $in) { price { id } userErrors { code } } }`,
			map[string]any{"in": map[string]any{"product": apitest.Str(t, prod, "product", "id"), "currency": "USD", "unitAmount": "120.00"}})
		priceID := apitest.Str(t, price, "price", "id")
		cus := c.newCustomer("Line Editor", "lines@example.com")
		inv := c.createInvoice(cus, map[string]any{"lines": []any{
			map[string]any{"price": priceID, "quantity": "2"},
			line("Setup", "1", "50.00"),
		}})
		id := apitest.Str(t, inv, "id")
		q := `query($id: ID!) { invoice(id: $id) { total { amount } lines { id position description price { id } unitAmount amount { amount } } } }`
		got := c.Query(q, map[string]any{"id": id})["invoice"]
		eq(t, "total", apitest.Str(t, got, "total", "amount"), "290.00")
		eq(t, "line 0 description from the product", apitest.Str(t, got, "lines", 0, "description"), "Support plan")
		eq(t, "line 0 price", apitest.Str(t, got, "lines", 0, "price", "id"), priceID)
		first := apitest.Str(t, got, "lines", 0, "id")

		c.invoiceOK("invoiceLineUpdate", map[string]any{"id": first, "line": map[string]any{"unitAmount": "100.00"}})
		got = c.Query(q, map[string]any{"id": id})["invoice"]
		if p := apitest.Get(t, got, "lines", 0, "price"); p != nil {
			t.Fatalf("line still points at price %v after getting its own unit amount", p)
		}
		eq(t, "line 0 unit amount", apitest.Str(t, got, "lines", 0, "unitAmount"), "100")
		eq(t, "total after edit", apitest.Str(t, got, "total", "amount"), "250.00")

		c.invoiceOK("invoiceLineRemove", map[string]any{"id": first})
		got = c.Query(q, map[string]any{"id": id})["invoice"]
		lines := apitest.Get(t, got, "lines").([]any)
		if len(lines) != 1 || apitest.Get(t, lines[0], "position") != float64(0) {
			t.Fatalf("after removal: lines %v, want the setup line alone at position 0", lines)
		}
		eq(t, "total after removal", apitest.Str(t, got, "total", "amount"), "50.00")
	})
}
