"""Auto-link: inside an active MLflow run, get_historical_features links that run, with a real
MLflow tracking server (the API logs the link to it as a dataset input of the run)."""
from __future__ import annotations

import os
import time

import pandas as pd
import pytest
import requests

from market_feature_store import FeatureStore

mlflow = pytest.importorskip("mlflow")  # the [mlflow] extra; installed by scripts/ensure-python-deps.sh

FEATURES = ["returns:ret_1d", "trend:rsi_14"]
FRAME = pd.DataFrame({"symbol": ["BTC-USD", "BTC-USD"], "ts": [pd.Timestamp("2021-05-01"), pd.Timestamp("2021-05-02")], "label": [1, 0]})


@pytest.fixture(scope="module")
def tracking_uri() -> str:
    uri = os.environ.get("MLFLOW_TRACKING_URI")
    if not uri:
        pytest.fail("MLFLOW_TRACKING_URI is not set: run these tests through `npx jest test/python-client.e2e-spec.ts`", pytrace=False)
    mlflow.set_tracking_uri(uri)
    return uri


def mlflow_inputs(uri: str, run_id: str) -> list:
    """The run's dataset inputs, read from MLflow's REST API (not through the client)."""
    run = requests.get(f"{uri}/api/2.0/mlflow/runs/get", params={"run_id": run_id}, timeout=30).json()["run"]
    return [i["dataset"]["name"] for i in run.get("inputs", {}).get("dataset_inputs", [])]


def eventually(check, timeout: float = 30.0):
    deadline = time.monotonic() + timeout
    while True:
        try:
            return check()
        except AssertionError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)


def test_a_retrieval_inside_an_active_run_links_that_run(store: FeatureStore, plain, tracking_uri: str):
    with mlflow.start_run() as run:
        job = store.get_historical_features(FRAME, features=FEATURES)
    run_id = run.info.run_id
    assert plain.get(f"/v1/runs/{run_id}")["trainingSets"] == [job.id]
    assert job.manifest["runIds"] == [run_id]

    def logged():
        assert mlflow_inputs(tracking_uri, run_id) == [f"training-set-{job.id}"]

    eventually(logged)


def test_run_id_false_opts_out_and_an_explicit_run_id_wins(store: FeatureStore, plain, tracking_uri: str):
    other = mlflow.tracking.MlflowClient(tracking_uri).create_run(experiment_id="0").info.run_id
    with mlflow.start_run() as run:
        opted_out = store.get_historical_features(FRAME, features=FEATURES, run_id=False)
        explicit = store.get_historical_features(FRAME.assign(label=[0, 1]), features=FEATURES, run_id=other)
    assert opted_out.manifest["runIds"] == []
    assert explicit.manifest["runIds"] == [other]
    assert requests.get(f"{plain.base}/v1/runs/{run.info.run_id}", timeout=30).status_code == 404  # the active run got nothing
    assert plain.get(f"/v1/runs/{other}")["trainingSets"] == [explicit.id]

    def logged():
        assert mlflow_inputs(tracking_uri, other) == [f"training-set-{explicit.id}"]

    eventually(logged)
    assert mlflow_inputs(tracking_uri, run.info.run_id) == []


def test_no_active_run_links_nothing(store: FeatureStore, tracking_uri: str):
    assert mlflow.active_run() is None
    job = store.get_historical_features(FRAME.assign(label=[5, 6]), features=FEATURES)
    assert job.manifest["runIds"] == []
