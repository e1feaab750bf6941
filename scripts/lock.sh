#!/bin/sh
# lock.sh NAME CUTOFF (`make lock`, `make lock-model`): regenerate
# scripts/lock/NAME.lock from scripts/lock/NAME.in with uv, itself pinned by
# scripts/lock/tools.lock, in a throw-away tools virtualenv (.venv-tools).
#
# The resolution only sees releases published before CUTOFF (RFC 3339), so a
# lock does not drift with new releases. For massgen the cut-off is the day
# after the pinned MassGen was released: the lock holds the dependency
# versions MassGen was released against. Change a cut-off (in the Makefile)
# together with the pin in NAME.in.
set -eu

name=${1:?usage: scripts/lock.sh NAME CUTOFF}
cutoff=${2:?usage: scripts/lock.sh NAME CUTOFF}
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
tools="$root/.venv-tools"

say() { printf 'lock: %s\n' "$*" >&2; }
die() {
	say "error: $*"
	exit 1
}

[ -f "$here/lock/$name.in" ] || die "scripts/lock/$name.in does not exist"
python=${PYTHON:-python3}
command -v "$python" >/dev/null 2>&1 || die "$python not found (set PYTHON)"
if [ ! -x "$tools/bin/uv" ]; then
	"$python" -m venv "$tools" || die "cannot create $tools"
	"$tools/bin/python" -m pip install --quiet --disable-pip-version-check \
		--require-hashes --no-deps -r "$here/lock/tools.lock" >&2 ||
		die "cannot install uv from scripts/lock/tools.lock"
fi

cd "$root"
# Relative paths only: uv writes its command line into the lock's header.
"$tools/bin/uv" pip compile --quiet --universal --python-version 3.11 \
	--generate-hashes --exclude-newer "$cutoff" \
	--custom-compile-command "make $(if [ "$name" = massgen ]; then echo lock; else echo "lock-$name"; fi)" \
	--output-file "scripts/lock/$name.lock" "scripts/lock/$name.in" ||
	die "uv could not resolve scripts/lock/$name.in"
say "wrote scripts/lock/$name.lock ($(grep -c '==' "scripts/lock/$name.lock") packages)"
