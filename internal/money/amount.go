package money

import "strconv"

// Money is an exact amount: a count of minor units of a currency. It is
// what the APIs show for every amount (GraphQL's Money).
type Money struct {
	Minor    int64
	Currency string
}

// New returns minor units of currency.
func New(minor int64, currency string) *Money {
	return &Money{Minor: minor, Currency: currency}
}

// Amount is the amount in major units with the currency's decimals.
func (m Money) Amount() string { return MajorString(m.Minor, m.Currency) }

// MinorUnits is the integer count of minor units.
func (m Money) MinorUnits() string { return strconv.FormatInt(m.Minor, 10) }

// Formatted renders the amount for people in locale (default en).
func (m Money) Formatted(locale *string) string {
	l := "en"
	if locale != nil && *locale != "" {
		l = *locale
	}
	return Format(m.Minor, m.Currency, l)
}
