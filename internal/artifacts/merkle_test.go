package artifacts

import (
	"encoding/hex"
	"errors"
	"fmt"
	"testing"
)

// RFC 6962 reference leaves and roots (transparency-dev/merkle testonly).
var (
	refLeaves = []string{"", "00", "10", "2021", "3031", "40414243",
		"5051525354555657", "606162636465666768696a6b6c6d6e6f"}
	refRoots = []string{
		"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
		"6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
		"fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
		"aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
		"d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
		"4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
		"76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
		"ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
		"5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
	}
)

func refLeafBytes(t *testing.T) [][]byte {
	t.Helper()
	out := make([][]byte, len(refLeaves))
	for i, s := range refLeaves {
		b, err := hex.DecodeString(s)
		if err != nil {
			t.Fatal(err)
		}
		out[i] = b
	}
	return out
}

func TestMerkleRootReference(t *testing.T) {
	leaves := refLeafBytes(t)
	for n, want := range refRoots {
		root := MerkleRoot(leaves[:n])
		if got := hex.EncodeToString(root[:]); got != want {
			t.Errorf("MerkleRoot(size %d) = %s, want %s", n, got, want)
		}
	}
}

// TestMerkleRootRecursive checks the bottom-up root against the recursive
// definition for sizes that exercise every odd-carry shape.
func TestMerkleRootRecursive(t *testing.T) {
	for n := 1; n <= 70; n++ {
		leaves := make([][]byte, n)
		lh := make([][32]byte, n)
		for i := range leaves {
			leaves[i] = fmt.Appendf(nil, "leaf %d\n", i)
			lh[i] = leafHash(leaves[i])
		}
		if got, want := MerkleRoot(leaves), subtreeRoot(lh); got != want {
			t.Errorf("size %d: bottom-up %x, recursive %x", n, got, want)
		}
	}
}

func TestInclusionProofs(t *testing.T) {
	leaves := refLeafBytes(t)
	for size := 1; size <= len(leaves); size++ {
		root := MerkleRoot(leaves[:size])
		for i := 0; i < size; i++ {
			proof, err := InclusionProof(leaves[:size], i)
			if err != nil {
				t.Fatalf("InclusionProof(size %d, %d): %v", size, i, err)
			}
			if err := VerifyInclusion(leaves[i], i, size, proof, root); err != nil {
				t.Errorf("VerifyInclusion(size %d, %d): %v", size, i, err)
			}
			for _, tc := range tamperings(leaves[:size], i, proof, root) {
				err := VerifyInclusion(tc.leaf, tc.index, tc.size, tc.proof, tc.root)
				if !errors.Is(err, ErrBadProof) {
					t.Errorf("size %d index %d %s: err = %v, want ErrBadProof", size, i, tc.name, err)
				}
			}
		}
	}
}

type tampered struct {
	name        string
	leaf        []byte
	index, size int
	proof       [][32]byte
	root        [32]byte
}

// tamperings returns altered versions of one valid proof, each of which must
// fail.
func tamperings(leaves [][]byte, i int, proof [][32]byte, root [32]byte) []tampered {
	size := len(leaves)
	other := append([]byte{}, leaves[i]...)
	other = append(other, 'x')
	badRoot := root
	badRoot[0] ^= 1
	out := []tampered{
		{"other leaf", other, i, size, proof, root},
		{"other root", leaves[i], i, size, proof, badRoot},
		{"index = size", leaves[i], size, size, proof, root},
		{"negative index", leaves[i], -1, size, proof, root},
		{"longer proof", leaves[i], i, size, append(append([][32]byte{}, proof...), root), root},
	}
	if size > 1 {
		out = append(out, tampered{"other index", leaves[i], (i + 1) % size, size, proof, root})
	}
	for j := range proof {
		p := append([][32]byte{}, proof...)
		p[j][31] ^= 0x80
		out = append(out, tampered{fmt.Sprintf("flipped proof[%d]", j), leaves[i], i, size, p, root})
	}
	if len(proof) > 0 {
		out = append(out, tampered{"shorter proof", leaves[i], i, size, proof[:len(proof)-1], root})
	}
	return out
}

func TestInclusionProofIndex(t *testing.T) {
	leaves := refLeafBytes(t)[:3]
	for _, i := range []int{-1, 3, 100} {
		if _, err := InclusionProof(leaves, i); !errors.Is(err, ErrIndex) {
			t.Errorf("InclusionProof(3 leaves, %d): err = %v, want ErrIndex", i, err)
		}
	}
	if _, err := InclusionProof(nil, 0); !errors.Is(err, ErrIndex) {
		t.Errorf("InclusionProof(no leaves, 0): err = %v, want ErrIndex", err)
	}
}

// TestMerkleStackAgrees: the streaming root equals MerkleRoot for every
// size up to 130 (all the carry patterns of the first powers of two).
func TestMerkleStackAgrees(t *testing.T) {
	var leaves [][]byte
	var m MerkleStack
	for n := 0; n <= 130; n++ {
		if got, want := m.Root(), MerkleRoot(leaves); got != want {
			t.Fatalf("%d leaves: stack root %x, want %x", n, got, want)
		}
		l := []byte(fmt.Sprintf("leaf %d\n", n))
		leaves = append(leaves, l)
		m.Add(leafHash(l))
	}
}
