#!/usr/bin/env bash
# Installs Debian's Chromium for the report tests when it is missing.
set -euo pipefail
if command -v chromium >/dev/null 2>&1; then
  exit 0
fi
echo "setup-chromium: installing chromium" >&2
if [ "$(id -u)" -ne 0 ]; then
  echo "setup-chromium: need root to apt-get install chromium" >&2
  exit 1
fi
apt-get update -q >&2
DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium >&2
