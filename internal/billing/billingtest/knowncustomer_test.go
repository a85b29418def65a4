package billingtest_test

import (
	"net/http/httptest"
	"testing"

	"github.com/remitbilling/remit/internal/apitest"
	"github.com/remitbilling/remit/internal/server"
)

// TestFinalizeFreezesTheCustomerAsItIs: an invoice freezes its customer as
// the customer is when it is finalized, on both databases, when the
// process that drafted it kept the customer it read then and another
// process (or itself) changed the customer since: kept customers are used
// only while their revision is the row's.
func TestFinalizeFreezesTheCustomerAsItIs(t *testing.T) {
	t.Parallel()
	forDialects(t, func(t *testing.T, d string) {
		env := apitest.Start(t, d)
		first := &client{Env: env, t: t}
		srv, err := server.NewFromConfig(server.Config{App: env.SecondProcess(apitest.Options{})})
		if err != nil {
			t.Fatal(err)
		}
		hs := httptest.NewServer(srv)
		t.Cleanup(hs.Close)
		secondEnv := *env
		secondEnv.URL = hs.URL
		second := &client{Env: &secondEnv, t: t}

		cus := first.newCustomer("Before SAS", "before@example.com")
		draft := func() string {
			return apitest.Str(t, first.createInvoice(cus, nil), "id")
		}

		// Changed by another process: its name, and a credit that
		// finalization must apply.
		id := draft()
		wantCodes(t, second.customerUpdate(cus, map[string]any{"name": "After SAS"}))
		wantCodes(t, second.adjustBalance(cus, "-10.00", "USD", "Goodwill"))
		inv := first.finalize(id)
		eq(t, "customer name", apitest.Str(t, inv, "customerDetails", "name"), "After SAS")
		eq(t, "starting balance", money(t, inv, "startingBalance"), "-10.00")
		eq(t, "amount due", money(t, inv, "amountDue"), "4990.00")

		// Changed by the drafting process itself.
		id = draft()
		wantCodes(t, first.customerUpdate(cus, map[string]any{"name": "Again SAS", "email": "again@example.com"}))
		inv = first.finalize(id)
		eq(t, "customer name", apitest.Str(t, inv, "customerDetails", "name"), "Again SAS")
		eq(t, "customer email", apitest.Str(t, inv, "customerDetails", "email"), "again@example.com")
		eq(t, "starting balance", money(t, inv, "startingBalance"), "0.00")

		// Unchanged since the draft: as drafted.
		inv = first.finalize(draft())
		eq(t, "customer name", apitest.Str(t, inv, "customerDetails", "name"), "Again SAS")

		// Drafted by one process, finalized by the other after a change.
		id = draft()
		wantCodes(t, first.customerUpdate(cus, map[string]any{"name": "Last SAS"}))
		inv = second.finalize(id)
		eq(t, "customer name", apitest.Str(t, inv, "customerDetails", "name"), "Last SAS")
	})
}
