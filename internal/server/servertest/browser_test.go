package servertest_test

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"entgo.io/contrib/entgql"

	"github.com/remitbilling/remit/internal/apitest"
	"github.com/remitbilling/remit/internal/portalauth"
	"github.com/remitbilling/remit/internal/store/storetest"
)

const appOrigin = "https://app.example"

// TestCORSPreflight checks a browser page of an allowed origin may call both
// GraphQL endpoints with a bearer credential, and another origin gets no
// grant; the preflight is answered before authentication.
func TestCORSPreflight(t *testing.T) {
	t.Parallel()
	e := apitest.StartWith(t, storetest.Dialects()[0], apitest.Options{CORSOrigins: []string{appOrigin}})
	for _, path := range []string{"/graphql", "/portal/graphql"} {
		t.Run(path, func(t *testing.T) {
			preflight := func(origin string) httpResult {
				return send(t, http.MethodOptions, e.URL+path, nil, map[string]string{
					"Origin":                         origin,
					"Access-Control-Request-Method":  "POST",
					"Access-Control-Request-Headers": "authorization,content-type,idempotency-key",
				})
			}
			ok := preflight(appOrigin)
			h := ok.Header
			if ok.Status != http.StatusNoContent || h.Get("Access-Control-Allow-Origin") != appOrigin {
				t.Fatalf("allowed preflight: %d %v", ok.Status, h)
			}
			for _, want := range []string{"Authorization", "Content-Type", "Idempotency-Key"} {
				if !strings.Contains(h.Get("Access-Control-Allow-Headers"), want) {
					t.Errorf("Allow-Headers %q lacks %s", h.Get("Access-Control-Allow-Headers"), want)
				}
			}
			for _, want := range []string{"GET", "POST"} {
				if !strings.Contains(h.Get("Access-Control-Allow-Methods"), want) {
					t.Errorf("Allow-Methods %q lacks %s", h.Get("Access-Control-Allow-Methods"), want)
				}
			}
			if h.Get("Access-Control-Max-Age") != "600" || !slices.Contains(h.Values("Vary"), "Origin") {
				t.Errorf("Max-Age %q, Vary %v", h.Get("Access-Control-Max-Age"), h.Values("Vary"))
			}
			if h.Get("Access-Control-Allow-Credentials") != "" {
				t.Errorf("credentials allowed cross-origin")
			}
			refused := preflight("https://evil.example")
			if refused.Status != http.StatusNoContent || refused.Header.Get("Access-Control-Allow-Origin") != "" || refused.Header.Get("Access-Control-Allow-Methods") != "" {
				t.Errorf("refused preflight: %d %v", refused.Status, refused.Header)
			}
		})
	}

	// The request itself: the grant and the exposed headers for the
	// allowed origin, none for another, served the same.
	body := `{"query":"{ account { id } }"}`
	for origin, grant := range map[string]bool{appOrigin: true, "https://evil.example": false} {
		res := send(t, http.MethodPost, e.URL+"/graphql", strings.NewReader(body), map[string]string{
			"Origin": origin, "Authorization": "Bearer " + e.Key, "Content-Type": "application/json",
		})
		if res.Status != http.StatusOK || !strings.Contains(string(res.Body), e.Account) {
			t.Errorf("POST from %s: %d %s", origin, res.Status, truncate(res.Body))
		}
		got := res.Header.Get("Access-Control-Allow-Origin")
		if grant && (got != origin || !strings.Contains(res.Header.Get("Access-Control-Expose-Headers"), "X-Request-Id") ||
			!strings.Contains(res.Header.Get("Access-Control-Expose-Headers"), "Idempotent-Replayed")) {
			t.Errorf("POST from %s: Allow-Origin %q, Expose %q", origin, got, res.Header.Get("Access-Control-Expose-Headers"))
		}
		if !grant && got != "" {
			t.Errorf("POST from %s granted %q", origin, got)
		}
	}

	// The portal's cookie rule holds for an allowed origin: a cookie
	// request from another origin is refused, whatever the allowlist.
	res := send(t, http.MethodPost, e.URL+"/portal/graphql", strings.NewReader(`{"query":"mutation { logout { ok } }"}`), map[string]string{
		"Origin": appOrigin, "Sec-Fetch-Site": "cross-site", "Content-Type": "application/json",
		"Cookie": portalauth.CookieName + "=whatever",
	})
	if res.Status != http.StatusForbidden || res.Header.Get("Access-Control-Allow-Credentials") != "" {
		t.Errorf("cross-origin cookie POST: %d %v %s", res.Status, res.Header, truncate(res.Body))
	}

	// No allowlist: no CORS header at all.
	plain := apitest.Start(t, storetest.Dialects()[0])
	res = send(t, http.MethodOptions, plain.URL+"/graphql", nil, map[string]string{"Origin": appOrigin, "Access-Control-Request-Method": "POST"})
	for k := range res.Header {
		if strings.HasPrefix(k, "Access-Control-") {
			t.Errorf("no allowlist, yet %s: %v", k, res.Header)
		}
	}
}

// TestGETQueries checks queries over GET on both endpoints, and mutations
// over GET refused with 405 before they run.
func TestGETQueries(t *testing.T) {
	t.Parallel()
	e := apitest.Start(t, storetest.Dialects()[0])
	auth := map[string]string{"Authorization": "Bearer " + e.Key}
	get := func(path string, params url.Values, h map[string]string) httpResult {
		return send(t, http.MethodGet, e.URL+path+"?"+params.Encode(), nil, h)
	}
	res := get("/graphql", url.Values{"query": {`query Q($n: Int!) { customers(first: $n) { totalCount } account { id } }`}, "variables": {`{"n": 5}`}, "operationName": {"Q"}}, auth)
	if res.Status != http.StatusOK || !strings.Contains(string(res.Body), e.Account) || !strings.Contains(res.Header.Get("Cache-Control"), "no-store") {
		t.Errorf("GET query: %d %v %s", res.Status, res.Header, truncate(res.Body))
	}
	create := `mutation { customerCreate(input: {customer: {name: "Over GET"}}) { customer { id } } }`
	res = get("/graphql", url.Values{"query": {create}}, auth)
	assertRefused(t, res.Status, res.Body, res.Header, http.StatusMethodNotAllowed, "METHOD_NOT_ALLOWED")
	if res.Header.Get("Allow") != "POST" {
		t.Errorf("Allow %q", res.Header.Get("Allow"))
	}
	// An Idempotency-Key on a GET is no reason to replay another query.
	keyed := map[string]string{"Authorization": "Bearer " + e.Key, "Idempotency-Key": "get-1"}
	get("/graphql", url.Values{"query": {`{ account { id } }`}}, keyed)
	res = get("/graphql", url.Values{"query": {`{ customers(first: 1) { totalCount } }`}}, keyed)
	if !strings.Contains(string(res.Body), "totalCount") || res.Header.Get("Idempotent-Replayed") != "" {
		t.Errorf("keyed GET replayed: %s", res.Body)
	}
	res = get("/graphql", url.Values{"query": {`{ account { id } }`}, "variables": {`[1]`}}, auth)
	assertRefused(t, res.Status, res.Body, res.Header, http.StatusBadRequest, "BAD_REQUEST")
	if n := customerCount(t, e, ""); n != 0 {
		t.Errorf("GET mutation created %v customers", n)
	}

	// The portal: a query anonymously (UNAUTHENTICATED, as over POST),
	// a mutation refused before it runs.
	res = get("/portal/graphql", url.Values{"query": {`{ me { id } }`}}, nil)
	if res.Status != http.StatusOK || !strings.Contains(string(res.Body), "UNAUTHENTICATED") {
		t.Errorf("portal GET query: %d %s", res.Status, truncate(res.Body))
	}
	res = get("/portal/graphql", url.Values{"query": {`mutation { logout { ok } }`}}, nil)
	assertRefused(t, res.Status, res.Body, res.Header, http.StatusMethodNotAllowed, "METHOD_NOT_ALLOWED")
}

// TestPersistedQueries checks Apollo's automatic persisted queries: the
// hash alone is unknown at first (PersistedQueryNotFound, so the client
// sends the query with it), then known, over POST and GET.
func TestPersistedQueries(t *testing.T) {
	t.Parallel()
	e := apitest.Start(t, storetest.Dialects()[0])
	query := `query Persisted { account { id } }`
	sum := sha256.Sum256([]byte(query))
	ext := map[string]any{"persistedQuery": map[string]any{"version": 1, "sha256Hash": hex.EncodeToString(sum[:])}}
	post := func(body map[string]any) httpResult {
		b, _ := json.Marshal(body)
		return send(t, http.MethodPost, e.URL+"/graphql", strings.NewReader(string(b)), map[string]string{
			"Authorization": "Bearer " + e.Key, "Content-Type": "application/json",
		})
	}
	miss := post(map[string]any{"extensions": ext})
	if !strings.Contains(string(miss.Body), "PersistedQueryNotFound") || !slices.Contains(jsonErrorCodes(t, miss.Body), "PERSISTED_QUERY_NOT_FOUND") {
		t.Fatalf("unknown hash: %d %s", miss.Status, miss.Body)
	}
	if res := post(map[string]any{"query": query, "extensions": ext}); !strings.Contains(string(res.Body), e.Account) {
		t.Fatalf("query with its hash: %d %s", res.Status, res.Body)
	}
	if res := post(map[string]any{"extensions": ext}); res.Status != http.StatusOK || !strings.Contains(string(res.Body), e.Account) {
		t.Errorf("hash alone, known: %d %s", res.Status, res.Body)
	}
	extJSON, _ := json.Marshal(ext)
	res := send(t, http.MethodGet, e.URL+"/graphql?"+url.Values{"extensions": {string(extJSON)}}.Encode(), nil, map[string]string{"Authorization": "Bearer " + e.Key})
	if res.Status != http.StatusOK || !strings.Contains(string(res.Body), e.Account) {
		t.Errorf("hash alone over GET: %d %s", res.Status, res.Body)
	}
	wrong := map[string]any{"persistedQuery": map[string]any{"version": 1, "sha256Hash": strings.Repeat("0", 64)}}
	if res := post(map[string]any{"query": query, "extensions": wrong}); strings.Contains(string(res.Body), e.Account) {
		t.Errorf("a query stored under a hash not its own: %s", res.Body)
	}
}

// TestBatchRefused checks a batch (a JSON array) is refused with a clear
// code on both endpoints, without echoing the body.
func TestBatchRefused(t *testing.T) {
	t.Parallel()
	e := apitest.Start(t, storetest.Dialects()[0])
	batch := `[{"query":"{ account { id } }"},{"query":"{ account { name } }"}]`
	for _, path := range []string{"/graphql", "/portal/graphql"} {
		res := send(t, http.MethodPost, e.URL+path, strings.NewReader(batch), map[string]string{
			"Authorization": "Bearer " + e.Key, "Content-Type": "application/json",
		})
		assertRefused(t, res.Status, res.Body, res.Header, http.StatusBadRequest, "BATCH_NOT_SUPPORTED")
		if strings.Contains(string(res.Body), "account") || strings.Contains(string(res.Body), "RawParams") {
			t.Errorf("%s: the answer echoes the body or a Go type: %s", path, res.Body)
		}
		if !strings.Contains(strings.ToLower(string(res.Body)), "batch") {
			t.Errorf("%s: the message does not say batching: %s", path, res.Body)
		}
	}
}

// TestCursorOrdering checks a cursor is refused under another ordering, or
// by another list, with INVALID_CURSOR, and serves its own.
func TestCursorOrdering(t *testing.T) {
	t.Parallel()
	e := apitest.Start(t, storetest.Dialects()[0])
	for _, name := range []string{"Ann", "Bob", "Cid"} {
		e.Mutate("customerCreate", `mutation($n: String!) { customerCreate(input: {customer: {name: $n}}) { customer { id } userErrors { code } } }`, map[string]any{"n": name})
		e.Clock.Advance(time.Minute)
	}
	list := `query($after: Cursor, $order: CustomerOrder) { customers(first: 1, after: $after, orderBy: $order) { edges { node { name } } pageInfo { endCursor } } }`
	asc := map[string]any{"field": "CREATED_AT", "direction": "ASC"}
	first := e.Query(list, map[string]any{"order": asc})
	cursor := apitest.Str(t, first, "customers", "pageInfo", "endCursor")
	next := e.Query(list, map[string]any{"order": asc, "after": cursor})
	if got := apitest.Str(t, next, "customers", "edges", 0, "node", "name"); got != "Bob" {
		t.Errorf("page 2 in the same ordering: %s, want Bob", got)
	}
	refused := func(what, query string, vars map[string]any) {
		t.Helper()
		res := e.Do(apitest.Request{Query: query, Variables: vars})
		if !hasCode(res, "INVALID_CURSOR") {
			t.Errorf("%s: %s", what, res.RawBody)
		}
	}
	refused("another direction", list, map[string]any{"order": map[string]any{"field": "CREATED_AT", "direction": "DESC"}, "after": cursor})
	refused("the default ordering", list, map[string]any{"after": cursor})
	refused("another list", `query($after: Cursor) { invoices(first: 1, after: $after) { totalCount } }`, map[string]any{"after": cursor})
	var b strings.Builder
	entgql.Cursor[string]{ID: "cus_x", Value: time.Now()}.MarshalGQL(&b)
	refused("an old cursor", list, map[string]any{"order": asc, "after": strings.Trim(b.String(), `"`)})
}
