package testtool

import (
	"os"
	"path/filepath"
	"testing"
)

// EInvoiceEnv names the folder of the e-invoicing artefacts (CEN, FNFE,
// Factur-X) and their validator, when it is not ../shared/einvoice beside
// the repository.
const EInvoiceEnv = "REMIT_EINVOICE_DIR"

// EInvoiceValidator returns the folder of validate.sh and
// validate-facturx.sh (the validator folder of $REMIT_EINVOICE_DIR, else
// of ../shared/einvoice relative to the repository root, root being the
// root relative to the test's package), after checking that the programs
// they run are installed. Anything missing fails t, or skips it when
// SkipEnv is set.
func EInvoiceValidator(t testing.TB, root string) string {
	t.Helper()
	base := os.Getenv(EInvoiceEnv)
	if base == "" {
		base = filepath.Join(root, "..", "shared", "einvoice")
	}
	var dir string
	for _, d := range []string{filepath.Join(base, "validator"), base} {
		if _, err := os.Stat(filepath.Join(d, "validate-facturx.sh")); err == nil {
			dir = d
			break
		}
	}
	if dir == "" {
		msg := "no e-invoice validator (validate-facturx.sh) in " + base + "/validator: check out the shared e-invoicing artefacts there, or set " + EInvoiceEnv + " to their folder"
		if os.Getenv(SkipEnv) != "" {
			t.Skipf("%s; skipped because %s is set", msg, SkipEnv)
		}
		t.Fatalf("%s, or set %s=1 to skip the checks that need it", msg, SkipEnv)
	}
	const install = "Debian packages libxml2-utils, libsaxonhe-java, qpdf, poppler-utils and default-jre-headless"
	for _, program := range []string{"java", "xmllint", "qpdf", "pdfinfo", "pdffonts", "python3"} {
		Need(t, install, program)
	}
	saxon := os.Getenv("SAXON_JAR") // as the validator reads it
	if saxon == "" {
		saxon = "/usr/share/java/Saxon-HE.jar"
	}
	if _, err := os.Stat(saxon); err != nil {
		Missing(t, "Saxon-HE ("+saxon+")", install)
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		t.Fatal(err)
	}
	return abs
}
