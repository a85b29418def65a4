package secrets

import (
	"bytes"
	"errors"
	"testing"
)

func TestSealOpen(t *testing.T) {
	key := Derive([]byte("root"), "processor credentials")
	sealed, err := Seal(key, []byte("sk_live_abc"), "acct_1/live")
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(sealed, []byte("sk_live_abc")) {
		t.Fatal("sealed data holds the plaintext")
	}
	again, _ := Seal(key, []byte("sk_live_abc"), "acct_1/live")
	if bytes.Equal(sealed, again) {
		t.Fatal("two seals of one plaintext are equal: the nonce is not random")
	}
	got, err := Open(key, sealed, "acct_1/live")
	if err != nil || string(got) != "sk_live_abc" {
		t.Fatalf("Open = %q, %v", got, err)
	}
	tampered := bytes.Clone(sealed)
	tampered[len(tampered)-1] ^= 1
	for name, c := range map[string]struct {
		key, sealed []byte
		context     string
	}{
		"other context": {key, sealed, "acct_2/live"},
		"other mode":    {key, sealed, "acct_1/test"},
		"other key":     {Derive([]byte("root"), "other"), sealed, "acct_1/live"},
		"tampered":      {key, tampered, "acct_1/live"},
		"short":         {key, sealed[:5], "acct_1/live"},
	} {
		if _, err := Open(c.key, c.sealed, c.context); !errors.Is(err, ErrUnsealable) {
			t.Errorf("%s: Open err = %v, want ErrUnsealable", name, err)
		}
	}
}
