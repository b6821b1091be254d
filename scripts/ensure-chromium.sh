#!/usr/bin/env bash
# Makes sure Debian's `chromium` is installed: the UI tests (test/ui.e2e-spec.ts) drive it with
# puppeteer-core, which never downloads a browser. Idempotent and instant when it is there; needs
# root (or sudo) the first time.
set -euo pipefail
if command -v chromium >/dev/null 2>&1; then
  exit 0
fi
echo "installing chromium with apt-get …" >&2
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# Fonts so the screenshots show text; the rest of the recommends (GUI extras) are not needed headless.
$SUDO apt-get install -y -qq --no-install-recommends chromium fonts-liberation >/dev/null
command -v chromium >/dev/null
