package einvoice

// GuidelineEN16931 is BT-24 of the Factur-X EN 16931 profile.
const GuidelineEN16931 = "urn:cen.eu:en16931:2017"

const ciiHeader = `<?xml version="1.0" encoding="UTF-8"?>` + "\n" +
	`<rsm:CrossIndustryInvoice xmlns:rsm="urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100"` +
	` xmlns:qdt="urn:un:unece:uncefact:data:standard:QualifiedDataType:100"` +
	` xmlns:ram="urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100"` +
	` xmlns:udt="urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100">`

// CII is d as a UN/CEFACT Cross Industry Invoice D16B of the Factur-X
// EN 16931 profile (the factur-x.xml of a Factur-X PDF). It refuses a
// Document that Check refuses.
func CII(d Document) ([]byte, error) {
	if err := d.Check(); err != nil {
		return nil, err
	}
	w := &writer{currency: d.Currency}
	w.b.WriteString(ciiHeader)

	w.open("rsm:ExchangedDocumentContext")
	if d.OperationCategory != "" {
		w.open("ram:BusinessProcessSpecifiedDocumentContextParameter")
		w.leaf("ram:ID", d.OperationCategory)
		w.close("ram:BusinessProcessSpecifiedDocumentContextParameter")
	}
	w.open("ram:GuidelineSpecifiedDocumentContextParameter")
	w.leaf("ram:ID", GuidelineEN16931)
	w.close("ram:GuidelineSpecifiedDocumentContextParameter")
	w.close("rsm:ExchangedDocumentContext")

	w.open("rsm:ExchangedDocument")
	w.leaf("ram:ID", d.Number)
	w.leaf("ram:TypeCode", string(d.Type))
	w.open("ram:IssueDateTime")
	w.leaf("udt:DateTimeString", ciiDate(d.IssueDate), "format", "102")
	w.close("ram:IssueDateTime")
	for _, n := range d.Notes {
		w.open("ram:IncludedNote")
		w.leaf("ram:Content", n.Text)
		w.leaf("ram:SubjectCode", n.Subject)
		w.close("ram:IncludedNote")
	}
	w.close("rsm:ExchangedDocument")

	w.open("rsm:SupplyChainTradeTransaction")
	for _, l := range d.Lines {
		w.ciiLine(l)
	}

	w.open("ram:ApplicableHeaderTradeAgreement")
	w.leaf("ram:BuyerReference", d.BuyerReference)
	w.ciiParty("ram:SellerTradeParty", d.Seller, true)
	w.ciiParty("ram:BuyerTradeParty", d.Buyer, false)
	if d.PurchaseOrder != "" {
		w.open("ram:BuyerOrderReferencedDocument")
		w.leaf("ram:IssuerAssignedID", d.PurchaseOrder)
		w.close("ram:BuyerOrderReferencedDocument")
	}
	w.close("ram:ApplicableHeaderTradeAgreement")

	w.open("ram:ApplicableHeaderTradeDelivery")
	if dl := d.Delivery; dl != nil {
		if dl.Address != nil {
			w.open("ram:ShipToTradeParty")
			w.leaf("ram:Name", dl.Name)
			w.ciiAddress(*dl.Address)
			w.close("ram:ShipToTradeParty")
		}
		if !dl.Date.IsZero() {
			w.open("ram:ActualDeliverySupplyChainEvent")
			w.open("ram:OccurrenceDateTime")
			w.leaf("udt:DateTimeString", ciiDate(dl.Date), "format", "102")
			w.close("ram:OccurrenceDateTime")
			w.close("ram:ActualDeliverySupplyChainEvent")
		}
	}
	w.close("ram:ApplicableHeaderTradeDelivery")

	w.open("ram:ApplicableHeaderTradeSettlement")
	w.leaf("ram:CreditorReferenceID", d.CreditorID)
	w.leaf("ram:PaymentReference", d.RemittanceInfo)
	w.leaf("ram:InvoiceCurrencyCode", d.Currency)
	for _, m := range d.Payment {
		w.open("ram:SpecifiedTradeSettlementPaymentMeans")
		w.leaf("ram:TypeCode", m.Code)
		w.leaf("ram:Information", m.Text)
		if m.CardPAN != "" {
			w.open("ram:ApplicableTradeSettlementFinancialCard")
			w.leaf("ram:ID", m.CardPAN)
			w.close("ram:ApplicableTradeSettlementFinancialCard")
		}
		if m.DebitedIBAN != "" {
			w.open("ram:PayerPartyDebtorFinancialAccount")
			w.leaf("ram:IBANID", m.DebitedIBAN)
			w.close("ram:PayerPartyDebtorFinancialAccount")
		}
		if m.IBAN != "" {
			w.open("ram:PayeePartyCreditorFinancialAccount")
			w.leaf("ram:IBANID", m.IBAN)
			w.leaf("ram:AccountName", m.AccountName)
			w.close("ram:PayeePartyCreditorFinancialAccount")
		}
		if m.BIC != "" {
			w.open("ram:PayeeSpecifiedCreditorFinancialInstitution")
			w.leaf("ram:BICID", m.BIC)
			w.close("ram:PayeeSpecifiedCreditorFinancialInstitution")
		}
		w.close("ram:SpecifiedTradeSettlementPaymentMeans")
	}
	for _, v := range d.VAT {
		w.open("ram:ApplicableTradeTax")
		w.leaf("ram:CalculatedAmount", w.amt(v.Tax))
		w.leaf("ram:TypeCode", "VAT")
		w.leaf("ram:ExemptionReason", v.ExemptionReason)
		w.leaf("ram:BasisAmount", w.amt(v.Taxable))
		w.leaf("ram:CategoryCode", v.Category)
		w.leaf("ram:ExemptionReasonCode", v.ExemptionCode)
		if d.VATOnDebits {
			w.leaf("ram:DueDateTypeCode", "5")
		}
		if v.Category != "O" {
			w.leaf("ram:RateApplicablePercent", decimalText(orZero(v.Rate)))
		}
		w.close("ram:ApplicableTradeTax")
	}
	if p := d.Period; p != nil {
		w.ciiPeriod(*p)
	}
	for _, a := range d.Allowances {
		w.ciiAllowance(a, true)
	}
	if d.PaymentTerms != "" || !d.DueDate.IsZero() || d.MandateReference != "" {
		w.open("ram:SpecifiedTradePaymentTerms")
		w.leaf("ram:Description", d.PaymentTerms)
		if !d.DueDate.IsZero() {
			w.open("ram:DueDateDateTime")
			w.leaf("udt:DateTimeString", ciiDate(d.DueDate), "format", "102")
			w.close("ram:DueDateDateTime")
		}
		w.leaf("ram:DirectDebitMandateID", d.MandateReference)
		w.close("ram:SpecifiedTradePaymentTerms")
	}
	t := d.Totals
	w.open("ram:SpecifiedTradeSettlementHeaderMonetarySummation")
	w.leaf("ram:LineTotalAmount", w.amt(t.LineNet))
	if t.Charges != 0 {
		w.leaf("ram:ChargeTotalAmount", w.amt(t.Charges))
	}
	if len(d.Allowances) > 0 {
		w.leaf("ram:AllowanceTotalAmount", w.amt(t.Allowances))
	}
	w.leaf("ram:TaxBasisTotalAmount", w.amt(t.TaxExclusive))
	w.leaf("ram:TaxTotalAmount", w.amt(t.Tax), "currencyID", d.Currency)
	if t.Rounding != 0 {
		w.leaf("ram:RoundingAmount", w.amt(t.Rounding))
	}
	w.leaf("ram:GrandTotalAmount", w.amt(t.TaxInclusive))
	if t.Prepaid != 0 {
		w.leaf("ram:TotalPrepaidAmount", w.amt(t.Prepaid))
	}
	w.leaf("ram:DuePayableAmount", w.amt(t.Due))
	w.close("ram:SpecifiedTradeSettlementHeaderMonetarySummation")
	for _, r := range d.Preceding {
		w.open("ram:InvoiceReferencedDocument")
		w.leaf("ram:IssuerAssignedID", r.Number)
		if !r.Date.IsZero() {
			w.open("ram:FormattedIssueDateTime")
			w.leaf("qdt:DateTimeString", ciiDate(r.Date), "format", "102")
			w.close("ram:FormattedIssueDateTime")
		}
		w.close("ram:InvoiceReferencedDocument")
	}
	w.close("ram:ApplicableHeaderTradeSettlement")
	w.close("rsm:SupplyChainTradeTransaction")
	w.close("rsm:CrossIndustryInvoice")
	w.b.WriteByte('\n')
	return w.b.Bytes(), nil
}

func (w *writer) ciiLine(l Line) {
	w.open("ram:IncludedSupplyChainTradeLineItem")
	w.open("ram:AssociatedDocumentLineDocument")
	w.leaf("ram:LineID", l.ID)
	w.close("ram:AssociatedDocumentLineDocument")
	w.open("ram:SpecifiedTradeProduct")
	w.leaf("ram:Name", l.Name)
	w.close("ram:SpecifiedTradeProduct")
	w.open("ram:SpecifiedLineTradeAgreement")
	w.open("ram:NetPriceProductTradePrice")
	w.leaf("ram:ChargeAmount", decimalText(l.NetPrice))
	w.close("ram:NetPriceProductTradePrice")
	w.close("ram:SpecifiedLineTradeAgreement")
	w.open("ram:SpecifiedLineTradeDelivery")
	w.leaf("ram:BilledQuantity", decimalText(l.Quantity), "unitCode", unitCode(l))
	w.close("ram:SpecifiedLineTradeDelivery")
	w.open("ram:SpecifiedLineTradeSettlement")
	w.open("ram:ApplicableTradeTax")
	w.leaf("ram:TypeCode", "VAT")
	w.leaf("ram:CategoryCode", l.Category)
	if l.Category != "O" {
		w.leaf("ram:RateApplicablePercent", decimalText(orZero(l.Rate)))
	}
	w.close("ram:ApplicableTradeTax")
	if l.Period != nil {
		w.ciiPeriod(*l.Period)
	}
	for _, a := range l.Allowances {
		w.ciiAllowance(a, false)
	}
	w.open("ram:SpecifiedTradeSettlementLineMonetarySummation")
	w.leaf("ram:LineTotalAmount", w.amt(l.NetAmount))
	w.close("ram:SpecifiedTradeSettlementLineMonetarySummation")
	w.close("ram:SpecifiedLineTradeSettlement")
	w.close("ram:IncludedSupplyChainTradeLineItem")
}

func (w *writer) ciiPeriod(p Period) {
	w.open("ram:BillingSpecifiedPeriod")
	if !p.Start.IsZero() {
		w.open("ram:StartDateTime")
		w.leaf("udt:DateTimeString", ciiDate(p.Start), "format", "102")
		w.close("ram:StartDateTime")
	}
	if !p.End.IsZero() {
		w.open("ram:EndDateTime")
		w.leaf("udt:DateTimeString", ciiDate(p.End), "format", "102")
		w.close("ram:EndDateTime")
	}
	w.close("ram:BillingSpecifiedPeriod")
}

func (w *writer) ciiAllowance(a Allowance, header bool) {
	w.open("ram:SpecifiedTradeAllowanceCharge")
	w.open("ram:ChargeIndicator")
	w.leaf("udt:Indicator", "false")
	w.close("ram:ChargeIndicator")
	w.leaf("ram:ActualAmount", w.amt(a.Amount))
	w.leaf("ram:ReasonCode", a.ReasonCode)
	w.leaf("ram:Reason", a.Reason)
	if header {
		w.open("ram:CategoryTradeTax")
		w.leaf("ram:TypeCode", "VAT")
		w.leaf("ram:CategoryCode", a.Category)
		if a.Category != "O" {
			w.leaf("ram:RateApplicablePercent", decimalText(orZero(a.Rate)))
		}
		w.close("ram:CategoryTradeTax")
	}
	w.close("ram:SpecifiedTradeAllowanceCharge")
}

func (w *writer) ciiParty(tag string, p Party, seller bool) {
	w.open(tag)
	if p.SIRET != "" {
		w.leaf("ram:GlobalID", p.SIRET, "schemeID", "0009")
	}
	w.leaf("ram:Name", p.Name)
	if seller {
		w.leaf("ram:Description", p.LegalInfo)
	}
	if p.SIREN != "" || p.TradingName != "" {
		w.open("ram:SpecifiedLegalOrganization")
		if p.SIREN != "" {
			w.leaf("ram:ID", p.SIREN, "schemeID", "0002")
		}
		w.leaf("ram:TradingBusinessName", p.TradingName)
		w.close("ram:SpecifiedLegalOrganization")
	}
	w.ciiAddress(p.Address)
	if p.Email != "" {
		w.open("ram:URIUniversalCommunication")
		w.leaf("ram:URIID", p.Email, "schemeID", "EM")
		w.close("ram:URIUniversalCommunication")
	}
	if p.VATID != "" {
		w.open("ram:SpecifiedTaxRegistration")
		w.leaf("ram:ID", p.VATID, "schemeID", "VA")
		w.close("ram:SpecifiedTaxRegistration")
	}
	w.close(tag)
}

func (w *writer) ciiAddress(a Address) {
	w.open("ram:PostalTradeAddress")
	w.leaf("ram:PostcodeCode", a.PostCode)
	for i, tag := range []string{"ram:LineOne", "ram:LineTwo", "ram:LineThree"} {
		if i < len(a.Lines) {
			w.leaf(tag, a.Lines[i])
		}
	}
	w.leaf("ram:CityName", a.City)
	w.leaf("ram:CountryID", a.Country)
	w.leaf("ram:CountrySubDivisionName", a.Subdivision)
	w.close("ram:PostalTradeAddress")
}
