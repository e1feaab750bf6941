package runner

import (
	"os"
	"testing"

	"cohos.dev/cohos/internal/isolate"
)

// TestMain lets the test binary act as the init of isolated jobs.
func TestMain(m *testing.M) {
	if code, ok := isolate.MaybeInit(); ok {
		os.Exit(code)
	}
	os.Exit(m.Run())
}
