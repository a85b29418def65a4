package servertest

import (
	"bytes"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/remitbilling/remit/internal/apitest"
	"github.com/remitbilling/remit/internal/store/storetest"
)

// syncBuffer is a log sink safe for the server's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestPortalIntrospectionDisabled checks that introspection refused to an
// anonymous caller of the portal API says so with its own code, as the
// caller's error it is: no INTERNAL, nothing logged above info.
func TestPortalIntrospectionDisabled(t *testing.T) {
	cases := []struct {
		name, query string
	}{
		{"schema", `query { __schema { types { name } } }`},
		{"type", `query { __type(name: "Query") { name fields { name } } }`},
		{"aliased", `query { s: __schema { queryType { name } } }`},
	}
	for _, d := range storetest.Dialects() {
		t.Run(d, func(t *testing.T) {
			log := &syncBuffer{}
			e := apitest.StartWith(t, d, apitest.Options{Log: log})
			for _, tc := range cases {
				t.Run(tc.name, func(t *testing.T) {
					res := e.WithT(t).Do(apitest.Request{Query: tc.query, Key: "-", Path: "/portal/graphql"})
					if res.Status != http.StatusOK || len(res.Errors) != 1 {
						t.Fatalf("status %d, want 200 with one error: %s", res.Status, res.RawBody)
					}
					if code := apitest.Str(t, res.Errors[0], "extensions", "code"); code != "INTROSPECTION_DISABLED" {
						t.Errorf("code %s, want INTROSPECTION_DISABLED: %s", code, res.RawBody)
					}
					if msg := apitest.Str(t, res.Errors[0], "message"); !strings.Contains(msg, "remit schema print --portal") {
						t.Errorf("message %q does not say where the schema is", msg)
					}
				})
			}
			// __typename is no introspection: it stays open.
			res := e.Do(apitest.Request{Query: `query { __typename }`, Key: "-", Path: "/portal/graphql"})
			if len(res.Errors) > 0 || apitest.Str(t, res.Data, "__typename") != "Query" {
				t.Errorf("__typename: %s", res.RawBody)
			}
			for _, line := range strings.Split(log.String(), "\n") {
				if strings.Contains(line, "level=ERROR") || strings.Contains(line, "level=WARN") {
					t.Errorf("logged above info: %s", line)
				}
			}
		})
	}
}
