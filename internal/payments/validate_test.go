package payments

import (
	"errors"
	"math/big"
	"strconv"
	"testing"
)

// makeIBAN builds a valid IBAN for any country and BBAN, so tests do not
// depend on remembered real-world examples.
func makeIBAN(country, bban string) string {
	// Letters count as 10–35 (ISO 7064), read as one big number.
	var digits string
	for _, c := range bban + country + "00" {
		if c >= 'A' {
			digits += strconv.Itoa(int(c-'A') + 10)
			continue
		}
		digits += string(c)
	}
	n, _ := new(big.Int).SetString(digits, 10)
	cd := 98 - int(new(big.Int).Mod(n, big.NewInt(97)).Int64())
	return country + strconv.Itoa(cd/10) + strconv.Itoa(cd%10) + bban
}

func TestLuhn(t *testing.T) {
	tests := []struct {
		in   string
		want bool
	}{
		{"4242424242424242", true},
		{"4242 4242 4242 4242", true},
		{"4242-4242-4242-4242", true},
		{"4242424242424241", false},
		{"378282246310005", true},
		{"79927398713", true},
		{"79927398710", false},
		{"", false},
		{"  ", false},
		{"4242x42424242424", false},
	}
	for _, tt := range tests {
		if got := Luhn(tt.in); got != tt.want {
			t.Errorf("Luhn(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

func TestBrand(t *testing.T) {
	tests := []struct{ in, want string }{
		{"4242424242424242", "visa"},
		{"5555 5555 5555 4444", "mastercard"},
		{"5105105105105100", "mastercard"},
		{"2223003122003222", "mastercard"},
		{"2720990000000007", "mastercard"},
		{"2721000000000000", "unknown"},
		{"2220990000000000", "unknown"},
		{"378282246310005", "amex"},
		{"371449635398431", "amex"},
		{"6011111111111117", "discover"},
		{"6500000000000002", "discover"},
		{"6445644564456445", "discover"},
		{"3056930009020004", "diners"},
		{"36227206271667", "diners"},
		{"3566002020360505", "jcb"},
		{"6200000000000005", "unionpay"},
		{"1234567812345678", "unknown"},
		{"abc", "unknown"},
	}
	for _, tt := range tests {
		if got := Brand(tt.in); got != tt.want {
			t.Errorf("Brand(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestValidateIBAN(t *testing.T) {
	valid := []struct{ in, want string }{
		{"DE89370400440532013000", "DE89370400440532013000"},
		{"de89 3704 0044 0532 0130 00", "DE89370400440532013000"},
		{"AT611904300234573201", "AT611904300234573201"},
		{"AT861904300235473202", "AT861904300235473202"},
		{"DE62370400440532013001", "DE62370400440532013001"},
		{"GB82WEST12345698765432", "GB82WEST12345698765432"},
		{"FR1420041010050500013M02606", "FR1420041010050500013M02606"},
		{"NL91ABNA0417164300", "NL91ABNA0417164300"},
		{"BE68539007547034", "BE68539007547034"},
		{"NO9386011117947", "NO9386011117947"},
		{"CH9300762011623852957", "CH9300762011623852957"},
	}
	for _, tt := range valid {
		got, err := ValidateIBAN(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("ValidateIBAN(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
	invalid := []struct{ name, in string }{
		{"check digits", "DE89370400440532013001"},
		{"transposed", "DE89370400440532031000"},
		{"too short for DE", "DE8937040044053201300"},
		{"too long for DE", "DE893704004405320130000"},
		{"unknown country", "ZZ89370400440532013000"},
		{"empty", ""},
		{"punctuation", "DE89.3704.0044.0532.0130.00"},
		{"letter check digits", "DEAB370400440532013000"},
		// 01 ≡ 98 mod 97 so it passes the arithmetic, but is never issued.
		{"impossible check digits", "DE01" + makeIBAN("DE", "370400440532013000")[4:]},
	}
	for _, tt := range invalid {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ValidateIBAN(tt.in)
			if !errors.Is(err, ErrInvalidIBAN) {
				t.Fatalf("ValidateIBAN(%q) err = %v, want ErrInvalidIBAN", tt.in, err)
			}
			var ie *InputError
			if !errors.As(err, &ie) || ie.Field != "iban" {
				t.Fatalf("err = %#v, want *InputError on iban", err)
			}
		})
	}
}

func TestMakeIBANAgreesWithKnownExample(t *testing.T) {
	if got := makeIBAN("DE", "370400440532013000"); got != "DE89370400440532013000" {
		t.Fatalf("makeIBAN = %q", got)
	}
}

func TestValidateRouting(t *testing.T) {
	tests := []struct {
		in   string
		want bool
	}{
		{"110000000", true},
		{"011000015", true}, // Federal Reserve Bank of Boston
		{"021000021", true}, // JPMorgan Chase
		{"1100-0000-0", true},
		{"110000001", false},
		{"11000000", false},
		{"1100000000", false},
		{"000000000", false},
		{"11000000a", false},
		{"400000008", false}, // checksum fine, prefix 40 unassigned
	}
	for _, tt := range tests {
		_, err := ValidateRouting(tt.in)
		if (err == nil) != tt.want {
			t.Errorf("ValidateRouting(%q) err = %v, want valid=%v", tt.in, err, tt.want)
		}
		if err != nil && !errors.Is(err, ErrInvalidRouting) {
			t.Errorf("ValidateRouting(%q) err = %v, want ErrInvalidRouting", tt.in, err)
		}
	}
}
