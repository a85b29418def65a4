package document

import (
	"context"
	"embed"
	"fmt"
	"html/template"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/remitbilling/remit/internal/money"
)

// Statement is what a customer statement prints: the customer's account
// with the seller over a period, movement by movement, with the running
// balance, the closing balance and what is overdue. Like Invoice it is a
// plain snapshot the caller fills; the same Statement gives the same
// bytes.
type Statement struct {
	// From and To bound the period (To excluded); IssuedAt dates the PDF.
	From, To, IssuedAt time.Time

	Currency string
	Locale   string
	PageSize string

	Seller Party
	Buyer  Party

	Opening, Closing int64
	Lines            []StatementLine
	// OverdueAt is when Overdue was judged.
	OverdueAt    time.Time
	Overdue      []StatementOverdue
	OverdueTotal int64

	Branding Branding
}

// StatementLine is one movement. Kind is one of the receivables
// package's movement kinds (INVOICE, PAYMENT, …), worded here.
type StatementLine struct {
	At            time.Time
	Kind          string
	Number        string
	Description   string
	Debit, Credit int64
	Balance       int64
}

// StatementOverdue is an invoice past due at OverdueAt.
type StatementOverdue struct {
	Number      string
	DueDate     time.Time
	DaysPastDue int
	Overdue     int64
}

// statementTable is the statement's part of the view.
type statementTable struct {
	Head []string
	Rows []statementRow
}

type statementRow struct{ Date, Text, Debit, Credit, Balance string }

// statementWords are the statement's words, per language.
var statementWords = map[string]map[string]string{
	"fr": {
		"title": "Relevé de compte", "period": "Période", "issued": "Établi le", "customer": "Client",
		"date": "Date", "what": "Opération", "debit": "Débit", "credit": "Crédit", "balance": "Solde",
		"opening": "Solde au %s", "closing": "Solde au %s", "headline": "Relevé de compte du %s au %s",
		"INVOICE": "Facture %s", "INVOICE_VOIDED": "Annulation de la facture %s", "CREDIT_NOTE": "Avoir %s",
		"CREDIT_NOTE_VOIDED": "Annulation de l'avoir %s", "PAYMENT": "Paiement, facture %s", "REFUND": "Remboursement, facture %s",
		"BALANCE_ADJUSTMENT": "Ajustement du solde", "CASH_BALANCE_FUNDED": "Virement reçu, en attente d'affectation",
		"CASH_BALANCE_APPLIED": "Virement affecté à un paiement", "CASH_BALANCE_REFUNDED": "Virement restitué", "overdue": "Échu au %s : %s",
		"overdueLine": "Facture %s échue le %s (%d jours) : %s", "nothingOverdue": "Aucune facture échue au %s.",
		"credit_balance": "Solde créditeur en votre faveur : %s.",
		"legal":          "Ce relevé récapitule votre compte ; il n'est pas une facture.",
	},
	"de": {
		"title": "Kontoauszug", "period": "Zeitraum", "issued": "Erstellt am", "customer": "Kunde",
		"date": "Datum", "what": "Vorgang", "debit": "Soll", "credit": "Haben", "balance": "Saldo",
		"opening": "Saldo am %s", "closing": "Saldo am %s", "headline": "Kontoauszug vom %s bis %s",
		"INVOICE": "Rechnung %s", "INVOICE_VOIDED": "Stornierung der Rechnung %s", "CREDIT_NOTE": "Gutschrift %s",
		"CREDIT_NOTE_VOIDED": "Stornierung der Gutschrift %s", "PAYMENT": "Zahlung, Rechnung %s", "REFUND": "Erstattung, Rechnung %s",
		"BALANCE_ADJUSTMENT": "Saldokorrektur", "CASH_BALANCE_FUNDED": "Überweisung erhalten, noch nicht zugeordnet",
		"CASH_BALANCE_APPLIED": "Überweisung einer Zahlung zugeordnet", "CASH_BALANCE_REFUNDED": "Überweisung zurückerstattet", "overdue": "Überfällig am %s: %s",
		"overdueLine": "Rechnung %s fällig am %s (%d Tage): %s", "nothingOverdue": "Keine Rechnung am %s überfällig.",
		"credit_balance": "Guthaben zu Ihren Gunsten: %s.",
		"legal":          "Dieser Kontoauszug fasst Ihr Konto zusammen; er ist keine Rechnung.",
	},
	"en": {
		"title": "Statement of account", "period": "Period", "issued": "Issued", "customer": "Customer",
		"date": "Date", "what": "Description", "debit": "Debit", "credit": "Credit", "balance": "Balance",
		"opening": "Balance on %s", "closing": "Balance on %s", "headline": "Statement of account from %s to %s",
		"INVOICE": "Invoice %s", "INVOICE_VOIDED": "Invoice %s voided", "CREDIT_NOTE": "Credit note %s",
		"CREDIT_NOTE_VOIDED": "Credit note %s voided", "PAYMENT": "Payment, invoice %s", "REFUND": "Refund, invoice %s",
		"BALANCE_ADJUSTMENT": "Balance adjustment", "CASH_BALANCE_FUNDED": "Transfer received, held on account",
		"CASH_BALANCE_APPLIED": "Held funds applied to a payment", "CASH_BALANCE_REFUNDED": "Held funds returned", "overdue": "Overdue on %s: %s",
		"overdueLine": "Invoice %s due %s (%d days): %s", "nothingOverdue": "No invoice overdue on %s.",
		"credit_balance": "Credit balance in your favour: %s.",
		"legal":          "This statement sums up your account; it is not an invoice.",
	},
}

//go:embed assets/statement.html.tmpl
var statementAssets embed.FS

var statementRenderer = sync.OnceValues(func() (*Renderer, error) {
	tmpl, err := template.ParseFS(statementAssets, "assets/statement.html.tmpl")
	if err != nil {
		return nil, fmt.Errorf("document: parse statement template: %w", err)
	}
	css, err := assets.ReadFile("assets/invoice.css")
	if err != nil {
		return nil, fmt.Errorf("document: read style sheet: %w", err)
	}
	return &Renderer{tmpl: tmpl, css: string(css)}, nil
})

// RenderStatement returns st as a PDF/A-3b document, with the engine,
// fonts, branding and letterhead of the invoices (see Render: the same
// determinism, serialization and logo fallback).
func RenderStatement(ctx context.Context, st Statement) ([]byte, error) {
	r, err := statementRenderer()
	if err != nil {
		return nil, err
	}
	v, err := buildStatementView(&st)
	if err != nil {
		return nil, err
	}
	if v.logoErr != nil {
		warnStatementLogo(ctx, v.logoErr)
	}
	pdf, err := r.typeset(ctx, v, len(st.Lines), st.IssuedAt)
	if err == nil || !v.hasLogo() || ctx.Err() != nil {
		return pdf, err
	}
	warnStatementLogo(ctx, err)
	v.dropLogo()
	return r.typeset(ctx, v, len(st.Lines), st.IssuedAt)
}

func warnStatementLogo(ctx context.Context, err error) {
	slog.WarnContext(ctx, "document: the account's logo cannot be printed; the statement is rendered without it", "error", err)
}

func buildStatementView(st *Statement) (*view, error) {
	lg := resolveLang(st.Locale)
	l := &lg.l
	w := statementWords[lg.code]
	if w == nil {
		w = statementWords["en"]
	}
	cur, err := money.Normalize(st.Currency)
	if err != nil {
		return nil, invalidf("currency %q: %v", st.Currency, err)
	}
	if st.From.IsZero() || !st.From.Before(st.To) {
		return nil, invalidf("a statement needs a period")
	}
	v := &view{Lang: lg.code, L: l, Title: w["title"]}
	switch strings.ToUpper(strings.TrimSpace(st.PageSize)) {
	case "", PageSizeA4:
		v.pageSize = "A4"
	case PageSizeLetter:
		v.pageSize = "letter"
	default:
		return nil, invalidf("page size %q (want A4 or LETTER)", st.PageSize)
	}
	if v.brand, err = parseColor(st.Branding.BrandColor, defaultBrand); err != nil {
		return nil, err
	}
	if v.accent, err = parseColor(st.Branding.AccentColor, defaultAccent); err != nil {
		return nil, err
	}
	v.logoErr = v.setLogo(&st.Branding)
	amount := func(minor int64) string { return money.Format(minor, cur, lg.code) }
	orEmpty := func(minor int64) string {
		if minor == 0 {
			return ""
		}
		return amount(minor)
	}
	// The period's last day: To is excluded.
	last := st.To.Add(-time.Nanosecond)
	from, to := lg.date(st.From), lg.date(last)
	v.Meta = []kv{{w["period"], from + " – " + to}, {w["issued"], lg.date(st.IssuedAt)}}
	v.Parties = []partyBlock{
		{Caption: l.From, P: partyLines(lg, &st.Seller)},
		{Caption: w["customer"], P: partyLines(lg, &st.Buyer)},
	}
	v.placeParties()
	v.Headline = fmt.Sprintf(w["headline"], from, to)
	v.Statement.Head = []string{w["date"], w["what"], w["debit"], w["credit"], w["balance"]}
	v.Statement.Rows = append(v.Statement.Rows, statementRow{Date: from, Text: fmt.Sprintf(w["opening"], from), Balance: amount(st.Opening)})
	for _, line := range st.Lines {
		text := w[line.Kind]
		if text == "" {
			text = line.Kind
		}
		if strings.Contains(text, "%s") {
			text = fmt.Sprintf(text, line.Number)
		}
		if d := strings.TrimSpace(line.Description); d != "" {
			text += " – " + d
		}
		v.Statement.Rows = append(v.Statement.Rows, statementRow{Date: lg.date(line.At), Text: text,
			Debit: orEmpty(line.Debit), Credit: orEmpty(line.Credit), Balance: amount(line.Balance)})
	}
	overdueAt := lg.date(st.OverdueAt)
	v.Totals = totalsView{
		After: []totalRow{{fmt.Sprintf(w["overdue"], overdueAt, ""), amount(st.OverdueTotal)}},
		Due:   totalRow{fmt.Sprintf(w["closing"], to), amount(st.Closing)},
	}
	v.Totals.After[0].K = strings.TrimSuffix(strings.TrimSpace(v.Totals.After[0].K), ":")
	if len(st.Overdue) == 0 {
		v.Notices = append(v.Notices, notice{Main: fmt.Sprintf(w["nothingOverdue"], overdueAt)})
	}
	for _, o := range st.Overdue {
		v.Notices = append(v.Notices, notice{Main: fmt.Sprintf(w["overdueLine"], o.Number, lg.date(o.DueDate), o.DaysPastDue, amount(o.Overdue))})
	}
	if st.Closing < 0 {
		v.Notices = append(v.Notices, notice{Main: fmt.Sprintf(w["credit_balance"], amount(-st.Closing))})
	}
	v.Legal = []string{w["legal"]}
	v.runningHead = w["title"] + " " + from + " – " + to + " (" + l.Continued + ")"
	v.title = w["title"] + " " + from + " – " + to
	v.legalLine = legalLine(lg, &st.Seller)
	v.author = firstNonEmpty(st.Seller.LegalName, st.Seller.Name)
	if v.author != "" {
		v.title += " – " + v.author
	}
	return v, nil
}
