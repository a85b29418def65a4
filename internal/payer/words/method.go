package words

import (
	"fmt"
	"strings"

	"github.com/remitbilling/remit/ent"
	"github.com/remitbilling/remit/ent/paymentmethod"
)

// MethodName names a saved method for the payer ("Visa ending in 4242"),
// as the pages and the emails say it.
func MethodName(m *ent.PaymentMethod, lang string) string {
	t := T(lang)
	if m.Type == paymentmethod.TypeCard {
		return fmt.Sprintf(t["SavedCard"], BrandName(m.Brand), m.Last4)
	}
	return t[string(m.Type)] + " •••• " + m.Last4
}

// BrandName is a card brand as printed on cards.
func BrandName(b string) string {
	switch strings.ToLower(b) {
	case "visa":
		return "Visa"
	case "mastercard":
		return "Mastercard"
	case "amex", "american express":
		return "American Express"
	case "":
		return "Card"
	}
	return strings.ToUpper(b[:1]) + b[1:]
}
