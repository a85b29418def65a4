package billingtest_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"entgo.io/ent/dialect"

	"github.com/remitbilling/remit/internal/apitest"
)

// customerIDs lists the customers matching filter, page by page of size,
// checking pageInfo and totalCount on the way.
func (c *client) customerIDs(filter map[string]any, size int) []string {
	c.t.Helper()
	var ids []string
	var after any
	total := -1
	for page := 0; ; page++ {
		data := c.Query(`query($first: Int!, $after: Cursor, $filter: CustomerFilter) {
  customers(first: $first, after: $after, filter: $filter) {
    totalCount pageInfo { hasNextPage hasPreviousPage startCursor endCursor } edges { cursor node { id } } } }`,
			map[string]any{"first": size, "after": after, "filter": filter})
		conn := apitest.Get(c.t, data, "customers").(map[string]any)
		n := int(conn["totalCount"].(float64))
		if total >= 0 && n != total {
			c.t.Errorf("totalCount moved from %d to %d between pages", total, n)
		}
		total = n
		edges := conn["edges"].([]any)
		for _, e := range edges {
			ids = append(ids, apitest.Str(c.t, e, "node", "id"))
		}
		info := conn["pageInfo"].(map[string]any)
		if len(edges) > 0 {
			eq(c.t, "endCursor", info["endCursor"], edges[len(edges)-1].(map[string]any)["cursor"])
		}
		if !info["hasNextPage"].(bool) {
			break
		}
		if page > 50 {
			c.t.Fatal("no end to the pages")
		}
		after = info["endCursor"]
	}
	if total != len(ids) {
		c.t.Errorf("totalCount %d, but %d customers listed", total, len(ids))
	}
	return ids
}

// TestCustomers covers the customer resource (seed "Clients", reference
// §3): a full profile, duplicate-email warnings, updates, search and
// pagination, the currency lock, and deletion.
func TestCustomers(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, c *client) {
		full := map[string]any{
			"name":        "Jenny Rosen",
			"email":       "Jenny.Rosen@Example.com",
			"phone":       "+33 6 12 34 56 78",
			"description": "Client depuis 2019",
			"address":     map[string]any{"line1": "10 rue de Rivoli", "line2": "Bât. B", "city": "Paris", "state": "IDF", "postalCode": "75001", "country": "fr"},
			"shipping": map[string]any{"name": "Jenny R.", "phone": "+33612345678",
				"address": map[string]any{"line1": "5 quai Voltaire", "city": "Paris", "postalCode": "75007", "country": "FR"}},
			"preferredLocales": []any{"fr-FR", "en"},
			"taxExempt":        "REVERSE",
			"taxIds": []any{
				map[string]any{"type": "eu_vat", "value": "FR 44 732 829 320"},
				map[string]any{"type": "fr_siren", "value": "732 829 320"},
			},
			"metadata": map[string]any{"internal_id": "42", "segment": "pro"},
		}
		p := c.customerCreate(full)
		wantCodes(t, p)
		sameJSON(t, "warnings", p["warnings"], []any{})
		cus := p["customer"].(map[string]any)
		id := cus["id"].(string)
		eq(t, "name", cus["name"], any("Jenny Rosen"))
		eq(t, "email", cus["email"], any("Jenny.Rosen@Example.com"))
		eq(t, "description", cus["description"], any("Client depuis 2019"))
		eq(t, "address.country", apitest.Str(t, cus, "address", "country"), "FR")
		eq(t, "address.line2", apitest.Str(t, cus, "address", "line2"), "Bât. B")
		eq(t, "shipping.address.line1", apitest.Str(t, cus, "shipping", "address", "line1"), "5 quai Voltaire")
		sameJSON(t, "preferredLocales", cus["preferredLocales"], []any{"fr-FR", "en"})
		eq(t, "taxExempt", cus["taxExempt"], any("REVERSE"))
		sameJSON(t, "taxIds", cus["taxIds"], []any{
			map[string]any{"type": "eu_vat", "value": "FR44732829320"},
			map[string]any{"type": "fr_siren", "value": "732829320"},
		})
		sameJSON(t, "metadata", cus["metadata"], map[string]any{"internal_id": "42", "segment": "pro"})
		eq(t, "currency", cus["currency"], any(""))
		eq(t, "currencyLocked", cus["currencyLocked"], any(false))
		if cus["balance"] != nil || cus["deletedAt"] != nil {
			t.Errorf("balance and deletedAt are null on a new customer: %v %v", cus["balance"], cus["deletedAt"])
		}
		if p := cus["invoicePrefix"].(string); len(p) != 8 {
			t.Errorf("generated invoicePrefix = %q, want 8 characters", p)
		}
		sameJSON(t, "read back", c.customer(id), cus)

		// Same email, another customer: created, with a warning.
		c.Clock.Advance(time.Hour)
		p = c.customerCreate(map[string]any{"name": "Jenny (compta)", "email": "jenny.rosen@example.com"})
		wantCodes(t, p)
		if ws := p["warnings"].([]any); len(ws) != 1 || apitest.Str(t, ws[0], "code") != "DUPLICATE_EMAIL" {
			t.Errorf("warnings = %v, want one DUPLICATE_EMAIL", ws)
		} else {
			sameJSON(t, "warning field", ws[0].(map[string]any)["field"], []any{"input", "customer", "email"})
		}
		dup := apitest.Str(t, p, "customer", "id")

		// Update: metadata merges, an empty value removes a key.
		p = c.customerUpdate(id, map[string]any{"name": "Jenny Rosen-Martin", "metadata": map[string]any{"segment": "", "tier": "gold"}})
		wantCodes(t, p)
		eq(t, "updated name", apitest.Str(t, p, "customer", "name"), "Jenny Rosen-Martin")
		sameJSON(t, "merged metadata", apitest.Get(t, p, "customer", "metadata"), map[string]any{"internal_id": "42", "tier": "gold"})
		eq(t, "untouched email", apitest.Str(t, p, "customer", "email"), "Jenny.Rosen@Example.com")
		sameJSON(t, "untouched taxIds", apitest.Get(t, p, "customer", "taxIds"), cus["taxIds"])

		// More customers, an hour apart, for the search.
		var others []string
		for i, name := range []string{"Bob Martin", "Alice Martin", "Carol Smith", "Dave Jones"} {
			c.Clock.Advance(time.Hour)
			others = append(others, c.newCustomer(name, name[:1]+"@example.org", "metadata", map[string]any{"segment": []string{"pro", "perso"}[i%2]}))
		}
		all := []string{others[3], others[2], others[1], others[0], dup, id} // newest first
		sameJSON(t, "all, newest first, pages of 2", c.customerIDs(nil, 2), all)
		sameJSON(t, "all, pages of 4", c.customerIDs(nil, 4), all)
		sameJSON(t, "query matches names", c.customerIDs(map[string]any{"query": "martin"}, 1), []string{others[1], others[0], id})
		sameJSON(t, "query matches emails", c.customerIDs(map[string]any{"query": "EXAMPLE.ORG"}, 10), all[:4])
		sameJSON(t, "email, any case", c.customerIDs(map[string]any{"email": "JENNY.ROSEN@example.com"}, 10), []string{dup, id})
		sameJSON(t, "metadata key", c.customerIDs(map[string]any{"metadataKey": "tier"}, 10), []string{id})
		sameJSON(t, "metadata key and value", c.customerIDs(map[string]any{"metadataKey": "segment", "metadataValue": "pro"}, 10), []string{others[2], others[0]})
		sameJSON(t, "created range", c.customerIDs(map[string]any{
			"createdAfter": ts(t0.Add(2 * time.Hour)), "createdBefore": ts(t0.Add(4 * time.Hour)),
		}, 1), []string{others[1], others[0]})
		asc := c.Query(`{ customers(first: 2, orderBy: {field: CREATED_AT, direction: ASC}) { edges { node { id } } } }`, nil)
		eq(t, "oldest first", apitest.Str(t, asc, "customers", "edges", 0, "node", "id"), id)

		t.Run("currency lock", func(t *testing.T) {
			c := c.with(t)
			a := c.newCustomer("Euro Client", "euro@example.com", "currency", "EUR")
			// Not invoiced yet: the currency can change.
			p := c.customerUpdate(a, map[string]any{"currency": "usd"})
			wantCodes(t, p)
			eq(t, "currency", apitest.Str(t, p, "customer", "currency"), "USD")
			eq(t, "not locked", apitest.Get(t, p, "customer", "currencyLocked"), any(false))
			// A draft does not lock it; an issued invoice does.
			inv := c.createInvoice(a, map[string]any{"currency": nil})
			eq(t, "invoice takes the customer's currency", inv["currency"], any("USD"))
			eq(t, "draft does not lock", c.customer(a)["currencyLocked"], any(false))
			c.finalize(apitest.Str(t, inv, "id"))
			eq(t, "issued invoice locks", c.customer(a)["currencyLocked"], any(true))
			before := c.customer(a)
			db := dbState(t, c.Env)
			wantCodes(t, c.customerUpdate(a, map[string]any{"currency": "EUR"}), "input.customer.currency:CURRENCY_LOCKED")
			sameJSON(t, "customer", c.customer(a), before)
			sameDB(t, c.Env, db)
			// Billing it in another currency is refused.
			p = c.invoiceOp("invoiceCreate", map[string]any{"customer": a, "currency": "EUR", "lines": []any{line("x", "1", "1")}})
			wantCodes(t, p, "input.currency:CURRENCY_MISMATCH")
			sameDB(t, c.Env, db)

			// A balance locks it too.
			b := c.newCustomer("Balance Client", "balance@example.com", "currency", "GBP")
			wantCodes(t, c.adjustBalance(b, "-5.00", "GBP", "Avoir"))
			wantCodes(t, c.customerUpdate(b, map[string]any{"currency": "EUR"}), "input.customer.currency:CURRENCY_LOCKED")
			eq(t, "balance currency", apitest.Str(t, c.customer(b), "balance", "currency"), "GBP")
			// Even once the balance is back to zero: the ledger has entries.
			wantCodes(t, c.adjustBalance(b, "5.00", "GBP", "Reprise"))
			wantCodes(t, c.customerUpdate(b, map[string]any{"currency": "EUR"}), "input.customer.currency:CURRENCY_LOCKED")
		})

		t.Run("delete", func(t *testing.T) {
			c := c.with(t)
			const deleteMutation = `mutation($input: CustomerDeleteInput!) { customerDelete(input: $input) { deletedId ` + userErrorFields + ` } }`
			// Never invoiced: gone.
			gone := c.newCustomer("Gone", "gone@example.com")
			draft := apitest.Str(t, c.createInvoice(gone, nil), "id")
			p := c.Mutate("customerDelete", deleteMutation, map[string]any{"input": map[string]any{"id": gone}})
			eq(t, "deletedId", p["deletedId"], any(gone))
			if c.customer(gone) != nil || c.invoice(draft) != nil {
				t.Errorf("the customer and its draft are gone")
			}
			// Invoiced: kept, marked deleted, not listed; its issued invoice
			// still shows it, its drafts go.
			kept := c.newCustomer("Kept", "kept@example.com")
			issued := apitest.Str(t, c.finalize(apitest.Str(t, c.createInvoice(kept, nil), "id")), "id")
			keptDraft := apitest.Str(t, c.createInvoice(kept, nil), "id")
			c.Clock.Advance(time.Minute)
			p = c.Mutate("customerDelete", deleteMutation, map[string]any{"input": map[string]any{"id": kept}})
			eq(t, "deletedId", p["deletedId"], any(kept))
			k := c.customer(kept)
			if k == nil {
				t.Fatal("a customer with issued invoices is kept")
			}
			eq(t, "deletedAt", k["deletedAt"], any(ts(c.Clock.Now())))
			if slices.Contains(c.customerIDs(nil, 100), kept) {
				t.Errorf("a deleted customer is not listed")
			}
			inv := c.invoice(issued)
			eq(t, "invoice's customer", apitest.Str(t, inv, "customer", "id"), kept)
			eq(t, "invoice's customer name", apitest.Str(t, inv, "customer", "name"), "Kept")
			if c.invoice(keptDraft) != nil {
				t.Errorf("the deleted customer's draft is gone")
			}
			// It cannot be invoiced, changed or deleted again.
			db := dbState(t, c.Env)
			wantCodes(t, c.invoiceOp("invoiceCreate", map[string]any{"customer": kept, "lines": []any{line("x", "1", "1")}}), "input.customer:NOT_FOUND")
			wantCodes(t, c.customerUpdate(kept, map[string]any{"name": "Zombie"}), "input.id:NOT_FOUND")
			wantCodes(t, c.MutateErr("customerDelete", deleteMutation, map[string]any{"input": map[string]any{"id": kept}}), "input.id:NOT_FOUND")
			sameDB(t, c.Env, db)
		})
	})
}

// TestCustomerSearch covers what the customer search matches (the filter's
// query: name or email, any case) and the email filter, read from an index
// on both databases: PostgreSQL matches anywhere in the text (trigram
// indexes), SQLite where a word of it starts (its customer terms, rewritten
// when the name or email changes, gone with the customer).
func TestCustomerSearch(t *testing.T) {
	t.Parallel()
	each(t, func(t *testing.T, c *client) {
		postgres := c.Store.Dialect == dialect.Postgres
		jenny := c.newCustomer("Jenny Rosen-Martin", "Jenny.Rosen@Example.com")
		c.Clock.Advance(time.Minute)
		emile := c.newCustomer("Émile Zola (Paris)", "EMILE+factures@zola.example")
		c.Clock.Advance(time.Minute)
		long := c.newCustomer("Société Anonyme des "+strings.Repeat("Établissements ", 8)+"Dupont", "compta@dupont.example")
		c.Clock.Advance(time.Minute)
		bob := c.newCustomer("Bob", "bob@mail.example")
		search := func(q string) []string { return c.customerIDs(map[string]any{"query": q}, 2) }
		for _, tc := range []struct {
			q    string
			want []string // newest first
		}{
			{"rosen", []string{jenny}},         // a word of the name and of the email
			{"ROSEN@example", []string{jenny}}, // across words, any case
			{"@example.com", []string{jenny}},  // leading punctuation starts no word
			{"example", []string{bob, long, emile, jenny}},
			{"Émile", []string{emile}},
			{"factures@zola", []string{emile}},
			{"paris)", []string{emile}},
			{"ÉTABLISSEMENTS Établissements", []string{long}},
			{"des " + strings.Repeat("Établissements ", 8) + "DUPONT", []string{long}}, // longer than a term
			{"zzz", nil},
		} {
			sameJSON(t, "search "+tc.q, search(tc.q), tc.want)
		}
		// Inside a word, or a non-ASCII letter in another case: PostgreSQL
		// finds it, SQLite does not.
		var pgOnly, pgOnlyEmile []string
		if postgres {
			pgOnly, pgOnlyEmile = []string{jenny}, []string{emile}
		}
		sameJSON(t, "inside a word", search("osen-mart"), pgOnly)
		sameJSON(t, "another case", search("émile"), pgOnlyEmile)

		// The email filter: the whole address, any case.
		sameJSON(t, "email", c.customerIDs(map[string]any{"email": "JENNY.ROSEN@example.COM"}, 10), []string{jenny})
		sameJSON(t, "email prefix", c.customerIDs(map[string]any{"email": "jenny.rosen@example"}, 10), []string(nil))

		// The terms follow a change of name or email.
		wantCodes(t, c.customerUpdate(jenny, map[string]any{"name": "Jenny Durand", "email": "jd@corp.example"}))
		sameJSON(t, "old name", search("rosen"), []string(nil))
		sameJSON(t, "new name", search("durand"), []string{jenny})
		sameJSON(t, "new email", c.customerIDs(map[string]any{"email": "JD@corp.example"}, 10), []string{jenny})
		// A deleted customer is no longer found.
		p := c.Mutate("customerDelete", `mutation($input: CustomerDeleteInput!) { customerDelete(input: $input) { deletedId `+userErrorFields+` } }`,
			map[string]any{"input": map[string]any{"id": bob}})
		wantCodes(t, p)
		sameJSON(t, "deleted", search("bob"), []string(nil))
	})
}
