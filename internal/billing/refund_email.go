package billing

import (
	"context"
	"fmt"
	"strings"

	"github.com/remitbilling/remit/ent"
	"github.com/remitbilling/remit/ent/payment"
	"github.com/remitbilling/remit/internal/mail"
	"github.com/remitbilling/remit/internal/money"
	"github.com/remitbilling/remit/internal/outbox"
	"github.com/remitbilling/remit/internal/payer/words"
)

var refundWords = map[string]map[string]string{
	"en": {
		"subject": "Refund of %s from %s",
		"body":    "Hello %s,\n\n%s has refunded %s for invoice %s %s.\n\nA refund can take 5 to 10 business days to appear on your statement.\n\n%s\n",
		"card":    "to your card ending in %s", "bank": "to your bank account ending in %s", "method": "to the payment method you used",
	},
	"fr": {
		"subject": "Remboursement de %s par %s",
		"body":    "Bonjour %s,\n\n%s vous a remboursé %s pour la facture %s %s.\n\nUn remboursement peut mettre 5 à 10 jours ouvrés à apparaître sur votre relevé.\n\n%s\n",
		"card":    "sur votre carte se terminant par %s", "bank": "sur votre compte bancaire se terminant par %s", "method": "sur le moyen de paiement utilisé",
	},
	"de": {
		"subject": "Erstattung von %s durch %s",
		"body":    "Guten Tag %s,\n\n%s hat Ihnen %s für die Rechnung %s %s erstattet.\n\nEs kann 5 bis 10 Werktage dauern, bis die Erstattung auf Ihrem Kontoauszug erscheint.\n\n%s\n",
		"card":    "auf Ihre Karte mit der Endung %s", "bank": "auf Ihr Bankkonto mit der Endung %s", "method": "auf das verwendete Zahlungsmittel",
	},
}

// enqueueRefunded emails the customer that a refund succeeded, in the
// transaction that records it, in the language of the invoice's
// documents.
func (s *Service) enqueueRefunded(ctx context.Context, tx *ent.Tx, r *ent.Refund) error {
	inv, err := tx.Invoice.Get(ctx, r.InvoiceID)
	if err != nil {
		return fmt.Errorf("load invoice: %w", err)
	}
	buyer, seller := inv.CustomerSnapshot, inv.IssuerSnapshot
	if buyer == nil || buyer.Email == "" || seller == nil {
		return nil
	}
	p, err := tx.Payment.Query().Where(payment.ID(r.PaymentID)).WithPaymentMethod().Only(ctx)
	if err != nil {
		return fmt.Errorf("load payment: %w", err)
	}
	lang := words.Lang(documentLocale(buyer, seller))
	w := refundWords[lang]
	to := w["method"]
	if pm := p.Edges.PaymentMethod; pm != nil && pm.Last4 != "" {
		to = fmt.Sprintf(w["bank"], pm.Last4)
		if p.MethodType == payment.MethodTypeCard {
			to = fmt.Sprintf(w["card"], pm.Last4)
		}
	}
	amount := money.Format(r.Amount, r.Currency, lang)
	_, err = s.outbox.Enqueue(ctx, tx, outbox.Message{
		Kind:      "refund",
		InvoiceID: inv.ID,
		From:      mail.Address{Name: seller.Name, Email: s.mailing.From},
		To:        []string{buyer.Email},
		Subject:   fmt.Sprintf(w["subject"], amount, seller.Name),
		Text:      fmt.Sprintf(w["body"], buyer.Name, seller.Name, amount, deref(inv.Number), strings.TrimSpace(to), seller.Name),
	})
	return err
}
