package billing

import (
	"context"
	"fmt"
	"strings"

	"github.com/remitbilling/remit/ent"
	"github.com/remitbilling/remit/internal/clock"
	"github.com/remitbilling/remit/internal/collection"
	"github.com/remitbilling/remit/internal/mail"
	"github.com/remitbilling/remit/internal/money"
	"github.com/remitbilling/remit/internal/outbox"
	"github.com/remitbilling/remit/internal/payer/words"
	"github.com/remitbilling/remit/internal/values"
)

// The collection emails: a reminder, a payment that needs the customer's
// authentication, a scheduled payment confirmed and announced. Each is
// queued in the transaction that records what it tells, in the customer's
// language (documentLocale), with the hosted page's link.

var collectionWords = map[string]map[string]string{
	"en": {
		"reminder.before.subject":  "Reminder: invoice %s from %s is due on %s",
		"reminder.on.subject":      "Reminder: invoice %s from %s is due today",
		"reminder.after.subject":   "Overdue: invoice %s from %s was due on %s",
		"reminder.body":            "Hello %s,\n\n%s\n\nAmount remaining: %s\nDue date: %s\n\nView and pay the invoice here:\n%s\n\n%s\n",
		"reminder.before":          "This is a reminder that invoice %s is due in %d days.",
		"reminder.on":              "This is a reminder that invoice %s is due today.",
		"reminder.after":           "Invoice %s is %d days past due. If you have already paid, please ignore this message.",
		"reminder.installment":     "Installment %d of invoice %s (%s) is due on %s.",
		"action.subject":           "Confirm your payment for invoice %s from %s",
		"action.body":              "Hello %s,\n\nYour bank asks you to confirm the payment of %s for invoice %s. Nothing is charged until you do.\n\nConfirm it here:\n%s\n\n%s\n",
		"scheduled.subject":        "Payment scheduled for invoice %s from %s",
		"scheduled.body":           "Hello %s,\n\nYour payment of %s for invoice %s is scheduled for %s, with %s.\n\nYou can change or cancel it before then here:\n%s\n\n%s\n",
		"scheduled.notice.subject": "Your payment for invoice %s from %s is in %d days",
		"scheduled.notice.body":    "Hello %s,\n\nAs you scheduled, %s will be charged on %s for invoice %s, with %s.\n\nYou can change or cancel it here:\n%s\n\n%s\n",
		"remaining":                "the amount remaining",
	},
	"fr": {
		"reminder.before.subject":  "Rappel : la facture %s de %s arrive à échéance le %s",
		"reminder.on.subject":      "Rappel : la facture %s de %s arrive à échéance aujourd'hui",
		"reminder.after.subject":   "Retard : la facture %s de %s était due le %s",
		"reminder.body":            "Bonjour %s,\n\n%s\n\nMontant restant dû : %s\nÉchéance : %s\n\nConsultez et réglez la facture ici :\n%s\n\n%s\n",
		"reminder.before":          "Nous vous rappelons que la facture %s arrive à échéance dans %d jours.",
		"reminder.on":              "Nous vous rappelons que la facture %s arrive à échéance aujourd'hui.",
		"reminder.after":           "La facture %s est en retard de %d jours. Si vous l'avez déjà réglée, merci de ne pas tenir compte de ce message.",
		"reminder.installment":     "L'échéance %d de la facture %s (%s) est due le %s.",
		"action.subject":           "Confirmez votre paiement de la facture %s de %s",
		"action.body":              "Bonjour %s,\n\nVotre banque vous demande de confirmer le paiement de %s pour la facture %s. Rien n'est débité avant votre confirmation.\n\nConfirmez-le ici :\n%s\n\n%s\n",
		"scheduled.subject":        "Paiement programmé pour la facture %s de %s",
		"scheduled.body":           "Bonjour %s,\n\nVotre paiement de %s pour la facture %s est programmé le %s, avec %s.\n\nVous pouvez le modifier ou l'annuler d'ici là :\n%s\n\n%s\n",
		"scheduled.notice.subject": "Votre paiement de la facture %s de %s a lieu dans %d jours",
		"scheduled.notice.body":    "Bonjour %s,\n\nComme vous l'avez programmé, %s sera débité le %s pour la facture %s, avec %s.\n\nVous pouvez le modifier ou l'annuler ici :\n%s\n\n%s\n",
		"remaining":                "le montant restant",
	},
	"de": {
		"reminder.before.subject":  "Erinnerung: Rechnung %s von %s ist am %s fällig",
		"reminder.on.subject":      "Erinnerung: Rechnung %s von %s ist heute fällig",
		"reminder.after.subject":   "Zahlungserinnerung: Rechnung %s von %s war am %s fällig",
		"reminder.body":            "Guten Tag %s,\n\n%s\n\nOffener Betrag: %s\nFälligkeitsdatum: %s\n\nRechnung ansehen und bezahlen:\n%s\n\n%s\n",
		"reminder.before":          "wir erinnern Sie daran, dass die Rechnung %s in %d Tagen fällig ist.",
		"reminder.on":              "wir erinnern Sie daran, dass die Rechnung %s heute fällig ist.",
		"reminder.after":           "die Rechnung %s ist seit %d Tagen überfällig. Falls Sie bereits bezahlt haben, betrachten Sie diese Nachricht bitte als gegenstandslos.",
		"reminder.installment":     "die Rate %d der Rechnung %s (%s) ist am %s fällig.",
		"action.subject":           "Bestätigen Sie Ihre Zahlung der Rechnung %s von %s",
		"action.body":              "Guten Tag %s,\n\nIhre Bank bittet Sie, die Zahlung von %s für die Rechnung %s zu bestätigen. Bis dahin wird nichts abgebucht.\n\nHier bestätigen:\n%s\n\n%s\n",
		"scheduled.subject":        "Zahlung der Rechnung %s von %s geplant",
		"scheduled.body":           "Guten Tag %s,\n\nIhre Zahlung von %s für die Rechnung %s ist für den %s geplant, mit %s.\n\nBis dahin können Sie sie hier ändern oder stornieren:\n%s\n\n%s\n",
		"scheduled.notice.subject": "Ihre Zahlung der Rechnung %s von %s erfolgt in %d Tagen",
		"scheduled.notice.body":    "Guten Tag %s,\n\nwie von Ihnen geplant, wird %s am %s für die Rechnung %s abgebucht, mit %s.\n\nSie können die Zahlung hier ändern oder stornieren:\n%s\n\n%s\n",
		"remaining":                "der offene Betrag",
	},
}

// customerMail is what every collection email of inv needs: who it goes
// to, in which language, from whom, and the hosted page's link. ok is
// false when the customer has no email.
type customerMail struct {
	buyer, seller *values.Party
	// locale is the invoice documents' locale; lang the emails' language.
	locale, lang, link string
	number             string
}

func (s *Service) customerMail(inv *ent.Invoice) (customerMail, bool) {
	buyer, seller := inv.CustomerSnapshot, inv.IssuerSnapshot
	if buyer == nil || buyer.Email == "" || seller == nil {
		return customerMail{}, false
	}
	locale := documentLocale(buyer, seller)
	return customerMail{buyer: buyer, seller: seller, locale: locale, lang: words.Lang(locale), link: s.mailing.hostedLink(inv), number: deref(inv.Number)}, true
}

func (m customerMail) message(kind string, inv *ent.Invoice, from string, subject, text string) outbox.Message {
	return outbox.Message{
		Kind:      kind,
		InvoiceID: inv.ID,
		From:      mail.Address{Name: m.seller.Name, Email: from},
		To:        []string{m.buyer.Email},
		Subject:   subject,
		Text:      text,
	}
}

// hostedLink is the address of inv's hosted page, or "" before it has one.
func (m Mailing) hostedLink(inv *ent.Invoice) string {
	if inv.HostedToken == nil {
		return ""
	}
	return strings.TrimRight(m.PublicURL, "/") + "/i/" + *inv.HostedToken
}

// enqueueReminder emails the reminder r of inv.
func (s *Service) enqueueReminder(ctx context.Context, tx *ent.Tx, inv *ent.Invoice, r collection.Reminder) error {
	m, ok := s.customerMail(inv)
	if !ok {
		return nil
	}
	w := collectionWords[m.lang]
	due := inv.DueDate
	amount := AmountRemaining(inv)
	var subject, line string
	if r.Installment > 0 && r.Installment <= len(inv.AmountsDue) {
		it := inv.AmountsDue[r.Installment-1]
		due = it.DueDate
		amount = installmentOwed(inv, r.Installment-1)
		dueText := words.Date(*due, m.lang)
		subject = fmt.Sprintf(w["reminder.before.subject"], m.number, m.seller.Name, dueText)
		line = fmt.Sprintf(w["reminder.installment"], r.Installment, m.number, money.Format(amount, inv.Currency, m.lang), dueText)
	} else {
		dueText := words.Date(*due, m.lang)
		switch {
		case r.OffsetDays < 0:
			subject = fmt.Sprintf(w["reminder.before.subject"], m.number, m.seller.Name, dueText)
			line = fmt.Sprintf(w["reminder.before"], m.number, -r.OffsetDays)
		case r.OffsetDays == 0:
			subject = fmt.Sprintf(w["reminder.on.subject"], m.number, m.seller.Name)
			line = fmt.Sprintf(w["reminder.on"], m.number)
		default:
			subject = fmt.Sprintf(w["reminder.after.subject"], m.number, m.seller.Name, dueText)
			line = fmt.Sprintf(w["reminder.after"], m.number, r.OffsetDays)
		}
	}
	text := fmt.Sprintf(w["reminder.body"], m.buyer.Name, line, money.Format(AmountRemaining(inv), inv.Currency, m.lang),
		words.Date(*due, m.lang), m.link, m.seller.Name)
	acct, err := tx.Account.Get(ctx, inv.AccountID)
	if err != nil {
		return fmt.Errorf("load account: %w", err)
	}
	if transfer := transferText(BankTransferOf(acct, inv, clock.Now(ctx)), m.lang); transfer != "" {
		// Before the signature: the reminder asks for money, this is how.
		sig := "\n\n" + m.seller.Name + "\n"
		text = strings.TrimSuffix(text, sig) + "\n\n" + transfer + sig
	}
	_, err = s.outbox.Enqueue(ctx, tx, m.message("invoice_reminder", inv, s.mailing.From, subject, text))
	return err
}

// installmentOwed is what installment i of inv still needs.
func installmentOwed(inv *ent.Invoice, i int) int64 {
	covered := inv.AmountPaid
	for j, it := range inv.AmountsDue {
		p := min(covered, it.Amount)
		covered -= p
		if j == i {
			return it.Amount - p
		}
	}
	return 0
}

// describeReminder is a reminder's note in the invoice's history.
func describeReminder(r collection.Reminder) string { return "reminder sent " + reminderWhen(r) }

// reminderWhen says when a reminder falls: "3 days before the due date".
func reminderWhen(r collection.Reminder) string {
	when := ""
	switch {
	case r.OffsetDays < 0:
		when = fmt.Sprintf("%d days before", -r.OffsetDays)
	case r.OffsetDays == 0:
		when = "on"
	default:
		when = fmt.Sprintf("%d days after", r.OffsetDays)
	}
	if r.Installment > 0 {
		return fmt.Sprintf("%s the due date of installment %d", when, r.Installment)
	}
	return when + " the due date"
}

// enqueueActionRequired emails the customer that the automatic payment p
// awaits their authentication, with the hosted page where they give it.
func (s *Service) enqueueActionRequired(ctx context.Context, tx *ent.Tx, inv *ent.Invoice, p *ent.Payment) error {
	m, ok := s.customerMail(inv)
	if !ok {
		return nil
	}
	w := collectionWords[m.lang]
	text := fmt.Sprintf(w["action.body"], m.buyer.Name, money.Format(p.Amount, p.Currency, m.lang), m.number, m.link, m.seller.Name)
	_, err := s.outbox.Enqueue(ctx, tx, m.message("payment_action_required", inv, s.mailing.From,
		fmt.Sprintf(w["action.subject"], m.number, m.seller.Name), text))
	return err
}

// enqueueScheduledPayment emails that sp is scheduled (notice false) or
// comes in ScheduledNoticeDays days (notice true).
func (s *Service) enqueueScheduledPayment(ctx context.Context, tx *ent.Tx, inv *ent.Invoice, sp *values.ScheduledPayment, notice bool) error {
	m, ok := s.customerMail(inv)
	if !ok {
		return nil
	}
	w := collectionWords[m.lang]
	amount := w["remaining"]
	if sp.Amount > 0 {
		amount = money.Format(sp.Amount, inv.Currency, m.lang)
	} else if a := PayableNow(inv); a > 0 {
		amount = money.Format(a, inv.Currency, m.lang)
	}
	method, err := s.describeMethod(ctx, tx, sp.PaymentMethodID, m.lang)
	if err != nil {
		return err
	}
	date := words.Date(sp.At, m.lang)
	if notice {
		_, err = s.outbox.Enqueue(ctx, tx, m.message("payment_scheduled_notice", inv, s.mailing.From,
			fmt.Sprintf(w["scheduled.notice.subject"], m.number, m.seller.Name, ScheduledNoticeDays),
			fmt.Sprintf(w["scheduled.notice.body"], m.buyer.Name, amount, date, m.number, method, m.link, m.seller.Name)))
		return err
	}
	_, err = s.outbox.Enqueue(ctx, tx, m.message("payment_scheduled", inv, s.mailing.From,
		fmt.Sprintf(w["scheduled.subject"], m.number, m.seller.Name),
		fmt.Sprintf(w["scheduled.body"], m.buyer.Name, amount, m.number, date, method, m.link, m.seller.Name)))
	return err
}

// describeMethod names a saved payment method for people: "Visa •••• 4242".
func (s *Service) describeMethod(ctx context.Context, tx *ent.Tx, id, lang string) (string, error) {
	pm, err := tx.PaymentMethod.Get(ctx, id)
	if err != nil {
		return "", fmt.Errorf("load payment method: %w", err)
	}
	return words.MethodName(pm, lang), nil
}
