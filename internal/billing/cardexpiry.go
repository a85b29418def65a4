package billing

import (
	"context"
	"fmt"
	"strings"
	"time"

	"entgo.io/ent/dialect/sql"

	"github.com/remitbilling/remit/ent"
	"github.com/remitbilling/remit/ent/customer"
	"github.com/remitbilling/remit/ent/invoice"
	"github.com/remitbilling/remit/ent/paymentmethod"
	"github.com/remitbilling/remit/ent/predicate"
	"github.com/remitbilling/remit/internal/clock"
	"github.com/remitbilling/remit/internal/collection"
	"github.com/remitbilling/remit/internal/document"
	"github.com/remitbilling/remit/internal/events"
	"github.com/remitbilling/remit/internal/mail"
	"github.com/remitbilling/remit/internal/outbox"
	"github.com/remitbilling/remit/internal/payer/words"
	"github.com/remitbilling/remit/internal/viewer"
)

// NotifyExpiringCards tells customers, once per card, that the card
// charged for their invoices expires at the end of next month: saved
// cards expiring then that are their customer's default while the
// customer has an open invoice charged automatically. It serves every
// account (run it from the worker), for the customers on no test clock
// when testClockID is "", else for those on that clock, at clock.Now(ctx);
// it notifies up to limit cards and returns how many.
//
// Each card is marked by a conditional update, in the transaction that
// queues its email and records payment_method.expiring, so several
// processes running it at once tell each customer once. A card whose
// emails are turned off (collection settings: emails.cardExpiring) is
// left unmarked, so turning them back on within the month still tells
// the customer; the search pages past such cards instead of stopping at
// them.
func (s *Service) NotifyExpiringCards(ctx context.Context, testClockID string, limit int) (int, error) {
	if limit <= 0 {
		return 0, nil
	}
	sys := viewer.Bypass(ctx, "the scheduler serves every account")
	now := clock.Now(ctx).UTC()
	next := time.Date(now.Year(), now.Month()+1, 1, 0, 0, 0, 0, time.UTC)
	n, after := 0, ""
	for n < limit {
		q := s.db.PaymentMethod.Query().
			Where(
				paymentmethod.ExpYear(next.Year()), paymentmethod.ExpMonth(int(next.Month())),
				paymentmethod.TypeEQ(paymentmethod.TypeCard),
				paymentmethod.DetachedAtIsNil(), paymentmethod.ExpiryNotifiedAtIsNil(),
				chargedDefault(testClockID),
			).
			Order(paymentmethod.ByID()).
			Limit(limit)
		if after != "" {
			q.Where(paymentmethod.IDGT(after))
		}
		cards, err := q.All(sys)
		if err != nil {
			return n, fmt.Errorf("find expiring cards: %w", err)
		}
		for _, pm := range cards {
			vctx := viewer.NewContext(ctx, viewer.System(pm.AccountID, pm.Mode, "scheduler"))
			told := false
			err := s.run(vctx, func(tx *ent.Tx) error {
				var err error
				told, err = s.notifyExpiring(vctx, tx, pm, now)
				return err
			})
			if err != nil {
				return n, fmt.Errorf("notify expiring card %s: %w", pm.ID, err)
			}
			if told {
				if n++; n == limit {
					return n, nil
				}
			}
		}
		if len(cards) < limit {
			break
		}
		after = cards[len(cards)-1].ID
	}
	return n, nil
}

// chargedDefault matches cards that are their customer's default while
// the customer, live and reachable by email, has an open invoice charged
// automatically; on no test clock when testClockID is "", else on that
// one. The customer is probed by its primary key (the card's customer),
// its invoices through the customer's index.
func chargedDefault(testClockID string) predicate.PaymentMethod {
	return func(s *sql.Selector) {
		b := sql.Dialect(s.Dialect())
		c := b.Table(customer.Table).As("expiry_customers")
		i := b.Table(invoice.Table).As("expiry_invoices")
		onClock := sql.IsNull(c.C(customer.FieldTestClockID))
		if testClockID != "" {
			onClock = sql.EQ(c.C(customer.FieldTestClockID), testClockID)
		}
		s.Where(sql.Exists(b.Select(c.C(customer.FieldID)).From(c).Where(sql.And(
			sql.ColumnsEQ(c.C(customer.FieldID), s.C(paymentmethod.FieldCustomerID)),
			sql.ColumnsEQ(c.C(customer.FieldDefaultPaymentMethodID), s.C(paymentmethod.FieldID)),
			sql.IsNull(c.C(customer.FieldDeletedAt)),
			sql.NEQ(c.C(customer.FieldEmail), ""),
			onClock,
			sql.Exists(b.Select(i.C(invoice.FieldID)).From(i).Where(sql.And(
				sql.ColumnsEQ(i.C(invoice.FieldCustomerID), c.C(customer.FieldID)),
				sql.EQ(i.C(invoice.FieldStatus), string(invoice.StatusOpen)),
				sql.EQ(i.C(invoice.FieldCollectionMethod), string(invoice.CollectionMethodChargeAutomatically)),
			))),
		))))
	}
}

var cardExpiringWords = map[string]map[string]string{
	"en": {
		"subject": "Your card %s expires at the end of %s",
		"body":    "Hello %s,\n\nYour card %s, which %s charges for your invoices, expires at the end of %s. So that your next payments go through, ",
		"portal":  "please add a new card in your customer portal:\n%s\n",
		"hosted":  "please pay your open invoice with a new card here:\n%s\n",
		"none":    "please send %s a new card.\n",
	},
	"fr": {
		"subject": "Votre carte %s expire fin %s",
		"body":    "Bonjour %s,\n\nVotre carte %s, que %s débite pour vos factures, expire fin %s. Pour que vos prochains paiements aboutissent, ",
		"portal":  "ajoutez une nouvelle carte dans votre espace client :\n%s\n",
		"hosted":  "réglez votre facture en cours avec une nouvelle carte ici :\n%s\n",
		"none":    "transmettez une nouvelle carte à %s.\n",
	},
	"de": {
		"subject": "Ihre Karte %s läuft Ende %s ab",
		"body":    "Guten Tag %s,\n\nIhre Karte %s, mit der %s Ihre Rechnungen bezahlt, läuft Ende %s ab. Damit Ihre nächsten Zahlungen gelingen, ",
		"portal":  "hinterlegen Sie bitte in Ihrem Kundenportal eine neue Karte:\n%s\n",
		"hosted":  "bezahlen Sie bitte Ihre offene Rechnung hier mit einer neuen Karte:\n%s\n",
		"none":    "senden Sie bitte %s eine neue Karte.\n",
	},
}

// notifyExpiring marks pm as notified, if no one did meanwhile and its
// customer's settings want the email, then queues the email and records
// the event, in tx. It reports whether it told the customer.
func (s *Service) notifyExpiring(ctx context.Context, tx *ent.Tx, pm *ent.PaymentMethod, now time.Time) (bool, error) {
	acct, err := tx.Account.Get(ctx, pm.AccountID)
	if err != nil {
		return false, fmt.Errorf("load account: %w", err)
	}
	cus, err := tx.Customer.Get(ctx, pm.CustomerID)
	if err != nil {
		return false, fmt.Errorf("load customer: %w", err)
	}
	if !collection.Resolve(acct.CollectionSettings, cus.CollectionSettings).Emails.CardExpiring {
		return false, nil
	}
	won, err := tx.PaymentMethod.Update().
		Where(paymentmethod.ID(pm.ID), paymentmethod.ExpiryNotifiedAtIsNil(), paymentmethod.DetachedAtIsNil()).
		SetExpiryNotifiedAt(now).
		Save(ctx)
	if err != nil || won == 0 {
		return false, err // detached, or told by another process, meanwhile
	}
	link, how, err := s.updateCardLink(ctx, tx, cus)
	if err != nil {
		return false, err
	}
	seller := issuerOf(acct)
	locale := documentLocale(buyerOf(cus), seller)
	lang := words.Lang(locale)
	w := cardExpiringWords[lang]
	card := document.PaymentMethod{Type: "CARD", Brand: pm.Brand, Last4: pm.Last4}.Describe(locale)
	expiry := fmt.Sprintf("%02d/%d", pm.ExpMonth, pm.ExpYear)
	text := fmt.Sprintf(w["body"], cus.Name, card, seller.Name, expiry)
	if how == "none" {
		text += fmt.Sprintf(w["none"], seller.Name)
	} else {
		text += fmt.Sprintf(w[how], link)
	}
	text += "\n" + seller.Name + "\n"
	if _, err := s.outbox.Enqueue(ctx, tx, outbox.Message{
		Kind:    "card_expiring",
		From:    mail.Address{Name: seller.Name, Email: s.mailing.From},
		To:      []string{cus.Email},
		Subject: fmt.Sprintf(w["subject"], card, expiry),
		Text:    text,
	}); err != nil {
		return false, err
	}
	after := *pm
	after.ExpiryNotifiedAt = &now
	return true, events.Record(ctx, tx, events.PaymentMethodExpiring, &after)
}

// updateCardLink is where the customer replaces the card: the customer
// portal when the account's is on and lets customers manage their
// payment methods ("portal"), else the hosted page of the customer's
// oldest open invoice charged automatically ("hosted"), else nowhere
// ("none").
func (s *Service) updateCardLink(ctx context.Context, tx *ent.Tx, cus *ent.Customer) (string, string, error) {
	pc, err := tx.PortalConfig.Query().Only(ctx)
	switch {
	case err == nil && pc.Enabled && pc.ManagePaymentMethods:
		return strings.TrimRight(s.mailing.PublicURL, "/") + "/portal/" + pc.Slug, "portal", nil
	case err != nil && !ent.IsNotFound(err):
		return "", "", fmt.Errorf("load portal settings: %w", err)
	}
	inv, err := tx.Invoice.Query().
		Where(invoice.CustomerID(cus.ID), invoice.StatusEQ(invoice.StatusOpen),
			invoice.CollectionMethodEQ(invoice.CollectionMethodChargeAutomatically), invoice.HostedTokenNotNil()).
		Order(invoice.ByFinalizedAt(), invoice.ByID()).
		First(ctx)
	switch {
	case err == nil:
		return s.mailing.hostedLink(inv), "hosted", nil
	case !ent.IsNotFound(err):
		return "", "", fmt.Errorf("load open invoice: %w", err)
	}
	return "", "none", nil
}
