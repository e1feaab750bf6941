package govern

import (
	"fmt"
	"io/fs"

	"cohos.dev/cohos/keys"
)

// KeyExposedError is an unencrypted private key file that group or others
// may read: refused, as ssh refuses such a key. The fix is chmod 600.
type KeyExposedError struct {
	Path string
	Mode fs.FileMode
}

func (e *KeyExposedError) Error() string {
	return fmt.Sprintf("%s: private key is not private: unencrypted and readable by group or others (mode %04o)", e.Path, e.Mode)
}

// checkKeyMode refuses an unencrypted private key whose mode lets group or
// others read it, and returns a warning for an encrypted one.
func checkKeyMode(path string, data []byte, mode fs.FileMode) (string, error) {
	if mode&0o077 == 0 {
		return "", nil
	}
	if !keys.Encrypted(data) {
		return "", &KeyExposedError{Path: path, Mode: mode}
	}
	return fmt.Sprintf("%s: encrypted private key is readable by group or others (mode %04o); chmod 600 %s", path, mode, path), nil
}
