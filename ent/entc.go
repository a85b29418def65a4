//go:build ignore

// entc generates the ent client with the privacy, entql and GraphQL (entgql)
// extensions. Run through `go generate ./...`.
package main

import (
	"log"

	"entgo.io/contrib/entgql"
	"entgo.io/ent/entc"
	"entgo.io/ent/entc/gen"
)

func main() {
	ex, err := entgql.NewExtension(
		// The GraphQL schema is written by hand in graph/schema: the API is
		// the product, so its shape and descriptions are chosen, not derived.
		entgql.WithConfigPath("../gqlgen.yml"),
		entgql.WithWhereInputs(false),
		entgql.WithNodeDescriptor(false),
	)
	if err != nil {
		log.Fatalf("creating entgql extension: %v", err)
	}
	cfg := &gen.Config{
		Features: []gen.Feature{
			gen.FeaturePrivacy,
			gen.FeatureModifier,
			gen.FeatureExecQuery,
			gen.FeatureLock,
			gen.FeatureUpsert,
			gen.FeatureIntercept,
			gen.FeatureVersionedMigration,
		},
	}
	if err := entc.Generate("./schema", cfg, entc.Extensions(ex), entc.TemplateDir("./template")); err != nil {
		log.Fatalf("running ent codegen: %v", err)
	}
}
