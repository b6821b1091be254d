#!/usr/bin/env bash
# Installs the Python peers the tests use (a real MLflow tracking server; pyarrow/pandas;
# exchange_calendars, the reference of the trading-calendar tests) when they are missing.
# Idempotent and quick when everything is there.
set -euo pipefail
cd "$(dirname "$0")/.."
if python3 -c "import mlflow, pyarrow, pandas, requests, exchange_calendars" 2>/dev/null; then
  exit 0
fi
echo "installing Python test dependencies from requirements-test.txt …" >&2
python3 -m pip install --quiet --disable-pip-version-check -r requirements-test.txt
