#!/bin/sh
# setup-massgen.sh: create the project-local virtualenv .venv at the repository
# root holding exactly scripts/lock/massgen.lock: MassGen and its whole
# dependency tree, every package at its locked version, every file checked
# against its locked sha256 (pip --require-hashes --no-deps), nothing resolved.
#
# Then it proves what it installed: `pip freeze` must name only locked
# versions, and MassGen's console entry point must import (the same import
# chain `massgen` runs), or it fails loudly and leaves no usable marker.
#
# Idempotent: .venv/cohos-lock.sha256 records the digest of the lock it was
# installed from; an unchanged lock exits at once, a changed one rebuilds
# the virtualenv from scratch (so nothing from an older lock lingers).
# Progress goes to stderr only.
# Environment: PYTHON names the interpreter to use (default python3; >= 3.11).
set -eu

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
venv="$root/.venv"
lock="$here/lock/massgen.lock"
marker="$venv/cohos-lock.sha256"

say() { printf 'setup-massgen: %s\n' "$*" >&2; }
die() {
	say "error: $*"
	exit 1
}

[ -f "$lock" ] || die "$lock is missing (run make lock)"
want=$(sha256sum "$lock" | cut -d' ' -f1)

if [ -x "$venv/bin/massgen" ] && [ -f "$marker" ] && [ "$(cat "$marker")" = "$want" ]; then
	exit 0
fi

python=${PYTHON:-python3}
command -v "$python" >/dev/null 2>&1 || die "$python not found; MassGen needs Python >= 3.11"
"$python" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' ||
	die "$("$python" -c 'import sys; print("%d.%d" % sys.version_info[:2])') is too old: MassGen needs Python >= 3.11 (set PYTHON)"

if [ -e "$venv" ]; then
	say "lock changed or install incomplete: rebuilding $venv"
	rm -rf "$venv"
fi
say "creating $venv"
"$python" -m venv "$venv" || die "cannot create $venv"

say "installing $(grep -c '==' "$lock") locked packages (this can take several minutes)"
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check \
	--require-hashes --no-deps -r "$lock" >&2 ||
	die "pip could not install scripts/lock/massgen.lock (hash mismatch or a package missing from the index)"

# Every installed distribution is one the lock names, at the locked version.
"$venv/bin/python" -m pip freeze --disable-pip-version-check --all --exclude pip --exclude setuptools --exclude wheel |
	"$venv/bin/python" -c '
import re, sys
norm = lambda n: re.sub(r"[-_.]+", "-", n).lower()
locked = set()
for line in open(sys.argv[1], encoding="utf-8"):
    m = re.match(r"([A-Za-z0-9][A-Za-z0-9._-]*)==([^ ;\\]+)", line)
    if m:
        locked.add(norm(m.group(1)) + "==" + m.group(2))
bad = []
for line in sys.stdin:
    line = line.strip()
    if not line:
        continue
    name, sep, ver = line.partition("==")
    if not sep or norm(name) + "==" + ver not in locked:
        bad.append(line)
if bad:
    sys.exit("installed but not in the lock: " + ", ".join(bad))
' "$lock" || die "the virtualenv differs from scripts/lock/massgen.lock"

# The import chain the massgen command runs: its console entry point.
"$venv/bin/python" -W ignore -c '
import importlib, importlib.metadata as md, sys
eps = [e for e in md.entry_points(group="console_scripts") if e.name == "massgen"]
if not eps:
    sys.exit("massgen declares no console script")
mod, _, attr = eps[0].value.partition(":")
obj = importlib.import_module(mod)
for a in filter(None, attr.split(".")):
    obj = getattr(obj, a)
print(md.version("massgen"))
' >"$venv/massgen.version.tmp" 2>"$venv/import-error.log" || {
	cat "$venv/import-error.log" >&2
	die "MassGen does not start: $(tail -n 1 "$venv/import-error.log")"
}
got=$(cat "$venv/massgen.version.tmp")
rm -f "$venv/massgen.version.tmp" "$venv/import-error.log"
pin=$(sed -n 's/^massgen==\([^ ;\\]*\).*/\1/p' "$lock")
[ "$got" = "$pin" ] || die "installed massgen $got, the lock says $pin"
[ -x "$venv/bin/massgen" ] || die "$venv/bin/massgen missing after install"

tmp="$marker.tmp.$$"
printf '%s\n' "$want" >"$tmp"
mv -f "$tmp" "$marker"
say "massgen $got ready in $venv (lock sha256 $want)"
