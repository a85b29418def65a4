package payments

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/remitbilling/remit/internal/clock"

	"github.com/remitbilling/remit/internal/validate"
)

// Default settlement delays for simulated bank debits. Real SEPA debits
// confirm in about two business days at the earliest and ACH debits in
// about four, so dunning and "processing" UI states get exercised with a
// test clock; they are fields on Simulator so tests can shorten them.
const (
	DefaultSEPADelay = 48 * time.Hour
	DefaultACHDelay  = 96 * time.Hour

	// Refunds of bank debits are pending until they settle, as long as
	// the debits themselves took; a refund of the asynchronous-failure
	// test card reads succeeded until RefundFailDelay has passed, then
	// failed.
	DefaultSEPARefundDelay = DefaultSEPADelay
	DefaultACHRefundDelay  = DefaultACHDelay
	DefaultRefundFailDelay = 5 * time.Minute

	// DefaultMaxRemembered bounds the in-memory idempotency and 3-D Secure
	// records. Older entries are forgotten first; a forgotten key charges
	// again, exactly like an expired Stripe idempotency key.
	DefaultMaxRemembered = 100_000
)

const (
	tokenPrefix  = "sim_pm_"
	refPrefix    = "sim_ch_"
	refundPrefix = "sim_re_"
)

type outcome struct {
	status      Status
	failureCode string
	declineCode string
	message     string
}

var (
	succeeded = outcome{status: StatusSucceeded}

	msgDeclined = MessageDeclined
	msgBankNSF  = "The bank account has insufficient funds."
)

func declined(decline, msg string) outcome {
	return outcome{StatusFailed, CodeCardDeclined, decline, msg}
}

// scenario is the behaviour a test number triggers. Its code travels in
// tokens and charge references, which is what lets a restarted simulator,
// with empty memory, still charge old tokens and settle old charges.
type scenario struct {
	typ MethodType
	// result is the immediate outcome for cards, the outcome after
	// successful authentication for 3-D Secure cards, and the outcome at
	// settlement for debits.
	result outcome
	// action means the charge needs 3-D Secure before result applies.
	action bool
	// refundFails makes a refund of the charge succeed at first and fail
	// later (Stripe's 4000000000005126).
	refundFails bool
}

// Scenario codes must not contain '_' because tokens and references are
// split on it.
var scenarios = map[string]scenario{
	"ok":      {typ: Card, result: succeeded},
	"decline": {typ: Card, result: declined(CodeGenericDecline, msgDeclined)},
	"nsf":     {typ: Card, result: declined(CodeInsufficientFunds, "Your card has insufficient funds.")},
	"lost":    {typ: Card, result: declined(CodeLostCard, msgDeclined)},
	"stolen":  {typ: Card, result: declined(CodeStolenCard, msgDeclined)},
	"expired": {typ: Card, result: outcome{StatusFailed, CodeExpiredCard, "", "Your card has expired."}},
	"cvc":     {typ: Card, result: outcome{StatusFailed, CodeIncorrectCVC, "", "Your card's security code is incorrect."}},
	"procerr": {typ: Card, result: outcome{StatusFailed, CodeProcessingError, "", "An error occurred while processing your card. Try again in a little bit."}},
	"chgfail": {typ: Card, result: declined(CodeGenericDecline, msgDeclined)},
	"3ds":     {typ: Card, result: succeeded, action: true},
	"3dsnsf":  {typ: Card, result: declined(CodeInsufficientFunds, "Your card has insufficient funds."), action: true},

	"refundfail": {typ: Card, result: succeeded, refundFails: true},

	"sepaok":  {typ: SEPADebit, result: succeeded},
	"sepansf": {typ: SEPADebit, result: outcome{StatusFailed, CodeInsufficientFunds, "", msgBankNSF}},
	"sepadna": {typ: SEPADebit, result: outcome{StatusFailed, CodeDebitNotAuthorized, "", "The customer told their bank this debit was not authorized."}},

	"achok":     {typ: ACHDebit, result: succeeded},
	"achnsf":    {typ: ACHDebit, result: outcome{StatusFailed, CodeInsufficientFunds, "", msgBankNSF}},
	"achdna":    {typ: ACHDebit, result: outcome{StatusFailed, CodeDebitNotAuthorized, "", "The customer told their bank this debit was not authorized."}},
	"achclosed": {typ: ACHDebit, result: outcome{StatusFailed, CodeAccountClosed, "", "The bank account has been closed."}},
}

// Stripe's test card numbers. Any other valid number succeeds.
var testCards = map[string]string{
	"4000000000000002": "decline",
	"4000000000009995": "nsf",
	"4000000000009987": "lost",
	"4000000000009979": "stolen",
	"4000000000000069": "expired",
	"4000000000000127": "cvc",
	"4000000000000119": "procerr",
	"4000000000000341": "chgfail",
	// Stripe lets 3155 skip authentication once set up for off-session
	// use; the simulator has no setup step, so both always ask.
	"4000002500003155": "3ds",
	"4000002760003184": "3ds",
	"4000008260003178": "3dsnsf",
	// Charges succeed; a refund reads succeeded, then fails some time
	// later (Stripe: "its status begins as succeeded … transitions to
	// failed", with a charge.refund.updated event).
	"4000000000005126": "refundfail",
}

// Stripe's test IBANs. Any other valid SEPA IBAN succeeds after the delay.
var testIBANs = map[string]string{
	"DE89370400440532013000": "sepaok",
	"AT611904300234573201":   "sepaok",
	"AT861904300235473202":   "sepansf",
	"DE62370400440532013001": "sepadna",
}

// achTestRouting is Stripe's test routing number; the account numbers
// below only trigger scenarios with it, so a real-looking account at a real
// bank always succeeds.
const achTestRouting = "110000000"

var testAccounts = map[string]string{
	"000123456789": "achok",
	"000111111116": "achnsf",
	"000222222227": "achnsf",
	"000333333335": "achdna",
	"000111111113": "achclosed",
}

// Simulator is the test-mode Processor. It is safe for concurrent use and
// never sleeps: delayed debits resolve when the clock says so, not when
// wall time passes.
//
// Set the exported fields before first use; they are read without locking.
type Simulator struct {
	SEPADelay time.Duration
	ACHDelay  time.Duration
	// Refund delays (see DefaultSEPARefundDelay).
	SEPARefundDelay time.Duration
	ACHRefundDelay  time.Duration
	RefundFailDelay time.Duration
	MaxRemembered   int

	clock Clock
	key   []byte

	mu        sync.Mutex
	idem      bounded[idemEntry]
	confirmed bounded[ChargeResult]
	refunds   bounded[refundEntry]
}

type idemEntry struct {
	request string
	result  ChargeResult
}

// NewSimulator returns a Simulator with default delays. c is the fallback
// clock: when a call's context carries a clock (internal/clock.WithContext,
// e.g. a sandbox test clock), that one wins, so advancing a test clock
// settles debits and expires cards. fingerprintKey keys the HMAC behind
// Method.Fingerprint; keep it stable across restarts or fingerprints
// change. It panics on a nil clock or empty key, which are wiring bugs.
func NewSimulator(c Clock, fingerprintKey []byte) *Simulator {
	if c == nil {
		panic("payments: NewSimulator needs a clock")
	}
	if len(fingerprintKey) == 0 {
		panic("payments: NewSimulator needs a fingerprint key")
	}
	return &Simulator{
		SEPADelay:       DefaultSEPADelay,
		ACHDelay:        DefaultACHDelay,
		SEPARefundDelay: DefaultSEPARefundDelay,
		ACHRefundDelay:  DefaultACHRefundDelay,
		RefundFailDelay: DefaultRefundFailDelay,
		MaxRemembered:   DefaultMaxRemembered,
		clock:           c,
		key:             append([]byte(nil), fingerprintKey...),
	}
}

func (s *Simulator) now(ctx context.Context) time.Time {
	c := clock.FromContext(ctx)
	if _, isReal := c.(clock.Real); isReal {
		c = s.clock
	}
	return c.Now().UTC()
}

// Tokenize validates input and returns a Method whose token encodes the
// test scenario, never the number.
func (s *Simulator) Tokenize(ctx context.Context, input any) (Method, error) {
	if err := ctx.Err(); err != nil {
		return Method{}, err
	}
	switch in := input.(type) {
	case CardInput:
		return s.tokenizeCard(ctx, in)
	case *CardInput:
		if in != nil {
			return s.tokenizeCard(ctx, *in)
		}
	case SEPAInput:
		return s.tokenizeSEPA(in)
	case *SEPAInput:
		if in != nil {
			return s.tokenizeSEPA(*in)
		}
	case ACHInput:
		return s.tokenizeACH(in)
	case *ACHInput:
		if in != nil {
			return s.tokenizeACH(*in)
		}
	}
	return Method{}, fmt.Errorf("%w: cannot tokenize %T", ErrUnsupported, input)
}

func (s *Simulator) tokenizeCard(ctx context.Context, in CardInput) (Method, error) {
	d, ok := digitsOnly(in.Number)
	if !ok || len(d) < 12 || len(d) > 19 {
		return Method{}, inputErr("number", ErrInvalidNumber, "must be 12 to 19 digits")
	}
	if !validate.Luhn(d) {
		return Method{}, inputErr("number", ErrInvalidNumber, "fails the Luhn check")
	}
	br := brand(d)

	if in.ExpMonth < 1 || in.ExpMonth > 12 {
		return Method{}, inputErr("exp_month", ErrInvalidExpiry, "month must be 1 to 12")
	}
	year := in.ExpYear
	if year >= 0 && year < 100 {
		year += 2000
	}
	now := s.now(ctx)
	if year < 2000 || year > now.Year()+50 {
		return Method{}, inputErr("exp_year", ErrInvalidExpiry, "year is out of range")
	}
	// A card is valid through the last day of its expiry month.
	if year < now.Year() || year == now.Year() && in.ExpMonth < int(now.Month()) {
		return Method{}, inputErr("exp_year", ErrExpiredCard, "")
	}

	cvc := strings.TrimSpace(in.CVC)
	want := 3
	if br == "amex" {
		want = 4
	}
	okLen := len(cvc) == want || br == "unknown" && (len(cvc) == 3 || len(cvc) == 4)
	if !okLen || strings.Trim(cvc, "0123456789") != "" {
		return Method{}, inputErr("cvc", ErrInvalidCVC, fmt.Sprintf("must be %d digits", want))
	}

	code, ok := testCards[d]
	if !ok {
		code = "ok"
	}
	return Method{
		Type:        Card,
		Token:       newToken(code),
		Brand:       br,
		Last4:       d[len(d)-4:],
		ExpMonth:    in.ExpMonth,
		ExpYear:     year,
		Fingerprint: s.fingerprint("card", d),
	}, nil
}

func (s *Simulator) tokenizeSEPA(in SEPAInput) (Method, error) {
	iban, err := ValidateIBAN(in.IBAN)
	if err != nil {
		return Method{}, err
	}
	country := iban[:2]
	if !sepaCountries[country] {
		return Method{}, inputErr("iban", ErrUnsupported, country+" is not in the SEPA Direct Debit scheme")
	}
	if strings.TrimSpace(in.AccountHolder) == "" {
		return Method{}, inputErr("account_holder", ErrMissingHolder, "")
	}
	code, ok := testIBANs[iban]
	if !ok {
		code = "sepaok"
	}
	var bankCode string
	if span, ok := bankCodeSpan[country]; ok {
		bankCode = iban[4+span[0] : 4+span[1]]
	}
	return Method{
		Type:             SEPADebit,
		Token:            newToken(code),
		Last4:            iban[len(iban)-4:],
		Fingerprint:      s.fingerprint("sepa", iban),
		BankCode:         bankCode,
		Country:          country,
		MandateReference: newMandateReference(),
	}, nil
}

func (s *Simulator) tokenizeACH(in ACHInput) (Method, error) {
	routing, err := ValidateRouting(in.RoutingNumber)
	if err != nil {
		return Method{}, err
	}
	acct, ok := digitsOnly(in.AccountNumber)
	if !ok || len(acct) < 4 || len(acct) > 17 {
		return Method{}, inputErr("account_number", ErrInvalidAccount, "must be 4 to 17 digits")
	}
	typ := strings.ToLower(strings.TrimSpace(in.AccountType))
	if typ == "" {
		typ = "checking"
	}
	if typ != "checking" && typ != "savings" {
		return Method{}, inputErr("account_type", ErrInvalidAccount, "must be checking or savings")
	}
	if strings.TrimSpace(in.AccountHolder) == "" {
		return Method{}, inputErr("account_holder", ErrMissingHolder, "")
	}
	code := "achok"
	if routing == achTestRouting {
		if c, ok := testAccounts[acct]; ok {
			code = c
		}
	}
	return Method{
		Type:             ACHDebit,
		Token:            newToken(code),
		Last4:            acct[len(acct)-4:],
		Fingerprint:      s.fingerprint("ach", routing+":"+acct),
		BankCode:         routing,
		Country:          "US",
		MandateReference: newMandateReference(),
		AccountType:      typ,
	}, nil
}

// ChargesInProcess marks the Simulator as an InProcess processor: it
// answers from memory and moves no money, so billing charges it inside the
// transaction that records the payment.
func (s *Simulator) ChargesInProcess() {}

// Charge simulates a payment. Cards resolve at once (or ask for 3-D
// Secure); debits return PROCESSING with SettlesAt = now + delay.
func (s *Simulator) Charge(ctx context.Context, req ChargeRequest) (ChargeResult, error) {
	if err := ctx.Err(); err != nil {
		return ChargeResult{}, err
	}
	if req.Amount <= 0 {
		return ChargeResult{}, fmt.Errorf("%w: amount must be positive", ErrInvalidRequest)
	}
	cur, ok := normCurrency(req.Currency)
	if !ok {
		return ChargeResult{}, fmt.Errorf("%w: currency must be a three-letter ISO 4217 code", ErrInvalidRequest)
	}
	if req.Method.Type == BankTransfer {
		return ChargeResult{}, fmt.Errorf("%w: bank transfers are sent by the customer and reconciled, not charged", ErrUnsupported)
	}
	code, sc, err := parseToken(req.Method.Token)
	if err != nil {
		return ChargeResult{}, err
	}
	if req.Method.Type != sc.typ {
		return ChargeResult{}, fmt.Errorf("%w: token is for %s, method says %q", ErrInvalidToken, sc.typ, req.Method.Type)
	}
	switch {
	case sc.typ == SEPADebit && cur != "EUR":
		return ChargeResult{}, fmt.Errorf("%w: SEPA Direct Debit only charges EUR, not %s", ErrUnsupported, cur)
	case sc.typ == ACHDebit && cur != "USD":
		return ChargeResult{}, fmt.Errorf("%w: ACH Direct Debit only charges USD, not %s", ErrUnsupported, cur)
	}
	now := s.now(ctx)

	if req.IdempotencyKey == "" {
		return s.newCharge(code, sc, now), nil
	}
	fp := fmt.Sprintf("%s|%d|%s|%t", req.Method.Token, req.Amount, cur, req.OffSession)
	s.mu.Lock()
	defer s.mu.Unlock()
	if e, ok := s.idem.get(req.IdempotencyKey); ok {
		if e.request != fp {
			return ChargeResult{}, ErrIdempotencyConflict
		}
		return e.result, nil
	}
	res := s.newCharge(code, sc, now)
	s.idem.put(req.IdempotencyKey, idemEntry{request: fp, result: res}, s.MaxRemembered)
	return res, nil
}

func (s *Simulator) newCharge(code string, sc scenario, now time.Time) ChargeResult {
	switch {
	case sc.action:
		return ChargeResult{Status: StatusRequiresAction, Reference: newReference(code, 0)}
	case sc.typ.Delayed():
		delay := s.SEPADelay
		if sc.typ == ACHDebit {
			delay = s.ACHDelay
		}
		// Whole seconds, because that is what the reference can carry and
		// Settle must agree with what Charge reported.
		at := now.Add(delay).Unix()
		return ChargeResult{
			Status:    StatusProcessing,
			Reference: newReference(code, at),
			SettlesAt: time.Unix(at, 0).UTC(),
		}
	}
	return sc.result.apply(newReference(code, 0), time.Time{})
}

func (o outcome) apply(ref string, settlesAt time.Time) ChargeResult {
	return ChargeResult{
		Status:         o.status,
		Reference:      ref,
		FailureCode:    o.failureCode,
		DeclineCode:    o.declineCode,
		FailureMessage: o.message,
		SettlesAt:      settlesAt,
	}
}

// Confirm records the customer's 3-D Secure outcome. The first answer for
// a reference sticks while it is remembered, as a real PaymentIntent cannot
// be authenticated twice.
func (s *Simulator) Confirm(ctx context.Context, reference string, succeed bool) (ChargeResult, error) {
	if err := ctx.Err(); err != nil {
		return ChargeResult{}, err
	}
	_, sc, _, err := parseReference(reference)
	if err != nil {
		return ChargeResult{}, err
	}
	if !sc.action {
		return ChargeResult{}, fmt.Errorf("%w: charge does not require authentication", ErrInvalidReference)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if res, ok := s.confirmed.get(reference); ok {
		return res, nil
	}
	res := sc.result.apply(reference, time.Time{})
	if !succeed {
		res = outcome{StatusFailed, CodeAuthenticationFailed, "",
			"We are unable to authenticate your payment method. Please choose a different payment method and try again."}.apply(reference, time.Time{})
	}
	s.confirmed.put(reference, res, s.MaxRemembered)
	return res, nil
}

// Settle resolves a debit by the clock alone, so it needs no memory and
// keeps working after a restart.
func (s *Simulator) Settle(ctx context.Context, reference string) (ChargeResult, error) {
	if err := ctx.Err(); err != nil {
		return ChargeResult{}, err
	}
	_, sc, at, err := parseReference(reference)
	if err != nil {
		return ChargeResult{}, err
	}
	if !sc.typ.Delayed() {
		return ChargeResult{}, fmt.Errorf("%w: only bank debits settle later", ErrInvalidReference)
	}
	settlesAt := time.Unix(at, 0).UTC()
	if s.now(ctx).Before(settlesAt) {
		return ChargeResult{Status: StatusProcessing, Reference: reference, SettlesAt: settlesAt}, nil
	}
	return sc.result.apply(reference, settlesAt), nil
}

func (s *Simulator) fingerprint(kind, value string) string {
	m := hmac.New(sha256.New, s.key)
	m.Write([]byte(kind))
	m.Write([]byte{0})
	m.Write([]byte(value))
	return hex.EncodeToString(m.Sum(nil))[:16]
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // never fails since Go 1.24
	return hex.EncodeToString(b)
}

func newToken(code string) string { return tokenPrefix + code + "_" + randomHex(8) }

func newReference(code string, settleUnix int64) string {
	return refPrefix + code + "_" + strconv.FormatInt(settleUnix, 10) + "_" + randomHex(8)
}

func newMandateReference() string { return "SIM-" + strings.ToUpper(randomHex(6)) }

func parseToken(token string) (string, scenario, error) {
	rest, ok := strings.CutPrefix(token, tokenPrefix)
	if ok {
		if code, id, ok := strings.Cut(rest, "_"); ok && id != "" {
			if sc, ok := scenarios[code]; ok {
				return code, sc, nil
			}
		}
	}
	return "", scenario{}, fmt.Errorf("%w: %q", ErrInvalidToken, token)
}

func parseReference(ref string) (string, scenario, int64, error) {
	bad := fmt.Errorf("%w: %q", ErrInvalidReference, ref)
	rest, ok := strings.CutPrefix(ref, refPrefix)
	if !ok {
		return "", scenario{}, 0, bad
	}
	parts := strings.Split(rest, "_")
	if len(parts) != 3 || parts[2] == "" {
		return "", scenario{}, 0, bad
	}
	sc, ok := scenarios[parts[0]]
	if !ok {
		return "", scenario{}, 0, bad
	}
	at, err := strconv.ParseInt(parts[1], 10, 64)
	if err != nil || at < 0 {
		return "", scenario{}, 0, bad
	}
	return parts[0], sc, at, nil
}

func normCurrency(c string) (string, bool) {
	if len(c) != 3 {
		return "", false
	}
	u := strings.ToUpper(c)
	for i := range 3 {
		if u[i] < 'A' || u[i] > 'Z' {
			return "", false
		}
	}
	return u, true
}

// bounded is a map that forgets its oldest keys beyond a limit, so a
// long-running test-mode server cannot grow without bound. Callers hold
// Simulator.mu.
type bounded[V any] struct {
	m    map[string]V
	ring []string
	next int
}

func (b *bounded[V]) get(k string) (V, bool) {
	v, ok := b.m[k]
	return v, ok
}

func (b *bounded[V]) put(k string, v V, limit int) {
	if limit <= 0 {
		limit = DefaultMaxRemembered
	}
	if b.m == nil {
		b.m = make(map[string]V)
	}
	if _, ok := b.m[k]; ok {
		b.m[k] = v
		return
	}
	if len(b.ring) < limit {
		b.ring = append(b.ring, k)
	} else {
		b.next %= len(b.ring)
		delete(b.m, b.ring[b.next])
		b.ring[b.next] = k
		b.next++
	}
	b.m[k] = v
}

type refundEntry struct {
	request string
	result  RefundResult
}

// Refund simulates giving back part of a succeeded charge: at once for
// cards, PENDING until the delay has passed for bank debits, and, for the
// asynchronous-failure card, SUCCEEDED now and FAILED after
// RefundFailDelay (SettleRefund tells). Like Settle it needs no memory:
// the outcome and its time travel in the reference. It does not track
// how much of a charge was refunded: billing does, under a lock.
func (s *Simulator) Refund(ctx context.Context, req RefundRequest) (RefundResult, error) {
	if err := ctx.Err(); err != nil {
		return RefundResult{}, err
	}
	if req.Amount <= 0 {
		return RefundResult{}, fmt.Errorf("%w: amount must be positive", ErrInvalidRequest)
	}
	cur, ok := normCurrency(req.Currency)
	if !ok {
		return RefundResult{}, fmt.Errorf("%w: currency must be a three-letter ISO 4217 code", ErrInvalidRequest)
	}
	code, sc, at, err := parseReference(req.Charge)
	if err != nil {
		return RefundResult{}, err
	}
	now := s.now(ctx)
	if sc.result.status != StatusSucceeded || sc.action && !s.wasConfirmed(req.Charge) || sc.typ.Delayed() && now.Before(time.Unix(at, 0)) {
		return RefundResult{}, fmt.Errorf("%w: only a succeeded charge can be refunded", ErrInvalidReference)
	}
	fp := fmt.Sprintf("%s|%d|%s|%s", req.Charge, req.Amount, cur, req.Reason)
	s.mu.Lock()
	defer s.mu.Unlock()
	if req.IdempotencyKey != "" {
		if e, ok := s.refunds.get(req.IdempotencyKey); ok {
			if e.request != fp {
				return RefundResult{}, ErrIdempotencyConflict
			}
			return e.result, nil
		}
	}
	var res RefundResult
	switch {
	case sc.typ.Delayed():
		delay := s.SEPARefundDelay
		if sc.typ == ACHDebit {
			delay = s.ACHRefundDelay
		}
		at := now.Add(delay).Unix()
		res = RefundResult{Status: RefundPending, Reference: newRefundReference(code, at), SettlesAt: time.Unix(at, 0).UTC()}
	case sc.refundFails:
		at := now.Add(s.RefundFailDelay).Unix()
		res = RefundResult{Status: RefundSucceeded, Reference: newRefundReference(code, at), SettlesAt: time.Unix(at, 0).UTC()}
	default:
		res = RefundResult{Status: RefundSucceeded, Reference: newRefundReference(code, 0)}
	}
	if req.IdempotencyKey != "" {
		s.refunds.put(req.IdempotencyKey, refundEntry{request: fp, result: res}, s.MaxRemembered)
	}
	return res, nil
}

// wasConfirmed reports whether a 3-D Secure charge is remembered as
// authenticated. A forgotten one is taken as confirmed: billing refunds
// only payments it recorded as succeeded.
func (s *Simulator) wasConfirmed(ref string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	res, ok := s.confirmed.get(ref)
	return !ok || res.Status == StatusSucceeded
}

// SettleRefund resolves a refund by the clock alone.
func (s *Simulator) SettleRefund(ctx context.Context, reference string) (RefundResult, error) {
	if err := ctx.Err(); err != nil {
		return RefundResult{}, err
	}
	sc, at, err := parseRefundReference(reference)
	if err != nil {
		return RefundResult{}, err
	}
	if at == 0 {
		return RefundResult{Status: RefundSucceeded, Reference: reference}, nil
	}
	settlesAt := time.Unix(at, 0).UTC()
	pending := s.now(ctx).Before(settlesAt)
	switch {
	case sc.refundFails && pending:
		return RefundResult{Status: RefundSucceeded, Reference: reference, SettlesAt: settlesAt}, nil
	case sc.refundFails:
		return RefundResult{Status: RefundFailed, Reference: reference, FailureCode: CodeRefundDeclined,
			FailureMessage: "The customer's bank could not accept the refund."}, nil
	case pending:
		return RefundResult{Status: RefundPending, Reference: reference, SettlesAt: settlesAt}, nil
	}
	return RefundResult{Status: RefundSucceeded, Reference: reference}, nil
}

// CodeRefundDeclined is the failure_reason of a refund the simulator
// fails.
const CodeRefundDeclined = "declined"

func newRefundReference(code string, settleUnix int64) string {
	return refundPrefix + code + "_" + strconv.FormatInt(settleUnix, 10) + "_" + randomHex(8)
}

func parseRefundReference(ref string) (scenario, int64, error) {
	rest, ok := strings.CutPrefix(ref, refundPrefix)
	if !ok {
		return scenario{}, 0, fmt.Errorf("%w: %q", ErrInvalidReference, ref)
	}
	_, sc, at, err := parseReference(refPrefix + rest)
	if err != nil {
		return scenario{}, 0, fmt.Errorf("%w: %q", ErrInvalidReference, ref)
	}
	return sc, at, nil
}
