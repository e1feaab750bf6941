package keys

import (
	"bytes"
	"fmt"
	"io"
	"os"
)

// maxPasswordFile bounds how much of a password file is read.
const maxPasswordFile = 64 << 10

// ReadPasswordFile returns the first line of the file at path, without its
// line ending ("\n" or "\r\n"). A file that cannot be read gives that error
// (wrapped, naming the file); an empty first line, or a first line longer
// than 64 KiB, gives an error wrapping ErrPasswordRequired. The password
// never appears in an error.
func ReadPasswordFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("password file: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxPasswordFile+1))
	if err != nil {
		return nil, fmt.Errorf("password file: %w", err)
	}
	line, _, found := bytes.Cut(data, []byte("\n"))
	if !found && len(data) > maxPasswordFile {
		return nil, fmt.Errorf("password file %s: first line longer than %d bytes: %w", path, maxPasswordFile, ErrPasswordRequired)
	}
	line = bytes.TrimSuffix(line, []byte("\r"))
	if len(line) == 0 {
		return nil, fmt.Errorf("password file %s is empty: %w", path, ErrPasswordRequired)
	}
	return line, nil
}
