package einvoice

// PEPPOL BIS Billing 3.0 identifiers (BT-24, BT-23).
const (
	PEPPOLCustomization = "urn:cen.eu:en16931:2017#compliant#urn:fdc:peppol.eu:2017:poacc:billing:3.0"
	PEPPOLProfile       = "urn:fdc:peppol.eu:2017:poacc:billing:01:1.0"
)

const (
	ublCAC = "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"
	ublCBC = "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"
)

// UBL is d as a UBL 2.1 Invoice, or CreditNote for type 381, following
// PEPPOL BIS Billing 3.0. It refuses a Document that Check refuses.
func UBL(d Document) ([]byte, error) {
	if err := d.Check(); err != nil {
		return nil, err
	}
	w := &writer{currency: d.Currency}
	credit := d.Type == CreditNote
	root, ns, lineTag, qtyTag := "Invoice", "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2", "cac:InvoiceLine", "cbc:InvoicedQuantity"
	if credit {
		root, ns, lineTag, qtyTag = "CreditNote", "urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2", "cac:CreditNoteLine", "cbc:CreditedQuantity"
	}
	w.b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>` + "\n")
	w.open(root, "xmlns", ns, "xmlns:cac", ublCAC, "xmlns:cbc", ublCBC)
	w.leaf("cbc:CustomizationID", PEPPOLCustomization)
	w.leaf("cbc:ProfileID", PEPPOLProfile)
	w.leaf("cbc:ID", d.Number)
	w.leaf("cbc:IssueDate", ublDate(d.IssueDate))
	if !credit && !d.DueDate.IsZero() {
		w.leaf("cbc:DueDate", ublDate(d.DueDate))
	}
	if credit {
		w.leaf("cbc:CreditNoteTypeCode", string(d.Type))
	} else {
		w.leaf("cbc:InvoiceTypeCode", string(d.Type))
	}
	for _, n := range d.Notes {
		w.leaf("cbc:Note", noteText(n))
	}
	w.leaf("cbc:DocumentCurrencyCode", d.Currency)
	w.leaf("cbc:BuyerReference", d.BuyerReference)
	switch {
	case d.Period != nil:
		w.ublPeriod(*d.Period, d.VATOnDebits)
	case d.VATOnDebits:
		w.ublPeriod(Period{}, true)
	}
	if d.PurchaseOrder != "" {
		w.open("cac:OrderReference")
		w.leaf("cbc:ID", d.PurchaseOrder)
		w.close("cac:OrderReference")
	}
	for _, r := range d.Preceding {
		w.open("cac:BillingReference")
		w.open("cac:InvoiceDocumentReference")
		w.leaf("cbc:ID", r.Number)
		if !r.Date.IsZero() {
			w.leaf("cbc:IssueDate", ublDate(r.Date))
		}
		w.close("cac:InvoiceDocumentReference")
		w.close("cac:BillingReference")
	}
	w.ublParty("cac:AccountingSupplierParty", d.Seller, d.CreditorID)
	w.ublParty("cac:AccountingCustomerParty", d.Buyer, "")
	if dl := d.Delivery; dl != nil {
		w.open("cac:Delivery")
		if !dl.Date.IsZero() {
			w.leaf("cbc:ActualDeliveryDate", ublDate(dl.Date))
		}
		if dl.Address != nil {
			w.open("cac:DeliveryLocation")
			w.ublAddress("cac:Address", *dl.Address)
			w.close("cac:DeliveryLocation")
			if dl.Name != "" {
				w.open("cac:DeliveryParty")
				w.open("cac:PartyName")
				w.leaf("cbc:Name", dl.Name)
				w.close("cac:PartyName")
				w.close("cac:DeliveryParty")
			}
		}
		w.close("cac:Delivery")
	}
	for _, m := range d.Payment {
		w.open("cac:PaymentMeans")
		w.leaf("cbc:PaymentMeansCode", m.Code, "name", m.Text)
		if credit && !d.DueDate.IsZero() {
			w.leaf("cbc:PaymentDueDate", ublDate(d.DueDate))
		}
		w.leaf("cbc:PaymentID", d.RemittanceInfo)
		if m.CardPAN != "" {
			w.open("cac:CardAccount")
			w.leaf("cbc:PrimaryAccountNumberID", m.CardPAN)
			w.leaf("cbc:NetworkID", "NA")
			w.close("cac:CardAccount")
		}
		if m.IBAN != "" {
			w.open("cac:PayeeFinancialAccount")
			w.leaf("cbc:ID", m.IBAN)
			w.leaf("cbc:Name", m.AccountName)
			if m.BIC != "" {
				w.open("cac:FinancialInstitutionBranch")
				w.leaf("cbc:ID", m.BIC)
				w.close("cac:FinancialInstitutionBranch")
			}
			w.close("cac:PayeeFinancialAccount")
		}
		if m.Code == MeansSEPADirectDebit && (d.MandateReference != "" || m.DebitedIBAN != "") {
			w.open("cac:PaymentMandate")
			w.leaf("cbc:ID", d.MandateReference)
			if m.DebitedIBAN != "" {
				w.open("cac:PayerFinancialAccount")
				w.leaf("cbc:ID", m.DebitedIBAN)
				w.close("cac:PayerFinancialAccount")
			}
			w.close("cac:PaymentMandate")
		}
		w.close("cac:PaymentMeans")
	}
	if d.PaymentTerms != "" {
		w.open("cac:PaymentTerms")
		w.leaf("cbc:Note", d.PaymentTerms)
		w.close("cac:PaymentTerms")
	}
	for _, a := range d.Allowances {
		w.ublAllowance(a, true)
	}
	w.open("cac:TaxTotal")
	w.leaf("cbc:TaxAmount", w.amt(d.Totals.Tax), "currencyID", d.Currency)
	for _, v := range d.VAT {
		w.open("cac:TaxSubtotal")
		w.leaf("cbc:TaxableAmount", w.amt(v.Taxable), "currencyID", d.Currency)
		w.leaf("cbc:TaxAmount", w.amt(v.Tax), "currencyID", d.Currency)
		w.open("cac:TaxCategory")
		w.leaf("cbc:ID", v.Category)
		if v.Category != "O" {
			w.leaf("cbc:Percent", decimalText(orZero(v.Rate)))
		}
		w.leaf("cbc:TaxExemptionReasonCode", v.ExemptionCode)
		w.leaf("cbc:TaxExemptionReason", v.ExemptionReason)
		w.taxScheme()
		w.close("cac:TaxCategory")
		w.close("cac:TaxSubtotal")
	}
	w.close("cac:TaxTotal")
	t := d.Totals
	w.open("cac:LegalMonetaryTotal")
	w.leaf("cbc:LineExtensionAmount", w.amt(t.LineNet), "currencyID", d.Currency)
	w.leaf("cbc:TaxExclusiveAmount", w.amt(t.TaxExclusive), "currencyID", d.Currency)
	w.leaf("cbc:TaxInclusiveAmount", w.amt(t.TaxInclusive), "currencyID", d.Currency)
	if len(d.Allowances) > 0 {
		w.leaf("cbc:AllowanceTotalAmount", w.amt(t.Allowances), "currencyID", d.Currency)
	}
	if t.Charges != 0 {
		w.leaf("cbc:ChargeTotalAmount", w.amt(t.Charges), "currencyID", d.Currency)
	}
	if t.Prepaid != 0 {
		w.leaf("cbc:PrepaidAmount", w.amt(t.Prepaid), "currencyID", d.Currency)
	}
	if t.Rounding != 0 {
		w.leaf("cbc:PayableRoundingAmount", w.amt(t.Rounding), "currencyID", d.Currency)
	}
	w.leaf("cbc:PayableAmount", w.amt(t.Due), "currencyID", d.Currency)
	w.close("cac:LegalMonetaryTotal")
	for _, l := range d.Lines {
		w.open(lineTag)
		w.leaf("cbc:ID", l.ID)
		w.leaf(qtyTag, decimalText(l.Quantity), "unitCode", unitCode(l))
		w.leaf("cbc:LineExtensionAmount", w.amt(l.NetAmount), "currencyID", d.Currency)
		if l.Period != nil {
			w.ublPeriod(*l.Period, false)
		}
		for _, a := range l.Allowances {
			w.ublAllowance(a, false)
		}
		w.open("cac:Item")
		w.leaf("cbc:Name", l.Name)
		w.open("cac:ClassifiedTaxCategory")
		w.leaf("cbc:ID", l.Category)
		if l.Category != "O" {
			w.leaf("cbc:Percent", decimalText(orZero(l.Rate)))
		}
		w.taxScheme()
		w.close("cac:ClassifiedTaxCategory")
		w.close("cac:Item")
		w.open("cac:Price")
		w.leaf("cbc:PriceAmount", decimalText(l.NetPrice), "currencyID", d.Currency)
		w.close("cac:Price")
		w.close(lineTag)
	}
	w.close(root)
	w.b.WriteByte('\n')
	return w.b.Bytes(), nil
}

func (w *writer) taxScheme() {
	w.open("cac:TaxScheme")
	w.leaf("cbc:ID", "VAT")
	w.close("cac:TaxScheme")
}

// ublPeriod writes an invoicing or line period; vatOnDebits adds, on the
// invoice's, that VAT is due at the invoice date (BT-8).
func (w *writer) ublPeriod(p Period, vatOnDebits bool) {
	w.open("cac:InvoicePeriod")
	if !p.Start.IsZero() {
		w.leaf("cbc:StartDate", ublDate(p.Start))
	}
	if !p.End.IsZero() {
		w.leaf("cbc:EndDate", ublDate(p.End))
	}
	if vatOnDebits {
		w.leaf("cbc:DescriptionCode", "3")
	}
	w.close("cac:InvoicePeriod")
}

func (w *writer) ublAllowance(a Allowance, header bool) {
	w.open("cac:AllowanceCharge")
	w.leaf("cbc:ChargeIndicator", "false")
	w.leaf("cbc:AllowanceChargeReasonCode", a.ReasonCode)
	w.leaf("cbc:AllowanceChargeReason", a.Reason)
	w.leaf("cbc:Amount", w.amt(a.Amount), "currencyID", w.currency)
	if header {
		w.open("cac:TaxCategory")
		w.leaf("cbc:ID", a.Category)
		if a.Category != "O" {
			w.leaf("cbc:Percent", decimalText(orZero(a.Rate)))
		}
		w.taxScheme()
		w.close("cac:TaxCategory")
	}
	w.close("cac:AllowanceCharge")
}

// ublParty writes a party; creditorID is the seller's SEPA creditor
// identifier (BT-90), which UBL carries as a party identification.
func (w *writer) ublParty(tag string, p Party, creditorID string) {
	w.open(tag)
	w.open("cac:Party")
	if p.Email != "" {
		w.leaf("cbc:EndpointID", p.Email, "schemeID", "EM")
	}
	if p.SIRET != "" {
		w.open("cac:PartyIdentification")
		w.leaf("cbc:ID", p.SIRET, "schemeID", "0009")
		w.close("cac:PartyIdentification")
	}
	if creditorID != "" {
		w.open("cac:PartyIdentification")
		w.leaf("cbc:ID", creditorID, "schemeID", "SEPA")
		w.close("cac:PartyIdentification")
	}
	if p.TradingName != "" {
		w.open("cac:PartyName")
		w.leaf("cbc:Name", p.TradingName)
		w.close("cac:PartyName")
	}
	w.ublAddress("cac:PostalAddress", p.Address)
	if p.VATID != "" {
		w.open("cac:PartyTaxScheme")
		w.leaf("cbc:CompanyID", p.VATID)
		w.taxScheme()
		w.close("cac:PartyTaxScheme")
	}
	w.open("cac:PartyLegalEntity")
	w.leaf("cbc:RegistrationName", p.Name)
	if p.SIREN != "" {
		w.leaf("cbc:CompanyID", p.SIREN, "schemeID", "0002")
	}
	w.leaf("cbc:CompanyLegalForm", p.LegalInfo)
	w.close("cac:PartyLegalEntity")
	w.close("cac:Party")
	w.close(tag)
}

func (w *writer) ublAddress(tag string, a Address) {
	w.open(tag)
	if len(a.Lines) > 0 {
		w.leaf("cbc:StreetName", a.Lines[0])
	}
	if len(a.Lines) > 1 {
		w.leaf("cbc:AdditionalStreetName", a.Lines[1])
	}
	w.leaf("cbc:CityName", a.City)
	w.leaf("cbc:PostalZone", a.PostCode)
	w.leaf("cbc:CountrySubentity", a.Subdivision)
	if len(a.Lines) > 2 {
		w.open("cac:AddressLine")
		w.leaf("cbc:Line", a.Lines[2])
		w.close("cac:AddressLine")
	}
	w.open("cac:Country")
	w.leaf("cbc:IdentificationCode", a.Country)
	w.close("cac:Country")
	w.close(tag)
}
