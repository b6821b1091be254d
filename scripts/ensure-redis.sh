#!/usr/bin/env bash
# Makes sure `redis-server` (Debian's package) is installed: the tests start their own servers
# with it. Idempotent and instant when it is there; needs root (or sudo) the first time.
set -euo pipefail
if command -v redis-server >/dev/null 2>&1; then
  exit 0
fi
echo "installing redis-server with apt-get …" >&2
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends redis-server >/dev/null
# The package starts a system service; the tests do not use it.
$SUDO service redis-server stop >/dev/null 2>&1 || true
command -v redis-server >/dev/null
