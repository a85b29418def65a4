package billingtest_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/remitbilling/remit/internal/apitest"
)

// TestBadInput sends one invalid input per case: each is refused with the
// expected code on a field path under "input", and nothing is written.
func TestBadInput(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, c *client) {
		cus := c.newCustomer("Jenny Rosen", "jenny@example.com")
		vat := c.taxRate("TVA", "20", false)
		archived := c.taxRate("TVA 19.6", "19.6", false)
		c.Mutate("taxRateUpdate", `mutation($input: TaxRateUpdateInput!) { taxRateUpdate(input: $input) { taxRate { id active } `+userErrorFields+` } }`,
			map[string]any{"input": map[string]any{"id": archived, "active": false}})
		draft := apitest.Str(t, c.createInvoice(cus, nil), "id")

		invoice := func(extra map[string]any) map[string]any {
			in := map[string]any{"customer": cus, "currency": "USD", "lines": []any{line("Conseil", "1", "100.00")}}
			for k, v := range extra {
				in[k] = v
			}
			return in
		}
		metadata51 := map[string]any{}
		for i := range 51 {
			metadata51[fmt.Sprintf("k%02d", i)] = "v"
		}
		var fields5, lines251 []any
		for i := range 5 {
			fields5 = append(fields5, map[string]any{"name": fmt.Sprintf("Champ %d", i), "value": "x"})
		}
		for range 251 {
			lines251 = append(lines251, line("x", "1", "1"))
		}
		const (
			customerCreate = `mutation($input: CustomerCreateInput!) { customerCreate(input: $input) { customer { id } warnings { code } ` + userErrorFields + ` } }`
			taxRateCreate  = `mutation($input: TaxRateCreateInput!) { taxRateCreate(input: $input) { taxRate { id } ` + userErrorFields + ` } }`
			taxRateUpdate  = `mutation($input: TaxRateUpdateInput!) { taxRateUpdate(input: $input) { taxRate { id } ` + userErrorFields + ` } }`
			priceCreate    = `mutation($input: PriceCreateInput!) { priceCreate(input: $input) { price { id } ` + userErrorFields + ` } }`
		)
		invoiceCreate := invoiceMutation("invoiceCreate", "InvoiceCreateInput")
		cases := []struct {
			name, field, query string
			input              map[string]any
			want               string
		}{
			{"invalid email", "customerCreate", customerCreate,
				map[string]any{"customer": map[string]any{"name": "X", "email": "jenny@"}}, "input.customer.email:INVALID_EMAIL"},
			{"wrong FR VAT key", "customerCreate", customerCreate,
				map[string]any{"customer": map[string]any{"name": "X", "taxIds": []any{map[string]any{"type": "eu_vat", "value": "FR45732829320"}}}},
				"input.customer.taxIds.0.value:INVALID_TAX_ID"},
			{"invalid locale", "customerCreate", customerCreate,
				map[string]any{"customer": map[string]any{"name": "X", "preferredLocales": []any{"fr-FR", "français!"}}}, "input.customer.preferredLocales.1:INVALID_LOCALE"},
			{"51 metadata keys", "customerCreate", customerCreate,
				map[string]any{"customer": map[string]any{"name": "X", "metadata": metadata51}}, "input.customer.metadata:LIMIT_EXCEEDED"},
			{"5 custom fields", "invoiceCreate", invoiceCreate, invoice(map[string]any{"customFields": fields5}), "input.customFields:LIMIT_EXCEEDED"},
			{"251 lines", "invoiceCreate", invoiceCreate, invoice(map[string]any{"lines": lines251}), "input.lines:LIMIT_EXCEEDED"},
			{"quantity with 5 decimals", "invoiceCreate", invoiceCreate,
				invoice(map[string]any{"lines": []any{line("x", "1.00001", "1")}}), "input.lines.0.quantity:INVALID"},
			{"negative unit amount", "invoiceCreate", invoiceCreate,
				invoice(map[string]any{"lines": []any{line("x", "1", "-5.00")}}), "input.lines.0.unitAmount:INVALID_AMOUNT"},
			{"unknown currency", "invoiceCreate", invoiceCreate, invoice(map[string]any{"currency": "XYZ"}), "input.currency:UNKNOWN_CURRENCY"},
			{"unknown price", "invoiceCreate", invoiceCreate,
				invoice(map[string]any{"lines": []any{map[string]any{"price": "price_01kf0e44m0aaaaaaaaaaaaaaaaaa"}}}), "input.lines.0.price:NOT_FOUND"},
			{"unknown tax rate", "invoiceCreate", invoiceCreate,
				invoice(map[string]any{"defaultTaxRates": []any{"txr_01kf0e44m0aaaaaaaaaaaaaaaaaa"}}), "input.defaultTaxRates.0:NOT_FOUND"},
			{"archived tax rate", "invoiceCreate", invoiceCreate,
				invoice(map[string]any{"lines": []any{line("x", "1", "1", "taxRates", []any{vat, archived})}}), "input.lines.0.taxRates.1:INACTIVE"},
			{"discount of 0 %", "invoiceCreate", invoiceCreate,
				invoice(map[string]any{"discounts": []any{map[string]any{"percent": "0"}}}), "input.discounts.0.percent:INVALID"},
			{"discount of 101 %", "invoiceCreate", invoiceCreate,
				invoice(map[string]any{"discounts": []any{map[string]any{"percent": "101"}}}), "input.discounts.0.percent:INVALID"},
			{"unitAmount and unitAmountMinor", "invoiceCreate", invoiceCreate,
				invoice(map[string]any{"lines": []any{map[string]any{"description": "x", "unitAmount": "1.00", "unitAmountMinor": "100"}}}),
				"input.lines.0.unitAmount:INVALID"},
			{"due date in the past", "invoiceCreate", invoiceCreate,
				invoice(map[string]any{"dueDate": ts(t0.Add(-time.Hour))}), "input.dueDate:INVALID"},
			{"daysUntilDue when charging automatically", "invoiceCreate", invoiceCreate,
				invoice(map[string]any{"collectionMethod": "CHARGE_AUTOMATICALLY", "daysUntilDue": 30}), "input.daysUntilDue:INVALID"},
			{"tax rate of 101 %", "taxRateCreate", taxRateCreate,
				map[string]any{"displayName": "TVA", "percentage": "101", "inclusive": false}, "input.percentage:INVALID"},
			{"tax rate percentage changed", "taxRateUpdate", taxRateUpdate,
				map[string]any{"id": vat, "percentage": "21", "displayName": "TVA 21"}, "input.percentage:IMMUTABLE"},
			{"price in an unknown currency", "priceCreate", priceCreate,
				map[string]any{"product": "prod_01kf0e44m0aaaaaaaaaaaaaaaaaa", "currency": "ABC", "unitAmount": "1.00"}, "input.currency:UNKNOWN_CURRENCY"},
			{"line added with too many decimals", "invoiceLineAdd", invoiceMutation("invoiceLineAdd", "InvoiceLineAddInput"),
				map[string]any{"invoice": draft, "lines": []any{line("ok", "1", "1"), line("x", "0.12345", "1")}}, "input.lines.1.quantity:INVALID"},
			{"draft updated with an archived default rate", "invoiceUpdate", invoiceMutation("invoiceUpdate", "InvoiceUpdateInput"),
				map[string]any{"id": draft, "footer": "changed", "defaultTaxRates": []any{archived}}, "input.defaultTaxRates.0:INACTIVE"},
			{"draft updated to another currency", "invoiceUpdate", invoiceMutation("invoiceUpdate", "InvoiceUpdateInput"),
				map[string]any{"id": draft, "currency": "EUR", "memo": "changed"}, "input.currency:CURRENCY_LOCKED"},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				c := c.with(t)
				before := dbState(t, c.Env)
				draftBefore := c.invoice(draft)
				p := c.MutateErr(tc.field, tc.query, map[string]any{"input": tc.input})
				got := codes(p)
				if len(got) == 0 {
					t.Fatalf("accepted: %v", p)
				}
				if got[0] != tc.want {
					t.Errorf("userErrors = %q, want %s first", got, tc.want)
				}
				for _, g := range got {
					if !strings.HasPrefix(g, "input.") {
						t.Errorf("field path %q does not start with input", g)
					}
				}
				for k, v := range p {
					if k != "userErrors" && k != "warnings" && v != nil {
						t.Errorf("%s = %v, want null on a refused mutation", k, v)
					}
				}
				sameDB(t, c.Env, before)
				sameJSON(t, "draft", c.invoice(draft), draftBefore)
			})
		}
	})
}
