package stripemocktest

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
)

// Request is one request a Transport passed on (or answered).
type Request struct {
	Method, Path   string
	IdempotencyKey string
	Form           url.Values
}

// Decision is what a test makes Stripe answer instead of stripe-mock's
// fixture. stripe-mock checks that requests are well formed, and then
// answers every PaymentIntent with "requires_payment_method": a test
// plays the decisions Stripe would make (a card needing 3-D Secure, a
// debit processing, a timeout) with a Decision.
type Decision struct {
	// Set overrides top-level fields of stripe-mock's JSON answer
	// ("status": "succeeded", "last_payment_error": …).
	Set map[string]any
	// Status and Body answer without asking stripe-mock (an error of
	// Stripe's: 401, 402 with a card error, 500…).
	Status int
	Body   string
	// LoseAnswer passes the request to stripe-mock, then fails as a
	// timeout would: Stripe acted, the caller never learns how.
	LoseAnswer bool
}

// ErrLostAnswer is the error of a request whose answer a Decision lost.
var ErrLostAnswer = errors.New("stripemocktest: the answer was lost (simulated timeout)")

// Transport sends Stripe API calls to stripe-mock at Base, records them,
// and applies the test's decisions. Use it as the HTTP client's Transport
// of the code under test.
type Transport struct {
	Base string

	mu      sync.Mutex
	reqs    []Request
	pending []rule
}

type rule struct {
	method, path string
	d            Decision
	times        int // 0: every time
}

// NewTransport returns a Transport to stripe-mock at base.
func NewTransport(base string) *Transport { return &Transport{Base: strings.TrimRight(base, "/")} }

// On makes requests of method to a path starting with pathPrefix answer
// as d, the next times times (0: until replaced). The newest rule for a
// request wins.
func (t *Transport) On(method, pathPrefix string, d Decision, times int) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.pending = append(t.pending, rule{method, pathPrefix, d, times})
}

// Reset forgets the rules and the recorded requests.
func (t *Transport) Reset() {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.pending, t.reqs = nil, nil
}

// Requests returns the requests of method to paths starting with
// pathPrefix, in order.
func (t *Transport) Requests(method, pathPrefix string) []Request {
	t.mu.Lock()
	defer t.mu.Unlock()
	var out []Request
	for _, r := range t.reqs {
		if r.Method == method && strings.HasPrefix(r.Path, pathPrefix) {
			out = append(out, r)
		}
	}
	return out
}

func (t *Transport) match(r Request) (Decision, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.reqs = append(t.reqs, r)
	for i := len(t.pending) - 1; i >= 0; i-- {
		ru := &t.pending[i]
		if ru.method != r.Method || !strings.HasPrefix(r.Path, ru.path) {
			continue
		}
		d := ru.d
		if ru.times > 0 {
			ru.times--
			if ru.times == 0 {
				t.pending = append(t.pending[:i], t.pending[i+1:]...)
			}
		}
		return d, true
	}
	return Decision{}, false
}

// RoundTrip implements http.RoundTripper.
func (t *Transport) RoundTrip(req *http.Request) (*http.Response, error) {
	var body []byte
	if req.Body != nil {
		b, err := io.ReadAll(req.Body)
		if err != nil {
			return nil, err
		}
		body = b
	}
	form, _ := url.ParseQuery(string(body))
	if req.Method == http.MethodGet {
		form = req.URL.Query()
	}
	rec := Request{Method: req.Method, Path: req.URL.Path, IdempotencyKey: req.Header.Get("Idempotency-Key"), Form: form}
	d, ok := t.match(rec)
	if ok && d.Status != 0 {
		return &http.Response{
			StatusCode: d.Status, Status: strconv.Itoa(d.Status) + " " + http.StatusText(d.Status),
			Header: http.Header{"Content-Type": {"application/json"}, "Request-Id": {"req_test"}},
			Body:   io.NopCloser(strings.NewReader(d.Body)), Request: req,
		}, nil
	}
	out, err := http.NewRequestWithContext(req.Context(), req.Method, t.Base+req.URL.RequestURI(), bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	out.Header = req.Header.Clone()
	// stripe-mock takes test keys only: a live key reaches it as the test
	// key of the same body (the recorded request keeps what was sent).
	if user, _, ok := req.BasicAuth(); ok && strings.Contains(user, "_live_") {
		out.SetBasicAuth(strings.Replace(user, "_live_", "_test_", 1), "")
	} else if a := req.Header.Get("Authorization"); strings.Contains(a, "_live_") {
		out.Header.Set("Authorization", strings.Replace(a, "_live_", "_test_", 1))
	}
	res, err := http.DefaultTransport.RoundTrip(out)
	if err != nil {
		return nil, err
	}
	if ok && d.LoseAnswer {
		res.Body.Close()
		return nil, ErrLostAnswer
	}
	if !ok || len(d.Set) == 0 {
		return res, nil
	}
	defer res.Body.Close()
	var obj map[string]any
	if err := json.NewDecoder(res.Body).Decode(&obj); err != nil {
		return nil, err
	}
	for k, v := range d.Set {
		obj[k] = v
	}
	b, _ := json.Marshal(obj)
	res.Body = io.NopCloser(bytes.NewReader(b))
	res.ContentLength = int64(len(b))
	res.Header.Del("Content-Length")
	return res, nil
}

// StripeError is the body of an error answer of Stripe's.
func StripeError(typ, code, message string) string {
	b, _ := json.Marshal(map[string]any{"error": map[string]any{"type": typ, "code": code, "message": message}})
	return string(b)
}

// ChallengeThenSucceed makes the next PaymentIntent ask for 3-D Secure,
// as Stripe does for a card that needs it: the first read of it (the
// page rendering the challenge) still awaits the payer, every later one
// finds it succeeded (the payer passed the challenge).
func (t *Transport) ChallengeThenSucceed() {
	awaiting := Decision{Set: map[string]any{"status": "requires_action", "next_action": map[string]any{"type": "use_stripe_sdk"}, "last_payment_error": nil}}
	t.On(http.MethodPost, "/v1/payment_intents", awaiting, 1)
	t.On(http.MethodGet, "/v1/payment_intents/", Decision{Set: map[string]any{"status": "succeeded", "last_payment_error": nil}}, 0)
	t.On(http.MethodGet, "/v1/payment_intents/", awaiting, 1)
}
