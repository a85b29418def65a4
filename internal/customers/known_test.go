package customers

import (
	"context"
	"testing"

	"github.com/remitbilling/remit/ent"
	"github.com/remitbilling/remit/internal/viewer"
)

func TestKnown(t *testing.T) {
	t.Parallel()
	merchant := viewer.NewContext(context.Background(), viewer.Merchant("acct_1", viewer.Test, "key_1"))
	row := func(revision int64, name string) *ent.Customer {
		return &ent.Customer{ID: "cus_1", AccountID: "acct_1", Mode: viewer.Test, Revision: revision, Name: name}
	}
	tests := []struct {
		name     string
		kept     []*ent.Customer
		ctx      context.Context
		revision int64
		want     string // the name read, "" for none
	}{
		{"the kept revision", []*ent.Customer{row(3, "Acme")}, merchant, 3, "Acme"},
		{"a later revision", []*ent.Customer{row(3, "Acme")}, merchant, 4, ""},
		{"an earlier revision", []*ent.Customer{row(3, "Acme")}, merchant, 2, ""},
		{"an older row kept after a newer one", []*ent.Customer{row(4, "New"), row(3, "Old")}, merchant, 4, "New"},
		{"a newer row replaces an older one", []*ent.Customer{row(3, "Old"), row(4, "New")}, merchant, 4, "New"},
		{"another account", []*ent.Customer{row(3, "Acme")},
			viewer.NewContext(context.Background(), viewer.Merchant("acct_2", viewer.Test, "key_2")), 3, ""},
		{"the other mode", []*ent.Customer{row(3, "Acme")},
			viewer.NewContext(context.Background(), viewer.Merchant("acct_1", viewer.Live, "key_1")), 3, ""},
		{"another portal customer", []*ent.Customer{row(3, "Acme")},
			viewer.NewContext(context.Background(), viewer.PortalCustomer("acct_1", viewer.Test, "cus_2")), 3, ""},
		{"its own portal customer", []*ent.Customer{row(3, "Acme")},
			viewer.NewContext(context.Background(), viewer.PortalCustomer("acct_1", viewer.Test, "cus_1")), 3, "Acme"},
		{"no viewer", []*ent.Customer{row(3, "Acme")}, context.Background(), 3, ""},
		{"nothing kept", nil, merchant, 0, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			k := NewKnown()
			for _, c := range tt.kept {
				k.Keep(c)
			}
			got, ok := k.At(tt.ctx, "cus_1", tt.revision)
			switch {
			case tt.want == "" && ok:
				t.Fatalf("got %q, want nothing", got.Name)
			case tt.want != "" && !ok:
				t.Fatalf("got nothing, want %q", tt.want)
			case ok && got.Name != tt.want:
				t.Fatalf("got %q, want %q", got.Name, tt.want)
			}
		})
	}
}

// What Known hands out and what it was given are copies: a caller changing
// its customer (finalization sets the balance it applied) changes neither
// what is kept nor what another caller gets.
func TestKnownCopies(t *testing.T) {
	t.Parallel()
	ctx := viewer.NewContext(context.Background(), viewer.Merchant("acct_1", viewer.Test, "key_1"))
	k := NewKnown()
	given := &ent.Customer{ID: "cus_1", AccountID: "acct_1", Mode: viewer.Test, Revision: 1, Balance: 100}
	k.Keep(given)
	given.Balance = 1
	first, _ := k.At(ctx, "cus_1", 1)
	first.Balance = 2
	second, ok := k.At(ctx, "cus_1", 1)
	if !ok || second.Balance != 100 {
		t.Fatalf("kept balance %d (ok %v), want 100", second.Balance, ok)
	}
}
