#!/usr/bin/env bash
# Mutation testing of the packages that decide what verifies: gremlins
# (pinned by scripts/setup-gremlins.sh) changes one operator at a time and
# runs the package's tests; a mutant the tests do not notice "lives".
# Each package must kill at least its floor (efficacy = killed / (killed +
# lived), in percent), set from the measured baseline; raise a floor when
# new tests kill more, never lower one to make a change pass.
#
#   scripts/mutation.sh                # every package below
#   scripts/mutation.sh verify keys    # some of them
#
# MUTATION_WORKERS (default 1) bounds parallel mutants; MUTATION_OUT (default
# a temporary directory) keeps each package's log and JSON report.
set -euo pipefail
cd "$(dirname "$0")/.."
export GOTOOLCHAIN=local

# package floor (percent), from the runs of 2026-12 (gremlins v0.6.0, these
# flags): verify 98.7 (150 killed, 2 lived: both equivalent mutants, see
# verify/mutants2*_test.go), policy 92.0 (288 killed, 25 lived, 4 timed out;
# policy/bounds_test.go pins the limits and number edges), keys 100 (91
# killed), attest 78.6 (raise it as its 24 survivors are killed),
# internal/artifacts 87.0 (255 killed, 38 lived, 14 timed out; most survivors
# change buffer or batch sizes and capacity hints, not results).
floors="
verify 95
attest 78
policy 91
internal/artifacts 86
keys 98
"

gremlins="$(scripts/setup-gremlins.sh --print)"
scripts/setup-gremlins.sh
workers="${MUTATION_WORKERS:-1}"
out="${MUTATION_OUT:-$(mktemp -d)}"
mkdir -p "$out"
want=("$@")
status=0
while read -r pkg floor; do
  [ -n "$pkg" ] || continue
  if [ ${#want[@]} -gt 0 ] && [[ ! " ${want[*]} " == *" $pkg "* ]]; then
    continue
  fi
  name="${pkg//\//_}"
  echo "mutation: $pkg (floor ${floor}%)" >&2
  # The timeout is a multiple of the coverage run's time; compiling each
  # mutant takes longer than that run, so the multiple is generous. The
  # floor is checked here: gremlins v0.6.0 ignores --threshold-efficacy.
  "$gremlins" unleash --workers "$workers" --timeout-coefficient 30 \
    --invert-logical --invert-loopctrl \
    -o "$out/$name.json" "./$pkg" >"$out/$name.log" 2>&1 || true
  grep -E '^(Killed|Timed out|Test efficacy)' "$out/$name.log" | sed "s|^|mutation: $pkg: |" >&2 || true
  efficacy="$(sed -n 's/^Test efficacy: \([0-9.]*\)%.*/\1/p' "$out/$name.log")"
  if [ -z "$efficacy" ]; then
    echo "mutation: $pkg: no result (do its tests pass?); see $out/$name.log" >&2
    tail -20 "$out/$name.log" >&2
    status=1
  elif awk -v e="$efficacy" -v f="$floor" 'BEGIN { exit !(e < f) }'; then
    echo "mutation: $pkg: efficacy ${efficacy}% is below its floor of ${floor}%; surviving mutants:" >&2
    grep -E '^ *LIVED' "$out/$name.log" >&2 || true
    status=1
  fi
done <<<"$floors"
echo "mutation: logs and reports in $out" >&2
exit "$status"
