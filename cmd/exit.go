package cmd

import (
	"errors"
	"fmt"
	"io"
)

// Exit codes shared by every command (SPEC.md "Exit codes").
const (
	ExitOK       = 0 // ALLOW, verified and admissible, or success
	ExitFail     = 1 // REFUSE, or a check ran and failed
	ExitError    = 2 // could not evaluate: usage, unreadable or malformed input, cannot write
	ExitMarginal = 3 // MARGINAL, not admitted
)

// exitError carries an exit code through cobra's error return. A nil err
// means the command already rendered its result and only the code matters.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string {
	if e.err == nil {
		return fmt.Sprintf("exit %d", e.code)
	}
	return e.err.Error()
}

func (e *exitError) Unwrap() error { return e.err }

// usageError marks misuse: exit 2 with the message.
func usageError(format string, args ...any) error {
	return &exitError{code: ExitError, err: fmt.Errorf(format, args...)}
}

// inputError wraps an error reading or parsing input: exit 2.
func inputError(err error) error {
	return &exitError{code: ExitError, err: err}
}

// withCode returns an error that makes the command exit with code without
// printing anything more; the command has already rendered its result.
func withCode(code int) error {
	if code == ExitOK {
		return nil
	}
	return &exitError{code: code}
}

// hintError adds a "cohos: hint: ..." line under an error's message.
type hintError struct {
	err  error
	hint string
}

func (e *hintError) Error() string { return e.err.Error() }
func (e *hintError) Unwrap() error { return e.err }

// withHint attaches a hint line to err.
func withHint(err error, hint string) error { return &hintError{err: err, hint: hint} }

// printDiagnostic is cmd's one way to tell the user what went wrong: the
// error line "cohos: error: MSG" first, then the line "cohos: hint: HINT"
// saying how to fix it; each only when not empty.
func printDiagnostic(w io.Writer, msg, hint string) {
	if msg != "" {
		fmt.Fprintf(w, "cohos: error: %s\n", msg)
	}
	if hint != "" {
		fmt.Fprintf(w, "cohos: hint: %s\n", hint)
	}
}

// hintOf returns the hint attached anywhere in err's chain, or "".
func hintOf(err error) string {
	var he *hintError
	if errors.As(err, &he) {
		return he.hint
	}
	return ""
}

// codeOf maps an error returned by a command to its exit code and the
// message to print (empty when nothing should be printed).
func codeOf(err error) (int, string) {
	if err == nil {
		return ExitOK, ""
	}
	var ee *exitError
	if errors.As(err, &ee) {
		if ee.err == nil {
			return ee.code, ""
		}
		return ee.code, ee.err.Error()
	}
	// cobra's own flag and argument errors are usage errors.
	return ExitError, err.Error()
}
