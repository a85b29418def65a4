package graph

import (
	"context"
	"sync"

	"github.com/99designs/gqlgen/graphql"

	"github.com/remitbilling/remit/ent"
)

// rootMemo holds what the field resolvers under one root field read again
// and again, loaded on first use: the caller's account, which every
// invoice's acceptedPaymentMethodTypes needs (one read for a list instead
// of one per invoice). Each root field gets its own memo, and root
// mutations run one after the other with their fields resolved after the
// mutation itself, so what a mutation changed is what its fields read.
type rootMemo struct {
	account func() (*ent.Account, error)
}

type rootMemoKey struct{}

// AroundRootFields gives every root field its memo; install it with the
// handler's AroundRootFields.
func (r *Resolver) AroundRootFields(ctx context.Context, next graphql.RootResolver) graphql.Marshaler {
	m := &rootMemo{account: sync.OnceValues(func() (*ent.Account, error) { return r.Accounts.Get(ctx) })}
	return next(context.WithValue(ctx, rootMemoKey{}, m))
}

// account returns the caller's account, through the root field's memo when
// there is one.
func (r *Resolver) account(ctx context.Context) (*ent.Account, error) {
	if m, ok := ctx.Value(rootMemoKey{}).(*rootMemo); ok {
		return m.account()
	}
	return r.Accounts.Get(ctx)
}
