package graph

import (
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/remitbilling/remit/internal/usererr"
	"github.com/remitbilling/remit/internal/validate"
)

// TestUserErrorCodes checks the GraphQL UserErrorCode enum lists exactly the
// codes services can return: a code missing from the enum would make a
// response invalid against the schema.
func TestUserErrorCodes(t *testing.T) {
	files, err := filepath.Glob("schema/*.graphql")
	if err != nil || len(files) == 0 {
		t.Fatalf("schema files: %v %v", files, err)
	}
	var sources []*ast.Source
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		sources = append(sources, &ast.Source{Name: f, Input: string(b)})
	}
	schema, gerr := gqlparser.LoadSchema(sources...)
	if gerr != nil {
		t.Fatalf("load schema: %v", gerr)
	}
	enum := schema.Types["UserErrorCode"]
	if enum == nil {
		t.Fatal("no UserErrorCode enum")
	}
	var inSchema []string
	for _, v := range enum.EnumValues {
		inSchema = append(inSchema, v.Name)
	}
	var inGo []string
	for _, c := range usererr.Codes {
		inGo = append(inGo, string(c))
	}
	slices.Sort(inSchema)
	slices.Sort(inGo)
	if !slices.Equal(inSchema, inGo) {
		t.Errorf("UserErrorCode enum %v\n  != usererr.Codes %v", inSchema, inGo)
	}
	for _, c := range []string{
		validate.CodeInvalid, validate.CodeLimitExceeded, validate.CodeInvalidEmail, validate.CodeInvalidLocale,
		validate.CodeInvalidCountry, validate.CodeInvalidPrefix, validate.CodeInvalidNumber,
		validate.CodeUnsupportedTaxIDType, validate.CodeInvalidTaxID, validate.CodeInvalidSIREN,
		validate.CodeInvalidSIRET, validate.CodeInvalidPhone,
	} {
		if !slices.Contains(inGo, c) {
			t.Errorf("validation code %s is not a user error code", c)
		}
	}
}
