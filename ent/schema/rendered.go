package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// RenderedDocument is the PDF of an issued invoice or credit note as it
// was last rendered, kept so that downloads serve stored bytes instead of
// rendering again. Version names what the bytes depend on (the
// document's and the account's last change, the logo, the renderer): a
// download whose version differs renders once more and replaces it.
type RenderedDocument struct{ ent.Schema }

func (RenderedDocument) Mixin() []ent.Mixin {
	return []ent.Mixin{IDMixin{Prefix: "rdoc"}, TimeMixin{}, ScopeMixin{Customer: "customer_id"}}
}

func (RenderedDocument) Fields() []ent.Field {
	return []ent.Field{
		field.String("customer_id").Immutable(),
		field.String("document_id").Immutable().Comment("The invoice or credit note."),
		field.String("version"),
		field.String("number").Comment("The document's number, its file name."),
		field.Bytes("pdf").MaxLen(64 << 20),
	}
}

func (RenderedDocument) Indexes() []ent.Index {
	return []ent.Index{index.Fields("document_id").Unique()}
}

func (RenderedDocument) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.Skip(entgql.SkipAll)}
}
