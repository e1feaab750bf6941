package runner

import (
	"os"
	"testing"

	"cohos.dev/cohos/policy"
)

func fileString(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func metricString(m policy.Metrics, name string) string {
	v, ok := m[name]
	if !ok {
		return "<missing>"
	}
	return v.String()
}
