package artifacts

import (
	"reflect"
	"testing"
)

func TestCompare(t *testing.T) {
	base := &Set{
		Files:   []File{{"a", 1, sha("a")}, {"b", 1, sha("b")}, {"c", 1, sha("c")}},
		Skipped: []Skipped{{"link", KindSymlink, "t"}},
	}
	tests := []struct {
		name string
		got  *Set
		want Diff
	}{
		{"same", base, Diff{[]string{}, []string{}, []string{}}},
		{"content", &Set{
			Files:   []File{{"a", 1, sha("A")}, {"b", 1, sha("b")}, {"c", 1, sha("c")}},
			Skipped: []Skipped{{"link", KindSymlink, "t"}},
		}, Diff{[]string{}, []string{}, []string{"a"}}},
		{"size only", &Set{
			Files:   []File{{"a", 2, sha("a")}, {"b", 1, sha("b")}, {"c", 1, sha("c")}},
			Skipped: []Skipped{{"link", KindSymlink, "t"}},
		}, Diff{[]string{}, []string{}, []string{"a"}}},
		{"unknown size", &Set{
			Files:   []File{{"a", -1, sha("a")}, {"b", 1, sha("b")}, {"c", 1, sha("c")}},
			Skipped: []Skipped{{"link", KindSymlink, "t"}},
		}, Diff{[]string{}, []string{}, []string{}}},
		{"added missing changed", &Set{
			Files:   []File{{"a", 1, sha("a")}, {"c", 1, sha("C")}, {"d", 1, sha("d")}, {"e/f", 1, sha("f")}},
			Skipped: []Skipped{{"link", KindSymlink, "t"}, {"new-link", KindSymlink, "t"}},
		}, Diff{[]string{"d", "e/f", "new-link"}, []string{"b"}, []string{"c"}}},
		{"kinds", &Set{
			Files:   []File{{"a", 1, sha("a")}, {"c", 1, sha("c")}, {"link", 1, sha("l")}},
			Skipped: []Skipped{{"b", KindSymlink, "t"}},
		}, Diff{[]string{}, []string{}, []string{"b", "link"}}},
		{"skipped kind", &Set{
			Files:   base.Files,
			Skipped: []Skipped{{"link", KindFIFO, ""}},
		}, Diff{[]string{}, []string{}, []string{"link"}}},
		{"symlink retargeted", &Set{
			Files:   base.Files,
			Skipped: []Skipped{{"link", KindSymlink, "/etc/passwd"}},
		}, Diff{[]string{}, []string{}, []string{"link"}}},
		{"skipped vanished", &Set{Files: base.Files},
			Diff{[]string{}, []string{"link"}, []string{}}},
		{"nil", nil, Diff{[]string{}, []string{"a", "b", "c", "link"}, []string{}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := Compare(base, tc.got)
			if !reflect.DeepEqual(d, tc.want) {
				t.Errorf("Compare = %+v, want %+v", d, tc.want)
			}
			if d.Empty() != (tc.name == "same" || tc.name == "unknown size") {
				t.Errorf("Empty() = %v", d.Empty())
			}
		})
	}
	// A known size of 0 is compared like any other: only -1 is unknown.
	empty, one := &Set{Files: []File{{"a", 0, sha("a")}}}, &Set{Files: []File{{"a", 1, sha("a")}}}
	if d := Compare(empty, one); !reflect.DeepEqual(d.Changed, []string{"a"}) {
		t.Errorf("size 0 attested, 1 found: changed %q", d.Changed)
	}
	if d := Compare(one, empty); !reflect.DeepEqual(d.Changed, []string{"a"}) {
		t.Errorf("size 1 attested, 0 found: changed %q", d.Changed)
	}
	if d := Compare(nil, base); !reflect.DeepEqual(d.Added, []string{"a", "b", "c", "link"}) {
		t.Errorf("Compare(nil, base).Added = %q", d.Added)
	}
}
