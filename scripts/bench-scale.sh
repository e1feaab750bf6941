#!/usr/bin/env bash
# bench-scale.sh: attest and verify of large artifact sets, and verify
# throughput on many small bundles, each beside a baseline in the same run.
#
# For each N in the sizes given (default 10000 100000 1000000) it makes a
# run directory of N files of 1 KiB (1,000 per directory), then times, with
# peak memory (GNU time's maximum resident set size):
#   - the baseline: find DIR -type f -print0 | xargs -0 -P2 cat > /dev/null
#   - cohos attest DIR (Ed25519 key)
#   - cohos verify DIR
# and prints each as a ratio to the baseline, and KiB of peak memory per
# file. Then it attests 1,000 small runs and times one `cohos verify` of all
# 1,000 bundles: bundles per second. The page cache is warmed first, so
# every side reads from memory. Everything it made is removed at the end.
#
# Usage: scripts/bench-scale.sh [N ...]      (10^6 needs ~5 GB of disk)
set -euo pipefail
export GOTOOLCHAIN=local

repo=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(10000 100000 1000000)

(cd "$repo" && go build -o "$work/cohos" ./cmd/cohos)
cohos=$work/cohos
"$cohos" keys generate --out "$work/key" --algorithm ed25519 >/dev/null
cat >"$work/policy.yaml" <<'YAML'
apiVersion: cohos/v1
kind: Policy
name: bench
rules:
  - {metric: completed, require: true}
YAML
echo '{"completed": true}' >"$work/metrics.json"

# measure CMD...: runs CMD under GNU time; sets secs (wall), cpu (user +
# system seconds) and kib (peak resident set).
measure() {
	local out=$work/time.out
	/usr/bin/time -f '%e %M %U %S' -o "$out" "$@" >/dev/null 2>"$work/stderr" || {
		local rc=$?
		# attest and verify exit 0 on ALLOW; anything else is a failure here.
		echo "bench-scale: $* exited $rc:" >&2
		cat "$work/stderr" >&2
		exit 1
	}
	local user sys
	read -r secs kib user sys <"$out"
	cpu=$(echo "$user+$sys" | bc -l)
}

# mktree DIR N: N files of 1 KiB, 1,000 per directory.
mktree() {
	local dir=$1 n=$2 d
	mkdir -p "$dir"
	for ((d = 0; d * 1000 < n; d++)); do
		local m=$((n - d * 1000))
		((m > 1000)) && m=1000
		mkdir "$dir/d$d"
		head -c $((m * 1024)) /dev/urandom | (cd "$dir/d$d" && split -a 4 -d -b 1024 - f)
	done
}

echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-9s %-22s %9s %8s %8s %10s %9s\n' files step seconds ratio "CPU s" "peak MiB" "KiB/file"
for n in "${sizes[@]}"; do
	run=$work/run-$n
	mktree "$run" "$n"
	sync
	# warm the page cache
	find "$run" -type f -print0 | xargs -0 -P2 cat >/dev/null
	measure sh -c "find '$run' -type f -print0 | xargs -0 -P2 cat > /dev/null"
	base=$secs
	printf '%-9s %-22s %9.2f %8s %8.2f %10.1f %9s\n' "$n" "find|xargs -P2 cat" "$secs" "1.00" "$cpu" "$(echo "$kib/1024" | bc -l)" "-"
	measure "$cohos" attest "$run" --sign "$work/key.pem" --policy "$work/policy.yaml" --metrics "$work/metrics.json"
	printf '%-9s %-22s %9.2f %8.2f %8.2f %10.1f %9.3f\n' "$n" "cohos attest" "$secs" "$(echo "$secs/$base" | bc -l)" "$cpu" "$(echo "$kib/1024" | bc -l)" "$(echo "$kib/$n" | bc -l)"
	measure "$cohos" verify "$run" --key "$work/key.pub"
	printf '%-9s %-22s %9.2f %8.2f %8.2f %10.1f %9.3f\n' "$n" "cohos verify" "$secs" "$(echo "$secs/$base" | bc -l)" "$cpu" "$(echo "$kib/1024" | bc -l)" "$(echo "$kib/$n" | bc -l)"
	rm -rf "$run"
done

# 1,000 small bundles in one verify call.
small=$work/small
mkdir "$small"
for i in $(seq -w 1 1000); do
	mkdir -p "$small/r$i"
	echo "$i" >"$small/r$i/out.txt"
done
printf '%s\0' "$small"/r* | xargs -0 -P2 -I{} "$cohos" attest {} --sign "$work/key.pem" \
	--policy "$work/policy.yaml" --metrics "$work/metrics.json" >/dev/null
measure "$cohos" verify "$small"/r* --key "$work/key.pub"
printf '1000 small bundles, one verify: %.2f s wall, %.2f s CPU, %.0f bundles/s wall (%.0f per CPU-second), peak %.1f MiB\n' \
	"$secs" "$cpu" "$(echo "1000/$secs" | bc -l)" "$(echo "1000/$cpu" | bc -l)" "$(echo "$kib/1024" | bc -l)"
