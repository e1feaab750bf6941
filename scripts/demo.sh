#!/usr/bin/env bash
# demo.sh: three governed MassGen runs on the scripted substrate server, one
# per decision, each verified offline. Run by `make demo` (after `make build`
# and scripts/setup-massgen.sh); needs no network and no model.
#
#   scenario  substrate profile           expected decision
#   stable    answers once, then votes    ALLOW     (exit 0)
#   slow      4 s per model call          MARGINAL  (exit 3)
#   thrash    agents keep re-answering    REFUSE    (exit 1)
#
# Writes demo-runs/demo.pem + demo.pub (once) and demo-runs/<scenario>/ (fresh
# each time: old scenario directories are removed first), with the console
# output of each step in demo-runs/.logs/. Prints a table: scenario, decision,
# the rule that decided it, bundle path; then the total wall time. Exit 0 when
# every scenario ended as expected and its bundle verified, else 1.
# Works with bash 3.2 and later.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
cohos=bin/cohos
out=demo-runs
logs=$out/.logs
question="What is 2+2?"
scenarios="stable slow thrash"

# The substrate flags, expected decision and exit code of each scenario.
flags_of() { case $1 in slow) echo "--latency 4s" ;; *) echo "" ;; esac; }
want_of() { case $1 in stable) echo ALLOW ;; slow) echo MARGINAL ;; thrash) echo REFUSE ;; esac; }
code_of() { case $1 in stable) echo 0 ;; slow) echo 3 ;; thrash) echo 1 ;; esac; }

say() { printf 'demo: %s\n' "$*" >&2; }
die() {
	say "error: $*"
	exit 1
}
now() {
	if [ -n "${EPOCHREALTIME:-}" ]; then
		echo "$EPOCHREALTIME"
	else
		date +%s
	fi
}

[ -x "$cohos" ] || die "$cohos missing: run make build (or make demo)"
start=$(now)

# Substrate servers and cohos runs still going; stopped on exit (a stopped
# cohos run still signs its evidence, as a REFUSE).
servers=""
runs=""
cleanup() {
	local pid
	for pid in $runs $servers; do
		kill "$pid" 2>/dev/null || true
	done
	for pid in $runs $servers; do
		wait "$pid" 2>/dev/null || true
	done
	runs=""
	servers=""
}
trap cleanup EXIT
trap 'exit 130' INT TERM

mkdir -p "$out"
for s in $scenarios; do
	rm -rf "${out:?}/$s"
done
rm -rf "$logs"
mkdir -p "$logs"

if [ ! -f "$out/demo.pem" ] || [ ! -f "$out/demo.pub" ]; then
	rm -f "$out/demo.pem" "$out/demo.pub"
	"$cohos" keys generate --out "$out/demo" >/dev/null
	say "made the demo key $out/demo.pem ($out/demo.pub)"
fi

# One substrate per scenario on a free loopback port; each prints its URL.
for s in $scenarios; do
	# shellcheck disable=SC2046
	"$cohos" substrate serve --profile "$s" --addr 127.0.0.1:0 $(flags_of "$s") \
		</dev/null >/dev/null 2>"$logs/substrate-$s.err" &
	servers="$servers $!"
done
for s in $scenarios; do
	u=""
	for _ in $(seq 100); do
		u=$(sed -n 's|.*listening on \(http://[^ ]*\).*|\1|p' "$logs/substrate-$s.err")
		[ -n "$u" ] && break
		sleep 0.1
	done
	[ -n "$u" ] || die "substrate $s did not start: $(cat "$logs/substrate-$s.err")"
	printf -v "url_$s" '%s' "$u"
done

# start SCENARIO: start one governed MassGen run in the background.
start() {
	local url="url_$1"
	"$cohos" run --sign "$out/demo.pem" --out "$out/$1" --timeout 10m \
		--model-url "${!url}" "$question" >"$logs/$1.out" 2>"$logs/$1.err" &
	runs="$runs $!"
}
# finish SCENARIO PID: wait for a run and keep its exit code in .logs/SCENARIO.code.
finish() {
	local rc=0
	wait "$2" || rc=$?
	echo "$rc" >"$logs/$1.code"
}

# slow spends its time waiting on the substrate, so it runs beside the
# others; stable and thrash run one after the other, so that at most two
# MassGen processes share the CPU.
say "running 3 governed MassGen jobs (20-60 s: MassGen alone takes ~10 s of CPU to start)"
start slow
slow_pid=$!
for s in stable thrash; do
	start "$s"
	finish "$s" $!
done
finish slow "$slow_pid"
runs=""
cleanup

ok=1
table=$(printf '%-8s %-9s %-48s %s' SCENARIO DECISION "DECIDED BY" BUNDLE)
for s in $scenarios; do
	rc=$(cat "$logs/$s.code")
	line=$(head -n 1 "$logs/$s.out" || true)
	decision=${line%%: *}
	rule=${line#*: }
	if [ -z "$line" ]; then
		decision=ERROR
		rule=$(tail -n 1 "$logs/$s.err")
	fi
	vrc=0
	if [ -f "$out/$s/bundle.intoto.jsonl" ]; then
		"$cohos" verify "$out/$s" --key "$out/demo.pub" >"$logs/$s.verify" 2>&1 || vrc=$?
	else
		vrc=none
	fi
	mark=""
	if [ "$decision" != "$(want_of "$s")" ] || [ "$rc" != "$(code_of "$s")" ] || [ "$vrc" != "$(code_of "$s")" ]; then
		ok=0
		mark="  <- expected $(want_of "$s") (run exit $rc, verify exit $vrc; see $logs/$s.*)"
	fi
	table="$table
$(printf '%-8s %-9s %-48s %s%s' "$s" "$decision" "$rule" "$out/$s/bundle.intoto.jsonl" "$mark")"
done
elapsed=$(awk -v a="$start" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }')

printf '\n%s\n\n' "$table"
printf 'Each bundle was verified offline: bin/cohos verify %s/<scenario> --key %s/demo.pub\n' "$out" "$out"
printf '(exit 0 ALLOW, 3 MARGINAL, 1 REFUSE). Total wall time: %s s.\n' "$elapsed"
printf 'The same run against a real model server (LM Studio; Ollama: http://127.0.0.1:11434/v1, vLLM: http://127.0.0.1:8000/v1):\n'
printf '  bin/cohos run --sign %s/demo.pem --model-url http://127.0.0.1:1234/v1 "%s"\n' "$out" "$question"
if [ "$ok" = 1 ]; then
	exit 0
fi
say "not every scenario ended as expected"
exit 1
