#!/usr/bin/env bash
# Installs the Python peers the tests use (a real MLflow tracking server; pyarrow/pandas; pytest;
# exchange_calendars, the reference of the trading-calendar tests)
# and the Python client of clients/python (editable, with its [mlflow] extra) when they are
# missing. Idempotent and quick when everything is there: it only looks the modules up.
set -euo pipefail
cd "$(dirname "$0")/.."
if python3 - "$PWD" 2>/dev/null <<'PY'
import importlib.util as util
import sys

if not all(util.find_spec(m) for m in ("mlflow", "pyarrow", "pandas", "requests", "pytest", "openapi_spec_validator", "sklearn", "scipy", "exchange_calendars")):
    sys.exit(1)
client = util.find_spec("market_feature_store")
# It must be this checkout's client: an install from another copy of the repository would test other code.
sys.exit(0 if client and client.origin and client.origin.startswith(sys.argv[1] + "/clients/python/") else 1)
PY
then
  exit 0
fi
echo "installing Python test dependencies and the client from requirements-test.txt …" >&2
python3 -m pip install --quiet --disable-pip-version-check -r requirements-test.txt
