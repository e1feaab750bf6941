package cmd

import (
	"errors"
	"fmt"
	"io"

	"github.com/secure-systems-lab/go-securesystemslib/dsse"
	"github.com/spf13/cobra"

	"cohos.dev/cohos/govern"
	"cohos.dev/cohos/keys"
)

// passwordEnv names the environment variable holding the private key
// password when no --password-file is given.
const passwordEnv = govern.PasswordEnv

// passwordHint tells how to give the password of an encrypted key.
const passwordHint = govern.PasswordHint

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
	var out, alg string
	pws := passwordSource{fd: -1}
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
			pw, err := pws.resolve()
			if err != nil {
				return inputError(err)
			}
			priv, pub, err := keys.Generate(a, pw)
			if err != nil {
				return inputError(err)
			}
			if err := keys.WritePair(out, priv, pub, force); err != nil {
				if errors.Is(err, keys.ErrExists) {
					return withHint(err, "use --force to overwrite")
				}
				return inputError(err)
			}
			p, err := keys.ParsePublic(pub)
			if err != nil {
				return inputError(err)
			}
			if len(pw) == 0 {
				fmt.Fprintf(cmd.ErrOrStderr(), "cohos: warning: %s.pem is not encrypted: anyone who can read it can sign as you (and so can a governed job running as you)\n", out)
				printDiagnostic(cmd.ErrOrStderr(), "", "to encrypt it, set COHOS_PASSWORD (or COSIGN_PASSWORD) or use --password-file")
			}
			_, err = fmt.Fprintf(cmd.OutOrStdout(), "%s %s.pem %s.pub\n", p.ID, out, out)
			return err
		},
	}
	f := c.Flags()
	f.StringVar(&out, "out", "", "write the keys to `PREFIX`.pem and PREFIX.pub")
	f.StringVar(&alg, "algorithm", string(keys.ECDSAP256), "key algorithm: ecdsa-p256 or ed25519")
	f.BoolVar(&force, "force", false, "replace existing key files")
	pws.register(f, "encrypt the private key with the first line of `FILE`")
	_ = c.MarkFlagRequired("out")
	return c
}

func newKeysIDCmd() *cobra.Command {
	pws := passwordSource{fd: -1}
	c := &cobra.Command{
		Use:   "id FILE",
		Short: "Print the id of a public or private key",
		Long: `Id prints the SHA256 fingerprint that names a key in signatures. FILE may be a
public key or a private key; an encrypted private key needs its password.`,
		Example: `  cohos keys id key.pub
  COHOS_PASSWORD=secret cohos keys id release.pem`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			data, err := readInput(nil, args[0], maxKeyFileSize)
			if err != nil {
				return inputError(err)
			}
			pw, err := pws.resolve()
			if err != nil {
				return inputError(err)
			}
			p, err := keys.PublicOf(data, pw)
			if err != nil {
				err = fmt.Errorf("%s: %w", args[0], err)
				if errors.Is(err, keys.ErrPasswordRequired) {
					return withHint(err, passwordHint)
				}
				return inputError(err)
			}
			_, err = fmt.Fprintln(cmd.OutOrStdout(), p.ID)
			return err
		},
	}
	pws.register(c.Flags(), "read the private key password from the first line of `FILE`")
	return c
}

// loadSigners loads the private keys at paths for signing (see
// govern.LoadSignersWith), the password from pws, else asked on the
// terminal; every error is an exit-2 error naming the file, and a warning
// about an encrypted key readable by others goes to warn.
func loadSigners(paths []string, pws passwordSource, warn io.Writer) ([]dsse.Signer, error) {
	pw, err := pws.password()
	if err != nil {
		return nil, inputError(err)
	}
	signers, err := govern.LoadSignersWith(paths, pw, func(msg string) {
		fmt.Fprintf(warn, "cohos: warning: %s\n", msg)
	})
	var exposed *govern.KeyExposedError
	if errors.As(err, &exposed) {
		return nil, withHint(inputError(err), "chmod 600 "+exposed.Path)
	}
	if err != nil {
		return nil, inputError(err)
	}
	return signers, nil
}

// same key given twice (it would not count twice towards a threshold).
func loadPublicKeys(paths []string) ([]*keys.Public, error) {
	pubs := make([]*keys.Public, 0, len(paths))
	seen := make(map[string]string, len(paths))
	for _, path := range paths {
		data, err := readInput(nil, path, maxKeyFileSize)
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
