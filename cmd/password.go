package cmd

import (
	"errors"
	"fmt"
	"os"

	"github.com/spf13/pflag"
	"golang.org/x/term"

	"cohos.dev/cohos/govern"
	"cohos.dev/cohos/keys"
)

// passwordSource says where the password of encrypted keys comes from, in
// this order: --password-file, --password-fd, COHOS_PASSWORD, and, for
// signing only, a prompt on the controlling terminal.
type passwordSource struct {
	file string
	fd   int // -1: none
}

// register adds --password-file (described by fileUsage) and --password-fd.
func (p *passwordSource) register(f *pflag.FlagSet, fileUsage string) {
	f.StringVar(&p.file, "password-file", "", fileUsage)
	f.IntVar(&p.fd, "password-fd", -1, "read the password from open file descriptor `N` (first line; e.g. --password-fd 3 3<secret)")
}

// files lists the password file, for the job's mount namespace to hide.
func (p passwordSource) files() []string {
	if p.file == "" {
		return nil
	}
	return []string{p.file}
}

// password reads the descriptor, if one was given, and returns where the
// password comes from for signing: the terminal is asked last.
func (p passwordSource) password() (govern.Password, error) {
	gp := govern.Password{File: p.file, Env: os.Environ(), Prompt: promptPassword}
	switch {
	case p.file != "" && p.fd >= 0:
		return gp, usageError("give --password-file or --password-fd, not both")
	case p.fd >= 0:
		pw, err := readPasswordFD(p.fd)
		if err != nil {
			return gp, err
		}
		gp.Value = pw
	}
	return gp, nil
}

// resolve returns the password, or nil when no source but the terminal
// would give one.
func (p passwordSource) resolve() ([]byte, error) {
	gp, err := p.password()
	if err != nil {
		return nil, err
	}
	return gp.Resolve()
}

// readPasswordFD reads the first line from descriptor fd and closes it,
// so that nothing started later can inherit it.
func readPasswordFD(fd int) ([]byte, error) {
	what := fmt.Sprintf("password descriptor %d", fd)
	if fd <= 2 && fd != 0 {
		return nil, usageError("--password-fd %d is stdout or stderr: give a descriptor opened for reading (0, or 3 and above)", fd)
	}
	f := os.NewFile(uintptr(fd), what)
	if f == nil {
		return nil, fmt.Errorf("%s is not open", what)
	}
	if _, err := f.Stat(); err != nil {
		return nil, fmt.Errorf("%s is not open: %w", what, err)
	}
	defer f.Close()
	return keys.ReadPassword(f, what)
}

// errNoTerminal says a prompt was impossible.
var errNoTerminal = errors.New("no terminal to ask on")

// promptPassword asks for the password of key on the controlling terminal,
// without echo. It fails with errNoTerminal when there is none (CI,
// cron, a detached job).
func promptPassword(key string) ([]byte, error) {
	tty, err := os.OpenFile("/dev/tty", os.O_RDWR, 0)
	if err != nil {
		return nil, errNoTerminal
	}
	defer tty.Close()
	if !term.IsTerminal(int(tty.Fd())) {
		return nil, errNoTerminal
	}
	fmt.Fprintf(tty, "Password for %s: ", key)
	pw, err := term.ReadPassword(int(tty.Fd()))
	fmt.Fprintln(tty)
	if err != nil {
		return nil, fmt.Errorf("read password from the terminal: %w", err)
	}
	if len(pw) == 0 {
		return nil, fmt.Errorf("empty password: %w", keys.ErrPasswordRequired)
	}
	return pw, nil
}
