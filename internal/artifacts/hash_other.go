//go:build !linux

package artifacts

import "errors"

// fdWalkSupported reports whether Hash walks a RootFS with descriptors: only
// on Linux; elsewhere a RootFS is hashed through its fs.FS methods.
const fdWalkSupported = false

// dirFD is never made outside Linux.
type dirFD struct{}

func (d *dirFD) release() {}

func (w *walker) walkRoot(*rootFS) error { return errors.ErrUnsupported }

func (h *hasher) fileAt(*dirFD, string, *File) error { return errors.ErrUnsupported }
