package document

import (
	"strings"
	"time"

	"github.com/shopspring/decimal"
	"golang.org/x/text/language"
	"golang.org/x/text/language/display"

	"github.com/remitbilling/remit/internal/locales"
)

// lang is a supported document language.
type lang struct {
	// code is the BCP 47 base language passed to money.Format and written
	// as the PDF's /Lang.
	code string
	// dateLayout is a time.Format layout for calendar dates.
	dateLayout string
	// decimalSep and groupSep format quantities and rates.
	decimalSep string
	groupSep   string
	// percentSep goes between a number and "%".
	percentSep string
	// colon separates a label from its value ("SIREN : 123…" in French).
	colon   string
	regions display.Namer
	l       labels
}

// labels is the translation table. A struct (not a map) so that a language
// missing a label does not compile.
type labels struct {
	Invoice         string
	Draft           string
	DraftNotice     string
	Void            string
	Continued       string
	Page            string
	Number          string
	IssueDate       string
	DueDate         string
	SupplyDate      string
	Replaces        string
	From            string
	BillTo          string
	DeliverTo       string
	SIREN           string
	SIRET           string
	VATNumber       string
	Email           string
	Phone           string
	Description     string
	Quantity        string
	UnitPrice       string
	Tax             string
	Amount          string
	Period          string
	Subtotal        string
	Discount        string
	TotalExclTax    string
	TotalTax        string
	Total           string
	AmountPaid      string
	AmountDue       string
	TaxSummary      string
	TaxRate         string
	TaxableAmount   string
	TaxAmount       string
	AmountDueBy     string // "%[1]s due %[2]s": amount, date
	AmountDueNoDate string
	PaymentTerms    string
	PaymentDetails  string
	// Bank transfer details: the labels, colon included, and the line
	// under the EPC QR code.
	BankIBAN, BankBIC, BankBeneficiary, BankReference, BankQR string
	LegalNotices                                              string
	ReverseCharge                                             string
	ReverseChargeNote                                         string
	Exemption                                                 string
	NatureGoods                                               string
	NatureServices                                            string
	NatureMixed                                               string
	NatureLabel                                               string
	VATOnDebits                                               string
	// ShareCapital follows the legal name and form: " au capital de %s".
	ShareCapital     string
	Penalty          string // "%[1]s": rate, "%[2]s": indemnity
	NoEarlyDiscount  string
	DefaultIndemnity string

	// VAT categories (EN 16931): the breakdown's label of each category
	// but S, and the mention each prints under the totals.
	CatZero, CatExempt, CatReverse, CatIntraCommunity, CatExport, CatOutOfScope string
	MentionIntraCommunity, MentionExport, MentionOutOfScope                     string
	ExemptionCode                                                               string // "%s": the VATEX code
	// CatShort qualifies the tax total of a breakdown of one category
	// ("Total TVA (autoliquidation)"); it fits the totals' label column.
	CatShort map[string]string

	// A paid invoice's headline: "%[1]s paid on %[2]s by %[3]s" (amount,
	// date, how), or without how.
	PaidBy, PaidOn, PaidNoDate string
	// How it was paid, by Settlement method.
	Methods          map[string]string
	RecordedBySeller string // "%s": the methods, recorded by the seller
	Reference        string // "%s": the reference
	And              string
	// A payment plan's headline: "%[3]s: %[1]s due %[2]s" (amount, date,
	// installment), and an installment's name: "%[1]d of %[2]d".
	InstallmentDueBy string
	InstallmentN     string
	// LegalRate is the French legal default penalty rate as this
	// language says it.
	LegalRate string
	// Credit notes.
	CreditNote       string
	CreditNoteNumber string
	CreditNoteVoid   string
	CorrectsInvoice  string
	InvoiceDate      string
	Reason           string
	Reasons          map[string]string // by CreditNote.Reason
	CreditHeadline   string            // "%[1]s": amount, "%[2]s": invoice number
	CreditTotal      string
	CreditDeducted   string
	CreditRefunded   string
	CreditToBalance  string
	CreditOutOfBand  string
	CreditNotesRow   string // an invoice\'s row of what credit notes took off
	// Receipts (receipt.go): the title, the header's labels, the totals
	// (this payment, what the invoice asked, what is paid of it so far
	// and what remains) and the closing mentions ("%s": the invoice
	// number).
	Receipt, ReceiptNumber, DatePaid, PaymentMethod               string
	ReceiptAmount, ReceiptInvoiceDue, PaidToDate, AmountRemaining string
	PaidInFull, ReceiptNotInvoice                                 string
}

var (
	langFR = &lang{
		code:       "fr",
		dateLayout: "02/01/2006",
		decimalSep: ",",
		groupSep:   "\u202f",
		percentSep: "\u202f",
		colon:      "\u00a0: ",
		regions:    display.French.Regions(),
		l: labels{
			Invoice:           "Facture",
			Draft:             "BROUILLON",
			DraftNotice:       "Aperçu : ce document n'est pas une facture",
			Void:              "ANNULÉE",
			Continued:         "suite",
			Page:              "Page",
			Number:            "Numéro de facture",
			IssueDate:         "Date d'émission",
			DueDate:           "Date d'échéance",
			SupplyDate:        "Date de livraison / d'exécution",
			Replaces:          "Annule et remplace la facture",
			From:              "Émetteur",
			BillTo:            "Facturé à",
			DeliverTo:         "Adresse de livraison",
			SIREN:             "SIREN",
			SIRET:             "SIRET",
			VATNumber:         "N° TVA intracommunautaire",
			Email:             "E-mail",
			Phone:             "Tél.",
			Description:       "Désignation",
			Quantity:          "Qté",
			UnitPrice:         "Prix unitaire HT",
			Tax:               "TVA",
			Amount:            "Montant HT",
			Period:            "Période",
			Subtotal:          "Sous-total HT",
			Discount:          "Remise",
			TotalExclTax:      "Total HT",
			TotalTax:          "Total TVA",
			Total:             "Total TTC",
			AmountPaid:        "Déjà réglé",
			AmountDue:         "Montant dû",
			TaxSummary:        "Récapitulatif de la TVA",
			TaxRate:           "Taux",
			TaxableAmount:     "Base HT",
			TaxAmount:         "Montant TVA",
			AmountDueBy:       "%[1]s à régler au plus tard le %[2]s",
			AmountDueNoDate:   "%[1]s à régler",
			PaymentTerms:      "Conditions de paiement",
			PaymentDetails:    "Modalités de paiement",
			BankIBAN:          "IBAN :",
			BankBIC:           "BIC :",
			BankBeneficiary:   "Bénéficiaire :",
			BankReference:     "Référence à indiquer :",
			BankQR:            "Scannez ce code avec votre application bancaire pour préremplir le virement.",
			LegalNotices:      "Mentions légales",
			ReverseCharge:     "Autoliquidation – art. 196 directive 2006/112/CE",
			ReverseChargeNote: "TVA due par le preneur (autoliquidation).",
			Exemption:         "Exonération de TVA",
			NatureLabel:       "Nature des opérations",
			NatureGoods:       "Livraison de biens",
			NatureServices:    "Prestation de services",
			NatureMixed:       "Livraison de biens et prestation de services",
			VATOnDebits:       "Option pour le paiement de la taxe d'après les débits",
			ShareCapital:      " au capital de %s",
			Penalty: "En cas de retard de paiement, des pénalités au taux de %[1]s sont exigibles " +
				"dès le jour suivant la date d'échéance, ainsi qu'une indemnité forfaitaire pour frais " +
				"de recouvrement de %[2]s (art. L441-10 et D441-5 du Code de commerce).",
			NoEarlyDiscount:  "Pas d'escompte pour paiement anticipé.",
			DefaultIndemnity: "40\u00a0€",

			CatZero:               "TVA taux zéro",
			CatExempt:             "Exonération de TVA",
			CatReverse:            "Autoliquidation",
			CatIntraCommunity:     "Livraison intracommunautaire",
			CatExport:             "Exportation hors UE",
			CatOutOfScope:         "Hors champ de la TVA",
			MentionIntraCommunity: "Exonération de TVA, art. 262 ter I du CGI – livraison intracommunautaire de biens",
			MentionExport:         "Exonération de TVA, art. 262 I du CGI – exportation hors de l'Union européenne",
			MentionOutOfScope:     "Opération hors du champ d'application de la TVA",
			ExemptionCode:         "code %s",
			CatShort: map[string]string{
				"Z": "taux zéro", "E": "exonérée", "AE": "autoliquidation", "K": "exonérée", "G": "exonérée", "O": "hors champ",
			},

			PaidBy:     "%[1]s réglé le %[2]s par %[3]s",
			PaidOn:     "%[1]s réglé le %[2]s",
			PaidNoDate: "%[1]s réglé",
			Methods: map[string]string{
				"CARD": "carte bancaire", "SEPA_DEBIT": "prélèvement SEPA", "ACH_DEBIT": "prélèvement ACH",
				"bank_transfer": "virement bancaire", "check": "chèque", "cash": "espèces", "card": "carte bancaire",
				"direct_debit": "prélèvement", "other": "un autre moyen", "balance": "crédit client",
			},
			RecordedBySeller: "%s, paiement enregistré par le vendeur",
			Reference:        "réf. %s",
			And:              " et ",
			InstallmentDueBy: "%[3]s : %[1]s à régler au plus tard le %[2]s",
			InstallmentN:     "Échéance %[1]d sur %[2]d",
			LegalRate:        "trois fois le taux d'intérêt légal",
			CreditNote:       "Avoir",
			CreditNoteNumber: "Numéro d'avoir",
			CreditNoteVoid:   "ANNULÉ",
			CorrectsInvoice:  "Facture d'origine",
			InvoiceDate:      "Date de la facture",
			Reason:           "Motif",
			Reasons: map[string]string{
				ReasonDuplicate:             "Facturation en double",
				ReasonFraudulent:            "Opération frauduleuse",
				ReasonOrderChange:           "Modification de la commande",
				ReasonProductUnsatisfactory: "Produit ou service non satisfaisant",
			},
			CreditHeadline:  "Avoir de %[1]s sur la facture %[2]s",
			CreditTotal:     "Total de l'avoir TTC",
			CreditDeducted:  "Déduit de la facture",
			CreditRefunded:  "Remboursé sur le moyen de paiement",
			CreditToBalance: "Porté au crédit de votre compte",
			CreditOutOfBand: "Remboursé par un autre moyen",
			CreditNotesRow:  "Avoirs",

			Receipt:           "Reçu",
			ReceiptNumber:     "Numéro de reçu",
			DatePaid:          "Date du paiement",
			PaymentMethod:     "Moyen de paiement",
			ReceiptAmount:     "Montant réglé",
			ReceiptInvoiceDue: "Montant dû sur la facture",
			PaidToDate:        "Total réglé à ce jour",
			AmountRemaining:   "Reste à payer",
			PaidInFull:        "La facture %s est intégralement réglée.",
			ReceiptNotInvoice: "Ce reçu atteste un paiement de la facture %s ; il ne constitue pas une facture.",
		},
	}
	langEN = &lang{
		code:       "en",
		dateLayout: "Jan 2, 2006",
		decimalSep: ".",
		groupSep:   ",",
		percentSep: "",
		colon:      ": ",
		regions:    display.English.Regions(),
		l: labels{
			Invoice:           "Invoice",
			Draft:             "DRAFT",
			DraftNotice:       "Preview: this document is not an invoice",
			Void:              "VOID",
			Continued:         "continued",
			Page:              "Page",
			Number:            "Invoice number",
			IssueDate:         "Date of issue",
			DueDate:           "Date due",
			SupplyDate:        "Date of supply",
			Replaces:          "Replaces invoice",
			From:              "From",
			BillTo:            "Bill to",
			DeliverTo:         "Deliver to",
			SIREN:             "SIREN",
			SIRET:             "SIRET",
			VATNumber:         "VAT number",
			Email:             "Email",
			Phone:             "Phone",
			Description:       "Description",
			Quantity:          "Qty",
			UnitPrice:         "Unit price",
			Tax:               "Tax",
			Amount:            "Amount",
			Period:            "Period",
			Subtotal:          "Subtotal",
			Discount:          "Discount",
			TotalExclTax:      "Total excluding tax",
			TotalTax:          "Total tax",
			Total:             "Total",
			AmountPaid:        "Amount paid",
			AmountDue:         "Amount due",
			TaxSummary:        "Tax summary",
			TaxRate:           "Rate",
			TaxableAmount:     "Taxable amount",
			TaxAmount:         "Tax",
			AmountDueBy:       "%[1]s due %[2]s",
			AmountDueNoDate:   "%[1]s due",
			PaymentTerms:      "Payment terms",
			PaymentDetails:    "How to pay",
			BankIBAN:          "IBAN:",
			BankBIC:           "BIC:",
			BankBeneficiary:   "Beneficiary:",
			BankReference:     "Reference to quote:",
			BankQR:            "Scan this code with your banking app to fill in the transfer.",
			LegalNotices:      "Legal notices",
			ReverseCharge:     "Reverse charge – Article 196 of Directive 2006/112/EC",
			ReverseChargeNote: "VAT to be accounted for by the customer.",
			Exemption:         "VAT exemption",
			NatureLabel:       "Nature of the operations",
			NatureGoods:       "Supply of goods",
			NatureServices:    "Supply of services",
			NatureMixed:       "Supply of goods and services",
			VATOnDebits:       "VAT paid on debits (option pour le paiement de la taxe d'après les débits)",
			ShareCapital:      ", share capital %s",
			Penalty: "Late payment: penalties at %[1]s are due from the day after the due date, " +
				"plus a fixed indemnity for recovery costs of %[2]s (French Commercial Code, " +
				"art. L441-10 and D441-5).",
			NoEarlyDiscount:  "No discount for early payment.",
			DefaultIndemnity: "€40",

			CatZero:               "Zero-rated VAT",
			CatExempt:             "VAT exempt",
			CatReverse:            "Reverse charge",
			CatIntraCommunity:     "Intra-community supply",
			CatExport:             "Export outside the EU",
			CatOutOfScope:         "Not subject to VAT",
			MentionIntraCommunity: "VAT exempt intra-community supply of goods – Article 138 of Directive 2006/112/EC",
			MentionExport:         "VAT exempt export outside the European Union – Article 146 of Directive 2006/112/EC",
			MentionOutOfScope:     "Not subject to VAT: outside the scope of the tax",
			ExemptionCode:         "code %s",
			CatShort: map[string]string{
				"Z": "zero rated", "E": "exempt", "AE": "reverse charge", "K": "exempt", "G": "exempt", "O": "not subject",
			},

			PaidBy:     "%[1]s paid on %[2]s by %[3]s",
			PaidOn:     "%[1]s paid on %[2]s",
			PaidNoDate: "%[1]s paid",
			Methods: map[string]string{
				"CARD": "card", "SEPA_DEBIT": "SEPA Direct Debit", "ACH_DEBIT": "ACH Direct Debit",
				"bank_transfer": "bank transfer", "check": "check", "cash": "cash", "card": "card",
				"direct_debit": "direct debit", "other": "other means", "balance": "account credit",
			},
			RecordedBySeller: "%s, recorded by the seller",
			Reference:        "ref. %s",
			And:              " and ",
			InstallmentDueBy: "%[3]s: %[1]s due %[2]s",
			InstallmentN:     "Installment %[1]d of %[2]d",
			LegalRate:        "three times the French legal interest rate",
			CreditNote:       "Credit note",
			CreditNoteNumber: "Credit note number",
			CreditNoteVoid:   "VOID",
			CorrectsInvoice:  "Corrects invoice",
			InvoiceDate:      "Invoice date",
			Reason:           "Reason",
			Reasons: map[string]string{
				ReasonDuplicate:             "Duplicate charge",
				ReasonFraudulent:            "Fraudulent charge",
				ReasonOrderChange:           "Order change",
				ReasonProductUnsatisfactory: "Product or service unsatisfactory",
			},
			CreditHeadline:  "%[1]s credited on invoice %[2]s",
			CreditTotal:     "Total credited",
			CreditDeducted:  "Deducted from the invoice",
			CreditRefunded:  "Refunded to the payment method",
			CreditToBalance: "Credited to your account balance",
			CreditOutOfBand: "Refunded by other means",
			CreditNotesRow:  "Credit notes",

			Receipt:           "Receipt",
			ReceiptNumber:     "Receipt number",
			DatePaid:          "Date paid",
			PaymentMethod:     "Payment method",
			ReceiptAmount:     "Amount paid",
			ReceiptInvoiceDue: "Amount due on the invoice",
			PaidToDate:        "Paid to date",
			AmountRemaining:   "Amount remaining",
			PaidInFull:        "Invoice %s is paid in full.",
			ReceiptNotInvoice: "This receipt acknowledges a payment of invoice %s; it is not an invoice.",
		},
	}
	// German follows DIN 5008 for dates and numbers ("31.12.2026",
	// "1.234,5", "19 %") and the wording of German invoices (UStG § 14).
	langDE = &lang{
		code:       "de",
		dateLayout: "02.01.2006",
		decimalSep: ",",
		groupSep:   ".",
		percentSep: "\u00a0",
		colon:      ": ",
		regions:    display.German.Regions(),
		l: labels{
			Invoice:           "Rechnung",
			Draft:             "ENTWURF",
			DraftNotice:       "Vorschau: Dieses Dokument ist keine Rechnung",
			Void:              "STORNIERT",
			Continued:         "Fortsetzung",
			Page:              "Seite",
			Number:            "Rechnungsnummer",
			IssueDate:         "Rechnungsdatum",
			DueDate:           "Fälligkeitsdatum",
			SupplyDate:        "Leistungsdatum",
			Replaces:          "Ersetzt Rechnung",
			From:              "Rechnungssteller",
			BillTo:            "Rechnungsempfänger",
			DeliverTo:         "Lieferanschrift",
			SIREN:             "SIREN",
			SIRET:             "SIRET",
			VATNumber:         "USt-IdNr.",
			Email:             "E-Mail",
			Phone:             "Tel.",
			Description:       "Beschreibung",
			Quantity:          "Menge",
			UnitPrice:         "Einzelpreis",
			Tax:               "MwSt.",
			Amount:            "Betrag",
			Period:            "Zeitraum",
			Subtotal:          "Zwischensumme",
			Discount:          "Rabatt",
			TotalExclTax:      "Gesamtbetrag netto",
			TotalTax:          "MwSt. gesamt",
			Total:             "Gesamtbetrag",
			AmountPaid:        "Bereits bezahlt",
			AmountDue:         "Offener Betrag",
			TaxSummary:        "MwSt.-Aufstellung",
			TaxRate:           "Satz",
			TaxableAmount:     "Nettobetrag",
			TaxAmount:         "MwSt.",
			AmountDueBy:       "%[1]s zahlbar bis %[2]s",
			AmountDueNoDate:   "%[1]s zahlbar",
			PaymentTerms:      "Zahlungsbedingungen",
			PaymentDetails:    "Zahlungsinformationen",
			BankIBAN:          "IBAN:",
			BankBIC:           "BIC:",
			BankBeneficiary:   "Empfänger:",
			BankReference:     "Verwendungszweck:",
			BankQR:            "Scannen Sie diesen Code mit Ihrer Banking-App, um die Überweisung auszufüllen.",
			LegalNotices:      "Rechtliche Hinweise",
			ReverseCharge:     "Steuerschuldnerschaft des Leistungsempfängers – Art. 196 der Richtlinie 2006/112/EG",
			ReverseChargeNote: "Die Umsatzsteuer schuldet der Leistungsempfänger (Reverse Charge).",
			Exemption:         "Steuerbefreiung",
			NatureLabel:       "Art der Umsätze",
			NatureGoods:       "Lieferung von Waren",
			NatureServices:    "Erbringung von Dienstleistungen",
			NatureMixed:       "Lieferung von Waren und Erbringung von Dienstleistungen",
			VATOnDebits:       "Besteuerung nach vereinbarten Entgelten (option pour le paiement de la taxe d'après les débits)",
			ShareCapital:      ", Kapital %s",
			Penalty: "Bei Zahlungsverzug sind ab dem Tag nach dem Fälligkeitsdatum Verzugszinsen (Zinssatz: %[1]s) " +
				"sowie eine Pauschale für Beitreibungskosten von %[2]s fällig (Art. L441-10 und D441-5 " +
				"des französischen Handelsgesetzbuchs).",
			NoEarlyDiscount:  "Kein Skonto bei vorzeitiger Zahlung.",
			DefaultIndemnity: "40\u00a0€",

			CatZero:               "Nullsatz",
			CatExempt:             "Steuerfrei",
			CatReverse:            "Steuerschuldnerschaft des Leistungsempfängers",
			CatIntraCommunity:     "Innergemeinschaftliche Lieferung",
			CatExport:             "Ausfuhr aus der EU",
			CatOutOfScope:         "Nicht steuerbar",
			MentionIntraCommunity: "Steuerfreie innergemeinschaftliche Lieferung – Art. 138 der Richtlinie 2006/112/EG",
			MentionExport:         "Steuerfreie Ausfuhrlieferung aus der Europäischen Union – Art. 146 der Richtlinie 2006/112/EG",
			MentionOutOfScope:     "Nicht steuerbarer Umsatz: außerhalb des Anwendungsbereichs der Umsatzsteuer",
			ExemptionCode:         "Code %s",
			CatShort: map[string]string{
				"Z": "Nullsatz", "E": "steuerfrei", "AE": "Reverse Charge", "K": "steuerfrei", "G": "steuerfrei", "O": "nicht steuerbar",
			},

			PaidBy:     "%[1]s bezahlt am %[2]s per %[3]s",
			PaidOn:     "%[1]s bezahlt am %[2]s",
			PaidNoDate: "%[1]s bezahlt",
			Methods: map[string]string{
				"CARD": "Karte", "SEPA_DEBIT": "SEPA-Lastschrift", "ACH_DEBIT": "ACH-Lastschrift",
				"bank_transfer": "Überweisung", "check": "Scheck", "cash": "Barzahlung", "card": "Karte",
				"direct_debit": "Lastschrift", "other": "ein anderes Zahlungsmittel", "balance": "Kundenguthaben",
			},
			RecordedBySeller: "%s, vom Verkäufer erfasst",
			Reference:        "Ref. %s",
			And:              " und ",
			InstallmentDueBy: "%[3]s: %[1]s zahlbar bis %[2]s",
			InstallmentN:     "Rate %[1]d von %[2]d",
			LegalRate:        "das Dreifache des französischen gesetzlichen Zinssatzes",
			CreditNote:       "Gutschrift",
			CreditNoteNumber: "Gutschriftsnummer",
			CreditNoteVoid:   "STORNIERT",
			CorrectsInvoice:  "Korrigiert Rechnung",
			InvoiceDate:      "Rechnungsdatum",
			Reason:           "Grund",
			Reasons: map[string]string{
				ReasonDuplicate:             "Doppelte Berechnung",
				ReasonFraudulent:            "Betrügerische Belastung",
				ReasonOrderChange:           "Änderung der Bestellung",
				ReasonProductUnsatisfactory: "Ware oder Leistung mangelhaft",
			},
			CreditHeadline:  "%[1]s gutgeschrieben auf Rechnung %[2]s",
			CreditTotal:     "Gutschrift gesamt",
			CreditDeducted:  "Von der Rechnung abgezogen",
			CreditRefunded:  "Auf das Zahlungsmittel erstattet",
			CreditToBalance: "Ihrem Kundenkonto gutgeschrieben",
			CreditOutOfBand: "Auf anderem Weg erstattet",
			CreditNotesRow:  "Gutschriften",

			Receipt:           "Zahlungsbestätigung",
			ReceiptNumber:     "Belegnummer",
			DatePaid:          "Zahlungsdatum",
			PaymentMethod:     "Zahlungsart",
			ReceiptAmount:     "Gezahlter Betrag",
			ReceiptInvoiceDue: "Rechnungsbetrag",
			PaidToDate:        "Bisher bezahlt",
			AmountRemaining:   "Restbetrag",
			PaidInFull:        "Die Rechnung %s ist vollständig bezahlt.",
			ReceiptNotInvoice: "Diese Zahlungsbestätigung belegt eine Zahlung auf die Rechnung %s; sie ist keine Rechnung.",
		},
	}
)

// resolveLang maps a BCP 47 tag to a document language the way every other
// surface does (locales.Lang): "de-AT" is German, "fr_CA" French,
// everything else, including an empty or malformed tag, English.
func resolveLang(tag string) *lang {
	switch locales.Lang(tag) {
	case "fr":
		return langFR
	case "de":
		return langDE
	}
	return langEN
}

// date formats a calendar date in the language's layout, or "" for zero.
func (lg *lang) date(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.Format(lg.dateLayout)
}

// number formats a decimal for people: "1234.5" → fr "1 234,5", en
// "1,234.5". Trailing fraction zeros are dropped ("2.50" → "2,5").
func (lg *lang) number(d decimal.Decimal) string {
	s := d.String()
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	intPart, frac, _ := strings.Cut(s, ".")
	var b strings.Builder
	if neg {
		b.WriteByte('-')
	}
	for i, c := range intPart {
		if i > 0 && (len(intPart)-i)%3 == 0 {
			b.WriteString(lg.groupSep)
		}
		b.WriteRune(c)
	}
	if frac != "" {
		b.WriteString(lg.decimalSep)
		b.WriteString(frac)
	}
	return b.String()
}

// percent formats a rate: "20" → fr "20 %", en "20%".
func (lg *lang) percent(d decimal.Decimal) string {
	return lg.number(d) + lg.percentSep + "%"
}

// country prints an ISO 3166-1 alpha-2 code as the country's name in the
// language; anything else is returned unchanged.
func (lg *lang) country(s string) string {
	s = strings.TrimSpace(s)
	if len(s) != 2 {
		return s
	}
	r, err := language.ParseRegion(s)
	if err != nil || !r.IsCountry() {
		return s
	}
	if name := lg.regions.Name(r); name != "" {
		return name
	}
	return s
}
