package govern

import (
	"errors"
	"fmt"
	"strings"

	"github.com/secure-systems-lab/go-securesystemslib/dsse"

	"cohos.dev/cohos/internal/regfile"
	"cohos.dev/cohos/keys"
)

// PasswordEnv names the environment variable holding the private keys'
// password when no password file is given. The job never sees it.
const PasswordEnv = "COHOS_PASSWORD"

// PasswordHint tells how to give the password of an encrypted key.
const PasswordHint = "use --password-file, --password-fd or " + PasswordEnv + ", or run on a terminal to be asked"

// CosignPasswordEnv is cosign's password variable, read when
// COHOS_PASSWORD is not set, so cosign's keys load as cosign loads them.
// The job never sees it either.
const CosignPasswordEnv = "COSIGN_PASSWORD"

// maxKeyFileSize bounds how much of a key file is read.
const maxKeyFileSize = 64 << 10

// Password says where the password of encrypted keys comes from, in this
// order: Value, File, COHOS_PASSWORD in Env, then Prompt.
type Password struct {
	// Value is a password the caller already read (from a descriptor).
	Value []byte
	// File holds the password on its first line.
	File string
	Env  []string
	// Prompt, if set, asks for the password of the key at path when no
	// other source gave one (on a terminal, without echo).
	Prompt func(path string) ([]byte, error)
}

// LoadSigners reads the private keys at paths (regular files of at most
// 64 KiB). An encrypted key's password comes from passwordFile when set,
// else from COHOS_PASSWORD in env. The same key twice is an error: each
// signature must count toward a threshold once.
//
// An unencrypted key that group or others may read is refused (a
// *KeyExposedError); see LoadSignersWith for the encrypted case.
func LoadSigners(paths []string, passwordFile string, env []string) ([]dsse.Signer, error) {
	return LoadSignersWith(paths, Password{File: passwordFile, Env: env}, nil)
}

// LoadSignersWith is LoadSigners with the password from pws; it calls warn
// (when not nil) with one line for each encrypted key that group or others
// may read: it is used, as ssh would not, but the owner should know.
func LoadSignersWith(paths []string, pws Password, warn func(string)) ([]dsse.Signer, error) {
	if len(paths) == 0 {
		return nil, nil
	}
	pw, err := pws.Resolve()
	if err != nil {
		return nil, err
	}
	signers := make([]dsse.Signer, 0, len(paths))
	seen := make(map[string]string, len(paths))
	for _, path := range paths {
		data, mode, err := regfile.ReadMode(path, maxKeyFileSize)
		if err != nil {
			return nil, err
		}
		s, err := keys.ParsePrivate(data, pw)
		if errors.Is(err, keys.ErrPasswordRequired) && pw == nil && pws.Prompt != nil {
			if asked, perr := pws.Prompt(path); perr == nil {
				pw = asked
				s, err = keys.ParsePrivate(data, pw)
			}
		}
		if errors.Is(err, keys.ErrPasswordRequired) {
			return nil, fmt.Errorf("%s: %w (%s)", path, err, PasswordHint)
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		if msg, err := checkKeyMode(path, data, mode); err != nil {
			return nil, err
		} else if msg != "" && warn != nil {
			warn(msg)
		}
		id := s.Public().ID
		if prev, dup := seen[id]; dup {
			return nil, fmt.Errorf("%s and %s are the same key %s", prev, path, id)
		}
		seen[id] = path
		signers = append(signers, s)
	}
	return signers, nil
}

// Resolve returns the password from Value, File or COHOS_PASSWORD in Env,
// else nil (no password; Prompt is not asked).
func (p Password) Resolve() ([]byte, error) {
	switch {
	case p.Value != nil:
		return p.Value, nil
	case p.File != "":
		return keys.ReadPasswordFile(p.File)
	}
	return EnvPassword(p.Env), nil
}

// EnvPassword returns COHOS_PASSWORD from env when it is set and not
// empty, else COSIGN_PASSWORD, else nil.
func EnvPassword(env []string) []byte {
	var cosign []byte
	for _, kv := range env {
		name, value, _ := strings.Cut(kv, "=")
		switch {
		case name == PasswordEnv && value != "":
			return []byte(value)
		case name == CosignPasswordEnv && value != "":
			cosign = []byte(value)
		}
	}
	return cosign
}
