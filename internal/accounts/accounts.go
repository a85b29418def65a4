// Package accounts manages the businesses hosted by a Remit server — their
// legal identity and invoicing settings — and the secret API keys that act
// for them.
package accounts

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/remitbilling/remit/ent"
	"github.com/remitbilling/remit/ent/account"
	"github.com/remitbilling/remit/ent/apikey"
	"github.com/remitbilling/remit/internal/banking"
	"github.com/remitbilling/remit/internal/branding"
	"github.com/remitbilling/remit/internal/clock"
	"github.com/remitbilling/remit/internal/money"
	"github.com/remitbilling/remit/internal/rowcache"
	"github.com/remitbilling/remit/internal/usererr"
	"github.com/remitbilling/remit/internal/validate"
	"github.com/remitbilling/remit/internal/values"
	"github.com/remitbilling/remit/internal/viewer"
)

// Errors of authentication. They say no more than needed: a caller cannot
// tell an unknown key from a revoked one.
var (
	ErrNoKey      = errors.New("missing API key")
	ErrInvalidKey = errors.New("invalid API key")
)

// Service manages accounts and API keys.
type Service struct {
	db *ent.Client

	// keys and accounts are read on every request and rarely written:
	// kept in memory while the store's change signal stands still, so a
	// key revoked by any process stops working at once.
	keys     *rowcache.Cache[[sha256.Size]byte, *ent.APIKey]
	accounts *rowcache.Cache[string, *ent.Account]

	// lastUsed throttles last-used writes to one per key per minute: a
	// write on every request would serialize all reads behind the writer.
	mu       sync.Mutex
	lastUsed map[string]time.Time
}

// New returns a Service on db that reads keys and accounts from it every
// time: for the command line and tools.
func New(db *ent.Client) *Service {
	return NewCached(db, rowcache.Never{})
}

// NewCached returns a Service on db that keeps keys and accounts in memory
// while changes (the store's change signal) does not move: for the server.
// A revoked key must stop at once: keys are kept only where the signal
// reaches every process before the revoking one goes on (SQLite); on
// PostgreSQL each request reads its key.
func NewCached(db *ent.Client, changes rowcache.Versioner) *Service {
	keySignal := changes
	if !changes.Immediate() {
		keySignal = rowcache.Never{}
	}
	return &Service{
		db: db, lastUsed: map[string]time.Time{},
		keys:     rowcache.New[[sha256.Size]byte, *ent.APIKey](keySignal),
		accounts: rowcache.New[string, *ent.Account](changes),
	}
}

// system is the explicit decision for operator work (the CLI, first start,
// authentication) that precedes any viewer.
func system(ctx context.Context) context.Context {
	return viewer.Bypass(ctx, "operator work and authentication precede any viewer")
}

// Create adds an account. Only the operator does this.
func (s *Service) Create(ctx context.Context, name string) (*ent.Account, error) {
	name = strings.TrimSpace(name)
	if name == "" {
		return nil, usererr.New(usererr.Required, "an account needs a name", "name")
	}
	if len([]rune(name)) > 256 {
		return nil, usererr.New(usererr.LimitExceeded, "name is at most 256 characters", "name")
	}
	a, err := s.db.Account.Create().SetName(name).SetInvoicePrefix(prefixFrom(name)).Save(system(ctx))
	if err != nil {
		return nil, fmt.Errorf("create account: %w", err)
	}
	return a, nil
}

// prefixFrom derives a readable default invoice prefix from a business name
// ("Acme Corp" → "ACMECORP"), falling back to "INV".
func prefixFrom(name string) string {
	var b strings.Builder
	for _, r := range strings.ToUpper(name) {
		if (r >= 'A' && r <= 'Z') || (r >= '0' && r <= '9') {
			b.WriteRune(r)
		}
		if b.Len() == 8 {
			break
		}
	}
	if b.Len() < 3 {
		return "INV"
	}
	return b.String()
}

// List returns every account (operator only).
func (s *Service) List(ctx context.Context) ([]*ent.Account, error) {
	return s.db.Account.Query().Order(ent.Asc(account.FieldCreatedAt)).All(system(ctx))
}

// Count returns how many accounts exist (operator only).
func (s *Service) Count(ctx context.Context) (int, error) {
	return s.db.Account.Query().Count(system(ctx))
}

// Get returns the viewer's account.
func (s *Service) Get(ctx context.Context) (*ent.Account, error) {
	v, ok := viewer.FromContext(ctx)
	if !ok {
		return nil, errors.New("no viewer")
	}
	return s.accounts.Get(v.AccountID, func() (*ent.Account, error) {
		return s.db.Account.Get(ctx, v.AccountID)
	})
}

// Settings carries account fields to change; nil leaves a field as it is.
type Settings struct {
	Name                *string
	LegalName           *string
	Email               *string
	Phone               *string
	Address             *values.Address
	Country             *string
	SIREN               *string
	SIRET               *string
	VATNumber           *string
	DefaultCurrency     *string
	NumberingScheme     *account.NumberingScheme
	InvoicePrefix       *string
	DefaultDaysUntilDue *int
	DefaultFooter       *string
	DefaultMemo         *string
	// Invoice template.
	DefaultCustomFields  *[]values.CustomField
	PageSize             *account.PageSize
	LatePaymentPenalty   *string
	RecoveryIndemnity    *string
	EarlyPaymentDiscount *string
	AutoSend             *bool
	// Branding.
	BrandColor  *string
	AccentColor *string
	// Bank details printed on invoices ("" removes one), and whether cash
	// balances pay the next invoices.
	BankIBAN             *string
	BankBIC              *string
	BankAccountName      *string
	CashBalanceAutoApply *bool
	// French mentions and e-invoicing.
	LegalForm          *string
	ShareCapital       *string
	Registration       *string
	VATOnDebits        *bool
	OperationCategory  *account.OperationCategory
	EInvoiceStrict     *bool
	PurchaseOrderField *string
}

// Update changes the viewer's account. Numbering changes apply to invoices
// finalized afterwards; issued invoices keep the identity they snapshotted.
func (s *Service) Update(ctx context.Context, in Settings) (*ent.Account, error) {
	var errs usererr.List
	trim := func(p *string) {
		if p != nil {
			*p = strings.TrimSpace(*p)
		}
	}
	for _, p := range []*string{in.Name, in.LegalName, in.Email, in.Phone, in.Country, in.SIREN, in.SIRET, in.VATNumber, in.DefaultCurrency, in.InvoicePrefix} {
		trim(p)
	}
	if in.Name != nil && *in.Name == "" {
		errs = append(errs, usererr.New(usererr.Required, "an account needs a name", "name"))
	}
	if in.Name != nil && len([]rune(*in.Name)) > 256 {
		errs = append(errs, usererr.New(usererr.LimitExceeded, "name is at most 256 characters", "name"))
	}
	for _, f := range []struct {
		p     *string
		field string
		max   int
	}{{in.LegalForm, "legalForm", 60}, {in.ShareCapital, "shareCapital", 60}, {in.Registration, "registration", 120}, {in.PurchaseOrderField, "purchaseOrderField", 40}} {
		trim(f.p)
		if f.p != nil && len([]rune(*f.p)) > f.max {
			errs = append(errs, usererr.Newf(usererr.LimitExceeded, []string{f.field}, "%s is at most %d characters", f.field, f.max))
		}
	}
	if in.LegalName != nil && len([]rune(*in.LegalName)) > 256 {
		errs = append(errs, usererr.New(usererr.LimitExceeded, "legalName is at most 256 characters", "legalName"))
	}
	if in.Email != nil && *in.Email != "" {
		errs.Add(validate.Email(*in.Email), "email")
	}
	if in.Phone != nil && *in.Phone != "" {
		errs.Add(validate.Phone(*in.Phone), "phone")
	}
	if in.Country != nil && *in.Country != "" {
		c, err := validate.Country(*in.Country)
		errs.Add(err, "country")
		in.Country = &c
	}
	if in.Address != nil && in.Address.Country != "" {
		c, err := validate.Country(in.Address.Country)
		errs.Add(err, "address", "country")
		in.Address.Country = c
	}
	if in.SIREN != nil && *in.SIREN != "" {
		errs.Add(validate.SIREN(*in.SIREN), "siren")
	}
	if in.SIRET != nil && *in.SIRET != "" {
		errs.Add(validate.SIRET(*in.SIRET), "siret")
	}
	if in.VATNumber != nil && *in.VATNumber != "" {
		v, err := validate.TaxID("eu_vat", *in.VATNumber)
		errs.Add(err, "vatNumber")
		in.VATNumber = &v
	}
	if in.DefaultCurrency != nil {
		c, err := money.Normalize(*in.DefaultCurrency)
		if err != nil {
			errs = append(errs, usererr.Newf(usererr.UnknownCurrency, []string{"defaultCurrency"}, "%q is not an ISO 4217 currency", *in.DefaultCurrency))
		}
		in.DefaultCurrency = &c
	}
	if in.InvoicePrefix != nil {
		errs.Add(validate.InvoicePrefix(*in.InvoicePrefix), "invoicePrefix")
	}
	if in.DefaultDaysUntilDue != nil && (*in.DefaultDaysUntilDue < 0 || *in.DefaultDaysUntilDue > 3650) {
		errs = append(errs, usererr.New(usererr.Invalid, "defaultDaysUntilDue is between 0 and 3650", "defaultDaysUntilDue"))
	}
	if in.DefaultFooter != nil && len([]rune(*in.DefaultFooter)) > 5000 {
		errs = append(errs, usererr.New(usererr.LimitExceeded, "defaultFooter is at most 5000 characters", "defaultFooter"))
	}
	if in.DefaultMemo != nil && len([]rune(*in.DefaultMemo)) > 1500 {
		errs = append(errs, usererr.New(usererr.LimitExceeded, "defaultMemo is at most 1500 characters", "defaultMemo"))
	}
	if in.DefaultCustomFields != nil {
		fields := make([]validate.CustomField, len(*in.DefaultCustomFields))
		for i, f := range *in.DefaultCustomFields {
			fields[i] = validate.CustomField{Name: f.Name, Value: f.Value}
		}
		errs.Add(validate.CustomFields(fields), "defaultCustomFields")
		for i := range fields {
			(*in.DefaultCustomFields)[i] = values.CustomField{Name: fields[i].Name, Value: fields[i].Value}
		}
	}
	for _, t := range []struct {
		p     *string
		field string
		max   int
	}{{in.LatePaymentPenalty, "latePaymentPenalty", 500}, {in.RecoveryIndemnity, "recoveryIndemnity", 200}, {in.EarlyPaymentDiscount, "earlyPaymentDiscount", 500}} {
		if t.p == nil {
			continue
		}
		*t.p = strings.TrimSpace(*t.p)
		if len([]rune(*t.p)) > t.max {
			errs = append(errs, usererr.Newf(usererr.LimitExceeded, []string{t.field}, "%s is at most %d characters", t.field, t.max))
		}
	}
	for _, c := range []struct {
		p     *string
		field string
	}{{in.BrandColor, "brandColor"}, {in.AccentColor, "accentColor"}} {
		if c.p == nil {
			continue
		}
		norm, err := branding.Color(*c.p)
		if err != nil {
			errs = append(errs, usererr.New(usererr.InvalidColor, err.Error(), c.field))
			continue
		}
		*c.p = norm
	}
	errs = append(errs, bankDetails(&in)...)
	if err := errs.Err(); err != nil {
		return nil, err
	}
	v, ok := viewer.FromContext(ctx)
	if !ok {
		return nil, errors.New("no viewer")
	}
	u := s.db.Account.UpdateOneID(v.AccountID).
		SetNillableBankIban(in.BankIBAN).
		SetNillableBankBic(in.BankBIC).
		SetNillableBankAccountName(in.BankAccountName).
		SetNillableCashBalanceAutoApply(in.CashBalanceAutoApply).
		SetNillableLegalForm(in.LegalForm).SetNillableShareCapital(in.ShareCapital).SetNillableRegistration(in.Registration).
		SetNillableVatOnDebits(in.VATOnDebits).SetNillableOperationCategory(in.OperationCategory).
		SetNillableEinvoiceStrict(in.EInvoiceStrict).SetNillablePurchaseOrderField(in.PurchaseOrderField).
		SetNillablePageSize(in.PageSize).
		SetNillableLatePaymentPenalty(in.LatePaymentPenalty).
		SetNillableRecoveryIndemnity(in.RecoveryIndemnity).
		SetNillableEarlyPaymentDiscount(in.EarlyPaymentDiscount).
		SetNillableAutoSend(in.AutoSend).
		SetNillableBrandColor(in.BrandColor).
		SetNillableAccentColor(in.AccentColor).
		SetNillableName(in.Name).
		SetNillableLegalName(in.LegalName).
		SetNillableEmail(in.Email).
		SetNillablePhone(in.Phone).
		SetNillableCountry(in.Country).
		SetNillableSiren(in.SIREN).
		SetNillableSiret(in.SIRET).
		SetNillableVatNumber(in.VATNumber).
		SetNillableDefaultCurrency(in.DefaultCurrency).
		SetNillableNumberingScheme(in.NumberingScheme).
		SetNillableInvoicePrefix(in.InvoicePrefix).
		SetNillableDefaultDaysUntilDue(in.DefaultDaysUntilDue).
		SetNillableDefaultFooter(in.DefaultFooter).
		SetNillableDefaultMemo(in.DefaultMemo)
	if in.Address != nil {
		u.SetAddress(*in.Address)
	}
	if in.DefaultCustomFields != nil {
		u.SetDefaultCustomFields(*in.DefaultCustomFields)
	}
	a, err := u.Save(ctx)
	if err != nil {
		return nil, fmt.Errorf("update account: %w", err)
	}
	return a, nil
}

// keyEncoding spells secrets in lowercase base32 without padding: no
// punctuation, so a double-click selects the whole key.
var keyEncoding = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// NewKey is a freshly created API key; Secret is shown once and never
// stored.
type NewKey struct {
	Key    *ent.APIKey
	Secret string
}

// CreateKey makes a secret key for an account and mode: 256 random bits,
// of which only a SHA-256 hash is kept. A fast hash is right here: the secret
// has full entropy, so there is nothing to stretch, and it runs on every
// request.
func (s *Service) CreateKey(ctx context.Context, accountID string, mode viewer.Mode, name string) (*NewKey, error) {
	if _, err := s.db.Account.Get(system(ctx), accountID); err != nil {
		if ent.IsNotFound(err) {
			return nil, usererr.New(usererr.NotFound, "no such account", "account")
		}
		return nil, fmt.Errorf("load account: %w", err)
	}
	var raw [32]byte
	if _, err := rand.Read(raw[:]); err != nil {
		return nil, fmt.Errorf("random: %w", err)
	}
	secret := "sk_" + string(mode) + "_" + keyEncoding.EncodeToString(raw[:])
	sum := sha256.Sum256([]byte(secret))
	ctx = viewer.NewContext(ctx, viewer.CLI(accountID, mode))
	k, err := s.db.APIKey.Create().
		SetHash(sum[:]).
		SetRedacted(secret[:8] + "…" + secret[len(secret)-4:]).
		SetName(strings.TrimSpace(name)).
		Save(ctx)
	if err != nil {
		return nil, fmt.Errorf("create key: %w", err)
	}
	return &NewKey{Key: k, Secret: secret}, nil
}

// RevokeKey revokes a key by id (operator only). Revocation is immediate:
// keys are checked against the database on every request.
func (s *Service) RevokeKey(ctx context.Context, id string) (*ent.APIKey, error) {
	ctx = system(ctx)
	k, err := s.db.APIKey.Get(ctx, id)
	if ent.IsNotFound(err) {
		return nil, usererr.New(usererr.NotFound, "no such API key", "id")
	}
	if err != nil {
		return nil, fmt.Errorf("load key: %w", err)
	}
	if k.RevokedAt != nil {
		return k, nil
	}
	return s.db.APIKey.UpdateOne(k).SetRevokedAt(clock.Now(ctx)).Save(ctx)
}

// Authenticate resolves a bearer secret to the viewer it acts for.
func (s *Service) Authenticate(ctx context.Context, secret string) (viewer.Viewer, error) {
	if secret == "" {
		return viewer.Viewer{}, ErrNoKey
	}
	if !strings.HasPrefix(secret, "sk_test_") && !strings.HasPrefix(secret, "sk_live_") {
		return viewer.Viewer{}, ErrInvalidKey
	}
	sum := sha256.Sum256([]byte(secret))
	sctx := system(ctx)
	k, err := s.keys.Get(sum, func() (*ent.APIKey, error) {
		return s.db.APIKey.Query().Where(apikey.Hash(sum[:])).Only(sctx)
	})
	if ent.IsNotFound(err) {
		return viewer.Viewer{}, ErrInvalidKey
	}
	if err != nil {
		return viewer.Viewer{}, fmt.Errorf("look up key: %w", err)
	}
	if k.RevokedAt != nil {
		return viewer.Viewer{}, ErrInvalidKey
	}
	now := clock.Now(ctx)
	if s.shouldTouch(k.ID, now) {
		if err := s.db.APIKey.UpdateOne(k).SetLastUsedAt(now.Truncate(time.Minute)).Exec(sctx); err != nil {
			return viewer.Viewer{}, fmt.Errorf("record key use: %w", err)
		}
	}
	return viewer.Merchant(k.AccountID, k.Mode, k.ID), nil
}

func (s *Service) shouldTouch(id string, now time.Time) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if last, ok := s.lastUsed[id]; ok && now.Sub(last) < time.Minute && !now.Before(last) {
		return false
	}
	s.lastUsed[id] = now
	return true
}

// Keys lists the viewer's keys for its mode.
func (s *Service) Keys(ctx context.Context) ([]*ent.APIKey, error) {
	return s.db.APIKey.Query().Order(ent.Asc(apikey.FieldCreatedAt)).All(ctx)
}

// maxBeneficiary is the longest beneficiary name the EPC QR code carries.
const maxBeneficiary = 70

// bankDetails checks and normalizes the bank details of in: the IBAN and
// BIC to their electronic form, so that every document prints them from
// one spelling.
func bankDetails(in *Settings) usererr.List {
	var errs usererr.List
	if p := in.BankIBAN; p != nil && strings.TrimSpace(*p) != "" {
		iban, err := banking.ParseIBAN(*p)
		if err != nil {
			errs = append(errs, usererr.New(usererr.InvalidBankAccount, err.Error(), "bankIban"))
		}
		*p = iban
	} else if p != nil {
		*p = ""
	}
	if p := in.BankBIC; p != nil && strings.TrimSpace(*p) != "" {
		bic, err := banking.ParseBIC(*p)
		if err != nil {
			errs = append(errs, usererr.New(usererr.InvalidBankAccount, err.Error(), "bankBic"))
		}
		*p = bic
	} else if p != nil {
		*p = ""
	}
	if p := in.BankAccountName; p != nil {
		// One line: it is one element of the QR code's payload.
		*p = strings.Join(strings.Fields(*p), " ")
		if len([]rune(*p)) > maxBeneficiary {
			errs = append(errs, usererr.Newf(usererr.LimitExceeded, []string{"bankAccountName"}, "bankAccountName is at most %d characters", maxBeneficiary))
		}
	}
	return errs
}
