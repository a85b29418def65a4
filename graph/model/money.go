// Package model holds the GraphQL-only types of the merchant API that are
// not ent entities: money, scalars, and generated inputs and payloads.
package model

import (
	"github.com/shopspring/decimal"

	"github.com/remitbilling/remit/internal/money"
	"github.com/remitbilling/remit/internal/totals"
	"github.com/remitbilling/remit/internal/values"
)

// Money is an exact amount in minor units of a currency (defined below
// ent, which gives its amount fields as Money, see ent/template).
type Money = money.Money

// NewMoney returns an amount of minor units in currency.
func NewMoney(minor int64, currency string) *Money { return money.New(minor, currency) }

// TaxAmount is one tax of a breakdown, with the currency its amounts are in.
type TaxAmount struct {
	values.TaxAmount
	Currency string
}

// TaxableAmount is the taxable base.
func (t TaxAmount) TaxableAmount() *money.Money {
	return money.New(t.TaxAmount.TaxableAmount, t.Currency)
}

// Amount is the tax.
func (t TaxAmount) Amount() *money.Money { return money.New(t.TaxAmount.Amount, t.Currency) }

// TaxAmounts pairs a breakdown with its currency. A breakdown computed
// before VAT categories existed gets the category its percentage implied.
func TaxAmounts(ts []values.TaxAmount, currency string) []*TaxAmount {
	out := make([]*TaxAmount, len(ts))
	for i, t := range ts {
		if t.Category == "" {
			p, _ := decimal.NewFromString(t.Percentage)
			t.Category = string(totals.CategoryOr("", p))
		}
		out[i] = &TaxAmount{TaxAmount: t, Currency: currency}
	}
	return out
}
