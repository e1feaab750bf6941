package verify

import (
	"context"
	"fmt"
	"io/fs"

	"cohos.dev/cohos/attest"
	"cohos.dev/cohos/internal/artifacts"
)

// The artifacts.digest check: the files on disk are the attested set.

// artifacts compares the files on disk with the attested list.
func (v *verifier) artifacts(ctx context.Context, line int, pred *attest.Predicate) {
	if v.opts.Artifacts == nil {
		if v.opts.UnsafeSkipArtifacts {
			v.check(line, CheckArtifacts, Skip, "unsafe: no artifact directory checked")
		} else {
			v.check(line, CheckArtifacts, Fail, "no artifact directory given")
		}
		return
	}
	select {
	case <-v.disk.done:
	case <-ctx.Done():
		v.check(line, CheckArtifacts, Fail, "cannot hash the artifact directory: %v", ctx.Err())
		return
	}
	if v.disk.err != nil {
		v.check(line, CheckArtifacts, Fail, "cannot hash the artifact directory: %v", v.disk.err)
		return
	}
	var (
		d       artifacts.Diff
		unnamed bool
	)
	if pred.Listed() {
		d = artifacts.Compare(pred.Set(), v.disk.set)
	} else {
		d, unnamed = v.compareUnlisted(pred)
	}
	if d.Empty() && !unnamed {
		v.onDisk = true
		v.check(line, CheckArtifacts, Pass, "%d file(s) match the attested set", pred.Artifacts.Count)
		return
	}
	if unnamed {
		v.report.add(Check{
			ID: CheckArtifacts, Status: Fail, Envelope: line,
			Reason: fmt.Sprintf("artifact set differs from the attested digests (%d file(s) on disk, %d attested); SHA256SUMS is missing or not the attested one, so the files that differ cannot be named", v.disk.sums.Count, pred.Artifacts.Count),
			Added:  d.Added, Missing: d.Missing, Changed: d.Changed,
		})
		return
	}
	v.report.add(Check{
		ID: CheckArtifacts, Status: Fail, Envelope: line,
		Reason: fmt.Sprintf("artifact set differs: %d added, %d missing, %d changed", len(d.Added), len(d.Missing), len(d.Changed)),
		Added:  d.Added, Missing: d.Missing, Changed: d.Changed,
	})
}

type diskSet struct {
	done chan struct{}
	set  *artifacts.Set
	sums artifacts.Sums
	err  error
}

// hashDisk starts hashing fsys; wait for the result on done.
func hashDisk(ctx context.Context, fsys fs.FS, workers int) *diskSet {
	d := &diskSet{done: make(chan struct{})}
	go func() {
		defer close(d.done)
		d.set, d.err = artifacts.Hash(ctx, fsys, artifacts.Options{Workers: workers})
		if d.err == nil {
			d.sums = d.set.Sums()
		}
	}()
	return d
}
