package artifacts

import "slices"

// Diff lists the names by which a set found on disk differs from an attested
// one. Each list is sorted by bytes.
type Diff struct {
	Added   []string `json:"added"`   // in got only
	Missing []string `json:"missing"` // in want only
	Changed []string `json:"changed"` // in both, with different content, size or kind
}

// Empty reports whether the two sets were the same.
func (d Diff) Empty() bool {
	return len(d.Added) == 0 && len(d.Missing) == 0 && len(d.Changed) == 0
}

// entry is what Compare knows about one name: a file's digest and size, or a
// skipped entry's kind.
type entry struct {
	sha256 string
	size   int64
	kind   string // "" for a regular file
	target string // a symlink's target
}

func (e entry) same(o entry) bool {
	if e.kind != o.kind || e.sha256 != o.sha256 || e.target != o.target {
		return false
	}
	// A size of -1 (from ParseManifest) is unknown and not compared.
	return e.size < 0 || o.size < 0 || e.size == o.size
}

func entries(s *Set) map[string]entry {
	if s == nil {
		return map[string]entry{}
	}
	m := make(map[string]entry, len(s.Files)+len(s.Skipped))
	for _, f := range s.Files {
		m[f.Name] = entry{sha256: f.SHA256, size: f.Size}
	}
	for _, k := range s.Skipped {
		m[k.Name] = entry{kind: k.Kind, target: k.Target}
	}
	return m
}

// Compare compares an attested set (want) with one found on disk (got), over
// both files and skipped entries: a name only in got is added, one only in
// want is missing, and one in both is changed when its sha256, its size (when
// both are known), its kind or (for a symlink) its target differs (a file
// that became a symlink is changed, and so is a retargeted symlink). A nil set is empty.
func Compare(want, got *Set) Diff {
	w, g := entries(want), entries(got)
	d := Diff{Added: []string{}, Missing: []string{}, Changed: []string{}}
	for name, we := range w {
		ge, ok := g[name]
		switch {
		case !ok:
			d.Missing = append(d.Missing, name)
		case !we.same(ge):
			d.Changed = append(d.Changed, name)
		}
	}
	for name := range g {
		if _, ok := w[name]; !ok {
			d.Added = append(d.Added, name)
		}
	}
	slices.Sort(d.Added)
	slices.Sort(d.Missing)
	slices.Sort(d.Changed)
	return d
}
