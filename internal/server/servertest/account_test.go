package servertest_test

import (
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/remitbilling/remit/internal/apitest"
)

const accountFields = `id name legalName email phone country siren invoicePrefix defaultFooter defaultMemo defaultDaysUntilDue`

// TestAccountUpdateValidation checks accountUpdate refuses out-of-range
// settings with a user error naming the field, never an internal error,
// and changes nothing when it refuses.
func TestAccountUpdateValidation(t *testing.T) {
	t.Parallel()
	forEachDialect(t, func(t *testing.T, e *apitest.Env) {
		before := canon(t, e.Query(`{ account { `+accountFields+` } }`, nil))
		cases := []struct {
			name  string
			input map[string]any
			code  string
			field string
		}{
			{"name too long", map[string]any{"name": strings.Repeat("n", 257)}, "LIMIT_EXCEEDED", "name"},
			{"name blank", map[string]any{"name": "   "}, "REQUIRED", "name"},
			{"legal name too long", map[string]any{"legalName": strings.Repeat("l", 257)}, "LIMIT_EXCEEDED", "legalName"},
			{"footer too long", map[string]any{"defaultFooter": strings.Repeat("f", 5001)}, "LIMIT_EXCEEDED", "defaultFooter"},
			{"memo too long", map[string]any{"defaultMemo": strings.Repeat("m", 1501)}, "LIMIT_EXCEEDED", "defaultMemo"},
			{"days until due", map[string]any{"defaultDaysUntilDue": -1}, "INVALID", "defaultDaysUntilDue"},
			{"email", map[string]any{"email": "not an email"}, "INVALID_EMAIL", "email"},
			{"country", map[string]any{"country": "XX"}, "INVALID_COUNTRY", "country"},
			{"currency", map[string]any{"defaultCurrency": "EURO"}, "UNKNOWN_CURRENCY", "defaultCurrency"},
			{"prefix", map[string]any{"invoicePrefix": "ab"}, "INVALID_PREFIX", "invoicePrefix"},
			{"valid with invalid", map[string]any{"name": "Renamed", "legalName": strings.Repeat("l", 300)}, "LIMIT_EXCEEDED", "legalName"},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				res := e.Do(apitest.Request{Query: `mutation($in: AccountUpdateInput!) { accountUpdate(input: $in) { account { id } userErrors { code field message } } }`,
					Variables: map[string]any{"in": c.input}})
				if res.Status != http.StatusOK || len(res.Errors) > 0 {
					t.Fatalf("status %d: %s", res.Status, res.RawBody)
				}
				payload := res.Data["accountUpdate"].(map[string]any)
				if payload["account"] != nil {
					t.Errorf("account returned although refused: %v", payload["account"])
				}
				codes := apitest.ErrorCodes(t, payload)
				if !slices.Contains(codes, c.code) {
					t.Errorf("codes %v, want %s: %s", codes, c.code, res.RawBody)
				}
				found := false
				for _, ue := range payload["userErrors"].([]any) {
					f, _ := ue.(map[string]any)["field"].([]any)
					if len(f) == 2 && f[0] == "input" && f[1] == c.field {
						found = true
					}
				}
				if !found {
					t.Errorf("no user error on [input %s]: %s", c.field, res.RawBody)
				}
			})
		}
		if got := canon(t, e.Query(`{ account { `+accountFields+` } }`, nil)); got != before {
			t.Errorf("refused updates changed the account:\nbefore %s\nafter  %s", before, got)
		}
		// The limits themselves are allowed.
		name := strings.Repeat("n", 256)
		p := e.Mutate("accountUpdate", `mutation($in: AccountUpdateInput!) { accountUpdate(input: $in) { account { name legalName } userErrors { code field message } } }`,
			map[string]any{"in": map[string]any{"name": name, "legalName": name}})
		if apitest.Str(t, p, "account", "name") != name || apitest.Str(t, p, "account", "legalName") != name {
			t.Errorf("256-character names not stored: %v", p)
		}
	})
}
