package schema

import (
	"github.com/remitbilling/remit/internal/values"

	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// EmailMessage is one email in the durable outbox (internal/outbox). It is
// written in the transaction of the action that causes it and delivered
// later by the background worker (internal/worker), so a message exists if
// and only if its cause committed, and survives restarts until delivered.
//
// Delivery is at least once: a row is claimed with a lease (status SENDING,
// lease_owner, lease_until); a worker that dies mid-send leaves a lease that
// expires, and another worker sends the message again with the same
// Message-ID, which receiving systems use to drop the duplicate.
type EmailMessage struct{ ent.Schema }

func (EmailMessage) Mixin() []ent.Mixin {
	return []ent.Mixin{IDMixin{Prefix: "em"}, TimeMixin{}, ScopeMixin{CustomerCreates: true}}
}

func (EmailMessage) Fields() []ent.Field {
	return []ent.Field{
		field.String("kind").Immutable().NotEmpty().MaxRuneLen(64).
			Comment("What the message is about, e.g. invoice, invoice_updated, payment_failed, login_code."),
		field.String("invoice_id").Optional().Nillable().Immutable().
			Comment("The invoice the message is about, if any (no foreign key: the message outlives a deleted draft)."),
		field.String("from").Immutable().
			Comment("Sender address (addr-spec)."),
		field.String("from_name").Default("").Immutable().
			Comment("Sender display name."),
		field.String("reply_to").Default("").Immutable().
			Comment("Reply-To address, if any."),
		field.JSON("to", []string{}).Immutable().
			Comment("Recipient addresses."),
		field.JSON("cc", []string{}).Optional().Immutable().
			Comment("Carbon-copy addresses."),
		field.JSON("bcc", []string{}).Optional().Immutable().
			Comment("Blind carbon-copy addresses: envelope recipients, never written in the headers."),
		field.String("subject").Immutable().MaxRuneLen(998),
		field.Text("text_body").Default("").Immutable().
			Comment("Plain-text part."),
		field.Text("html_body").Default("").Immutable().
			Comment("HTML part."),
		field.Bytes("attachments").Optional().Immutable().Annotations(entgql.Skip()).
			Comment("Attachments, encoded by internal/outbox: a JSON array of {name, content_type, data (base64)}."),
		// Documents rendered when the message is delivered rather than when
		// it is queued (a receipt queued in the transaction that records a
		// payment), attached after the stored attachments.
		field.JSON("rendered_attachments", []values.DocumentRef{}).Optional().Immutable().Annotations(entgql.Skip()),
		field.String("message_id").Immutable().NotEmpty().
			Comment("RFC 5322 Message-ID without angle brackets, set at enqueue so every attempt carries the same one."),
		field.Enum("status").NamedValues("Queued", "QUEUED", "Sending", "SENDING", "Sent", "SENT", "Failed", "FAILED").Default("QUEUED").
			Comment("QUEUED: waiting for next_attempt_at; SENDING: claimed by lease_owner until lease_until; SENT; FAILED: given up, see last_error."),
		field.Int("attempts").Default(0).
			Comment("Delivery attempts started so far (counted when a worker claims the message)."),
		field.Time("next_attempt_at").
			Comment("When the message is next due: its send or retry time while QUEUED, its lease expiry while SENDING."),
		field.String("lease_owner").Default("").
			Comment("Worker holding the current (or last) lease."),
		field.Time("lease_until").Optional().Nillable().
			Comment("End of the current lease while SENDING."),
		field.Text("last_error").Default("").
			Comment("Error of the last failed attempt."),
		field.Time("sent_at").Optional().Nillable().
			Comment("When the SMTP server accepted the message."),
	}
}

func (EmailMessage) Indexes() []ent.Index {
	return []ent.Index{
		// The worker's claim: status IN (QUEUED, SENDING) AND
		// next_attempt_at <= now, across accounts.
		index.Fields("status", "next_attempt_at"),
		index.Fields("account_id", "mode", "created_at"),
		index.Fields("account_id", "mode", "invoice_id", "created_at"),
	}
}

func (EmailMessage) Annotations() []schema.Annotation {
	// Not exposed in GraphQL yet.
	return []schema.Annotation{entgql.RelayConnection(), entgql.Skip(entgql.SkipMutationCreateInput, entgql.SkipMutationUpdateInput)}
}
