package keys

import (
	"bytes"
	"fmt"
	"io"

	"cohos.dev/cohos/internal/regfile"
)

// maxPasswordFile bounds how much of a password file is read.
const maxPasswordFile = 64 << 10

// ReadPasswordFile returns the first line of the file at path, without its
// line ending ("\n" or "\r\n"). A file that cannot be read gives that error
// (wrapped, naming the file); an empty first line, or a first line longer
// than 64 KiB, gives an error wrapping ErrPasswordRequired. The password
// never appears in an error.
func ReadPasswordFile(path string) ([]byte, error) {
	// A regular file only, opened without blocking: a FIFO is refused.
	f, err := regfile.Open(path)
	if err != nil {
		return nil, fmt.Errorf("password file: %w", err)
	}
	defer f.Close()
	return ReadPassword(f, "password file "+path)
}

// ReadPassword returns the first line of r, read up to the first newline
// or EOF, like ReadPasswordFile; what names the source in errors
// ("password file F", "password descriptor 3"). It never reads more than
// 64 KiB and one byte.
func ReadPassword(r io.Reader, what string) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(r, maxPasswordFile+1))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	line, _, found := bytes.Cut(data, []byte("\n"))
	if !found && len(data) > maxPasswordFile {
		return nil, fmt.Errorf("%s: first line longer than %d bytes: %w", what, maxPasswordFile, ErrPasswordRequired)
	}
	line = bytes.TrimSuffix(line, []byte("\r"))
	if len(line) == 0 {
		return nil, fmt.Errorf("%s is empty: %w", what, ErrPasswordRequired)
	}
	return line, nil
}
