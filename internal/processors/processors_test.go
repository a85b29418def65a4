package processors

import (
	"testing"

	"github.com/remitbilling/remit/internal/usererr"
	"github.com/remitbilling/remit/internal/viewer"
)

func TestCheckInput(t *testing.T) {
	ok := ConnectInput{SecretKey: "sk_live_abc", PublishableKey: "pk_live_abc"}
	tests := []struct {
		name string
		mode viewer.Mode
		in   ConnectInput
		want map[string]usererr.Code // field → code; nil accepts
	}{
		{"live keys in live mode", viewer.Live, ok, nil},
		{"restricted live key", viewer.Live, ConnectInput{SecretKey: "rk_live_abc", PublishableKey: "pk_live_abc"}, nil},
		{"test keys in test mode", viewer.Test, ConnectInput{SecretKey: "sk_test_abc", PublishableKey: "pk_test_abc", WebhookSecret: "whsec_x"}, nil},
		{"live keys in test mode", viewer.Test, ok, map[string]usererr.Code{"secretKey": usererr.ProcessorKeyModeMismatch, "publishableKey": usererr.ProcessorKeyModeMismatch}},
		{"no keys", viewer.Live, ConnectInput{}, map[string]usererr.Code{"secretKey": usererr.Required, "publishableKey": usererr.Required}},
		{"publishable key as secret", viewer.Live, ConnectInput{SecretKey: "pk_live_abc", PublishableKey: "pk_live_abc"}, map[string]usererr.Code{"secretKey": usererr.InvalidProcessorKey}},
		{"webhook secret of another kind", viewer.Live, ConnectInput{SecretKey: "sk_live_abc", PublishableKey: "pk_live_abc", WebhookSecret: "we_123"}, map[string]usererr.Code{"webhookSigningSecret": usererr.Invalid}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := map[string]usererr.Code{}
			for _, e := range usererr.From(checkInput(tc.in, tc.mode)) {
				got[e.Field[len(e.Field)-1]] = e.Code
			}
			if len(got) != len(tc.want) {
				t.Fatalf("errors = %v, want %v", got, tc.want)
			}
			for f, c := range tc.want {
				if got[f] != c {
					t.Errorf("%s: %s, want %s", f, got[f], c)
				}
			}
		})
	}
}

func TestLast4(t *testing.T) {
	for in, want := range map[string]string{"sk_live_51Habcd": "abcd", "abc": "abc", "": ""} {
		if got := last4(in); got != want {
			t.Errorf("last4(%q) = %q, want %q", in, got, want)
		}
	}
}
