// Package model holds the portal API's GraphQL-only types: money and the
// generated inputs and payloads.
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
	DisplayName  string
	Percentage   string
	Inclusive    bool
	Jurisdiction string
	taxable, tax int64
	currency     string
}

// TaxableAmount is the taxable base.
func (t TaxAmount) TaxableAmount() *Money { return NewMoney(t.taxable, t.currency) }

// Amount is the tax.
func (t TaxAmount) Amount() *Money { return NewMoney(t.tax, t.currency) }

// TaxAmounts pairs a breakdown with its currency.
func TaxAmounts(ts []values.TaxAmount, currency string) []*TaxAmount {
	out := make([]*TaxAmount, len(ts))
	for i, t := range ts {
		out[i] = &TaxAmount{
			DisplayName: t.DisplayName, Percentage: t.Percentage, Inclusive: t.Inclusive, Jurisdiction: t.Jurisdiction,
			taxable: t.TaxableAmount, tax: t.Amount, currency: currency,
		}
	}
	return out
}
