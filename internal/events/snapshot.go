package events

import (
	"fmt"
	"time"

	"github.com/remitbilling/remit/ent"
	"github.com/remitbilling/remit/internal/viewer"
)

// DataVersion is the version of the snapshot shapes below. A change that
// removes or renames a field, or changes its meaning, takes a new version;
// adding a field does not. Amounts are integer minor units of currency,
// times are RFC 3339 in UTC, absent values are null.
const DataVersion = 1

// Snapshot is an object as an event records it.
type Snapshot struct {
	AccountID  string
	Mode       viewer.Mode
	ObjectType string
	ObjectID   string
	Data       any
}

// InvoiceData is the snapshot of an invoice (object type "invoice").
type InvoiceData struct {
	ID                    string     `json:"id"`
	Number                *string    `json:"number"`
	Status                string     `json:"status"`
	Customer              string     `json:"customer"`
	Currency              string     `json:"currency"`
	CollectionMethod      string     `json:"collection_method"`
	Subtotal              int64      `json:"subtotal"`
	TotalDiscount         int64      `json:"total_discount"`
	TotalTax              int64      `json:"total_tax"`
	Total                 int64      `json:"total"`
	AmountDue             int64      `json:"amount_due"`
	AmountPaid            int64      `json:"amount_paid"`
	AmountRemaining       int64      `json:"amount_remaining"`
	DueDate               *time.Time `json:"due_date"`
	FinalizedAt           *time.Time `json:"finalized_at"`
	PaidAt                *time.Time `json:"paid_at"`
	VoidedAt              *time.Time `json:"voided_at"`
	MarkedUncollectibleAt *time.Time `json:"marked_uncollectible_at"`
	OverdueAt             *time.Time `json:"overdue_at"`
	// NextPaymentAttemptAt is when a failed automatic charge is retried
	// next (null when none is planned); AttemptCount how many automatic
	// attempts were made.
	NextPaymentAttemptAt *time.Time `json:"next_payment_attempt_at"`
	AttemptCount         int        `json:"attempt_count"`
	// DisputedAt is when the payer's bank first disputed a payment of
	// the invoice; null without a dispute.
	DisputedAt *time.Time `json:"disputed_at"`
	Revises    *string    `json:"revises"`
	Metadata   any        `json:"metadata"`
	CreatedAt  time.Time  `json:"created_at"`
	Livemode   bool       `json:"livemode"`
}

// PaymentData is the snapshot of a payment (object type "payment").
type PaymentData struct {
	ID            string     `json:"id"`
	Invoice       string     `json:"invoice"`
	Customer      string     `json:"customer"`
	PaymentMethod *string    `json:"payment_method"`
	MethodType    string     `json:"method_type"`
	Source        string     `json:"source"`
	Amount        int64      `json:"amount"`
	Currency      string     `json:"currency"`
	Status        string     `json:"status"`
	FailureCode   string     `json:"failure_code"`
	SucceededAt   *time.Time `json:"succeeded_at"`
	FailedAt      *time.Time `json:"failed_at"`
	CreatedAt     time.Time  `json:"created_at"`
	Livemode      bool       `json:"livemode"`
	// AmountRefunded is what succeeded refunds gave back.
	AmountRefunded int64 `json:"amount_refunded"`
	// OutOfBandMethod and Reference describe money recorded outside
	// Remit (method_type OUT_OF_BAND); empty otherwise.
	OutOfBandMethod string `json:"out_of_band_method"`
	Reference       string `json:"reference"`
	// DisputedAt, DisputeReason and DisputeStatus describe a chargeback
	// the payer's bank opened; null and empty otherwise.
	DisputedAt    *time.Time `json:"disputed_at"`
	DisputeReason string     `json:"dispute_reason"`
	DisputeStatus string     `json:"dispute_status"`
}

// RefundData is the snapshot of a refund (object type "refund").
type RefundData struct {
	ID                 string     `json:"id"`
	Payment            string     `json:"payment"`
	Invoice            string     `json:"invoice"`
	Customer           string     `json:"customer"`
	CreditNote         *string    `json:"credit_note"`
	Amount             int64      `json:"amount"`
	Currency           string     `json:"currency"`
	Reason             *string    `json:"reason"`
	Status             string     `json:"status"`
	FailureCode        string     `json:"failure_code"`
	ProcessorReference string     `json:"processor_reference"`
	SucceededAt        *time.Time `json:"succeeded_at"`
	FailedAt           *time.Time `json:"failed_at"`
	CreatedAt          time.Time  `json:"created_at"`
	Livemode           bool       `json:"livemode"`
}

// CustomerData is the snapshot of a customer (object type "customer").
type CustomerData struct {
	ID                   string     `json:"id"`
	Name                 string     `json:"name"`
	Email                string     `json:"email"`
	Phone                string     `json:"phone"`
	Currency             string     `json:"currency"`
	Balance              int64      `json:"balance"`
	CashBalance          int64      `json:"cash_balance"`
	PreferredLocales     []string   `json:"preferred_locales"`
	InvoicePrefix        string     `json:"invoice_prefix"`
	DefaultPaymentMethod *string    `json:"default_payment_method"`
	Metadata             any        `json:"metadata"`
	DeletedAt            *time.Time `json:"deleted_at"`
	CreatedAt            time.Time  `json:"created_at"`
	Livemode             bool       `json:"livemode"`
}

// PaymentMethodData is the snapshot of a saved payment method (object type
// "payment_method"). Never the token or the full account number.
type PaymentMethodData struct {
	ID         string     `json:"id"`
	Customer   string     `json:"customer"`
	Type       string     `json:"type"`
	Brand      string     `json:"brand"`
	Last4      string     `json:"last4"`
	ExpMonth   int        `json:"exp_month"`
	ExpYear    int        `json:"exp_year"`
	Country    string     `json:"country"`
	DetachedAt *time.Time `json:"detached_at"`
	CreatedAt  time.Time  `json:"created_at"`
	Livemode   bool       `json:"livemode"`
	// ExpiryNotifiedAt is when the customer was told the card expires.
	ExpiryNotifiedAt *time.Time `json:"expiry_notified_at"`
}

// EmailData is the snapshot of an outbox email (object type "email"). The
// body and attachments are left out: they can be large, and the email
// itself can be read by id.
type EmailData struct {
	ID        string     `json:"id"`
	Kind      string     `json:"kind"`
	Invoice   *string    `json:"invoice"`
	To        []string   `json:"to"`
	Subject   string     `json:"subject"`
	Status    string     `json:"status"`
	Attempts  int        `json:"attempts"`
	LastError string     `json:"last_error"`
	SentAt    *time.Time `json:"sent_at"`
	CreatedAt time.Time  `json:"created_at"`
	Livemode  bool       `json:"livemode"`
}

// CreditNoteData is the snapshot of a credit note (object type
// "credit_note"), without its lines.
type CreditNoteData struct {
	ID                string     `json:"id"`
	Number            string     `json:"number"`
	Invoice           string     `json:"invoice"`
	Customer          string     `json:"customer"`
	Status            string     `json:"status"`
	Type              string     `json:"type"`
	Reason            *string    `json:"reason"`
	Currency          string     `json:"currency"`
	Subtotal          int64      `json:"subtotal"`
	TotalDiscount     int64      `json:"total_discount"`
	TotalExcludingTax int64      `json:"total_excluding_tax"`
	TotalTax          int64      `json:"total_tax"`
	Total             int64      `json:"total"`
	PrePaymentAmount  int64      `json:"pre_payment_amount"`
	PostPaymentAmount int64      `json:"post_payment_amount"`
	RefundAmount      int64      `json:"refund_amount"`
	CreditAmount      int64      `json:"credit_amount"`
	OutOfBandAmount   int64      `json:"out_of_band_amount"`
	Memo              string     `json:"memo"`
	Metadata          any        `json:"metadata"`
	VoidedAt          *time.Time `json:"voided_at"`
	CreatedAt         time.Time  `json:"created_at"`
	Livemode          bool       `json:"livemode"`
}

// BankTransferData is the snapshot of a bank transfer (object type
// "bank_transfer").
type BankTransferData struct {
	ID                  string     `json:"id"`
	Amount              int64      `json:"amount"`
	Currency            string     `json:"currency"`
	BookedAt            time.Time  `json:"booked_at"`
	CounterpartyName    string     `json:"counterparty_name"`
	CounterpartyIBAN    string     `json:"counterparty_iban"`
	Remittance          string     `json:"remittance"`
	EntryReference      string     `json:"entry_reference"`
	Source              string     `json:"source"`
	Status              string     `json:"status"`
	MatchedBy           *string    `json:"matched_by"`
	Customer            *string    `json:"customer"`
	AmountApplied       int64      `json:"amount_applied"`
	AmountToCashBalance int64      `json:"amount_to_cash_balance"`
	UnmatchedReason     string     `json:"unmatched_reason"`
	Note                string     `json:"note"`
	SettledAt           *time.Time `json:"settled_at"`
	CreatedAt           time.Time  `json:"created_at"`
	Livemode            bool       `json:"livemode"`
}

// CashBalanceTransactionData is the snapshot of a movement of a
// customer's cash balance (object type "cash_balance_transaction").
type CashBalanceTransactionData struct {
	ID            string    `json:"id"`
	Customer      string    `json:"customer"`
	Type          string    `json:"type"`
	Amount        int64     `json:"amount"`
	Currency      string    `json:"currency"`
	EndingBalance int64     `json:"ending_balance"`
	BankTransfer  *string   `json:"bank_transfer"`
	Invoice       *string   `json:"invoice"`
	Payment       *string   `json:"payment"`
	Reference     string    `json:"reference"`
	CreatedAt     time.Time `json:"created_at"`
	Livemode      bool      `json:"livemode"`
}

// SnapshotOf returns the snapshot of obj.
func SnapshotOf(obj any) (Snapshot, error) {
	switch o := obj.(type) {
	case *ent.Invoice:
		return Snapshot{o.AccountID, o.Mode, "invoice", o.ID, InvoiceData{
			ID: o.ID, Number: o.Number, Status: string(o.Status), Customer: o.CustomerID,
			Currency: o.Currency, CollectionMethod: string(o.CollectionMethod),
			Subtotal: o.Subtotal, TotalDiscount: o.TotalDiscount, TotalTax: o.TotalTax, Total: o.Total,
			AmountDue: o.AmountDue, AmountPaid: o.AmountPaid, AmountRemaining: o.AmountDue - o.AmountPaid,
			DueDate: utc(o.DueDate), FinalizedAt: utc(o.FinalizedAt), PaidAt: utc(o.PaidAt), VoidedAt: utc(o.VoidedAt),
			MarkedUncollectibleAt: utc(o.MarkedUncollectibleAt), OverdueAt: utc(o.OverdueAt),
			NextPaymentAttemptAt: utc(o.NextPaymentAttemptAt), AttemptCount: o.AttemptCount, DisputedAt: utc(o.DisputedAt),
			Revises: o.FromInvoiceID, Metadata: orEmpty(o.Metadata), CreatedAt: o.CreatedAt.UTC(), Livemode: o.Mode == viewer.Live,
		}}, nil
	case *ent.Payment:
		return Snapshot{o.AccountID, o.Mode, "payment", o.ID, PaymentData{
			ID: o.ID, Invoice: o.InvoiceID, Customer: o.CustomerID, PaymentMethod: o.PaymentMethodID,
			MethodType: string(o.MethodType), Source: string(o.Source), Amount: o.Amount, Currency: o.Currency,
			Status: string(o.Status), FailureCode: o.FailureCode,
			SucceededAt: utc(o.SucceededAt), FailedAt: utc(o.FailedAt), CreatedAt: o.CreatedAt.UTC(), Livemode: o.Mode == viewer.Live,
			AmountRefunded: o.AmountRefunded, OutOfBandMethod: o.OutOfBandMethod, Reference: o.Reference,
			DisputedAt: utc(o.DisputedAt), DisputeReason: o.DisputeReason, DisputeStatus: o.DisputeStatus,
		}}, nil
	case *ent.Refund:
		reason := enumString(o.Reason)
		return Snapshot{o.AccountID, o.Mode, "refund", o.ID, RefundData{
			ID: o.ID, Payment: o.PaymentID, Invoice: o.InvoiceID, Customer: o.CustomerID, CreditNote: o.CreditNoteID,
			Amount: o.Amount, Currency: o.Currency, Reason: reason, Status: string(o.Status), FailureCode: o.FailureCode,
			ProcessorReference: o.ProcessorReference, SucceededAt: utc(o.SucceededAt), FailedAt: utc(o.FailedAt),
			CreatedAt: o.CreatedAt.UTC(), Livemode: o.Mode == viewer.Live,
		}}, nil
	case *ent.Customer:
		return Snapshot{o.AccountID, o.Mode, "customer", o.ID, CustomerData{
			ID: o.ID, Name: o.Name, Email: o.Email, Phone: o.Phone, Currency: o.Currency, Balance: o.Balance, CashBalance: o.CashBalance,
			PreferredLocales: orEmptyList(o.PreferredLocales), InvoicePrefix: o.InvoicePrefix,
			DefaultPaymentMethod: o.DefaultPaymentMethodID, Metadata: orEmpty(o.Metadata),
			DeletedAt: utc(o.DeletedAt), CreatedAt: o.CreatedAt.UTC(), Livemode: o.Mode == viewer.Live,
		}}, nil
	case *ent.PaymentMethod:
		return Snapshot{o.AccountID, o.Mode, "payment_method", o.ID, PaymentMethodData{
			ID: o.ID, Customer: o.CustomerID, Type: string(o.Type), Brand: o.Brand, Last4: o.Last4,
			ExpMonth: o.ExpMonth, ExpYear: o.ExpYear, Country: o.Country,
			DetachedAt: utc(o.DetachedAt), CreatedAt: o.CreatedAt.UTC(), Livemode: o.Mode == viewer.Live,
			ExpiryNotifiedAt: utc(o.ExpiryNotifiedAt),
		}}, nil
	case *ent.EmailMessage:
		return Snapshot{o.AccountID, o.Mode, "email", o.ID, EmailData{
			ID: o.ID, Kind: o.Kind, Invoice: o.InvoiceID, To: orEmptyList(o.To), Subject: o.Subject,
			Status: string(o.Status), Attempts: o.Attempts, LastError: o.LastError,
			SentAt: utc(o.SentAt), CreatedAt: o.CreatedAt.UTC(), Livemode: o.Mode == viewer.Live,
		}}, nil
	case *ent.CreditNote:
		reason := enumString(o.Reason)
		return Snapshot{o.AccountID, o.Mode, "credit_note", o.ID, CreditNoteData{
			ID: o.ID, Number: o.Number, Invoice: o.InvoiceID, Customer: o.CustomerID,
			Status: string(o.Status), Type: string(o.Type), Reason: reason, Currency: o.Currency,
			Subtotal: o.Subtotal, TotalDiscount: o.TotalDiscount, TotalExcludingTax: o.TotalExcludingTax,
			TotalTax: o.TotalTax, Total: o.Total,
			PrePaymentAmount: o.PrePaymentAmount, PostPaymentAmount: o.PostPaymentAmount,
			RefundAmount: o.RefundAmount, CreditAmount: o.CreditAmount, OutOfBandAmount: o.OutOfBandAmount,
			Memo: o.Memo, Metadata: orEmpty(o.Metadata), VoidedAt: utc(o.VoidedAt),
			CreatedAt: o.CreatedAt.UTC(), Livemode: o.Mode == viewer.Live,
		}}, nil
	case *ent.BankTransfer:
		return Snapshot{o.AccountID, o.Mode, "bank_transfer", o.ID, BankTransferData{
			ID: o.ID, Amount: o.Amount, Currency: o.Currency, BookedAt: o.BookedAt.UTC(),
			CounterpartyName: o.CounterpartyName, CounterpartyIBAN: o.CounterpartyIban, Remittance: o.Remittance,
			EntryReference: o.EntryReference, Source: string(o.Source), Status: string(o.Status), MatchedBy: enumString(o.MatchedBy),
			Customer: o.CustomerID, AmountApplied: o.AmountApplied, AmountToCashBalance: o.AmountToCashBalance,
			UnmatchedReason: o.UnmatchedReason, Note: o.Note, SettledAt: utc(o.SettledAt),
			CreatedAt: o.CreatedAt.UTC(), Livemode: o.Mode == viewer.Live,
		}}, nil
	case *ent.CashBalanceTransaction:
		return Snapshot{o.AccountID, o.Mode, "cash_balance_transaction", o.ID, CashBalanceTransactionData{
			ID: o.ID, Customer: o.CustomerID, Type: string(o.Type), Amount: o.Amount, Currency: o.Currency,
			EndingBalance: o.EndingBalance, BankTransfer: o.BankTransferID, Invoice: o.InvoiceID, Payment: o.PaymentID,
			Reference: o.Reference, CreatedAt: o.CreatedAt.UTC(), Livemode: o.Mode == viewer.Live,
		}}, nil
	}
	return Snapshot{}, fmt.Errorf("events: no snapshot for %T", obj)
}

func utc(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}

func orEmpty(m map[string]string) map[string]string {
	if m == nil {
		return map[string]string{}
	}
	return m
}

func orEmptyList(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// enumString is an optional enum value as its string, nil when unset.
func enumString[E ~string](e *E) *string {
	if e == nil {
		return nil
	}
	s := string(*e)
	return &s
}
