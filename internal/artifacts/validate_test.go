package artifacts

import (
	"errors"
	"strings"
	"testing"
)

func TestValidate(t *testing.T) {
	h := strings.Repeat("a", 64)
	ok := func() *Set {
		return &Set{
			Files:   []File{{Name: "a.txt", Size: 1, SHA256: h}, {Name: "b/c", Size: 0, SHA256: h}},
			Skipped: []Skipped{{Name: "link", Kind: KindSymlink}},
		}
	}
	tests := []struct {
		name string
		edit func(s *Set)
		ok   bool
	}{
		{"valid", func(s *Set) {}, true},
		{"empty", func(s *Set) { *s = Set{} }, true},
		{"unsorted", func(s *Set) { s.Files[0].Name = "z" }, false},
		{"duplicate", func(s *Set) { s.Files[1].Name = "a.txt" }, false},
		{"dot-dot", func(s *Set) { s.Files[0].Name = "../a" }, false},
		{"newline", func(s *Set) { s.Files[0].Name = "a\nb" }, false},
		{"derived", func(s *Set) { s.Files[0].Name = "SHA256SUMS" }, false},
		{"upper hex", func(s *Set) { s.Files[0].SHA256 = strings.Repeat("A", 64) }, false},
		{"short hex", func(s *Set) { s.Files[0].SHA256 = "ab" }, false},
		{"negative size", func(s *Set) { s.Files[0].Size = -1 }, false},
		{"bad kind", func(s *Set) { s.Skipped[0].Kind = "door" }, false},
		{"file and skipped", func(s *Set) { s.Skipped[0].Name = "a.txt" }, false},
		{"skipped derived symlink", func(s *Set) { s.Skipped[0].Name = "bundle.intoto.jsonl" }, true},
	}
	for _, tt := range tests {
		s := ok()
		tt.edit(s)
		err := s.Validate()
		if (err == nil) != tt.ok {
			t.Errorf("%s: err = %v, want ok=%v", tt.name, err, tt.ok)
		}
		if err != nil && !errors.Is(err, ErrInvalidSet) {
			t.Errorf("%s: %v does not wrap ErrInvalidSet", tt.name, err)
		}
	}
}
