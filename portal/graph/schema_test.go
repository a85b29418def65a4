package graph

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/vektah/gqlparser/v2/ast"

	"github.com/remitbilling/remit/internal/portal"
	"github.com/remitbilling/remit/internal/usererr"
	"github.com/remitbilling/remit/portal/graph/generated"
)

func portalSchema(t *testing.T) *ast.Schema {
	t.Helper()
	return generated.NewExecutableSchema(generated.Config{Resolvers: &Resolver{}}).Schema()
}

// TestPortalUserErrorCodes checks the portal's UserErrorCode enum lists exactly
// the codes userErrors can produce (anything else is mapped to INVALID).
func TestPortalUserErrorCodes(t *testing.T) {
	enum := portalSchema(t).Types["UserErrorCode"]
	if enum == nil {
		t.Fatal("no UserErrorCode enum")
	}
	var inSchema, inGo []string
	for _, v := range enum.EnumValues {
		inSchema = append(inSchema, v.Name)
	}
	for _, c := range Codes {
		inGo = append(inGo, string(c))
	}
	slices.Sort(inSchema)
	slices.Sort(inGo)
	if !slices.Equal(inSchema, inGo) {
		t.Errorf("UserErrorCode enum %v\n  != Codes %v", inSchema, inGo)
	}

	// Codes outside the portal's enum never reach a response.
	ue, err := userErrors(usererr.New(usererr.InvoiceNotEditable, "no", "id"), "input")
	if err != nil || len(ue) != 1 || ue[0].Code != usererr.Invalid || !slices.Equal(ue[0].Field, []string{"input", "id"}) {
		t.Errorf("foreign code: %+v %v", ue, err)
	}
	for sentinel, want := range map[error]usererr.Code{
		portal.ErrInvalidCode: CodeInvalidCode, portal.ErrInvalidLink: CodeInvalidLink,
		portal.ErrFeatureOff: CodeFeatureDisabled, portal.ErrReauthenticate: CodeReauthenticate,
		portal.ErrNotFound: usererr.NotFound,
	} {
		ue, err := userErrors(sentinel, "input")
		if err != nil || len(ue) != 1 || ue[0].Code != want {
			t.Errorf("%v: %+v %v", sentinel, ue, err)
		}
	}
	if _, err := userErrors(errors.New("database on fire")); err == nil {
		t.Error("an internal error became a user error")
	}
}

// TestPortalSchemaDescribed checks every type, field, argument and enum value of
// the portal schema is documented, like the merchant API's.
func TestPortalSchemaDescribed(t *testing.T) {
	for name, def := range portalSchema(t).Types {
		if def.BuiltIn || strings.HasPrefix(name, "__") {
			continue
		}
		if strings.TrimSpace(def.Description) == "" {
			t.Errorf("type %s has no description", name)
		}
		for _, f := range def.Fields {
			if strings.HasPrefix(f.Name, "__") {
				continue
			}
			if strings.TrimSpace(f.Description) == "" {
				t.Errorf("%s.%s has no description", name, f.Name)
			}
			for _, a := range f.Arguments {
				if strings.TrimSpace(a.Description) == "" {
					t.Errorf("%s.%s(%s) has no description", name, f.Name, a.Name)
				}
			}
		}
		for _, v := range def.EnumValues {
			if strings.TrimSpace(v.Description) == "" {
				t.Errorf("%s.%s has no description", name, v.Name)
			}
		}
	}
}

// TestPortalNoMerchantSurface checks the portal schema cannot even name what is
// the merchant's alone.
func TestPortalNoMerchantSurface(t *testing.T) {
	s := portalSchema(t)
	for _, root := range []string{"Query", "Mutation"} {
		for _, f := range s.Types[root].Fields {
			if f.Name == "node" || f.Name == "nodes" {
				t.Errorf("%s.%s exists", root, f.Name)
			}
		}
	}
	for name, def := range s.Types {
		for _, f := range def.Fields {
			switch f.Name {
			case "metadata", "history", "notes", "internalNote", "apiKeys", "fingerprint", "token":
				if !(f.Name == "token" && (name == "PortalSessionPayload" || name == "PortalSessionRedeemInput")) {
					t.Errorf("%s.%s exists", name, f.Name)
				}
			}
		}
	}
	for _, f := range s.Types["BillingDetailsInput"].Fields {
		if f.Name == "email" {
			t.Error("BillingDetailsInput has an email")
		}
	}
	if s.Types["Customer"].Fields.ForName("description") != nil {
		t.Error("Customer.description (the merchant's note) is exposed")
	}
}
