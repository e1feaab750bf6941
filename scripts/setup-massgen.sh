#!/bin/sh
# setup-massgen.sh: create the project-local virtualenv .venv at the repository
# root and install the pinned MassGen release into it (pin: scripts/massgen.version).
#
# Idempotent: when .venv/massgen.version already records the pinned version and
# .venv/bin/massgen exists, it exits at once. Progress goes to stderr only.
# Environment: PYTHON names the interpreter to use (default python3; >= 3.11).
set -eu

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
venv="$root/.venv"
pin=$(tr -d ' \t\r\n' < "$here/massgen.version")

say() { printf 'setup-massgen: %s\n' "$*" >&2; }
die() { say "error: $*"; exit 1; }

case "$pin" in
'' | *[!0-9.]*) die "scripts/massgen.version holds \"$pin\", want a version like 0.1.91" ;;
esac

if [ -x "$venv/bin/massgen" ] && [ -f "$venv/massgen.version" ] &&
	[ "$(cat "$venv/massgen.version")" = "$pin" ]; then
	exit 0
fi

python=${PYTHON:-python3}
command -v "$python" >/dev/null 2>&1 || die "$python not found; MassGen needs Python >= 3.11"
"$python" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' ||
	die "$("$python" -c 'import sys; print("%d.%d" % sys.version_info[:2])') is too old: MassGen needs Python >= 3.11 (set PYTHON)"

if [ ! -x "$venv/bin/python" ]; then
	say "creating $venv"
	"$python" -m venv "$venv" || die "cannot create $venv"
fi

say "installing massgen==$pin (this can take several minutes)"
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check "massgen==$pin" >&2 ||
	die "pip could not install massgen==$pin"

got=$("$venv/bin/python" -c 'import importlib.metadata as m; print(m.version("massgen"))') ||
	die "massgen is not importable after install"
[ "$got" = "$pin" ] || die "installed massgen $got, want $pin"
[ -x "$venv/bin/massgen" ] || die "$venv/bin/massgen missing after install"

tmp="$venv/massgen.version.tmp.$$"
printf '%s\n' "$got" > "$tmp"
mv -f "$tmp" "$venv/massgen.version"
say "massgen $got ready in $venv"
