#!/usr/bin/env bash
# bench-run.sh: the cost of `cohos run -- true`, isolated and not, against
# `true` itself and against a baseline cohos built from another git ref
# (default: main), all in one interleaved run on the same machine load.
#
# Builds this tree's cohos and the baseline's (from `git archive REF`) into
# a temporary directory, makes an unencrypted key, then times, ROUNDS times
# each (default 40), with scripts/benchrun:
#   true       /bin/true
#   start      cohos --version (what starting the cohos binary costs: the
#              isolated run's init is that binary again)
#   base       baseline cohos run --sign key -- /bin/true
#   off        cohos run --isolation=off --sign key -- /bin/true
#   isolated   cohos run --sign key -- /bin/true  (namespaces)
# and prints medians (wall and CPU) and the ratios off/base, isolated/off,
# isolated/base, off/true, isolated/true. Removes everything it created.
#
# Usage: scripts/bench-run.sh [ROUNDS] [REF]
set -euo pipefail
export GOTOOLCHAIN=local

rounds=${1:-40}
ref=${2:-main}
repo=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

(cd "$repo" && go build -o "$work/cohos" ./cmd/cohos)
mkdir "$work/base-src"
git -C "$repo" archive "$ref" | tar -x -C "$work/base-src"
(cd "$work/base-src" && go build -o "$work/cohos-base" ./cmd/cohos)
"$work/cohos" keys generate --out "$work/key" >/dev/null
true_bin=$(command -v true)
[ "${true_bin#/}" != "$true_bin" ] || true_bin=/bin/true

run="run --sign $work/key.pem -q --out {out}"
cd "$work"
go run "$repo/scripts/benchrun/main.go" -rounds "$rounds" \
	-ratio off/base -ratio isolated/off -ratio isolated/base -ratio off/true -ratio isolated/true -ratio start/true \
	"true=$true_bin" \
	"start=$work/cohos --version" \
	"base=$work/cohos-base $run -- $true_bin" \
	"off=$work/cohos $run --isolation=off -- $true_bin" \
	"isolated=$work/cohos $run -- $true_bin"
