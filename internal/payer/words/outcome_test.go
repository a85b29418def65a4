package words

import (
	"strings"
	"testing"

	"github.com/remitbilling/remit/ent"
	"github.com/remitbilling/remit/ent/payment"
)

func TestOutcome(t *testing.T) {
	tests := []struct {
		lang    string
		status  payment.Status
		code    string
		message string
		want    string
		kind    Kind
	}{
		{"en", payment.StatusSucceeded, "", "", "Thank you: your payment of €12.00 was received.", KindOK},
		{"fr", payment.StatusSucceeded, "", "", "Merci : votre paiement de €12.00 a bien été reçu.", KindOK},
		{"es", payment.StatusProcessing, "", "", "Your payment of €12.00 is being processed.", KindOK},
		{"de-AT", payment.StatusProcessing, "", "", "Ihre Zahlung von €12.00 wird bearbeitet.", KindOK},
		{"de", payment.StatusFailed, "incorrect_cvc", "", "Ihre Zahlung ist fehlgeschlagen: die Prüfnummer ist falsch. Es wurde nichts abgebucht; versuchen Sie es mit einer anderen Karte.", KindError},
		{"fr", payment.StatusRequiresAction, "", "", "Votre banque vous demande de confirmer ce paiement.", KindAction},
		{"en", payment.StatusFailed, "card_declined", "Your card has insufficient funds.", "Your payment did not go through: the card was declined. Nothing was charged; try another card.", KindError},
		{"fr", payment.StatusFailed, "expired_card", "Your card has expired.", "Votre paiement n'a pas abouti : la carte a expiré. Rien n'a été débité ; essayez une autre carte.", KindError},
		{"en", payment.StatusFailed, "processing_error", "dial tcp 10.0.0.7:443: connection refused", "Your payment did not go through: the payment service could not be reached. Nothing was charged; try another card.", KindError},
		{"en", payment.StatusCanceled, "authentication_timeout", "the customer did not complete authentication in time", "Your payment did not go through: it was not confirmed in time. Nothing was charged; try another card.", KindError},
		{"en", payment.StatusFailed, "some_new_code", "", "Your payment did not go through: the card was declined. Nothing was charged; try another card.", KindError},
	}
	for _, tt := range tests {
		p := &ent.Payment{Status: tt.status, FailureCode: tt.code, FailureMessage: tt.message}
		got, kind := Outcome(p, tt.lang, "€12.00")
		if got != tt.want || kind != tt.kind {
			t.Errorf("%s %s %s: %q (%s), want %q (%s)", tt.lang, tt.status, tt.code, got, kind, tt.want, tt.kind)
		}
		if tt.message != "" && strings.Contains(got, tt.message) {
			t.Errorf("%s: the processor's message reached the payer: %q", tt.code, got)
		}
	}
}
