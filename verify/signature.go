package verify

import (
	"fmt"
	"strconv"
	"strings"

	"cohos.dev/cohos/attest"
	"cohos.dev/cohos/keys"
)

// The signature checks: dsse.signature, one per signature; dsse.threshold
// is counted by envelope from what signatures returns.

func dedupe(in []*keys.Public) []*keys.Public {
	seen := map[string]bool{}
	var out []*keys.Public
	for _, k := range in {
		if k == nil || seen[k.ID] {
			continue
		}
		seen[k.ID] = true
		out = append(out, k)
	}
	return out
}

// signatures checks the envelope's signatures against the trusted keys
// and returns the distinct keys that verified, and each signature's result
// in order. The work is bounded whatever the envelope holds:
//
//   - a signature is tried only with keys that could have made it: the
//     trusted key its keyid names (the hint is only a hint: it selects, it
//     proves nothing), else each trusted key of the algorithm its shape
//     fits that has not been counted yet;
//   - signatures whose keyid names a trusted key go first, so that others'
//     signatures cannot use up the budget before them;
//   - at most maxSignatureChecks(keys) verifications per envelope;
//   - checking stops as soon as the threshold is met, or can no longer be.
func (v *verifier) signatures(line int, env *attest.ParsedEnvelope) ([]string, []SignatureResult) {
	pae := env.PAE()
	var signers []string
	counted := map[string]bool{}
	results := make([]SignatureResult, len(env.Sigs))
	budget := maxSignatureChecks(len(v.keys))
	order := make([]int, 0, len(env.Sigs))
	for pass := range 2 {
		for i := range env.Sigs {
			if v.trustedID(env.Signatures[i].KeyID) == (pass == 0) {
				order = append(order, i)
			}
		}
	}
	for n, i := range order {
		sig, hint := env.Sigs[i], env.Signatures[i].KeyID
		r := SignatureResult{Index: i + 1, KeyID: hint}
		left := len(order) - n // this signature and those after it
		switch {
		case len(signers) >= v.threshold:
			r.Status, r.Reason = Skip, fmt.Sprintf("not checked: the threshold of %d was already met", v.threshold)
		case len(signers)+min(left, len(v.keys)-len(signers)) < v.threshold:
			r.Status, r.Reason = Skip, fmt.Sprintf("not checked: the threshold of %d can no longer be met", v.threshold)
		case budget <= 0:
			r.Status, r.Reason = Skip, fmt.Sprintf("not checked: more than %d signature checks in one envelope", maxSignatureChecks(len(v.keys)))
		default:
			var by *keys.Public
			for _, k := range v.candidates(hint, sig, counted) {
				if budget <= 0 {
					break
				}
				budget--
				v.report.sigChecks++
				if k.Verify(pae, sig) == nil {
					by = k
					break
				}
			}
			switch {
			case by != nil && counted[by.ID]:
				r.Status, r.KeyID = Fail, by.ID
				r.Reason = "duplicate signature by " + by.ID + ": counted once"
			case by != nil:
				counted[by.ID] = true
				signers = append(signers, by.ID)
				r.Status, r.KeyID = Pass, by.ID
				r.Reason = "verified by trusted key " + by.ID
			case v.trustedID(hint):
				r.Status = Fail
				r.Reason = "does not verify with the trusted key it names (payload or signature changed)"
			default:
				r.Status = Skip
				r.Reason = fmt.Sprintf("not made by a trusted key (keyid hint %q): ignored", hint)
			}
		}
		results[i] = r
	}
	for _, r := range results {
		v.report.add(Check{ID: CheckSignature, Status: r.Status, Envelope: line, Signature: r.Index, KeyID: r.KeyID, Reason: r.Reason})
	}
	return signers, results
}

// maxSignatureChecks bounds the verifications of one envelope: enough for
// every trusted key to be tried twice, plus a few.
func maxSignatureChecks(trusted int) int { return 2*trusted + 4 }

// candidates returns the trusted keys that could have made sig: the one
// its hint names (even when already counted, so that a repeat is reported
// as one), else the uncounted keys whose algorithm fits the signature's
// shape.
func (v *verifier) candidates(hint string, sig []byte, counted map[string]bool) []*keys.Public {
	for _, k := range v.keys {
		if k.ID == hint {
			return []*keys.Public{k}
		}
	}
	var out []*keys.Public
	for _, k := range v.keys {
		if !counted[k.ID] && fits(k.Algorithm, sig) {
			out = append(out, k)
		}
	}
	return out
}

// fits reports whether sig has the shape of a signature of alg: 64 bytes
// for Ed25519, a DER SEQUENCE of at most 72 bytes for ECDSA P-256.
func fits(alg keys.Algorithm, sig []byte) bool {
	switch alg {
	case keys.Ed25519:
		return len(sig) == 64
	case keys.ECDSAP256:
		return len(sig) >= 8 && len(sig) <= 72 && sig[0] == 0x30 && int(sig[1]) == len(sig)-2
	}
	return true
}

func (v *verifier) trustedID(id string) bool {
	for _, k := range v.keys {
		if k.ID == id {
			return true
		}
	}
	return false
}

// whoSigned names the keys the envelope's signatures claim (unproven
// hints, quoted) and the trusted keys, for a threshold that was not met:
// a wrong --key is then plain to see.
func (v *verifier) whoSigned(sigs []SignatureResult) string {
	var hints []string
	for _, s := range sigs {
		if s.Status != Pass {
			hints = append(hints, strconv.Quote(s.KeyID))
		}
	}
	var trusted []string
	for _, k := range v.keys {
		trusted = append(trusted, k.ID)
	}
	what := "the signatures name no trusted key"
	if len(hints) > 0 {
		what = "signed by key id " + strings.Join(hints, ", ")
	}
	return what + "; trusted: " + strings.Join(trusted, ", ") + " (pass the signer's public key with --key)"
}
