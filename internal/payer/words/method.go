package words

import (
	"fmt"

	"github.com/remitbilling/remit/ent"
	"github.com/remitbilling/remit/ent/paymentmethod"
	"github.com/remitbilling/remit/internal/values"
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
func BrandName(b string) string { return values.CardBrand(b) }
