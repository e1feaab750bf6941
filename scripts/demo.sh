#!/usr/bin/env bash
# demo.sh: six governed MassGen runs on the scripted substrate server, three
# behaviours in both MassGen modes (cohos rehearse), each signed and
# verified offline. Run by `make demo` (after `make build` and
# scripts/setup-massgen.sh); needs no network and no model.
#
#   profile  substrate behaviour                voting     synthesis
#   stable   answers once, then votes           ALLOW      ALLOW
#   slow     4 s per model call                 MARGINAL   MARGINAL
#   thrash   agents keep re-answering           REFUSE     ALLOW
#
# Thrash churns only where voting lets it: in synthesis mode (voting off,
# one answer per role agent, a synthesized final answer) there is nothing to
# re-answer. Writes demo-runs/demo.pem + demo.pub (once) and
# demo-runs/rehearsal/<profile>-<mode>/ (fresh each time), with the console
# output in demo-runs/.logs/. Prints the matrix (decision, the rule that
# decided it, wall time, MassGen's model calls), then the total wall time.
# Exit 0 when every run ended as expected and its bundle verified, else 1.
# Works with bash 3.2 and later.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
cohos=bin/cohos
out=demo-runs
logs=$out/.logs
dir=$out/rehearsal
question="What is 2+2?"
profiles="stable slow thrash"
modes="voting synthesis"

# want_of PROFILE MODE: the expected decision.
want_of() {
	case $1-$2 in
	stable-*) echo ALLOW ;;
	slow-*) echo MARGINAL ;;
	thrash-voting) echo REFUSE ;;
	thrash-synthesis) echo ALLOW ;;
	esac
}
# code_of DECISION: cohos verify's exit code for it.
code_of() { case $1 in ALLOW) echo 0 ;; MARGINAL) echo 3 ;; *) echo 1 ;; esac; }

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

mkdir -p "$out"
rm -rf "${dir:?}" "$logs"
mkdir -p "$logs"

if [ ! -f "$out/demo.pem" ] || [ ! -f "$out/demo.pub" ]; then
	rm -f "$out/demo.pem" "$out/demo.pub"
	"$cohos" keys generate --out "$out/demo" >/dev/null
	say "made the demo key $out/demo.pem ($out/demo.pub)"
fi

# One rehearsal: every profile in both modes, each run on its own substrate
# on a free loopback port. The slow runs mostly wait and run beside the
# others; at most two MassGen processes at a time otherwise share the CPU.
say "running 6 governed MassGen jobs (3 profiles x 2 modes; MassGen alone takes ~10 s of CPU to start each)"
rc=0
"$cohos" rehearse -q --sign "$out/demo.pem" --out "$dir" --jobs 2 --timeout 10m \
	--profiles "$(echo $profiles | tr ' ' ,)" --modes "$(echo $modes | tr ' ' ,)" \
	>"$logs/rehearsal.out" 2>"$logs/rehearsal.err" || rc=$?
[ -s "$logs/rehearsal.out" ] || die "cohos rehearse failed (exit $rc): $(tail -n 3 "$logs/rehearsal.err")"

# Check each run against its expectation, verifying its bundle offline.
ok=1
[ "$rc" = 0 ] || ok=0
notes=""
for p in $profiles; do
	for m in $modes; do
		run=$dir/$p-$m
		want=$(want_of "$p" "$m")
		got=$(sed -n 's/^  "decision": "\([A-Z]*\)",$/\1/p' "$run/decision.json" 2>/dev/null || true)
		vrc=0
		if [ -f "$run/bundle.intoto.jsonl" ]; then
			"$cohos" verify "$run" --key "$out/demo.pub" >"$logs/$p-$m.verify" 2>&1 || vrc=$?
		else
			vrc=none
		fi
		if [ "$got" != "$want" ] || [ "$vrc" != "$(code_of "$want")" ]; then
			ok=0
			notes="$notes
  $p/$m: expected $want, got ${got:-nothing} (verify exit $vrc; see $run and $logs)"
		fi
	done
done
elapsed=$(awk -v a="$start" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }')

printf '\n'
cat "$logs/rehearsal.out"
printf '\nEach bundle was verified offline: bin/cohos verify %s/<profile>-<mode> --key %s/demo.pub\n' "$dir" "$out"
printf '(exit 0 ALLOW, 3 MARGINAL, 1 REFUSE). Total wall time: %s s.\n' "$elapsed"
printf 'The same on a real model server (LM Studio; Ollama: http://127.0.0.1:11434/v1, vLLM: http://127.0.0.1:8000/v1):\n'
printf '  bin/cohos run --sign %s/demo.pem --model-url http://127.0.0.1:1234/v1 [--mode voting] "%s"\n' "$out" "$question"
printf '  bin/cohos rehearse --sign %s/demo.pem --model-url http://127.0.0.1:1234/v1   # both modes, one matrix\n' "$out"
if [ "$ok" = 1 ]; then
	exit 0
fi
say "not every run ended as expected:$notes"
exit 1
