package artifacts

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"math/bits"
)

// ErrBadProof is wrapped by VerifyInclusion when a proof does not prove its
// leaf a member of the tree with the given root and size.
var ErrBadProof = errors.New("invalid inclusion proof")

// ErrIndex is wrapped by InclusionProof for an index outside the leaves.
var ErrIndex = errors.New("leaf index out of range")

// leafHash is the RFC 9162 leaf hash sha256(0x00 || leaf).
func leafHash(leaf []byte) [32]byte {
	h := sha256.New()
	h.Write([]byte{0})
	h.Write(leaf)
	var out [32]byte
	h.Sum(out[:0])
	return out
}

// nodeHash is the RFC 9162 interior hash sha256(0x01 || l || r).
func nodeHash(l, r [32]byte) [32]byte {
	var b [1 + 2*sha256.Size]byte
	b[0] = 1
	copy(b[1:], l[:])
	copy(b[1+sha256.Size:], r[:])
	return sha256.Sum256(b[:])
}

// MerkleRoot returns the RFC 9162 Merkle Tree Hash of leaves: sha256("") for
// none, sha256(0x00||leaf) for one, and sha256(0x01||MTH(left)||MTH(right))
// where left holds the largest power of two strictly less than the number of
// leaves.
func MerkleRoot(leaves [][]byte) [32]byte {
	if len(leaves) == 0 {
		return sha256.Sum256(nil)
	}
	level := make([][32]byte, len(leaves))
	for i, l := range leaves {
		level[i] = leafHash(l)
	}
	// Pairing bottom-up and carrying an odd last node up unchanged builds the
	// same left-full tree as the recursive definition.
	for len(level) > 1 {
		n := 0
		for i := 0; i+1 < len(level); i += 2 {
			level[n] = nodeHash(level[i], level[i+1])
			n++
		}
		if len(level)%2 == 1 {
			level[n] = level[len(level)-1]
			n++
		}
		level = level[:n]
	}
	return level[0]
}

// MerkleStack computes the RFC 9162 Merkle Tree Hash of leaves added one
// at a time, keeping one subtree root per set bit of the count: the same
// left-full tree as MerkleRoot, in logarithmic memory.
type MerkleStack struct {
	nodes [][32]byte // roots of complete subtrees, largest first
	count uint64
}

// Add adds the leaf hash lh (see leafHash).
func (m *MerkleStack) Add(lh [32]byte) {
	m.nodes = append(m.nodes, lh)
	// Each trailing one bit of the old count closes a complete subtree.
	for c := m.count; c&1 == 1; c >>= 1 {
		n := len(m.nodes)
		m.nodes[n-2] = nodeHash(m.nodes[n-2], m.nodes[n-1])
		m.nodes = m.nodes[:n-1]
	}
	m.count++
}

// Root returns the Merkle Tree Hash of the leaves added: sha256("") for
// none.
func (m *MerkleStack) Root() [32]byte {
	if len(m.nodes) == 0 {
		return sha256.Sum256(nil)
	}
	r := m.nodes[len(m.nodes)-1]
	for i := len(m.nodes) - 2; i >= 0; i-- {
		r = nodeHash(m.nodes[i], r)
	}
	return r
}

// splitPoint returns the largest power of two strictly less than n (n >= 2).
func splitPoint(n int) int {
	return 1 << (bits.Len(uint(n-1)) - 1)
}

// subtreeRoot returns the Merkle Tree Hash of the leaf hashes lh.
func subtreeRoot(lh [][32]byte) [32]byte {
	if len(lh) == 1 {
		return lh[0]
	}
	k := splitPoint(len(lh))
	return nodeHash(subtreeRoot(lh[:k]), subtreeRoot(lh[k:]))
}

// InclusionProof returns the RFC 9162 inclusion proof PATH(index, leaves):
// the sibling subtree hashes from the leaf up to the root. The error wraps
// ErrIndex when index is not in [0, len(leaves)).
func InclusionProof(leaves [][]byte, index int) ([][32]byte, error) {
	if index < 0 || index >= len(leaves) {
		return nil, fmt.Errorf("%w: %d not in [0, %d)", ErrIndex, index, len(leaves))
	}
	lh := make([][32]byte, len(leaves))
	for i, l := range leaves {
		lh[i] = leafHash(l)
	}
	var proof [][32]byte
	for len(lh) > 1 {
		k := splitPoint(len(lh))
		if index < k {
			proof = append(proof, subtreeRoot(lh[k:]))
			lh = lh[:k]
		} else {
			proof = append(proof, subtreeRoot(lh[:k]))
			lh = lh[k:]
			index -= k
		}
	}
	// PATH lists siblings from the leaf upwards; the loop went downwards.
	for i, j := 0, len(proof)-1; i < j; i, j = i+1, j-1 {
		proof[i], proof[j] = proof[j], proof[i]
	}
	return proof, nil
}

// VerifyInclusion checks that proof proves leaf to be at index in the tree of
// size leaves with the given root, following RFC 9162 section 2.1.3.2. The
// error wraps ErrBadProof when it does not, including for an index outside
// [0, size) and for a proof of the wrong length.
func VerifyInclusion(leaf []byte, index, size int, proof [][32]byte, root [32]byte) error {
	if index < 0 || index >= size {
		return fmt.Errorf("%w: index %d not in [0, %d)", ErrBadProof, index, size)
	}
	fn, sn := uint64(index), uint64(size-1)
	r := leafHash(leaf)
	for _, p := range proof {
		if sn == 0 {
			return fmt.Errorf("%w: proof too long", ErrBadProof)
		}
		if fn&1 == 1 || fn == sn {
			r = nodeHash(p, r)
			for fn&1 == 0 && fn != 0 {
				fn >>= 1
				sn >>= 1
			}
		} else {
			r = nodeHash(r, p)
		}
		fn >>= 1
		sn >>= 1
	}
	if sn != 0 {
		return fmt.Errorf("%w: proof too short", ErrBadProof)
	}
	if r != root {
		return fmt.Errorf("%w: root mismatch", ErrBadProof)
	}
	return nil
}
