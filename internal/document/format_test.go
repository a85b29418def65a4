package document

import (
	"testing"
	"time"

	"github.com/remitbilling/remit/internal/money"
)

func TestResolveLang(t *testing.T) {
	tests := map[string]string{
		"fr": "fr", "fr-FR": "fr", "fr_CA": "fr", "FR": "fr", "fr-u-nu-latn": "fr",
		"de": "de", "de-DE": "de", "de-AT": "de", "de-CH": "de", "de_at": "de",
		"en": "en", "en-GB": "en", "es": "en", "": "en", "not a tag!": "en", "frx": "en",
	}
	for tag, want := range tests {
		if got := resolveLang(tag).code; got != want {
			t.Errorf("resolveLang(%q) = %s, want %s", tag, got, want)
		}
	}
}

func TestLocaleFormats(t *testing.T) {
	const nnbsp = "\u202f"
	day := time.Date(2026, 11, 21, 23, 30, 0, 0, time.FixedZone("CET", 3600))
	tests := []struct {
		lang                 *lang
		number, want         string
		percent, wantPercent string
		wantDate             string
	}{
		{langFR, "1234.5", "1" + nnbsp + "234,5", "5.5", "5,5" + nnbsp + "%", "21/11/2026"},
		{langFR, "-1000000", "-1" + nnbsp + "000" + nnbsp + "000", "20", "20" + nnbsp + "%", "21/11/2026"},
		{langFR, "0.0125", "0,0125", "0", "0" + nnbsp + "%", "21/11/2026"},
		{langEN, "1234.50", "1,234.5", "5.5", "5.5%", "Nov 21, 2026"},
		{langEN, "999", "999", "20.00", "20%", "Nov 21, 2026"},
		{langEN, "1000", "1,000", "100", "100%", "Nov 21, 2026"},
		{langDE, "1234.56", "1.234,56", "19", "19\u00a0%", "21.11.2026"},
		{langDE, "-1000000", "-1.000.000", "5.5", "5,5\u00a0%", "21.11.2026"},
	}
	for _, tt := range tests {
		d, err := money.ParseDecimal(tt.number)
		if err != nil {
			t.Fatal(err)
		}
		if got := tt.lang.number(d); got != tt.want {
			t.Errorf("%s number(%s) = %q, want %q", tt.lang.code, tt.number, got, tt.want)
		}
		p, _ := money.ParseDecimal(tt.percent)
		if got := tt.lang.percent(p); got != tt.wantPercent {
			t.Errorf("%s percent(%s) = %q, want %q", tt.lang.code, tt.percent, got, tt.wantPercent)
		}
		// Dates print in the time's own zone: the account's calendar day.
		if got := tt.lang.date(day); got != tt.wantDate {
			t.Errorf("%s date = %q, want %q", tt.lang.code, got, tt.wantDate)
		}
	}
	if got := langFR.date(time.Time{}); got != "" {
		t.Errorf("zero date = %q", got)
	}
}

func TestCountry(t *testing.T) {
	tests := []struct {
		lang     *lang
		in, want string
	}{
		{langFR, "FR", "France"}, {langEN, "FR", "France"},
		{langFR, "us", "États-Unis"}, {langEN, "US", "United States"},
		{langFR, "DE", "Allemagne"}, {langEN, "DE", "Germany"},
		{langDE, "DE", "Deutschland"}, {langDE, "FR", "Frankreich"}, {langDE, "AT", "Österreich"},
		{langEN, "Narnia", "Narnia"}, {langEN, "ZZ", "ZZ"}, {langEN, "", ""},
	}
	for _, tt := range tests {
		if got := tt.lang.country(tt.in); got != tt.want {
			t.Errorf("%s country(%q) = %q, want %q", tt.lang.code, tt.in, got, tt.want)
		}
	}
}

func TestUnitAmount(t *testing.T) {
	tests := []struct {
		in, cur string
		lang    *lang
		want    string
	}{
		{"5000", "USD", langEN, "$5,000.00"},
		{"5000", "USD", langFR, "5\u202f000,00\u00a0$US"},
		{"0.0125", "USD", langEN, "$0.0125"},
		{"0.0125", "EUR", langFR, "0,0125\u00a0€"},
		{"12.5", "JPY", langEN, "¥12.5"},
		{"1234.56", "EUR", langDE, "1.234,56\u00a0€"},
		{"0.0125", "EUR", langDE, "0,0125\u00a0€"},
		{"1.2345678901234", "EUR", langEN, "€1.2345678901234"},
	}
	for _, tt := range tests {
		got, err := unitAmount(tt.in, tt.cur, tt.lang)
		if err != nil || got != tt.want {
			t.Errorf("unitAmount(%s %s, %s) = %q, %v; want %q", tt.in, tt.cur, tt.lang.code, got, err, tt.want)
		}
	}
	if _, err := unitAmount("1,5", "EUR", langFR); err == nil {
		t.Error("unitAmount accepted 1,5")
	}
}

func TestEstimatePages(t *testing.T) {
	for lines, want := range map[int]int{0: 1, 8: 1, 9: 2, 47: 2, 48: 3, 250: 8} {
		if got := estimatePages(lines); got != want {
			t.Errorf("estimatePages(%d) = %d, want %d", lines, got, want)
		}
	}
}

func TestCSSString(t *testing.T) {
	if got, want := cssString("Le \"Bon\" \\ Coin\nSAS"), `"Le \"Bon\" \\ Coin SAS"`; got != want {
		t.Errorf("cssString = %s, want %s", got, want)
	}
}

func TestParseColor(t *testing.T) {
	def := rgb{1, 2, 3}
	tests := []struct {
		in   string
		want rgb
		ok   bool
	}{
		{"", def, true}, {"#abc", rgb{0xaa, 0xbb, 0xcc}, true}, {" #A1B2C3 ", rgb{0xa1, 0xb2, 0xc3}, true},
		{"abc", rgb{}, false}, {"#12345", rgb{}, false}, {"#ggg", rgb{}, false}, {"red", rgb{}, false},
	}
	for _, tt := range tests {
		got, err := parseColor(tt.in, def)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("parseColor(%q) = %v, %v; want %v, ok=%v", tt.in, got, err, tt.want, tt.ok)
		}
	}
	if (rgb{0xf4, 0xc5, 0x42}).onColor() != "#1f1f1f" || defaultBrand.onColor() != "#ffffff" {
		t.Error("onColor picks the wrong text colour")
	}
}
