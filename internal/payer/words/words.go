// Package words is what the pages and emails a payer reads say, in the
// payer's language (en, fr, de): one label table for the hosted invoice page,
// the portal and the payer's emails, so that a status reads the same
// wherever the payer meets it; one date format per language; the language
// a payer gets; and how a payment attempt ended (outcome.go).
//
// It imports nothing of billing, so that billing's emails use it too; the
// payer's view of an invoice, built from these words, is internal/payer.
package words

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/remitbilling/remit/internal/locales"
	"github.com/remitbilling/remit/internal/money"
)

// Langs are the payer's languages, the documents' (internal/locales); the
// first is the fallback.
var Langs = locales.Langs

// Lang maps a language tag ("fr-CA", "FR", "de-AT", "es") to a supported
// language, English when it is none of them.
func Lang(tag string) string { return locales.Lang(tag) }

func supported(tag string) (string, bool) { return locales.Supported(tag) }

// Choose picks the language of a page: the customer's preferred locales
// first (the language of their PDFs and emails), in their order, then the
// browser's Accept-Language, then English.
func Choose(preferred []string, acceptLanguage string) string {
	for _, p := range preferred {
		if l, ok := supported(p); ok {
			return l
		}
	}
	return FromHeader(acceptLanguage)
}

// FromHeader picks the language from an Accept-Language header: the
// supported language with the highest weight, English when none is asked
// for.
func FromHeader(header string) string {
	type choice struct {
		lang string
		q    float64
	}
	var cs []choice
	for part := range strings.SplitSeq(header, ",") {
		tag, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		q := 1.0
		for p := range strings.SplitSeq(params, ";") {
			if v, ok := strings.CutPrefix(strings.TrimSpace(p), "q="); ok {
				if f, err := strconv.ParseFloat(v, 64); err == nil {
					q = f
				}
			}
		}
		l, ok := supported(tag)
		if q <= 0 || !ok {
			continue
		}
		cs = append(cs, choice{l, q})
	}
	if len(cs) == 0 {
		return Langs[0]
	}
	sort.SliceStable(cs, func(a, b int) bool { return cs[a].q > cs[b].q })
	return cs[0].lang
}

// Date writes a calendar date the one way lang writes it, in pages and
// emails alike.
func Date(t time.Time, lang string) string {
	return t.Format(dateLayouts[Lang(lang)])
}

var dateLayouts = map[string]string{"en": "Jan 2, 2006", "fr": "02/01/2006", "de": "02.01.2006"}

// Money writes an amount for lang (internal/money decides how).
func Money(minor int64, currency, lang string) string {
	return money.Format(minor, currency, Lang(lang))
}

// T is the label table of lang. Messages that name a value carry one %s.
func T(lang string) map[string]string { return table[Lang(lang)] }

// Label is one entry of lang's table, with args put into its %s.
func Label(lang, key string, args ...any) string {
	s := T(lang)[key]
	if len(args) > 0 {
		return fmt.Sprintf(s, args...)
	}
	return s
}

// Error is the message of a user error code in lang: codes, not messages,
// travel in URLs, so a crafted link cannot put its own words on the page.
func Error(lang, code string) string {
	t := T(lang)
	if msg, ok := t["err_"+code]; ok {
		return msg
	}
	return t["err_OTHER"]
}

// table holds the words per language; every language has every key
// (words_test.go). UNCOLLECTIBLE reads as OPEN: writing an invoice off is
// the merchant's bookkeeping, and the payer still owes it and may pay it.
var table = map[string]map[string]string{
	"en": {
		"Portal": "Billing portal", "SkipToContent": "Skip to content", "MainNav": "Portal sections",
		"SignInTitle": "Sign in", "SignInIntro": "Enter the email address your invoices are sent to. We will email you a code to sign in.",
		"Email": "Email address", "SendCode": "Email me a code",
		"CodeTitle": "Check your email", "CodeSent": "If %s is the address of a customer account, we have just sent it a 6-digit code. It works once, for 10 minutes.",
		"Code": "6-digit code", "Verify": "Sign in", "OtherEmail": "Use another email address",
		"WrongCode":    "This code is not valid or has expired. Check it and try again, or ask for a new code.",
		"InvalidEmail": "Enter a valid email address.", "LinkInvalid": "This sign-in link is not valid any more. Enter your email address to get a code.",
		"Reauth": "For your security, sign in again to change your payment methods.", "SignedOut": "You are signed out.",
		"Invoices": "Invoices", "PaymentMethods": "Payment methods", "BillingDetails": "Billing details", "PaymentHistory": "Payment history",
		"SignOut": "Sign out", "SignedInAs": "Signed in as %s",
		"Number": "Number", "IssueDate": "Issued", "DueDate": "Due", "Amount": "Amount", "Status": "Status", "Remaining": "Remaining",
		"NoInvoices": "You have no invoices yet.", "Previous": "Previous page", "Next": "Next page", "PageOf": "Page %s",
		"OPEN": "Open", "PAID": "Paid", "OVERDUE": "Overdue", "PARTIALLY_PAID": "Partially paid", "VOID": "Void", "UNCOLLECTIBLE": "Open",
		"PENDING": "Payment in progress", "RETRYING": "Payment to be retried", "SCHEDULED": "Payment scheduled",
		"ScheduleTitle": "Pay on a date", "ScheduleIntro": "Choose the day your payment is made: it is charged automatically that day.",
		"ScheduleDate": "Payment date", "ScheduleButton": "Schedule the payment", "RescheduleButton": "Save the changes",
		"OnTimeBy": "Due by %s: a payment after that day is late.", "ScheduledFor": "Payment scheduled for %s",
		"ScheduledDone": "Your payment is scheduled for %s.", "ScheduledLate": "This date is after the due date (%s): your payment will be late.",
		"ScheduleCanceled": "Your scheduled payment was canceled.", "DueThatDay": "What is due that day (%s today)",
		"ChangeSchedule": "Change", "CancelSchedule": "Cancel the scheduled payment",
		"CardSavedToSchedule":     "The card is saved to your account, to be charged that day.",
		"err_SCHEDULING_DISABLED": "This seller does not offer scheduled payments.", "err_SCHEDULE_DATE": "Choose a date from tomorrow to one year from now.",
		"Invoice": "Invoice", "BilledTo": "Billed to", "Download": "Download PDF", "Lines": "Invoice lines", "Description": "Description",
		"Subtotal": "Subtotal", "Discount": "Discount", "Tax": "Tax", "Total": "Total", "Paid": "Paid", "AmountDue": "Amount due",
		"Voided": "This invoice was voided: nothing is due.", "Schedule": "Payment schedule", "Installment": "Installment",
		"Payments": "Payments", "PayTitle": "Pay this invoice", "PayWith": "Pay with", "SavedCard": "%s ending in %s",
		"ProcessorFormUnavailable": "The secure payment form could not load. Check your connection and reload the page.",
		"ProcessorFormNeedsScript": "The secure payment form needs JavaScript: turn it on to pay here.",
		"ConfirmContinue":          "Continue",
		"NewCard":                  "A new card", "CardNumber": "Card number", "Expiry": "Expiry (MM/YY)", "CVC": "Security code (CVC)",
		"PayButton": "Pay %s", "DueNow": "Due now: %s", "BackToInvoices": "All invoices",
		"PayAction": "Confirm your payment", "ConfirmAmount": "Your bank asks you to confirm the payment of %s.",
		"BankTransfer": "Pay by bank transfer", "Beneficiary": "Beneficiary", "TransferReference": "Reference to quote",
		"ScanToPay": "Scan with your banking app to fill in the transfer.", "YourTransferReference": "Your reference for transfers on account",
		"StatementOfAccount": "Statement of account", "ThisMonth": "this month", "LastTwelveMonths": "the last 12 months",
		"Replaced": "This invoice was replaced by invoice %s.", "SeeReplacement": "See the new invoice",
		"OUTSIDE": "Recorded by %s", "ReferenceOf": "reference %s",
		"PaidOn": "Paid on %s", "PaidVia": "Paid on %s — %s", "RecordedBySeller": "%s, recorded by the seller", "balance": "Account credit",
		"bank_transfer": "Bank transfer", "check": "Check", "cash": "Cash", "card": "Card", "direct_debit": "Direct debit", "other": "Other means",
		"Approve": "Confirm the payment", "Decline": "Cancel the payment",
		"Default": "Default", "MakeDefault": "Make default", "Remove": "Remove", "AddCard": "Add a card", "SetAsDefault": "Make it my default payment method",
		"SaveCard": "Save the card", "NoMethods": "You have no saved payment methods.", "Expires": "Expires %s",
		"PMAdded": "Your card was saved.", "PMRemoved": "The payment method was removed.", "PMDefaulted": "Your default payment method was changed.",
		"SavedMethods": "Saved payment methods",
		"Name":         "Name", "Phone": "Phone", "Address": "Billing address", "Line1": "Address line 1", "Line2": "Address line 2 (optional)",
		"City": "City", "PostalCode": "Postal code", "State": "State or region (optional)", "Country": "Country (2-letter code, e.g. FR)",
		"EmailFixed": "Your email address signs you in: to change it, contact %s.", "Save": "Save", "Saved": "Your billing details were saved.",
		"Date": "Date", "Method": "Method", "NoPayments": "No payments yet.",
		"SUCCEEDED": "Succeeded", "FAILED": "Failed", "PROCESSING": "Processing", "REQUIRES_ACTION": "Awaiting confirmation", "CANCELED": "Canceled",
		"CARD": "Card", "SEPA_DEBIT": "SEPA Direct Debit", "ACH_DEBIT": "ACH Direct Debit", "OUT_OF_BAND": "Outside",
		"RefundTo": "Refund to %s", "REFUND_PENDING": "Refund in progress", "REFUND_SUCCEEDED": "Refunded", "REFUND_FAILED": "Refund failed",
		"Forbidden": "This feature is not available.", "ForbiddenHelp": "Contact %s if you need it.",
		"NotFoundTitle": "Not found", "NotFound": "This page does not exist, or is not yours to see.",
		"Error":                   "Something went wrong on our side. Please try again later.",
		"err_INVALID_CARD_NUMBER": "The card number is not valid.", "err_EXPIRED_CARD": "The card has expired.",
		"err_INVALID_CARD": "Check the expiry date and the security code.", "err_AMOUNT_EXCEEDS_REMAINING": "A payment is already in progress.",
		"err_INVALID_PHONE": "Enter a valid phone number, e.g. +33 1 23 45 67 89.", "err_INVALID_COUNTRY": "Enter a country as a 2-letter code, e.g. FR.",
		"err_PAYMENT_METHOD_NOT_ACCEPTED": "This invoice cannot be paid by card.", "err_NOT_FOUND": "This item does not exist any more.",
		"err_PROCESSOR_UNAVAILABLE":            "Payments cannot be taken right now. Nothing was charged: try again in a few minutes.",
		"err_RAW_PAYMENT_DETAILS_REFUSED":      "Enter your card in the secure payment form (it needs JavaScript).",
		"err_INVALID_PROCESSOR_PAYMENT_METHOD": "This card could not be used. Enter it again, or use another one.",
		"err_OTHER":                            "That did not work. Check what you entered and try again.",
	},
	"fr": {
		"Portal": "Espace de facturation", "SkipToContent": "Aller au contenu", "MainNav": "Rubriques de l'espace",
		"SignInTitle": "Connexion", "SignInIntro": "Saisissez l'adresse e-mail à laquelle vous recevez vos factures. Nous vous enverrons un code de connexion.",
		"Email": "Adresse e-mail", "SendCode": "Recevoir un code",
		"CodeTitle": "Consultez vos e-mails", "CodeSent": "Si %s est l'adresse d'un compte client, nous venons de lui envoyer un code à 6 chiffres. Il est valable une fois, pendant 10 minutes.",
		"Code": "Code à 6 chiffres", "Verify": "Se connecter", "OtherEmail": "Utiliser une autre adresse",
		"WrongCode":    "Ce code n'est pas valide ou a expiré. Vérifiez-le et réessayez, ou demandez un nouveau code.",
		"InvalidEmail": "Saisissez une adresse e-mail valide.", "LinkInvalid": "Ce lien de connexion n'est plus valable. Saisissez votre adresse e-mail pour recevoir un code.",
		"Reauth": "Par sécurité, reconnectez-vous pour modifier vos moyens de paiement.", "SignedOut": "Vous êtes déconnecté.",
		"Invoices": "Factures", "PaymentMethods": "Moyens de paiement", "BillingDetails": "Coordonnées de facturation", "PaymentHistory": "Historique des paiements",
		"SignOut": "Se déconnecter", "SignedInAs": "Connecté en tant que %s",
		"Number": "Numéro", "IssueDate": "Émise le", "DueDate": "Échéance", "Amount": "Montant", "Status": "Statut", "Remaining": "Reste à payer",
		"NoInvoices": "Vous n'avez pas encore de facture.", "Previous": "Page précédente", "Next": "Page suivante", "PageOf": "Page %s",
		"OPEN": "À régler", "PAID": "Réglée", "OVERDUE": "En retard", "PARTIALLY_PAID": "Partiellement réglée", "VOID": "Annulée", "UNCOLLECTIBLE": "À régler",
		"PENDING": "Paiement en cours", "RETRYING": "Nouvelle tentative prévue", "SCHEDULED": "Paiement programmé",
		"ScheduleTitle": "Payer à une date", "ScheduleIntro": "Choisissez le jour de votre paiement : il sera débité automatiquement ce jour-là.",
		"ScheduleDate": "Date du paiement", "ScheduleButton": "Programmer le paiement", "RescheduleButton": "Enregistrer les modifications",
		"OnTimeBy": "À régler au plus tard le %s : un paiement après cette date est en retard.", "ScheduledFor": "Paiement programmé le %s",
		"ScheduledDone": "Votre paiement est programmé le %s.", "ScheduledLate": "Cette date est postérieure à l'échéance (%s) : votre paiement sera en retard.",
		"ScheduleCanceled": "Votre paiement programmé a été annulé.", "DueThatDay": "Le montant dû ce jour-là (%s aujourd'hui)",
		"ChangeSchedule": "Modifier", "CancelSchedule": "Annuler le paiement programmé",
		"CardSavedToSchedule":     "La carte est enregistrée sur votre compte, pour être débitée ce jour-là.",
		"err_SCHEDULING_DISABLED": "Ce vendeur ne propose pas le paiement programmé.", "err_SCHEDULE_DATE": "Choisissez une date entre demain et dans un an.",
		"Invoice": "Facture", "BilledTo": "Facturé à", "Download": "Télécharger le PDF", "Lines": "Lignes de la facture", "Description": "Désignation",
		"Subtotal": "Sous-total", "Discount": "Remise", "Tax": "TVA", "Total": "Total", "Paid": "Réglé", "AmountDue": "Montant dû",
		"Voided": "Cette facture a été annulée : rien n'est dû.", "Schedule": "Échéancier", "Installment": "Échéance",
		"Payments": "Paiements", "PayTitle": "Régler cette facture", "PayWith": "Payer avec", "SavedCard": "%s se terminant par %s",
		"ProcessorFormUnavailable": "Le formulaire de paiement sécurisé n'a pas pu se charger. Vérifiez votre connexion et rechargez la page.",
		"ProcessorFormNeedsScript": "Le formulaire de paiement sécurisé a besoin de JavaScript : activez-le pour payer ici.",
		"ConfirmContinue":          "Continuer",
		"NewCard":                  "Une nouvelle carte", "CardNumber": "Numéro de carte", "Expiry": "Expiration (MM/AA)", "CVC": "Cryptogramme",
		"PayButton": "Payer %s", "DueNow": "À régler maintenant : %s", "BackToInvoices": "Toutes les factures",
		"PayAction": "Confirmez votre paiement", "ConfirmAmount": "Votre banque vous demande de confirmer le paiement de %s.",
		"BankTransfer": "Payer par virement", "Beneficiary": "Bénéficiaire", "TransferReference": "Référence à indiquer",
		"ScanToPay": "Scannez avec votre application bancaire pour préremplir le virement.", "YourTransferReference": "Votre référence pour les virements sans facture",
		"StatementOfAccount": "Relevé de compte", "ThisMonth": "ce mois-ci", "LastTwelveMonths": "les 12 derniers mois",
		"Replaced": "Cette facture a été remplacée par la facture %s.", "SeeReplacement": "Voir la nouvelle facture",
		"OUTSIDE": "Enregistré par %s", "ReferenceOf": "référence %s",
		"PaidOn": "Réglée le %s", "PaidVia": "Réglée le %s — %s", "RecordedBySeller": "%s, enregistré par le vendeur", "balance": "Crédit client",
		"bank_transfer": "Virement", "check": "Chèque", "cash": "Espèces", "card": "Carte", "direct_debit": "Prélèvement", "other": "Autre moyen",
		"Approve": "Confirmer le paiement", "Decline": "Annuler le paiement",
		"Default": "Par défaut", "MakeDefault": "Utiliser par défaut", "Remove": "Supprimer", "AddCard": "Ajouter une carte", "SetAsDefault": "En faire mon moyen de paiement par défaut",
		"SaveCard": "Enregistrer la carte", "NoMethods": "Vous n'avez aucun moyen de paiement enregistré.", "Expires": "Expire fin %s",
		"PMAdded": "Votre carte a été enregistrée.", "PMRemoved": "Le moyen de paiement a été supprimé.", "PMDefaulted": "Votre moyen de paiement par défaut a été modifié.",
		"SavedMethods": "Moyens de paiement enregistrés",
		"Name":         "Nom", "Phone": "Téléphone", "Address": "Adresse de facturation", "Line1": "Adresse (ligne 1)", "Line2": "Adresse (ligne 2, facultatif)",
		"City": "Ville", "PostalCode": "Code postal", "State": "Région (facultatif)", "Country": "Pays (code à 2 lettres, ex. FR)",
		"EmailFixed": "Votre adresse e-mail sert à vous connecter : pour la changer, contactez %s.", "Save": "Enregistrer", "Saved": "Vos coordonnées ont été enregistrées.",
		"Date": "Date", "Method": "Moyen", "NoPayments": "Aucun paiement pour l'instant.",
		"SUCCEEDED": "Réussi", "FAILED": "Échoué", "PROCESSING": "En cours", "REQUIRES_ACTION": "En attente de confirmation", "CANCELED": "Annulé",
		"CARD": "Carte", "SEPA_DEBIT": "Prélèvement SEPA", "ACH_DEBIT": "Prélèvement ACH", "OUT_OF_BAND": "Hors ligne",
		"RefundTo": "Remboursement sur %s", "REFUND_PENDING": "Remboursement en cours", "REFUND_SUCCEEDED": "Remboursé", "REFUND_FAILED": "Remboursement échoué",
		"Forbidden": "Cette fonction n'est pas disponible.", "ForbiddenHelp": "Contactez %s si vous en avez besoin.",
		"NotFoundTitle": "Page introuvable", "NotFound": "Cette page n'existe pas, ou ne vous est pas accessible.",
		"Error":                   "Une erreur est survenue de notre côté. Réessayez plus tard.",
		"err_INVALID_CARD_NUMBER": "Le numéro de carte n'est pas valide.", "err_EXPIRED_CARD": "La carte a expiré.",
		"err_INVALID_CARD": "Vérifiez la date d'expiration et le cryptogramme.", "err_AMOUNT_EXCEEDS_REMAINING": "Un paiement est déjà en cours.",
		"err_INVALID_PHONE": "Saisissez un numéro de téléphone valide, ex. +33 1 23 45 67 89.", "err_INVALID_COUNTRY": "Saisissez le pays en code à 2 lettres, ex. FR.",
		"err_PAYMENT_METHOD_NOT_ACCEPTED": "Cette facture ne peut pas être réglée par carte.", "err_NOT_FOUND": "Cet élément n'existe plus.",
		"err_PROCESSOR_UNAVAILABLE":            "Les paiements ne peuvent pas être reçus pour le moment. Rien n'a été débité : réessayez dans quelques minutes.",
		"err_RAW_PAYMENT_DETAILS_REFUSED":      "Saisissez votre carte dans le formulaire de paiement sécurisé (il a besoin de JavaScript).",
		"err_INVALID_PROCESSOR_PAYMENT_METHOD": "Cette carte n'a pas pu être utilisée. Saisissez-la à nouveau ou utilisez-en une autre.",
		"err_OTHER":                            "Cela n'a pas fonctionné. Vérifiez votre saisie et réessayez.",
	},
	"de": {
		"Portal": "Rechnungsportal", "SkipToContent": "Zum Inhalt springen", "MainNav": "Bereiche des Portals",
		"SignInTitle": "Anmelden", "SignInIntro": "Geben Sie die E-Mail-Adresse ein, an die Ihre Rechnungen gesendet werden. Wir senden Ihnen einen Anmeldecode.",
		"Email": "E-Mail-Adresse", "SendCode": "Code per E-Mail senden",
		"CodeTitle": "Prüfen Sie Ihre E-Mails", "CodeSent": "Wenn %s die Adresse eines Kundenkontos ist, haben wir soeben einen 6-stelligen Code dorthin gesendet. Er gilt einmalig für 10 Minuten.",
		"Code": "6-stelliger Code", "Verify": "Anmelden", "OtherEmail": "Andere E-Mail-Adresse verwenden",
		"WrongCode":    "Dieser Code ist ungültig oder abgelaufen. Prüfen Sie ihn und versuchen Sie es erneut, oder fordern Sie einen neuen Code an.",
		"InvalidEmail": "Geben Sie eine gültige E-Mail-Adresse ein.", "LinkInvalid": "Dieser Anmeldelink ist nicht mehr gültig. Geben Sie Ihre E-Mail-Adresse ein, um einen Code zu erhalten.",
		"Reauth": "Melden Sie sich zu Ihrer Sicherheit erneut an, um Ihre Zahlungsmittel zu ändern.", "SignedOut": "Sie sind abgemeldet.",
		"Invoices": "Rechnungen", "PaymentMethods": "Zahlungsmittel", "BillingDetails": "Rechnungsdaten", "PaymentHistory": "Zahlungsverlauf",
		"SignOut": "Abmelden", "SignedInAs": "Angemeldet als %s",
		"Number": "Nummer", "IssueDate": "Ausgestellt", "DueDate": "Fällig", "Amount": "Betrag", "Status": "Status", "Remaining": "Offen",
		"NoInvoices": "Sie haben noch keine Rechnungen.", "Previous": "Vorherige Seite", "Next": "Nächste Seite", "PageOf": "Seite %s",
		"OPEN": "Offen", "PAID": "Bezahlt", "OVERDUE": "Überfällig", "PARTIALLY_PAID": "Teilweise bezahlt", "VOID": "Storniert", "UNCOLLECTIBLE": "Offen",
		"PENDING": "Zahlung in Bearbeitung", "RETRYING": "Zahlung wird erneut versucht", "SCHEDULED": "Zahlung geplant",
		"ScheduleTitle": "An einem Datum bezahlen", "ScheduleIntro": "Wählen Sie den Tag Ihrer Zahlung: Der Betrag wird an diesem Tag automatisch abgebucht.",
		"ScheduleDate": "Zahlungsdatum", "ScheduleButton": "Zahlung planen", "RescheduleButton": "Änderungen speichern",
		"OnTimeBy": "Zahlbar bis %s: Eine spätere Zahlung ist verspätet.", "ScheduledFor": "Zahlung geplant für den %s",
		"ScheduledDone": "Ihre Zahlung ist für den %s geplant.", "ScheduledLate": "Dieses Datum liegt nach dem Fälligkeitsdatum (%s): Ihre Zahlung wird verspätet sein.",
		"ScheduleCanceled": "Ihre geplante Zahlung wurde storniert.", "DueThatDay": "Der an diesem Tag fällige Betrag (heute %s)",
		"ChangeSchedule": "Ändern", "CancelSchedule": "Geplante Zahlung stornieren",
		"CardSavedToSchedule":     "Die Karte wird in Ihrem Konto gespeichert und an diesem Tag belastet.",
		"err_SCHEDULING_DISABLED": "Dieser Verkäufer bietet keine geplanten Zahlungen an.", "err_SCHEDULE_DATE": "Wählen Sie ein Datum zwischen morgen und in einem Jahr.",
		"Invoice": "Rechnung", "BilledTo": "Rechnungsempfänger", "Download": "PDF herunterladen", "Lines": "Rechnungspositionen", "Description": "Beschreibung",
		"Subtotal": "Zwischensumme", "Discount": "Rabatt", "Tax": "MwSt.", "Total": "Gesamtbetrag", "Paid": "Bezahlt", "AmountDue": "Offener Betrag",
		"Voided": "Diese Rechnung wurde storniert: Es ist nichts zu zahlen.", "Schedule": "Zahlungsplan", "Installment": "Rate",
		"Payments": "Zahlungen", "PayTitle": "Diese Rechnung bezahlen", "PayWith": "Bezahlen mit", "SavedCard": "%s mit Endung %s",
		"ProcessorFormUnavailable": "Das sichere Zahlungsformular konnte nicht geladen werden. Prüfen Sie Ihre Verbindung und laden Sie die Seite neu.",
		"ProcessorFormNeedsScript": "Das sichere Zahlungsformular benötigt JavaScript: Aktivieren Sie es, um hier zu bezahlen.",
		"ConfirmContinue":          "Weiter",
		"NewCard":                  "Eine neue Karte", "CardNumber": "Kartennummer", "Expiry": "Ablaufdatum (MM/JJ)", "CVC": "Prüfnummer (CVC)",
		"PayButton": "%s bezahlen", "DueNow": "Jetzt fällig: %s", "BackToInvoices": "Alle Rechnungen",
		"PayAction": "Bestätigen Sie Ihre Zahlung", "ConfirmAmount": "Ihre Bank bittet Sie, die Zahlung von %s zu bestätigen.",
		"BankTransfer": "Per Überweisung bezahlen", "Beneficiary": "Empfänger", "TransferReference": "Verwendungszweck",
		"ScanToPay": "Scannen Sie den Code mit Ihrer Banking-App, um die Überweisung auszufüllen.", "YourTransferReference": "Ihr Verwendungszweck für Überweisungen ohne Rechnung",
		"StatementOfAccount": "Kontoauszug", "ThisMonth": "diesen Monat", "LastTwelveMonths": "die letzten 12 Monate",
		"Replaced": "Diese Rechnung wurde durch die Rechnung %s ersetzt.", "SeeReplacement": "Neue Rechnung ansehen",
		"OUTSIDE": "Erfasst von %s", "ReferenceOf": "Referenz %s",
		"PaidOn": "Bezahlt am %s", "PaidVia": "Bezahlt am %s — %s", "RecordedBySeller": "%s, vom Verkäufer erfasst", "balance": "Kundenguthaben",
		"bank_transfer": "Überweisung", "check": "Scheck", "cash": "Barzahlung", "card": "Karte", "direct_debit": "Lastschrift", "other": "Anderes Zahlungsmittel",
		"Approve": "Zahlung bestätigen", "Decline": "Zahlung abbrechen",
		"Default": "Standard", "MakeDefault": "Als Standard festlegen", "Remove": "Entfernen", "AddCard": "Karte hinzufügen", "SetAsDefault": "Als mein Standard-Zahlungsmittel festlegen",
		"SaveCard": "Karte speichern", "NoMethods": "Sie haben keine gespeicherten Zahlungsmittel.", "Expires": "Gültig bis %s",
		"PMAdded": "Ihre Karte wurde gespeichert.", "PMRemoved": "Das Zahlungsmittel wurde entfernt.", "PMDefaulted": "Ihr Standard-Zahlungsmittel wurde geändert.",
		"SavedMethods": "Gespeicherte Zahlungsmittel",
		"Name":         "Name", "Phone": "Telefon", "Address": "Rechnungsadresse", "Line1": "Adresszeile 1", "Line2": "Adresszeile 2 (optional)",
		"City": "Ort", "PostalCode": "Postleitzahl", "State": "Bundesland oder Region (optional)", "Country": "Land (2-stelliger Code, z. B. DE)",
		"EmailFixed": "Mit Ihrer E-Mail-Adresse melden Sie sich an: Um sie zu ändern, wenden Sie sich an %s.", "Save": "Speichern", "Saved": "Ihre Rechnungsdaten wurden gespeichert.",
		"Date": "Datum", "Method": "Zahlungsart", "NoPayments": "Noch keine Zahlungen.",
		"SUCCEEDED": "Erfolgreich", "FAILED": "Fehlgeschlagen", "PROCESSING": "In Bearbeitung", "REQUIRES_ACTION": "Bestätigung ausstehend", "CANCELED": "Abgebrochen",
		"CARD": "Karte", "SEPA_DEBIT": "SEPA-Lastschrift", "ACH_DEBIT": "ACH-Lastschrift", "OUT_OF_BAND": "Extern",
		"RefundTo": "Erstattung auf %s", "REFUND_PENDING": "Erstattung in Bearbeitung", "REFUND_SUCCEEDED": "Erstattet", "REFUND_FAILED": "Erstattung fehlgeschlagen",
		"Forbidden": "Diese Funktion ist nicht verfügbar.", "ForbiddenHelp": "Wenden Sie sich an %s, wenn Sie sie benötigen.",
		"NotFoundTitle": "Nicht gefunden", "NotFound": "Diese Seite existiert nicht, oder Sie haben keinen Zugriff darauf.",
		"Error":                   "Bei uns ist ein Fehler aufgetreten. Bitte versuchen Sie es später erneut.",
		"err_INVALID_CARD_NUMBER": "Die Kartennummer ist ungültig.", "err_EXPIRED_CARD": "Die Karte ist abgelaufen.",
		"err_INVALID_CARD": "Prüfen Sie das Ablaufdatum und die Prüfnummer.", "err_AMOUNT_EXCEEDS_REMAINING": "Eine Zahlung ist bereits in Bearbeitung.",
		"err_INVALID_PHONE": "Geben Sie eine gültige Telefonnummer ein, z. B. +49 30 12345678.", "err_INVALID_COUNTRY": "Geben Sie das Land als 2-stelligen Code ein, z. B. DE.",
		"err_PAYMENT_METHOD_NOT_ACCEPTED": "Diese Rechnung kann nicht per Karte bezahlt werden.", "err_NOT_FOUND": "Dieses Element existiert nicht mehr.",
		"err_PROCESSOR_UNAVAILABLE":            "Zahlungen können gerade nicht angenommen werden. Es wurde nichts abgebucht: Versuchen Sie es in einigen Minuten erneut.",
		"err_RAW_PAYMENT_DETAILS_REFUSED":      "Geben Sie Ihre Karte im sicheren Zahlungsformular ein (es benötigt JavaScript).",
		"err_INVALID_PROCESSOR_PAYMENT_METHOD": "Diese Karte konnte nicht verwendet werden. Geben Sie sie erneut ein oder verwenden Sie eine andere.",
		"err_OTHER":                            "Das hat nicht funktioniert. Prüfen Sie Ihre Eingaben und versuchen Sie es erneut.",
	},
}
