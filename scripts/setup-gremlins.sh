#!/usr/bin/env bash
# Installs the gremlins mutation tester (pinned) for `make mutation`,
# cached outside the repo. --print prints the binary's path and installs nothing.
set -euo pipefail
version=v0.6.0
cache="${COHOS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/cohos}/gremlins-$version"
bin="$cache/gremlins"
if [ "${1:-}" = "--print" ]; then
  echo "$bin"
  exit 0
fi
if [ -x "$bin" ] && "$bin" --version >/dev/null 2>&1; then
  exit 0
fi
echo "setup-gremlins: building gremlins $version (once)" >&2
mkdir -p "$cache"
GOTOOLCHAIN=local GOBIN="$cache" go install "github.com/go-gremlins/gremlins/cmd/gremlins@$version"
"$bin" --version >/dev/null
