package bench

import (
	"os"
	"testing"

	"github.com/remitbilling/remit/internal/tuning"
)

// TestMain runs the benchmarks with the runtime settings `remit serve`
// uses, since the server runs in this process.
func TestMain(m *testing.M) {
	tuning.Apply()
	os.Exit(m.Run())
}
