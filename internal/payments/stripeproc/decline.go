package stripeproc

import "github.com/remitbilling/remit/internal/payments"

// knownCodes are the Stripe error codes (PaymentIntent.last_payment_error.code)
// Remit keeps as they are: the simulator's codes, the hard declines that
// payments.ChargeResult.HardDecline knows, and the bank-debit failures.
// Anything else becomes a generic card decline, which is soft (retryable)
// and shows a neutral message: an unknown code must not stop dunning nor
// leak Stripe's internals to the payer.
var knownCodes = map[string]bool{
	payments.CodeCardDeclined:         true,
	payments.CodeExpiredCard:          true,
	payments.CodeIncorrectCVC:         true,
	payments.CodeProcessingError:      true,
	payments.CodeInsufficientFunds:    true,
	payments.CodeAuthenticationFailed: true,
	payments.CodeDebitNotAuthorized:   true,
	payments.CodeAccountClosed:        true,
	"incorrect_number":                true,
	"invalid_number":                  true,
	"invalid_expiry_month":            true,
	"invalid_expiry_year":             true,
	"invalid_cvc":                     true,
	"authentication_required":         true,
	"no_account":                      true,
	"bank_account_restricted":         true,
	"bank_account_unusable":           true,
	"account_frozen":                  true,
}

// codeAliases rename Stripe codes whose meaning Remit already has under
// another name.
var codeAliases = map[string]string{
	// Stripe reports a failed 3-D Secure challenge this way; the simulator
	// and Remit's messages call it authentication_failed.
	"payment_intent_authentication_failure": payments.CodeAuthenticationFailed,
	"payment_method_not_available":          payments.CodeProcessingError,
}

// knownDeclines are the decline codes (last_payment_error.decline_code)
// kept as they are; others become generic_decline.
var knownDeclines = map[string]bool{
	payments.CodeGenericDecline:        true,
	payments.CodeInsufficientFunds:     true,
	payments.CodeLostCard:              true,
	payments.CodeStolenCard:            true,
	payments.CodeExpiredCard:           true,
	payments.CodeIncorrectCVC:          true,
	payments.CodeProcessingError:       true,
	"incorrect_number":                 true,
	"pickup_card":                      true,
	"fraudulent":                       true,
	"do_not_honor":                     true,
	"do_not_try_again":                 true,
	"authentication_required":          true,
	"card_velocity_exceeded":           true,
	"card_not_supported":               true,
	"currency_not_supported":           true,
	"withdrawal_count_limit_exceeded":  true,
	"revocation_of_authorization":      true,
	"revocation_of_all_authorizations": true,
	"transaction_not_allowed":          true,
	"try_again_later":                  true,
}

// Messages safe to show the payer, by Remit failure code, for when Stripe
// sent none; a decline reads as the simulator's (payments.MessageDeclined).
// CodeCanceled is the failure code of a PaymentIntent canceled before it
// completed.
const CodeCanceled = "canceled"

const (
	msgDeclined = payments.MessageDeclined
	msgCanceled = "The payment was canceled before it completed."
	msgFailed   = "The payment could not be completed."
)

// MapFailure turns Stripe's error code and decline code into Remit's
// failure and decline codes (payments.Code*). Unknown or missing codes
// become card_declined / generic_decline, a soft decline.
func MapFailure(code, declineCode string) (failureCode, decline string) {
	if alias, ok := codeAliases[code]; ok {
		code = alias
	}
	if !knownCodes[code] {
		return payments.CodeCardDeclined, payments.CodeGenericDecline
	}
	if declineCode != "" && !knownDeclines[declineCode] {
		declineCode = payments.CodeGenericDecline
	}
	if code == payments.CodeCardDeclined && declineCode == "" {
		declineCode = payments.CodeGenericDecline
	}
	return code, declineCode
}

// resultFromStatus maps a PaymentIntent's status and last error onto a
// ChargeResult (without Reference). It is shared by the API calls and the
// webhook decoder so both say the same thing of the same PaymentIntent.
func resultFromStatus(status, code, declineCode, message string) payments.ChargeResult {
	switch status {
	case "succeeded":
		return payments.ChargeResult{Status: payments.StatusSucceeded}
	case "processing":
		return payments.ChargeResult{Status: payments.StatusProcessing}
	case "requires_action", "requires_confirmation":
		return payments.ChargeResult{Status: payments.StatusRequiresAction}
	case "requires_capture":
		// Remit never creates manual-capture intents; treat an authorized
		// one as not yet done rather than as money received.
		return payments.ChargeResult{Status: payments.StatusProcessing}
	case "canceled":
		// Canceled (from Stripe's dashboard, or by Remit for a payer who
		// never authenticated): no decline, nothing the card did.
		return payments.ChargeResult{Status: payments.StatusCanceled, FailureCode: CodeCanceled, FailureMessage: msgCanceled}
	}
	// requires_payment_method (a decline), canceled, or a status Stripe
	// adds later: the charge did not happen.
	res := payments.ChargeResult{Status: payments.StatusFailed}
	res.FailureCode, res.DeclineCode = MapFailure(code, declineCode)
	res.FailureMessage = message
	if res.FailureMessage == "" {
		switch {
		case res.FailureCode == payments.CodeCardDeclined:
			res.FailureMessage = msgDeclined
		default:
			res.FailureMessage = msgFailed
		}
	}
	return res
}
