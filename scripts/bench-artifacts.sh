#!/usr/bin/env bash
# bench-artifacts.sh: time artifacts.Hash against sha256sum on the same tree.
#
# Creates 100 directories of 100 files of 4 KiB (10,000 files) in a temporary
# directory, then in each round, in the same run, times
#   - sha256sum on 2 processes: find . -type f -print0 | xargs -0 -P2 -n 5000 sha256sum
#   - BenchmarkHash10kFiles        (Hash through root.FS(), the generic path)
#   - BenchmarkHash10kFilesRootFS  (Hash through RootFS(root), the descriptor walk)
#   - BenchmarkSHA256Loop10kFiles  (one goroutine, os.Open + read + sha256, list known)
# (the tree is passed to the benchmarks in COHOS_BENCH_TREE), and prints each
# one's ratio to sha256sum. The best round of each counts. Removes everything
# it created.
#
# Usage: scripts/bench-artifacts.sh [ROUNDS]   (default 5)
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

# Warm the page cache so every side reads from memory.
cat "$tree"/d*/f* >/dev/null

(cd "$repo" && go test -c -o "$work/artifacts.test" ./internal/artifacts)

benches=(Hash10kFiles Hash10kFilesRootFS SHA256Loop10kFiles)
now() { date +%s%N; }
declare -A best
for r in $(seq "$rounds"); do
	t0=$(now)
	(cd "$tree" && find . -type f -print0 | xargs -0 -P2 -n 5000 sha256sum >/dev/null)
	t1=$(now)
	s=$((t1 - t0))
	if [ -z "${best[sum]:-}" ] || [ "$s" -lt "${best[sum]}" ]; then best[sum]=$s; fi
	line=$(awk -v r="$r" -v s="$s" 'BEGIN { printf "round %d: sha256sum -P2 %6.1f ms", r, s / 1e6 }')
	for b in "${benches[@]}"; do
		out=$(COHOS_BENCH_TREE=$tree "$work/artifacts.test" -test.run '^$' \
			-test.bench "^Benchmark$b\$" -test.benchtime 5x -test.count 1)
		g=$(awk -v b="Benchmark$b" '$1 ~ "^" b "(-[0-9]+)?$" {print $3}' <<<"$out")
		[ -n "$g" ] || { echo "bench-artifacts: no result for $b:" >&2; echo "$out" >&2; exit 1; }
		if [ -z "${best[$b]:-}" ] || [ "$g" -lt "${best[$b]}" ]; then best[$b]=$g; fi
		line+=$(awk -v b="$b" -v s="$s" -v g="$g" 'BEGIN { printf "   %s %6.1f ms (%.2f)", b, g / 1e6, g / s }')
	done
	echo "$line"
done
s=${best[sum]}
awk -v s="$s" 'BEGIN { printf "best of %s rounds, 10,000 files of 4 KiB (ratio to sha256sum -P2):\n", "'"$rounds"'";
	printf "  %-20s %7.1f ms %5.0f MB/s\n", "sha256sum -P2", s / 1e6, 10000 * 4096 / (s / 1e3) }'
for b in "${benches[@]}"; do
	awk -v b="$b" -v s="$s" -v g="${best[$b]}" 'BEGIN {
		printf "  %-20s %7.1f ms %5.0f MB/s  ratio %.2f\n", b, g / 1e6, 10000 * 4096 / (g / 1e3), g / s }'
done
