#!/usr/bin/env bash
# bench-artifacts.sh: time artifacts.Hash against sha256sum on the same tree.
#
# Creates 100 directories of 100 files of 4 KiB (10,000 files) in a temporary
# directory, then in the same run times
#   - sha256sum on 2 processes: find . -type f -print0 | xargs -0 -P2 -n 5000 sha256sum
#   - BenchmarkHash10kFiles (the tree is passed in COHOS_BENCH_TREE)
# and prints the ratio Hash / sha256sum. Removes everything it created.
#
# Usage: scripts/bench-artifacts.sh [ROUNDS]   (default 5; the best round counts)
set -euo pipefail
export GOTOOLCHAIN=local

rounds=${1:-5}
repo=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

tree=$work/tree
mkdir "$tree"
for d in $(seq -w 0 99); do
	mkdir "$tree/d$d"
	head -c $((100 * 4096)) /dev/urandom | (cd "$tree/d$d" && split -a 3 -d -b 4096 - f)
done
count=$(find "$tree" -type f | wc -l)
[ "$count" -eq 10000 ] || { echo "bench-artifacts: made $count files, want 10000" >&2; exit 1; }

# Warm the page cache so both sides read from memory.
cat "$tree"/d*/f* >/dev/null

(cd "$repo" && go test -c -o "$work/artifacts.test" ./internal/artifacts)

now() { date +%s%N; }
best_sum=
best_go=
for r in $(seq "$rounds"); do
	t0=$(now)
	(cd "$tree" && find . -type f -print0 | xargs -0 -P2 -n 5000 sha256sum >/dev/null)
	t1=$(now)
	s=$((t1 - t0))
	if [ -z "$best_sum" ] || [ "$s" -lt "$best_sum" ]; then best_sum=$s; fi

	out=$(COHOS_BENCH_TREE=$tree "$work/artifacts.test" -test.run '^$' \
		-test.bench '^BenchmarkHash10kFiles$' -test.benchtime 5x -test.count 1)
	g=$(awk '/^BenchmarkHash10kFiles/ {print $3}' <<<"$out")
	[ -n "$g" ] || { echo "bench-artifacts: no benchmark result:" >&2; echo "$out" >&2; exit 1; }
	if [ -z "$best_go" ] || [ "$g" -lt "$best_go" ]; then best_go=$g; fi
	awk -v r="$r" -v s="$s" -v g="$g" \
		'BEGIN { printf "round %d: sha256sum -P2 %6.1f ms   Hash %6.1f ms   ratio %.2f\n", r, s / 1e6, g / 1e6, g / s }'
done
awk -v s="$best_sum" -v g="$best_go" 'BEGIN {
	bytes = 10000 * 4096
	printf "best: sha256sum -P2 %.1f ms (%.0f MB/s)   Hash %.1f ms (%.0f MB/s, %d ns/op)\n",
		s / 1e6, bytes / (s / 1e3), g / 1e6, bytes / (g / 1e3), g
	printf "ratio Hash / sha256sum: %.2f\n", g / s
}'
