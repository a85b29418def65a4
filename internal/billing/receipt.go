package billing

import (
	"context"
	"fmt"

	"github.com/remitbilling/remit/ent"
	"github.com/remitbilling/remit/ent/paymentmethod"
	"github.com/remitbilling/remit/internal/money"
	"github.com/remitbilling/remit/internal/values"
)

var receiptWords = map[string]map[string]string{
	"en": {
		"subject":   "Receipt for your payment of %s to %s",
		"body":      "Hello %s,\n\n%s received your payment of %s by %s for invoice %s. Thank you.\n\n%s\n\nThe invoice and the receipt are attached as PDFs.\n",
		"remaining": "%s remains to pay on this invoice.",
		"paid":      "The invoice is now paid in full.",
		"link":      "View the invoice online:\n%s\n",
	},
	"fr": {
		"subject":   "Reçu de votre paiement de %s à %s",
		"body":      "Bonjour %s,\n\n%s a bien reçu votre paiement de %s par %s pour la facture %s. Merci.\n\n%s\n\nLa facture et le reçu sont joints en PDF.\n",
		"remaining": "Il reste %s à régler sur cette facture.",
		"paid":      "La facture est désormais intégralement réglée.",
		"link":      "Consulter la facture en ligne :\n%s\n",
	},
	"de": {
		"subject":   "Bestätigung Ihrer Zahlung von %s an %s",
		"body":      "Guten Tag %s,\n\n%s hat Ihre Zahlung von %s per %s für die Rechnung %s erhalten. Vielen Dank.\n\n%s\n\nDie Rechnung und die Zahlungsbestätigung sind als PDF beigefügt.\n",
		"remaining": "Auf diese Rechnung sind noch %s offen.",
		"paid":      "Die Rechnung ist nun vollständig bezahlt.",
		"link":      "Rechnung online ansehen:\n%s\n",
	},
}

// enqueueReceipt queues the receipt of the succeeded payment p of inv
// (the invoice as the payment left it), in the transaction that records
// the payment, in the language of the invoice's documents. The PDFs (the
// invoice as it then stands, and the receipt) are rendered when the
// email is delivered, not in this transaction. Whether receipts are on is
// the caller's to check.
func (s *Service) enqueueReceipt(ctx context.Context, tx *ent.Tx, inv *ent.Invoice, p *ent.Payment) error {
	m, ok := s.customerMail(inv)
	if !ok {
		return nil
	}
	pm := p.Edges.PaymentMethod // the payer's attempt has it at hand
	if pm == nil && p.PaymentMethodID != nil {
		var err error
		if pm, err = tx.PaymentMethod.Query().Where(paymentmethod.ID(*p.PaymentMethodID)).Only(ctx); err != nil {
			return fmt.Errorf("load payment method: %w", err)
		}
	}
	w := receiptWords[m.lang]
	amount := money.Format(p.Amount, p.Currency, m.lang)
	standing := w["paid"]
	if rest := AmountRemaining(inv); rest > 0 {
		standing = fmt.Sprintf(w["remaining"], money.Format(rest, inv.Currency, m.lang))
	}
	text := fmt.Sprintf(w["body"], m.buyer.Name, m.seller.Name, amount, methodOf(p, pm).Describe(m.locale), m.number, standing)
	if m.link != "" {
		text += "\n" + fmt.Sprintf(w["link"], m.link)
	}
	text += "\n" + m.seller.Name + "\n"
	msg := m.message("receipt", inv, s.mailing.From, fmt.Sprintf(w["subject"], amount, m.seller.Name), text)
	msg.Render = []values.DocumentRef{{Kind: DocumentInvoice, ID: inv.ID}, {Kind: DocumentReceipt, ID: p.ID}}
	_, err := s.outbox.Enqueue(ctx, tx, msg)
	return err
}
