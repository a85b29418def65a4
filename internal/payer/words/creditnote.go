package words

// Credit notes' words, merged into the table: a credit note listed beside
// its invoice on the hosted page and in the portal.
var creditNoteWords = map[string]map[string]string{
	"en": {
		"CreditNotes": "Credit notes", "CreditNote": "Credit note", "CreditNoteVoid": "Void", "CreditNotePDF": "PDF",
		"reason_DUPLICATE": "Duplicate charge", "reason_FRAUDULENT": "Fraudulent charge",
		"reason_ORDER_CHANGE": "Order change", "reason_PRODUCT_UNSATISFACTORY": "Product or service unsatisfactory",
	},
	"fr": {
		"CreditNotes": "Avoirs", "CreditNote": "Avoir", "CreditNoteVoid": "Annulé", "CreditNotePDF": "PDF",
		"reason_DUPLICATE": "Facturation en double", "reason_FRAUDULENT": "Opération frauduleuse",
		"reason_ORDER_CHANGE": "Modification de la commande", "reason_PRODUCT_UNSATISFACTORY": "Produit ou service non satisfaisant",
	},
	"de": {
		"CreditNotes": "Gutschriften", "CreditNote": "Gutschrift", "CreditNoteVoid": "Storniert", "CreditNotePDF": "PDF",
		"reason_DUPLICATE": "Doppelte Berechnung", "reason_FRAUDULENT": "Betrügerische Belastung",
		"reason_ORDER_CHANGE": "Änderung der Bestellung", "reason_PRODUCT_UNSATISFACTORY": "Ware oder Leistung mangelhaft",
	},
}

func init() {
	for lang, words := range creditNoteWords {
		for k, v := range words {
			table[lang][k] = v
		}
	}
}
