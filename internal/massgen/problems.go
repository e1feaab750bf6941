package massgen

import "fmt"

// problems collects "<file>: <reason>" lines, at most maxPerFile per file.
type problems struct {
	lines   []string
	perFile map[string]int
	order   []string
}

const maxPerFile = 10

func newProblems() *problems { return &problems{perFile: map[string]int{}} }

func (p *problems) add(file, format string, args ...any) {
	if p.perFile[file] == 0 {
		p.order = append(p.order, file)
	}
	p.perFile[file]++
	if p.perFile[file] <= maxPerFile {
		p.lines = append(p.lines, file+": "+fmt.Sprintf(format, args...))
	}
}

func (p *problems) addErr(file string, err error) {
	if err != nil {
		p.add(file, "%v", err)
	}
}

func (p *problems) list() []string {
	out := append([]string(nil), p.lines...)
	for _, f := range p.order {
		if n := p.perFile[f]; n > maxPerFile {
			out = append(out, fmt.Sprintf("%s: %d more problems", f, n-maxPerFile))
		}
	}
	return out
}
