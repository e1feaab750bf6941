#!/usr/bin/env bash
# Installs the two OCI registries the push/pull/verify tests start on loopback
# ports: Debian's docker-registry (distribution 2.8, no referrers API) and
# olareg (referrers API), built from the pinned module in scripts/olareg
# (go.mod + go.sum pin every byte) into the user cache.
# --print prints "DOCKER_REGISTRY OLAREG" paths and installs nothing.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
version="$(sed -n 's/^\tgithub.com\/olareg\/olareg \(v[^ ]*\).*/\1/p' "$here/olareg/go.mod" | head -1)"
cache="${COHOS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/cohos}/olareg-$version"
olareg="$cache/olareg"
dreg="$(command -v docker-registry || echo /usr/bin/docker-registry)"
if [ "${1:-}" = "--print" ]; then
  echo "$dreg $olareg"
  exit 0
fi
if ! [ -x "$dreg" ]; then
  echo "setup-registries: installing Debian's docker-registry" >&2
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends docker-registry >/dev/null
  else
    echo "setup-registries: docker-registry missing; run: sudo apt-get install docker-registry" >&2
    exit 1
  fi
fi
if ! [ -x "$olareg" ]; then
  echo "setup-registries: building olareg $version" >&2
  mkdir -p "$cache"
  (cd "$here/olareg" && GOTOOLCHAIN=local GOFLAGS=-mod=readonly go build -trimpath -o "$olareg.tmp" github.com/olareg/olareg/cmd/olareg)
  mv "$olareg.tmp" "$olareg"
fi
"$olareg" version >/dev/null 2>&1 || "$olareg" --help >/dev/null
