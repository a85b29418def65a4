// Package model holds the GraphQL-only types of the merchant API that are
// not ent entities: money, scalars, and generated inputs and payloads.
package model

import (
	"strconv"

	"github.com/remitbilling/remit/internal/money"
	"github.com/remitbilling/remit/internal/values"
)

// Money is an exact amount in minor units of a currency.
type Money struct {
	Minor    int64
	Currency string
}

// NewMoney returns an amount of minor units in currency.
func NewMoney(minor int64, currency string) *Money {
	return &Money{Minor: minor, Currency: currency}
}

// Amount is the amount in major units with the currency's decimals.
func (m Money) Amount() string { return money.MajorString(m.Minor, m.Currency) }

// MinorUnits is the integer count of minor units.
func (m Money) MinorUnits() string { return strconv.FormatInt(m.Minor, 10) }

// Formatted renders the amount for people in locale.
func (m Money) Formatted(locale *string) string {
	l := "en"
	if locale != nil && *locale != "" {
		l = *locale
	}
	return money.Format(m.Minor, m.Currency, l)
}

// TaxAmount is one tax of a breakdown, with the currency its amounts are in.
type TaxAmount struct {
	values.TaxAmount
	Currency string
}

// TaxableAmount is the taxable base.
func (t TaxAmount) TaxableAmount() *Money { return NewMoney(t.TaxAmount.TaxableAmount, t.Currency) }

// Amount is the tax.
func (t TaxAmount) Amount() *Money { return NewMoney(t.TaxAmount.Amount, t.Currency) }

// TaxAmounts pairs a breakdown with its currency.
func TaxAmounts(ts []values.TaxAmount, currency string) []*TaxAmount {
	out := make([]*TaxAmount, len(ts))
	for i, t := range ts {
		out[i] = &TaxAmount{TaxAmount: t, Currency: currency}
	}
	return out
}
