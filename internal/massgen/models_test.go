package massgen

import "testing"

func TestRedactURLs(t *testing.T) {
	got := RedactURLs([]string{"http://127.0.0.1:1234/v1", "https://me:s3cret@models.example/v1"})
	want := "http://127.0.0.1:1234/v1,https://me:xxxxx@models.example/v1"
	if got != want {
		t.Fatalf("RedactURLs = %q, want %q", got, want)
	}
}
