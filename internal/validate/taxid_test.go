package validate

import (
	"slices"
	"strings"
	"testing"
)

// Checksummed vectors below were computed independently (Python) from the
// published algorithms and cross-checked with python-stdnum's doctests;
// SIREN 732829320 / SIRET 73282932000074 / FR44732829320 are the classic
// stdnum examples, 443061841 and 542051180 are real SIRENs whose VAT
// numbers FR64443061841 and FR59542051180 are published on their invoices.
// Countries validated by format only use VIES-shaped values.

func TestTaxIDValid(t *testing.T) {
	tests := []struct {
		typ, in, want string
	}{
		// fr_siren
		{TaxIDFRSIREN, "732829320", "732829320"},
		{TaxIDFRSIREN, " 732 829 320 ", "732829320"},
		{TaxIDFRSIREN, "732.829.320", "732829320"},
		{TaxIDFRSIREN, "732\u00a0829\u202f320", "732829320"}, // NBSP and narrow NBSP from French formatting
		{TaxIDFRSIREN, "443061841", "443061841"},
		{TaxIDFRSIREN, "542051180", "542051180"},
		{TaxIDFRSIREN, "356000000", "356000000"}, // La Poste: Luhn-valid SIREN

		// fr_siret
		{TaxIDFRSIRET, "73282932000074", "73282932000074"},
		{TaxIDFRSIRET, "732 829 320 00074", "73282932000074"},
		{TaxIDFRSIRET, "44306184100047", "44306184100047"},
		{TaxIDFRSIRET, "35600000000048", "35600000000048"}, // La Poste head office: Luhn
		{TaxIDFRSIRET, "35600000049837", "35600000049837"}, // La Poste establishment: digit sum 45

		// eu_vat, FR with key checks
		{TaxIDEUVAT, "FR44732829320", "FR44732829320"},
		{TaxIDEUVAT, "fr 44 732 829 320", "FR44732829320"},
		{TaxIDEUVAT, "FR-44-732.829.320", "FR44732829320"},
		{TaxIDEUVAT, "FR64443061841", "FR64443061841"},
		{TaxIDEUVAT, "FR59542051180", "FR59542051180"},
		{TaxIDEUVAT, "FR39356000000", "FR39356000000"},
		{TaxIDEUVAT, "FR34000123456", "FR34000123456"}, // Monaco: "000" pseudo-SIREN, key still checked
		{TaxIDEUVAT, "FRK7399859412", "FRK7399859412"}, // alphanumeric key: format + SIREN Luhn only
		{TaxIDEUVAT, "FR4Z123456782", "FR4Z123456782"},
		// eu_vat, other member states (format only)
		{TaxIDEUVAT, "ATU13585627", "ATU13585627"},
		{TaxIDEUVAT, "BE0123456749", "BE0123456749"},
		{TaxIDEUVAT, "BE 0123.456.749", "BE0123456749"},
		{TaxIDEUVAT, "BE1234567894", "BE1234567894"},
		{TaxIDEUVAT, "BG123456789", "BG123456789"},
		{TaxIDEUVAT, "BG1234567890", "BG1234567890"},
		{TaxIDEUVAT, "CY10259033P", "CY10259033P"},
		{TaxIDEUVAT, "CZ12345678", "CZ12345678"},
		{TaxIDEUVAT, "CZ1234567890", "CZ1234567890"},
		{TaxIDEUVAT, "DE136695976", "DE136695976"},
		{TaxIDEUVAT, "DK13585628", "DK13585628"},
		{TaxIDEUVAT, "EE100931558", "EE100931558"},
		{TaxIDEUVAT, "EL094259216", "EL094259216"},
		{TaxIDEUVAT, "ESA28015865", "ESA28015865"},
		{TaxIDEUVAT, "ES12345678Z", "ES12345678Z"},
		{TaxIDEUVAT, "ESX1234567L", "ESX1234567L"},
		{TaxIDEUVAT, "FI20774740", "FI20774740"},
		{TaxIDEUVAT, "HR33392005961", "HR33392005961"},
		{TaxIDEUVAT, "HU12892312", "HU12892312"},
		{TaxIDEUVAT, "IE6433435F", "IE6433435F"},
		{TaxIDEUVAT, "IE6433435OA", "IE6433435OA"},
		{TaxIDEUVAT, "IE8D79739I", "IE8D79739I"},
		{TaxIDEUVAT, "IT00743110157", "IT00743110157"},
		{TaxIDEUVAT, "LT119511515", "LT119511515"},
		{TaxIDEUVAT, "LT100001919017", "LT100001919017"},
		{TaxIDEUVAT, "LU15027442", "LU15027442"},
		{TaxIDEUVAT, "LV40003521600", "LV40003521600"},
		{TaxIDEUVAT, "MT11679112", "MT11679112"},
		{TaxIDEUVAT, "NL004495445B01", "NL004495445B01"},
		{TaxIDEUVAT, "nl 0044.95.445.b01", "NL004495445B01"},
		{TaxIDEUVAT, "PL5260250274", "PL5260250274"},
		{TaxIDEUVAT, "PT501442600", "PT501442600"},
		{TaxIDEUVAT, "RO18547290", "RO18547290"},
		{TaxIDEUVAT, "RO12", "RO12"},
		{TaxIDEUVAT, "SE556188840401", "SE556188840401"},
		{TaxIDEUVAT, "SI50223054", "SI50223054"},
		{TaxIDEUVAT, "SK2020317068", "SK2020317068"},
		{TaxIDEUVAT, "XI980780684", "XI980780684"},
		{TaxIDEUVAT, "XI123456789012", "XI123456789012"},
		{TaxIDEUVAT, "XIGD001", "XIGD001"},
		{TaxIDEUVAT, "XIHA599", "XIHA599"},

		// gb_vat
		{TaxIDGBVAT, "GB980780684", "GB980780684"},
		{TaxIDGBVAT, "gb 980 7806 84", "GB980780684"},
		{TaxIDGBVAT, "GB123456789012", "GB123456789012"},
		{TaxIDGBVAT, "GBGD001", "GBGD001"},
		{TaxIDGBVAT, "GBHA599", "GBHA599"},

		// ch_vat (UID mod-11 check digit)
		{TaxIDCHVAT, "CHE-107.787.577 IVA", "CHE107787577IVA"},
		{TaxIDCHVAT, "CHE-100.155.212 MWST", "CHE100155212MWST"},
		{TaxIDCHVAT, "che 116 281 710 tva", "CHE116281710TVA"},
		{TaxIDCHVAT, "CHE107787577TPV", "CHE107787577TPV"},

		// us_ein
		{TaxIDUSEIN, "12-3456789", "12-3456789"},
		{TaxIDUSEIN, "123456789", "12-3456789"},
		{TaxIDUSEIN, " 12-3456789 ", "12-3456789"},

		// generic: trimmed and upper-cased, inner punctuation kept
		{TaxIDAUABN, "51 824 753 556", "51 824 753 556"},
		{TaxIDBRCNPJ, "11.222.333/0001-81", "11.222.333/0001-81"},
		{TaxIDCABN, " 123456789rt0001 ", "123456789RT0001"},
		{TaxIDINGST, "27AAPFU0939F1ZV", "27AAPFU0939F1ZV"},
		{TaxIDJPTRN, "T1234567890123", "T1234567890123"},
		{TaxIDNOVAT, "no123456789mva", "NO123456789MVA"},
		{TaxIDNOVAT, strings.Repeat("9", 64), strings.Repeat("9", 64)},
	}
	for _, tt := range tests {
		t.Run(tt.typ+"/"+tt.in, func(t *testing.T) {
			got, err := TaxID(tt.typ, tt.in)
			wantCode(t, err, "")
			if got != tt.want {
				t.Fatalf("TaxID(%s, %q) = %q, want %q", tt.typ, tt.in, got, tt.want)
			}
		})
	}
}

func TestTaxIDInvalid(t *testing.T) {
	tests := []struct {
		typ, in string
		code    string
		msg     string // substring the message must contain, if set
	}{
		{"", "x", CodeUnsupportedTaxIDType, "eu_vat"},
		{"de_vat", "DE136695976", CodeUnsupportedTaxIDType, ""},
		{"EU_VAT", "FR44732829320", CodeUnsupportedTaxIDType, ""},

		{TaxIDFRSIREN, "732829321", CodeInvalidTaxID, "check digit"},
		{TaxIDFRSIREN, "73282932", CodeInvalidTaxID, "9 digits"},
		{TaxIDFRSIREN, "7328293200", CodeInvalidTaxID, "9 digits"},
		{TaxIDFRSIREN, "73282932O", CodeInvalidTaxID, "9 digits"},
		{TaxIDFRSIREN, "000000000", CodeInvalidTaxID, "placeholder"},
		{TaxIDFRSIREN, "", CodeInvalidTaxID, ""},

		{TaxIDFRSIRET, "73282932000079", CodeInvalidTaxID, "check digit"},
		{TaxIDFRSIRET, "73282932100007", CodeInvalidTaxID, "SIREN"}, // Luhn-valid, but SIREN part is not
		{TaxIDFRSIRET, "35600000049838", CodeInvalidTaxID, "check digit"},
		{TaxIDFRSIRET, "7328293200007", CodeInvalidTaxID, "14 digits"},
		{TaxIDFRSIRET, "732829320000740", CodeInvalidTaxID, "14 digits"},

		{TaxIDEUVAT, "FR45732829320", CodeInvalidTaxID, "FR VAT numbers are FR + 2-character key + 9-digit SIREN"},
		{TaxIDEUVAT, "FR47732829321", CodeInvalidTaxID, "check digit"}, // key fits, SIREN fails Luhn
		{TaxIDEUVAT, "FR35000123456", CodeInvalidTaxID, "does not match"},
		{TaxIDEUVAT, "FRK7399859413", CodeInvalidTaxID, "check digit"},
		{TaxIDEUVAT, "FRIO732829320", CodeInvalidTaxID, "FR VAT numbers are"},
		{TaxIDEUVAT, "FR4473282932", CodeInvalidTaxID, "FR VAT numbers are"},
		{TaxIDEUVAT, "732829320", CodeInvalidTaxID, "country code"},
		{TaxIDEUVAT, "", CodeInvalidTaxID, "country code"},
		{TaxIDEUVAT, "F", CodeInvalidTaxID, "country code"},
		{TaxIDEUVAT, "GR094259216", CodeInvalidTaxID, "EL prefix"},
		{TaxIDEUVAT, "GB980780684", CodeInvalidTaxID, "gb_vat"},
		{TaxIDEUVAT, "CHE107787577", CodeInvalidTaxID, "country code"},
		{TaxIDEUVAT, "ATU1234567", CodeInvalidTaxID, "ATU + 8 digits"},
		{TaxIDEUVAT, "AT12345678", CodeInvalidTaxID, "ATU + 8 digits"},
		{TaxIDEUVAT, "BE2123456789", CodeInvalidTaxID, "BE + 10 digits"},
		{TaxIDEUVAT, "BE123456789", CodeInvalidTaxID, "BE + 10 digits"},
		{TaxIDEUVAT, "CY102590331", CodeInvalidTaxID, "CY"},
		{TaxIDEUVAT, "DE13669597", CodeInvalidTaxID, "DE + 9 digits"},
		{TaxIDEUVAT, "DE1366959760", CodeInvalidTaxID, "DE + 9 digits"},
		{TaxIDEUVAT, "ES123456789", CodeInvalidTaxID, "not both digits"},
		{TaxIDEUVAT, "ESA2801586", CodeInvalidTaxID, "ES"},
		{TaxIDEUVAT, "IE6433435Z", CodeInvalidTaxID, "IE"},
		{TaxIDEUVAT, "LT1234567890", CodeInvalidTaxID, "LT"},
		{TaxIDEUVAT, "NL004495445B1", CodeInvalidTaxID, "NL + 9 digits + B + 2 digits"},
		{TaxIDEUVAT, "NL004495445X01", CodeInvalidTaxID, "NL"},
		{TaxIDEUVAT, "RO0123", CodeInvalidTaxID, "RO"},
		{TaxIDEUVAT, "RO1", CodeInvalidTaxID, "RO"},
		{TaxIDEUVAT, "SE556188840402", CodeInvalidTaxID, "ending in 01"},
		{TaxIDEUVAT, "XIGD12", CodeInvalidTaxID, "XI"},

		{TaxIDGBVAT, "980780684", CodeInvalidTaxID, "GB + 9 or 12 digits"},
		{TaxIDGBVAT, "GB98078068", CodeInvalidTaxID, "GB + 9 or 12 digits"},
		{TaxIDGBVAT, "GB9807806841", CodeInvalidTaxID, ""},
		{TaxIDGBVAT, "GBGD12", CodeInvalidTaxID, ""},
		{TaxIDGBVAT, "GBXX123", CodeInvalidTaxID, ""},
		{TaxIDGBVAT, "XI980780684", CodeInvalidTaxID, ""},

		{TaxIDCHVAT, "CHE-100.155.213 MWST", CodeInvalidTaxID, "check digit"},
		{TaxIDCHVAT, "CHE-100.000.16x MWST", CodeInvalidTaxID, "CHE-123.456.789"},
		{TaxIDCHVAT, "CHE-107.787.577", CodeInvalidTaxID, "MWST, TVA or IVA"},
		{TaxIDCHVAT, "CHE-107.787.577 VAT", CodeInvalidTaxID, ""},
		{TaxIDCHVAT, "CH107787577MWST", CodeInvalidTaxID, ""},
		{TaxIDCHVAT, "CHE-107.787.57 IVA", CodeInvalidTaxID, ""},

		{TaxIDUSEIN, "1-23456789", CodeInvalidTaxID, "NN-NNNNNNN"},
		{TaxIDUSEIN, "12-345678", CodeInvalidTaxID, "NN-NNNNNNN"},
		{TaxIDUSEIN, "12--3456789", CodeInvalidTaxID, ""},
		{TaxIDUSEIN, "AB-CDEFGHI", CodeInvalidTaxID, ""},
		{TaxIDUSEIN, "", CodeInvalidTaxID, ""},

		{TaxIDAUABN, "", CodeInvalidTaxID, "1 to 64 printable"},
		{TaxIDAUABN, "   ", CodeInvalidTaxID, ""},
		{TaxIDNOVAT, strings.Repeat("9", 65), CodeInvalidTaxID, ""},
		{TaxIDJPTRN, "T123\x01", CodeInvalidTaxID, ""},
		{TaxIDINGST, "27AAP\xff", CodeInvalidTaxID, ""},
	}
	for _, tt := range tests {
		t.Run(tt.typ+"/"+tt.in, func(t *testing.T) {
			got, err := TaxID(tt.typ, tt.in)
			wantCode(t, err, tt.code)
			if got != "" {
				t.Fatalf("TaxID returned %q alongside an error", got)
			}
			if tt.msg != "" && !strings.Contains(err.Error(), tt.msg) {
				t.Fatalf("message %q does not mention %q", err.Error(), tt.msg)
			}
		})
	}
}

// TestCHVATCheckDigitTen covers UIDs whose weighted sum yields 10: no last
// digit can satisfy it, so all ten candidates must fail.
func TestCHVATCheckDigitTen(t *testing.T) {
	for d := '0'; d <= '9'; d++ {
		in := "CHE10000016" + string(d) + "MWST"
		if _, err := TaxID(TaxIDCHVAT, in); err == nil {
			t.Errorf("TaxID(ch_vat, %s) accepted a UID whose check digit would be 10", in)
		}
	}
}

func TestTaxIDTypes(t *testing.T) {
	want := []string{"au_abn", "br_cnpj", "ca_bn", "ch_vat", "eu_vat", "fr_siren", "fr_siret", "gb_vat", "in_gst", "jp_trn", "no_vat", "us_ein"}
	got := TaxIDTypes()
	if !slices.Equal(got, want) {
		t.Fatalf("TaxIDTypes() = %v, want %v", got, want)
	}
	got[0] = "mutated"
	if TaxIDTypes()[0] != "au_abn" {
		t.Fatal("TaxIDTypes exposes internal state")
	}
}

// TestEUVATCoversMemberStates keeps the table in sync with the EU: every
// member state (Greece as EL) plus XI must have a format.
func TestEUVATCoversMemberStates(t *testing.T) {
	want := []string{"AT", "BE", "BG", "CY", "CZ", "DE", "DK", "EE", "EL", "ES", "FI", "FR", "HR", "HU", "IE", "IT", "LT", "LU", "LV", "MT", "NL", "PL", "PT", "RO", "SE", "SI", "SK", "XI"}
	var got []string
	for c := range euVATFormats {
		got = append(got, c)
	}
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Fatalf("euVATFormats covers %v, want %v", got, want)
	}
}

func TestSIREN(t *testing.T) {
	tests := []struct{ in, want string }{
		{"732829320", ""},
		{"443061841", ""},
		{"356000000", ""},
		{"732829321", CodeInvalidSIREN},
		{"732 829 320", CodeInvalidSIREN}, // merchant identity must be canonical
		{"73282932", CodeInvalidSIREN},
		{"000000000", CodeInvalidSIREN},
		{"", CodeInvalidSIREN},
		{"７３２８２９３２０", CodeInvalidSIREN}, // full-width digits
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			wantCode(t, SIREN(tt.in), tt.want)
		})
	}
}

func TestSIRET(t *testing.T) {
	tests := []struct{ in, want string }{
		{"73282932000074", ""},
		{"44306184100047", ""},
		{"55210055400013", ""},
		{"35600000000048", ""},
		{"35600000049837", ""},
		{"73282932000079", CodeInvalidSIRET},
		{"73282932100007", CodeInvalidSIRET},
		{"35600000049838", CodeInvalidSIRET},
		{"732 829 320 00074", CodeInvalidSIRET},
		{"7328293200007", CodeInvalidSIRET},
		{"", CodeInvalidSIRET},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			wantCode(t, SIRET(tt.in), tt.want)
		})
	}
}

// TestChecksumHelpers pins the primitives against independently computed
// values, including the La Poste establishment that is not Luhn-valid.
func TestChecksumHelpers(t *testing.T) {
	luhnTests := []struct {
		in   string
		want bool
	}{
		{"732829320", true},
		{"732829321", false},
		{"73282932000074", true},
		{"35600000000048", true},
		{"35600000049837", false},
		{"79927398713", true}, // the textbook Luhn example
		{"79927398710", false},
	}
	for _, tt := range luhnTests {
		if got := Luhn(tt.in); got != tt.want {
			t.Errorf("luhn(%s) = %v, want %v", tt.in, got, tt.want)
		}
	}
	if got := digitSum("35600000049837"); got != 45 {
		t.Errorf("digitSum = %d, want 45", got)
	}
}
