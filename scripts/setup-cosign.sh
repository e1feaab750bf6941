#!/usr/bin/env bash
# Installs cosign (pinned) for the interop tests, cached outside the repo.
# --print prints the binary's path and installs nothing.
set -euo pipefail
version=v2.6.5
cache="${COHOS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/cohos}/cosign-$version"
bin="$cache/cosign"
if [ "${1:-}" = "--print" ]; then
  echo "$bin"
  exit 0
fi
if [ -x "$bin" ] && "$bin" version >/dev/null 2>&1; then
  exit 0
fi
echo "setup-cosign: building cosign $version (takes several minutes, once)" >&2
mkdir -p "$cache"
GOTOOLCHAIN=local GOBIN="$cache" go install "github.com/sigstore/cosign/v2/cmd/cosign@$version"
"$bin" version >/dev/null
