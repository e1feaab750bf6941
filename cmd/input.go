package cmd

import (
	"errors"
	"fmt"
	"io"
	"os"

	"cohos.dev/cohos/internal/regfile"
)

// maxKeyFileSize bounds how much of a key file is read.
const maxKeyFileSize = 64 << 10

// readInput is cmd's one way to read a file argument. path "-" reads
// stdin when stdin is not nil (the commands where a pipe makes sense);
// any other path must be a regular file, opened without blocking so that
// a FIFO or device is refused, never waited on. At most limit bytes are
// accepted; a larger input is an error wrapping regfile.ErrTooLarge.
// Errors name the path.
func readInput(stdin io.Reader, path string, limit int64) ([]byte, error) {
	if path != "-" || stdin == nil {
		b, err := regfile.Read(path, limit)
		if errors.Is(err, regfile.ErrNotRegular) {
			if fi, serr := os.Stat(path); serr == nil && fi.IsDir() {
				return nil, withHint(fmt.Errorf("%s is a directory, not a file", path), "give the path of a file in it")
			}
		}
		return b, err
	}
	data, err := io.ReadAll(io.LimitReader(stdin, limit+1))
	if err != nil {
		return nil, fmt.Errorf("read standard input: %w", err)
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("standard input: %w: more than %d bytes", regfile.ErrTooLarge, limit)
	}
	return data, nil
}
