#!/usr/bin/env bash
# Installs Feast (the reference peer of the benchmarks and the Feast-compatibility checks) into its
# own virtualenv under .cache/feast-venv, so its pins never disturb the test dependencies.
# Idempotent and quick when it is there. Prints the venv's python path on stdout.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=.cache/feast-venv
if ! "$VENV/bin/python" -c "import feast, redis, ibis, duckdb" 2>/dev/null; then
  echo "installing Feast into $VENV (requirements-feast.txt) …" >&2
  python3 -m venv "$VENV"
  "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -r requirements-feast.txt >&2
fi
echo "$PWD/$VENV/bin/python"
