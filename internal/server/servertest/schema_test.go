package servertest_test

import (
	"net/http"
	"sort"
	"strings"
	"testing"

	"github.com/99designs/gqlgen/graphql/introspection"

	"github.com/remitbilling/remit/internal/apitest"
	"github.com/remitbilling/remit/internal/store/storetest"
)

// schemaQuery reads every description the schema can carry.
const schemaQuery = `{
  __schema {
    types {
      kind name description
      fields(includeDeprecated: true) { name description args { name description } }
      inputFields { name description }
      enumValues(includeDeprecated: true) { name description }
    }
  }
}`

// builtinScalars are the specification's scalars, described by it.
var builtinScalars = map[string]bool{"String": true, "Int": true, "Float": true, "Boolean": true, "ID": true}

// TestSchemaDescriptions checks every type, field, argument, enum value and
// input field of the API has a description, since the schema is the
// reference documentation clients read in GraphiQL. It lists every
// offender.
func TestSchemaDescriptions(t *testing.T) {
	t.Parallel()
	e := apitest.Start(t, storetest.Dialects()[0]) // the schema does not depend on the database
	res := e.Do(apitest.Request{Query: schemaQuery})
	if res.Status != http.StatusOK || len(res.Errors) > 0 {
		t.Fatalf("introspection: status %d: %s", res.Status, truncate(res.RawBody))
	}
	blank := func(v any) bool {
		s, _ := v.(string)
		return strings.TrimSpace(s) == ""
	}
	var offenders []string
	types := apitest.Get(t, res.Data, "__schema", "types").([]any)
	seen := 0
	for _, ty := range types {
		typ := ty.(map[string]any)
		name := typ["name"].(string)
		if strings.HasPrefix(name, "__") || builtinScalars[name] {
			continue
		}
		seen++
		if blank(typ["description"]) {
			offenders = append(offenders, strings.ToLower(typ["kind"].(string))+" "+name)
		}
		fields, _ := typ["fields"].([]any)
		for _, f := range fields {
			field := f.(map[string]any)
			fname := name + "." + field["name"].(string)
			if blank(field["description"]) {
				offenders = append(offenders, "field "+fname)
			}
			args, _ := field["args"].([]any)
			for _, a := range args {
				arg := a.(map[string]any)
				if blank(arg["description"]) {
					offenders = append(offenders, "argument "+fname+"("+arg["name"].(string)+":)")
				}
			}
		}
		inputs, _ := typ["inputFields"].([]any)
		for _, f := range inputs {
			field := f.(map[string]any)
			if blank(field["description"]) {
				offenders = append(offenders, "input field "+name+"."+field["name"].(string))
			}
		}
		values, _ := typ["enumValues"].([]any)
		for _, v := range values {
			value := v.(map[string]any)
			if blank(value["description"]) {
				offenders = append(offenders, "enum value "+name+"."+value["name"].(string))
			}
		}
	}
	// Guard against a walk that silently finds nothing to check.
	if seen < 50 {
		t.Fatalf("introspection listed only %d types: %s", seen, truncate(res.RawBody))
	}
	sort.Strings(offenders)
	if len(offenders) > 0 {
		t.Errorf("%d schema elements have no description:\n  %s", len(offenders), strings.Join(offenders, "\n  "))
	}
}

// TestIntrospectionQuery checks the introspection query GraphiQL sends
// passes the server's depth and complexity limits: without it the
// playground at / has no documentation and no completion.
func TestIntrospectionQuery(t *testing.T) {
	t.Parallel()
	e := apitest.Start(t, storetest.Dialects()[0])
	res := e.Do(apitest.Request{Query: introspection.Query})
	if res.Status != http.StatusOK || len(res.Errors) > 0 {
		t.Fatalf("GraphiQL's introspection query: status %d: %s", res.Status, truncate(res.RawBody))
	}
	if name := apitest.Str(t, res.Data, "__schema", "queryType", "name"); name != "Query" {
		t.Errorf("queryType %q", name)
	}
	// Still refused without a key: the schema is not public.
	res = e.Do(apitest.Request{Key: "-", Query: introspection.Query})
	if res.Status != http.StatusUnauthorized {
		t.Errorf("introspection without a key: status %d, want 401", res.Status)
	}
}
