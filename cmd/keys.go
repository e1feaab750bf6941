package cmd

import (
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"

	"cohos.dev/cohos/keys"
)

// passwordEnv names the environment variable holding the private key
// password when no --password-file is given.
const passwordEnv = "COHOS_PASSWORD"

// passwordHint tells how to give the password of an encrypted key.
const passwordHint = "set " + passwordEnv + " or use --password-file"

// maxKeyFileSize bounds how much of a key file is read.
const maxKeyFileSize = 64 << 10

func newKeysCmd() *cobra.Command {
	c := &cobra.Command{
		Use:   "keys",
		Short: "Create and inspect signing keys",
		Long: `Signing keys are PEM files: a private key (prefix.pem, mode 0600; PKCS#8, or
encrypted like cosign's keys when a password is given) and its public key
(prefix.pub). Algorithms: ecdsa-p256 (default) and ed25519. A key is named by
its SHA256 fingerprint, the same value ssh-keygen -lf prints.

The password of an encrypted key is the first line of --password-file, else
the ` + passwordEnv + ` environment variable.`,
		Example: `  cohos keys generate --out key
  cohos keys id key.pub`,
	}
	c.AddCommand(newKeysGenerateCmd(), newKeysIDCmd())
	return c
}

func newKeysGenerateCmd() *cobra.Command {
	var out, alg, passwordFile string
	var force bool
	c := &cobra.Command{
		Use:   "generate --out PREFIX",
		Short: "Generate a key pair as PREFIX.pem and PREFIX.pub",
		Long: `Generate writes a new private key to PREFIX.pem (mode 0600) and its public key
to PREFIX.pub (mode 0644), then prints the key id and the two file names.
The private key is encrypted when a password is given (--password-file, or
` + passwordEnv + `). Existing files are never replaced without --force.`,
		Example: `  cohos keys generate --out key
  cohos keys generate --out ci --algorithm ed25519
  COHOS_PASSWORD=secret cohos keys generate --out release --force`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			a := keys.Algorithm(alg)
			if a != keys.ECDSAP256 && a != keys.Ed25519 {
				return usageError("unknown algorithm %q: want %s or %s", alg, keys.ECDSAP256, keys.Ed25519)
			}
			pw, err := resolvePassword(passwordFile)
			if err != nil {
				return inputError(err)
			}
			priv, pub, err := keys.Generate(a, pw)
			if err != nil {
				return inputError(err)
			}
			if err := keys.WritePair(out, priv, pub, force); err != nil {
				if errors.Is(err, keys.ErrExists) {
					return errorWithHint(cmd, err, "use --force to overwrite")
				}
				return inputError(err)
			}
			p, err := keys.ParsePublic(pub)
			if err != nil {
				return inputError(err)
			}
			_, err = fmt.Fprintf(cmd.OutOrStdout(), "%s %s.pem %s.pub\n", p.ID, out, out)
			return err
		},
	}
	f := c.Flags()
	f.StringVar(&out, "out", "", "write the keys to `PREFIX`.pem and PREFIX.pub")
	f.StringVar(&alg, "algorithm", string(keys.ECDSAP256), "key algorithm: ecdsa-p256 or ed25519")
	f.BoolVar(&force, "force", false, "replace existing key files")
	f.StringVar(&passwordFile, "password-file", "", "encrypt the private key with the first line of `FILE`")
	_ = c.MarkFlagRequired("out")
	return c
}

func newKeysIDCmd() *cobra.Command {
	var passwordFile string
	c := &cobra.Command{
		Use:   "id FILE",
		Short: "Print the id of a public or private key",
		Long: `Id prints the SHA256 fingerprint that names a key in signatures. FILE may be a
public key or a private key; an encrypted private key needs its password.`,
		Example: `  cohos keys id key.pub
  COHOS_PASSWORD=secret cohos keys id release.pem`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			data, err := readKeyFile(args[0])
			if err != nil {
				return inputError(err)
			}
			pw, err := resolvePassword(passwordFile)
			if err != nil {
				return inputError(err)
			}
			p, err := keys.PublicOf(data, pw)
			if err != nil {
				err = fmt.Errorf("%s: %w", args[0], err)
				if errors.Is(err, keys.ErrPasswordRequired) {
					return errorWithHint(cmd, err, passwordHint)
				}
				return inputError(err)
			}
			_, err = fmt.Fprintln(cmd.OutOrStdout(), p.ID)
			return err
		},
	}
	c.Flags().StringVar(&passwordFile, "password-file", "", "read the private key password from the first line of `FILE`")
	return c
}

// loadSigners loads the private keys at paths for signing, decrypting
// encrypted ones with the password from passwordFile or COHOS_PASSWORD.
// Every error names the file and is an exit-2 error: an unreadable or
// malformed file, a missing or wrong password, or the same key given twice.
func loadSigners(paths []string, passwordFile string) ([]*keys.Signer, error) {
	if len(paths) == 0 {
		return nil, nil
	}
	pw, err := resolvePassword(passwordFile)
	if err != nil {
		return nil, inputError(err)
	}
	signers := make([]*keys.Signer, 0, len(paths))
	seen := make(map[string]string, len(paths))
	for _, path := range paths {
		data, err := readKeyFile(path)
		if err != nil {
			return nil, inputError(err)
		}
		s, err := keys.ParsePrivate(data, pw)
		if errors.Is(err, keys.ErrPasswordRequired) {
			return nil, inputError(fmt.Errorf("%s: %w (%s)", path, err, passwordHint))
		}
		if err != nil {
			return nil, inputError(fmt.Errorf("%s: %w", path, err))
		}
		id := s.Public().ID
		if prev, dup := seen[id]; dup {
			return nil, inputError(fmt.Errorf("%s and %s are the same key %s", prev, path, id))
		}
		seen[id] = path
		signers = append(signers, s)
	}
	return signers, nil
}

// loadPublicKeys loads the trusted public keys at paths. Every error names
// the file and is an exit-2 error: an unreadable or malformed file, or the
// same key given twice (it would not count twice towards a threshold).
func loadPublicKeys(paths []string) ([]*keys.Public, error) {
	pubs := make([]*keys.Public, 0, len(paths))
	seen := make(map[string]string, len(paths))
	for _, path := range paths {
		data, err := readKeyFile(path)
		if err != nil {
			return nil, inputError(err)
		}
		p, err := keys.ParsePublic(data)
		if err != nil {
			return nil, inputError(fmt.Errorf("%s: %w", path, err))
		}
		if prev, dup := seen[p.ID]; dup {
			return nil, inputError(fmt.Errorf("%s and %s are the same key %s", prev, path, p.ID))
		}
		seen[p.ID] = path
		pubs = append(pubs, p)
	}
	return pubs, nil
}

// resolvePassword returns the password from passwordFile when it is set,
// else from COHOS_PASSWORD, else nil (no password).
func resolvePassword(passwordFile string) ([]byte, error) {
	if passwordFile != "" {
		return keys.ReadPasswordFile(passwordFile)
	}
	if pw := os.Getenv(passwordEnv); pw != "" {
		return []byte(pw), nil
	}
	return nil, nil
}

// readKeyFile reads a key file of at most maxKeyFileSize bytes.
func readKeyFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxKeyFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	if len(data) > maxKeyFileSize {
		return nil, fmt.Errorf("%s: larger than %d bytes, not a key file", path, maxKeyFileSize)
	}
	return data, nil
}

// errorWithHint prints err and a hint to stderr and returns an exit-2
// error that prints nothing more.
func errorWithHint(cmd *cobra.Command, err error, hint string) error {
	fmt.Fprintf(cmd.ErrOrStderr(), "cohos: error: %v\ncohos: hint: %s\n", err, hint)
	return withCode(ExitError)
}
