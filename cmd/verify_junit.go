package cmd

import (
	"encoding/xml"
	"fmt"
	"strings"

	"cohos.dev/cohos/internal/atomicfile"
	"cohos.dev/cohos/verify"
)

// JUnit XML as CI systems read it (GitLab's artifacts:reports:junit,
// Jenkins, the GitHub test-report actions): one <testsuite> per bundle, one
// <testcase> per check.
type junitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Errors   int          `xml:"errors,attr"`
	Skipped  int          `xml:"skipped,attr"`
	Suites   []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name     string      `xml:"name,attr"`
	Tests    int         `xml:"tests,attr"`
	Failures int         `xml:"failures,attr"`
	Errors   int         `xml:"errors,attr"`
	Skipped  int         `xml:"skipped,attr"`
	Cases    []junitCase `xml:"testcase"`
}

type junitCase struct {
	Name      string        `xml:"name,attr"`
	Classname string        `xml:"classname,attr"`
	Failure   *junitProblem `xml:"failure"`
	Error     *junitProblem `xml:"error"`
	Skipped   *junitSkipped `xml:"skipped"`
	SystemOut string        `xml:"system-out,omitempty"`
}

type junitProblem struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr"`
	Text    string `xml:",chardata"`
}

type junitSkipped struct {
	Message string `xml:"message,attr,omitempty"`
}

// writeJUnit writes every check of doc as a JUnit test case to path,
// atomically. A bundle that could not be evaluated at all is one
// bundle.parse case with an <error>.
func writeJUnit(path string, doc verify.Document) error {
	all := junitSuites{Name: "cohos verify"}
	for _, br := range doc.Bundles {
		s := junitSuite{Name: br.Path}
		if len(br.Checks) == 0 && br.Error != "" {
			s.Cases = append(s.Cases, junitCase{
				Name: verify.CheckBundleParse, Classname: br.Path,
				Error: &junitProblem{Message: br.Error, Type: "could not evaluate", Text: br.Error},
			})
			s.Errors++
		}
		multi := len(br.Envelopes) > 1
		for _, c := range br.Checks {
			jc := junitCase{Name: junitName(c, multi), Classname: br.Path}
			switch c.Status {
			case verify.Fail:
				jc.Failure = &junitProblem{Message: c.Reason, Type: c.ID, Text: failureText(c)}
				s.Failures++
			case verify.Skip:
				jc.Skipped = &junitSkipped{Message: c.Reason}
				s.Skipped++
			default:
				jc.SystemOut = c.Reason
			}
			s.Cases = append(s.Cases, jc)
		}
		s.Tests = len(s.Cases)
		all.Tests += s.Tests
		all.Failures += s.Failures
		all.Errors += s.Errors
		all.Skipped += s.Skipped
		all.Suites = append(all.Suites, s)
	}
	b, err := xml.MarshalIndent(all, "", "  ")
	if err != nil {
		return fmt.Errorf("junit: %w", err)
	}
	data := append([]byte(xml.Header), b...)
	if err := atomicfile.Write(path, append(data, '\n'), 0o644); err != nil {
		return fmt.Errorf("junit: %w", err)
	}
	return nil
}

// junitName is the check id, with the envelope (when the bundle has
// several) and the signature index (for dsse.signature) it concerns.
func junitName(c verify.Check, multi bool) string {
	var where []string
	if multi && c.Envelope > 0 {
		where = append(where, fmt.Sprintf("envelope %d", c.Envelope))
	}
	if c.Signature > 0 {
		where = append(where, fmt.Sprintf("signature %d", c.Signature))
	}
	if len(where) == 0 {
		return c.ID
	}
	return c.ID + " (" + strings.Join(where, ", ") + ")"
}

// failureText is the reason and the files named by artifacts.digest.
func failureText(c verify.Check) string {
	var b strings.Builder
	b.WriteString(c.Reason)
	for _, l := range []struct {
		kind  string
		names []string
	}{{"added", c.Added}, {"missing", c.Missing}, {"changed", c.Changed}} {
		for _, n := range l.names {
			fmt.Fprintf(&b, "\n%s: %s", l.kind, n)
		}
	}
	return b.String()
}
