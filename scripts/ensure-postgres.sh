#!/usr/bin/env bash
# Makes sure PostgreSQL's server binaries (Debian's package) are installed: the tests start their
# own throwaway servers with them (test/support/postgres.server.ts). Idempotent and instant when
# they are there; needs root (or sudo) the first time.
set -euo pipefail
if ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1 && ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
  exit 0
fi
echo "installing postgresql with apt-get …" >&2
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends postgresql >/dev/null
# The package starts a system cluster; the tests do not use it.
$SUDO service postgresql stop >/dev/null 2>&1 || true
ls /usr/lib/postgresql/*/bin/postgres >/dev/null
