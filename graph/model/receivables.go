package model

import (
	"github.com/remitbilling/remit/internal/money"
	"github.com/remitbilling/remit/internal/receivables"
)

// agingAmounts maps one row of the aging report.
func agingAmounts(a receivables.Amounts, currency string) *AgingAmounts {
	m := func(v int64) *money.Money { return money.New(v, currency) }
	return &AgingAmounts{
		NotDue: m(a[receivables.NotDue]), Days1To30: m(a[receivables.Days1To30]), Days31To60: m(a[receivables.Days31To60]),
		Days61To90: m(a[receivables.Days61To90]), Days91To120: m(a[receivables.Days91To120]), Over120: m(a[receivables.Over120]),
		PastDue: m(a.PastDue()), Total: m(a.Total()),
	}
}

// NewReceivablesAging maps the aging report.
func NewReceivablesAging(r receivables.Report) *ReceivablesAging {
	out := &ReceivablesAging{AsOf: &r.AsOf, Currencies: make([]*AgingCurrency, 0, len(r.Currencies))}
	for _, c := range r.Currencies {
		mc := &AgingCurrency{Currency: c.Currency, Totals: agingAmounts(c.Totals, c.Currency), Customers: make([]*AgingCustomer, 0, len(c.Customers))}
		for _, row := range c.Customers {
			mc.Customers = append(mc.Customers, &AgingCustomer{CustomerID: row.CustomerID, Name: row.CustomerName, Amounts: agingAmounts(row.Amounts, c.Currency)})
		}
		out.Currencies = append(out.Currencies, mc)
	}
	return out
}

// NewCustomerStatement maps a statement (the merchant API and the
// portal both answer with it).
func NewCustomerStatement(st receivables.Statement) *CustomerStatement {
	cur := st.Currency
	m := func(v int64) *money.Money { return money.New(v, cur) }
	out := &CustomerStatement{
		CustomerID: &st.Customer.ID, Currency: &cur, From: &st.From, To: &st.To,
		OpeningBalance: m(st.Opening), ClosingBalance: m(st.Closing), TotalDebit: m(st.TotalDebit), TotalCredit: m(st.TotalCredit),
		OverdueAt: &st.OverdueAt, OverdueTotal: m(st.OverdueTotal),
		Movements: make([]*StatementMovement, 0, len(st.Movements)),
		Overdue:   make([]*StatementOverdueInvoice, 0, len(st.Overdue)),
	}
	for _, mv := range st.Movements {
		out.Movements = append(out.Movements, &StatementMovement{
			At: mv.At, Kind: StatementMovementKind(mv.Kind), ObjectID: mv.ObjectID, Number: mv.Number, Description: mv.Description,
			Debit: m(mv.Debit), Credit: m(mv.Credit), Balance: m(mv.Balance),
		})
	}
	for _, o := range st.Overdue {
		out.Overdue = append(out.Overdue, &StatementOverdueInvoice{
			InvoiceID: o.InvoiceID, Number: o.Number, DueDate: o.DueDate, DaysPastDue: o.DaysPastDue,
			AmountRemaining: m(o.Remaining), AmountOverdue: m(o.Overdue),
		})
	}
	return out
}
