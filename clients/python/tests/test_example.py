"""examples/mlflow_workflow.py runs, as a user would run it, against the real API and MLflow; what
it prints is checked against references computed here (plain HTTP, pandas on the sample CSV)."""
from __future__ import annotations

import json
import subprocess
import sys

import mlflow
import pandas as pd
import pytest

from conftest import RUN
from mlflow_reference import REPO, batch_reference, column_of, online_reference, process_env

SCRIPT = REPO / "examples" / "mlflow_workflow.py"


@pytest.fixture(scope="module", params=["sklearn", "numpy"])
def summary(request, base_url, tmp_path_factory):
    """The script's run, with each of its classifiers: exit code 0, its last line the JSON summary."""
    cwd = tmp_path_factory.mktemp("example")  # a user's folder: nothing may rely on the repo being the cwd
    env = process_env(FEATURE_STORE_URL=base_url, EXAMPLE_EXPERIMENT=f"example-{RUN}", EXAMPLE_CLASSIFIER=request.param)
    done = subprocess.run([sys.executable, str(SCRIPT)], cwd=cwd, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, f"{SCRIPT.name} failed:\n{done.stdout[-3000:]}\n{done.stderr[-6000:]}"
    return json.loads(done.stdout.strip().splitlines()[-1])


def labelled_bars() -> pd.DataFrame:
    """The example's entity rows, recomputed from the sample CSV: ts = Date + 1 day, label = the next bar closes above its open."""
    bars = pd.read_csv(REPO / "data" / "samples" / "btc-usd-daily-2021.csv").sort_values("Date").reset_index(drop=True)
    rows = []
    for i in range(len(bars) - 1):
        nxt = bars.iloc[i + 1]
        rows.append({"symbol": "BTC-USD", "ts": (pd.Timestamp(bars["Date"][i], tz="UTC") + pd.Timedelta(days=1)).isoformat(), "next_up": int(nxt["Close"] > nxt["Open"])})
    return pd.DataFrame(rows)


def test_the_run_is_linked_to_its_training_set_and_holds_the_model(summary, plain):
    run = plain.get(f"/v1/runs/{summary['run_id']}")
    linked = [t if isinstance(t, str) else t.get("id", t.get("trainingSetId")) for t in run["trainingSets"]]
    assert summary["training_set_id"] in linked
    manifest = plain.get(f"/v1/training-sets/{summary['training_set_id']}")
    bars = labelled_bars()
    assert manifest["rowCount"] == int(len(bars) * 0.7)  # the first 70 % of the bars, as the script says
    info = mlflow.models.get_model_info(summary["model_uri"])
    spec = info.metadata["feature_store"]
    assert spec["training_set_id"] == manifest["id"] and spec["training_set_digest"] == manifest["digest"]
    assert spec["features"] == [f"{f['view']}@{f['version']}:{f['feature']}" for f in manifest["features"]]
    assert mlflow.get_run(summary["run_id"]).data.tags["feature_store.training_set_id"] == manifest["id"]


def test_the_online_answer_is_the_model_on_plain_online_features(summary, base_url):
    spec = mlflow.models.get_model_info(summary["model_uri"]).metadata["feature_store"]
    model = mlflow.pyfunc.load_model(summary["model_uri"]).unwrap_python_model().model
    keys = [row["symbol"] for row in summary["online"]]
    assert keys == ["SYN0001", "BTC-USD", "NO-SUCH"]
    ref = online_reference(base_url, model, spec["features"], keys)
    assert [r["status"] for r in summary["online"]] == [r["status"] for r in ref] == ["OK", "OUTSIDE_TTL", "NOT_FOUND"]
    assert summary["online"][0]["prediction"] == ref[0]["prediction"]
    assert summary["online"][0]["probability"] == pytest.approx(ref[0]["probability"], rel=1e-9)  # JSON rounds to 10 digits


def test_the_backtest_is_the_model_on_a_plain_point_in_time_set(summary, base_url):
    spec = mlflow.models.get_model_info(summary["model_uri"]).metadata["feature_store"]
    model = mlflow.pyfunc.load_model(summary["model_uri"]).unwrap_python_model().model
    bars = labelled_bars()
    held_out = bars.iloc[int(len(bars) * 0.7):].reset_index(drop=True)
    ref = batch_reference(base_url, model, spec["features"], held_out[["symbol", "ts"]].to_dict("records"))
    ok = ref["status"] == "OK"
    assert summary["backtest_rows"] == len(held_out) and summary["backtest_scored"] == int(ok.sum()) > 0
    accuracy = float((ref["prediction"][ok].astype(int) == held_out["next_up"][ok]).mean())
    assert summary["backtest_accuracy"] == pytest.approx(accuracy)
    assert summary["feature_columns"] == [column_of(r) for r in spec["features"]]

