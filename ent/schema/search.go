package schema

import (
	"context"
	"fmt"

	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"

	gen "github.com/remitbilling/remit/ent"
	"github.com/remitbilling/remit/ent/customer"
	"github.com/remitbilling/remit/ent/customerterm"
	"github.com/remitbilling/remit/ent/hook"
	"github.com/remitbilling/remit/internal/searchterms"
)

// CustomerTerm is one word of a customer's name or email with the rest of
// its text (internal/searchterms): what the customer search reads on
// SQLite, an index range per query instead of every customer. A hook on
// Customer rewrites a customer's terms whenever its name or email is set.
type CustomerTerm struct{ ent.Schema }

func (CustomerTerm) Mixin() []ent.Mixin {
	// A portal customer changing its own name rewrites its own terms.
	return []ent.Mixin{ScopeMixin{Customer: "customer_id"}}
}

func (CustomerTerm) Fields() []ent.Field {
	return []ent.Field{
		field.String("customer_id").Immutable(),
		field.String("term").Immutable().MaxRuneLen(searchterms.MaxRunes),
	}
}

func (CustomerTerm) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("customer", Customer.Type).Ref("terms").Field("customer_id").Unique().Required().Immutable(),
	}
}

func (CustomerTerm) Indexes() []ent.Index {
	return []ent.Index{
		// A search is a range of this index: account, mode, then the terms
		// that start with the query.
		index.Fields("account_id", "mode", "term"),
		// A customer's terms: rewriting them, and whether one matches a
		// search read in the list's order (customers.Filter).
		index.Fields("customer_id", "term"),
	}
}

func (CustomerTerm) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.Skip()}
}

// customerTermsHook rewrites the search terms of the customers a mutation
// creates or whose name or email it sets, in the mutation's transaction.
func customerTermsHook(next ent.Mutator) ent.Mutator {
	return hook.CustomerFunc(func(ctx context.Context, m *gen.CustomerMutation) (ent.Value, error) {
		_, name := m.Name()
		_, email := m.Email()
		if !m.Op().Is(ent.OpCreate) && !name && !email {
			return next.Mutate(ctx, m)
		}
		var ids []string
		if m.Op().Is(ent.OpUpdate) {
			var err error
			if ids, err = m.IDs(ctx); err != nil {
				return nil, err
			}
		}
		v, err := next.Mutate(ctx, m)
		if err != nil {
			return v, err
		}
		client := m.Client()
		var changed []*gen.Customer
		switch c := v.(type) {
		case *gen.Customer:
			changed = append(changed, c)
		default:
			if len(ids) > 0 {
				if changed, err = client.Customer.Query().Where(customer.IDIn(ids...)).All(ctx); err != nil {
					return nil, fmt.Errorf("customer terms: %w", err)
				}
			}
		}
		for _, c := range changed {
			if !m.Op().Is(ent.OpCreate) {
				if _, err := client.CustomerTerm.Delete().Where(customerterm.CustomerID(c.ID)).Exec(ctx); err != nil {
					return nil, fmt.Errorf("customer terms: %w", err)
				}
			}
			terms := searchterms.Terms(c.Name, c.Email)
			creates := make([]*gen.CustomerTermCreate, len(terms))
			for i, t := range terms {
				creates[i] = client.CustomerTerm.Create().
					SetAccountID(c.AccountID).SetMode(c.Mode).SetCustomerID(c.ID).SetTerm(t)
			}
			if err := client.CustomerTerm.CreateBulk(creates...).Exec(ctx); err != nil {
				return nil, fmt.Errorf("customer terms: %w", err)
			}
		}
		return v, nil
	})
}
