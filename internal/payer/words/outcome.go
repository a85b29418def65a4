// A failure is told from its code, never from the processor's message: that
// message is in English whatever the payer reads, may be an internal error
// text, and would say that a card was reported lost or stolen, which card
// networks ask not to tell the person holding it.
package words

import (
	"fmt"

	"github.com/remitbilling/remit/ent"
	"github.com/remitbilling/remit/ent/payment"
	"github.com/remitbilling/remit/internal/payments"
)

// Kind is how an outcome is shown.
type Kind string

const (
	KindOK     Kind = "ok"     // paid, or on its way
	KindError  Kind = "error"  // nothing was charged
	KindAction Kind = "action" // the bank's confirmation (3-D Secure) is awaited
)

type messages struct {
	succeeded, failed, processing, action string
	reasons                               map[string]string // by failure code; "" is any other
}

var byLang = map[string]messages{
	"en": {
		succeeded:  "Thank you: your payment of %s was received.",
		failed:     "Your payment did not go through: %s. Nothing was charged; try another card.",
		processing: "Your payment of %s is being processed.",
		action:     "Your bank asks you to confirm this payment.",
		reasons: map[string]string{
			"":                                "the card was declined",
			payments.CodeExpiredCard:          "the card has expired",
			payments.CodeIncorrectCVC:         "the security code is wrong",
			payments.CodeProcessingError:      "the payment service could not be reached",
			payments.CodeAuthenticationFailed: "your bank did not confirm it",
			"authentication_timeout":          "it was not confirmed in time",
		},
	},
	"fr": {
		succeeded:  "Merci : votre paiement de %s a bien été reçu.",
		failed:     "Votre paiement n'a pas abouti : %s. Rien n'a été débité ; essayez une autre carte.",
		processing: "Votre paiement de %s est en cours de traitement.",
		action:     "Votre banque vous demande de confirmer ce paiement.",
		reasons: map[string]string{
			"":                                "la carte a été refusée",
			payments.CodeExpiredCard:          "la carte a expiré",
			payments.CodeIncorrectCVC:         "le cryptogramme est erroné",
			payments.CodeProcessingError:      "le service de paiement n'a pas pu être joint",
			payments.CodeAuthenticationFailed: "votre banque ne l'a pas confirmé",
			"authentication_timeout":          "il n'a pas été confirmé à temps",
		},
	},
	"de": {
		succeeded:  "Vielen Dank: Ihre Zahlung von %s ist eingegangen.",
		failed:     "Ihre Zahlung ist fehlgeschlagen: %s. Es wurde nichts abgebucht; versuchen Sie es mit einer anderen Karte.",
		processing: "Ihre Zahlung von %s wird bearbeitet.",
		action:     "Ihre Bank bittet Sie, diese Zahlung zu bestätigen.",
		reasons: map[string]string{
			"":                                "die Karte wurde abgelehnt",
			payments.CodeExpiredCard:          "die Karte ist abgelaufen",
			payments.CodeIncorrectCVC:         "die Prüfnummer ist falsch",
			payments.CodeProcessingError:      "der Zahlungsdienst war nicht erreichbar",
			payments.CodeAuthenticationFailed: "Ihre Bank hat sie nicht bestätigt",
			"authentication_timeout":          "sie wurde nicht rechtzeitig bestätigt",
		},
	},
}

// Reason says why attempt p failed, in lang ("" unless it failed or was
// canceled).
func Reason(p *ent.Payment, lang string) string {
	if p.Status != payment.StatusFailed && p.Status != payment.StatusCanceled {
		return ""
	}
	return ReasonOf(p.FailureCode, lang)
}

// ReasonOf says in lang why a payment with failure code failed: the words
// of the pages, for the emails too, so that a decline reads the same
// everywhere and no raw code (generic_decline) reaches the payer.
func ReasonOf(code, lang string) string {
	m := of(lang)
	if r, ok := m.reasons[code]; ok {
		return r
	}
	return m.reasons[""]
}

func of(lang string) messages {
	return byLang[Lang(lang)]
}

// Outcome returns the sentence telling the payer how attempt p ended and
// how to show it; amount is p's amount formatted for the payer. A language
// Remit does not write reads English.
func Outcome(p *ent.Payment, lang, amount string) (string, Kind) {
	m := of(lang)
	switch p.Status {
	case payment.StatusSucceeded:
		return fmt.Sprintf(m.succeeded, amount), KindOK
	case payment.StatusProcessing:
		return fmt.Sprintf(m.processing, amount), KindOK
	case payment.StatusRequiresAction:
		return m.action, KindAction
	}
	return fmt.Sprintf(m.failed, Reason(p, lang)), KindError
}
