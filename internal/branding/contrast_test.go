package branding

import (
	"strings"
	"testing"

	"github.com/remitbilling/remit/internal/document"
)

func TestContrastWarning(t *testing.T) {
	tests := []struct {
		color   string
		warn    bool
		onBrand string // the text colour pages and emails put on it
	}{
		{"#00aa55", true, "#1f1f1f"}, // white on it is 3.0:1
		{"#0a5", true, "#1f1f1f"},
		{"#ffcc00", true, "#1f1f1f"},
		{"#777777", true, "#ffffff"},  // 4.48:1, just below, yet white still beats dark
		{"#767676", false, "#ffffff"}, // 4.54:1, just above
		{"#5b21b6", false, "#ffffff"},
		{"#000000", false, "#ffffff"},
		{"", false, "#ffffff"},      // the default colour
		{"not a colour", false, ""}, // an error elsewhere, not a warning
	}
	for _, tt := range tests {
		w := ContrastWarning(tt.color, "input", "brandColor")
		if (w != nil) != tt.warn {
			t.Errorf("%q: warning %v, want %t", tt.color, w, tt.warn)
		}
		if w != nil && (w.Code != "LOW_CONTRAST" || strings.Join(w.Field, ".") != "input.brandColor" || !strings.Contains(w.Message, "4.5:1")) {
			t.Errorf("%q: %+v", tt.color, w)
		}
		if tt.onBrand != "" {
			if got := document.BrandColors(document.Branding{BrandColor: tt.color}).OnBrand; got != tt.onBrand {
				t.Errorf("%q: text on it %s, want %s", tt.color, got, tt.onBrand)
			}
		}
	}
	if ws := ContrastWarnings(nil, nil); ws == nil || len(ws) != 0 {
		t.Errorf("no colours given: %v", ws)
	}
	green, ok := "#00aa55", "#5b21b6"
	if ws := ContrastWarnings(&ok, &green, "input"); len(ws) != 1 || strings.Join(ws[0].Field, ".") != "input.accentColor" {
		t.Errorf("accent warning: %v", ws)
	}
}
