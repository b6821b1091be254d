"""market_feature_store.mlflow against the real API and a real MLflow server: log_model, online
predict (in process and through `mlflow models serve`), score_batch. The references are the
wrapped model called by hand on features read with plain `requests` (mlflow_reference.py)."""
from __future__ import annotations

import os

import mlflow
import numpy as np
import pandas as pd
import pytest
import requests
from sklearn.linear_model import LogisticRegression  # requirements-test.txt

import market_feature_store.mlflow as fs_mlflow
from conftest import RUN
from market_feature_store import AuthError, FeatureStore, InvalidArgumentError
from mlflow_reference import ModelServer, batch_reference, column_of, online_reference, process_env

FEATURES = ["returns@1:ret_1d", "updown:prev_1d", "volatility:vol_20d"]
TODAY = pd.Timestamp.now(tz="UTC").floor("D")
KEYS = ["SYN0001", "BTC-USD", "NO-SUCH", "SYN0002", "SYN0001", "SYN0003"]


@pytest.fixture(scope="module")
def trained(store: FeatureStore, plain):
    """A classifier fit inside an MLflow run on a training set of synthetic symbols, with its
    columns in ANOTHER order than the set's (so a wrapper that kept the set's order would fail)."""
    mlflow.set_experiment(f"pyclient-mlflow-model-{RUN}")
    rng = np.random.default_rng(7)
    entity_df = pd.DataFrame(
        [{"symbol": f"SYN000{s}", "ts": (TODAY - pd.Timedelta(days=d)).tz_localize(None)} for s in range(1, 5) for d in range(2, 42)]
    )
    entity_df["label"] = rng.integers(0, 2, len(entity_df))
    with mlflow.start_run() as run:
        job = store.get_historical_features(entity_df, features=FEATURES)
        df = job.to_df().dropna()
        columns = ["volatility__vol_20d", "updown__prev_1d", "returns__ret_1d"]
        model = LogisticRegression().fit(df[columns].astype(float), df["label"])
        info = fs_mlflow.log_model(model, "model", training_set=job, input_example=pd.DataFrame({"symbol": ["SYN0001"]}))
    manifest = plain.get(f"/v1/training-sets/{job.id}")
    refs = {column_of(f"{f['view']}@{f['version']}:{f['feature']}"): f"{f['view']}@{f['version']}:{f['feature']}" for f in manifest["features"]}
    return {"model": model, "uri": info.model_uri, "job": job, "run_id": run.info.run_id, "manifest": manifest, "references": [refs[c] for c in columns]}


def test_the_model_records_the_training_set_and_its_pinned_features(trained, plain):
    spec = mlflow.models.get_model_info(trained["uri"]).metadata["feature_store"]
    manifest = trained["manifest"]
    assert spec["training_set_id"] == manifest["id"] and spec["training_set_digest"] == manifest["digest"]
    # Pinned (view@version), in the model's column order, not the set's.
    assert spec["features"] == trained["references"]
    assert all("@" in ref for ref in spec["features"]) and "returns@1:ret_1d" in spec["features"]
    assert spec["columns"] == list(trained["model"].feature_names_in_)
    assert spec["join_keys"] == ["symbol"]
    run = mlflow.get_run(trained["run_id"])
    assert run.data.tags["feature_store.training_set_id"] == manifest["id"]
    assert run.data.tags["feature_store.training_set_digest"] == manifest["digest"]
    # The run is linked to the set (lineage), as the plain API tells.
    assert manifest["id"] in [t if isinstance(t, str) else t.get("id", t.get("trainingSetId")) for t in plain.get(f"/v1/runs/{trained['run_id']}")["trainingSets"]]


def test_online_predict_equals_the_model_on_plain_online_features(trained, base_url):
    loaded = mlflow.pyfunc.load_model(trained["uri"])
    out = loaded.predict(pd.DataFrame({"symbol": KEYS}))
    ref = online_reference(base_url, trained["model"], trained["references"], KEYS)
    assert list(out.columns) == ["symbol", "prediction", "probability", "status", "missing"]
    assert list(out["symbol"]) == KEYS
    assert list(out["status"]) == [r["status"] for r in ref]
    assert list(out["status"][:3]) == ["OK", "OUTSIDE_TTL", "NOT_FOUND"]  # BTC-USD's sample bars end in 2021
    for got, want in zip(out.to_dict("records"), ref):
        assert got["prediction"] == want["prediction"]
        assert got["probability"] == (pytest.approx(want["probability"], rel=1e-12) if want["probability"] is not None else None)
        assert (got["missing"] == "") == (want["status"] == "OK")
    assert set(out["missing"][1].split(",")) == set(trained["references"])
    # Keys as a dict of columns or a list of rows give the same answer.
    assert loaded.predict({"symbol": KEYS}).equals(out)
    assert loaded.predict([{"symbol": k} for k in KEYS]).equals(out)


def test_null_and_empty_keys_are_not_found_rows_and_no_keys_no_rows(trained, base_url):
    model = fs_mlflow.FeatureStoreModel(trained["model"], fs_mlflow.feature_spec(trained["uri"]).to_dict())
    out = model.predict(None, pd.DataFrame({"symbol": ["SYN0002", None, "", "BTC-USD"]}))
    ref = online_reference(base_url, trained["model"], trained["references"], ["SYN0002", "BTC-USD"])
    assert out["status"].tolist() == [ref[0]["status"], "NOT_FOUND", "NOT_FOUND", ref[1]["status"]]
    assert out["prediction"].tolist() == [ref[0]["prediction"], None, None, None]
    empty = model.predict(None, pd.DataFrame({"symbol": pd.Series([], dtype=object)}))
    assert len(empty) == 0 and list(empty.columns) == ["symbol", "prediction", "probability", "status", "missing"]


def test_the_store_of_the_serving_environment_wins(trained, base_url, monkeypatch):
    spec = dict(fs_mlflow.feature_spec(trained["uri"]).to_dict(), feature_store_url="http://127.0.0.1:9")
    model = fs_mlflow.FeatureStoreModel(trained["model"], spec)
    monkeypatch.setenv("FEATURE_STORE_URL", base_url)
    out = model.predict(None, pd.DataFrame({"symbol": ["SYN0001"]}))
    assert out["status"].tolist() == ["OK"]
    # Without it, the URL the model was logged against; a store that does not answer is an error, not a status.
    monkeypatch.delenv("FEATURE_STORE_URL")
    with pytest.raises(Exception, match="127.0.0.1:9"):
        fs_mlflow.FeatureStoreModel(trained["model"], spec).predict(None, pd.DataFrame({"symbol": ["SYN0001"]}))


def test_the_key_of_the_serving_environment_is_sent(trained, monkeypatch):
    url, key = os.environ.get("FEATURE_STORE_AUTH_URL"), os.environ.get("FEATURE_STORE_READ_KEY")
    if not url or not key:
        pytest.fail("FEATURE_STORE_AUTH_URL / FEATURE_STORE_READ_KEY are not set: run through `npx jest test/python-client.e2e-spec.ts`", pytrace=False)
    spec = fs_mlflow.feature_spec(trained["uri"]).to_dict()
    monkeypatch.setenv("FEATURE_STORE_URL", url)
    monkeypatch.setenv("FEATURE_STORE_API_KEY", key)
    out = fs_mlflow.FeatureStoreModel(trained["model"], spec).predict(None, pd.DataFrame({"symbol": ["SYN0001", "NO-SUCH"]}))
    ref = online_reference(url, trained["model"], trained["references"], ["SYN0001", "NO-SUCH"], api_key=key)
    assert out["status"].tolist() == [r["status"] for r in ref] == ["OK", "NOT_FOUND"]
    assert out["prediction"].tolist() == [r["prediction"] for r in ref]
    # No key: the store refuses the whole request, which is an error of the deployment, not a row status.
    monkeypatch.delenv("FEATURE_STORE_API_KEY")
    with pytest.raises(AuthError):
        fs_mlflow.FeatureStoreModel(trained["model"], spec).predict(None, pd.DataFrame({"symbol": ["SYN0001"]}))


def test_score_batch_equals_the_model_on_a_plain_point_in_time_set(trained, base_url, store: FeatureStore, plain):
    times = [TODAY - pd.Timedelta(days=d, hours=3) for d in (1, 5, 30, 200)]
    entity_df = pd.DataFrame(
        [{"symbol": s, "ts": t.tz_localize(None), "y": i} for i, (s, t) in enumerate((s, t) for s in ("SYN0001", "SYN0004") for t in times)]
        + [
            {"symbol": "BTC-USD", "ts": pd.Timestamp("2021-06-20 12:00"), "y": 90},
            {"symbol": "BTC-USD", "ts": pd.Timestamp("2021-03-28 00:00"), "y": 91},  # before 20 bars: no vol_20d
            {"symbol": "NO-SUCH", "ts": pd.Timestamp("2021-06-20 12:00"), "y": 92},
            {"symbol": "SYN0002", "ts": pd.Timestamp("2000-01-01"), "y": 93},  # before any data
        ]
    )
    out = fs_mlflow.score_batch(trained["uri"], entity_df, include_features=True)
    rows = [{"symbol": s, "ts": pd.Timestamp(t, tz="UTC").isoformat()} for s, t in zip(entity_df["symbol"], entity_df["ts"])]
    ref = batch_reference(base_url, trained["model"], trained["references"], rows)

    columns = list(trained["model"].feature_names_in_)
    assert list(out.columns) == ["symbol", "ts", "y"] + columns + ["prediction", "probability", "status", "missing"]
    assert out["y"].tolist() == entity_df["y"].tolist()  # extra columns come back unchanged
    assert out["status"].tolist() == ref["status"].tolist()
    assert out["status"].tolist()[-3:] == ["NULL_VALUE"] * 3 and out["status"].tolist()[0] == "OK"
    ok = out["status"] == "OK"
    assert out["prediction"][ok].astype(int).tolist() == ref["prediction"][ok].astype(int).tolist()
    assert out["probability"][ok].astype(float).to_numpy() == pytest.approx(ref["probability"][ok].astype(float).to_numpy(), rel=1e-12)
    assert out["prediction"][~ok].isna().all() and out["prediction"].dtype == pd.Int64Dtype()
    # The set it read pins the model's versions.
    manifest = plain.get(f"/v1/training-sets/{out.attrs['training_set_id']}")
    assert [f"{f['view']}@{f['version']}:{f['feature']}" for f in manifest["features"]] == trained["references"]
    # A loaded model works as well as a URI.
    again = fs_mlflow.score_batch(mlflow.pyfunc.load_model(trained["uri"]), entity_df)
    assert again["prediction"].equals(out["prediction"])


def test_mlflow_models_serve_answers_invocations(trained, base_url, tmp_path):
    server = ModelServer(trained["uri"], process_env(FEATURE_STORE_URL=base_url), tmp_path / "serve.log")
    try:
        server.wait_ready()
        answer = requests.post(f"{server.url}/invocations", json={"dataframe_records": [{"symbol": "SYN0001"}]}, timeout=60)
        assert answer.status_code == 200, answer.text
        want = online_reference(base_url, trained["model"], trained["references"], ["SYN0001"])[0]
        got = answer.json()["predictions"]
        assert len(got) == 1 and got[0]["symbol"] == "SYN0001" and got[0]["status"] == "OK" and got[0]["missing"] == ""
        assert got[0]["prediction"] == want["prediction"]
        assert got[0]["probability"] == pytest.approx(want["probability"], rel=1e-12)

        many = requests.post(f"{server.url}/invocations", json={"dataframe_records": [{"symbol": k} for k in KEYS]}, timeout=60)
        assert many.status_code == 200, many.text
        ref = online_reference(base_url, trained["model"], trained["references"], KEYS)
        assert [p["status"] for p in many.json()["predictions"]] == [r["status"] for r in ref]
        assert [p["prediction"] for p in many.json()["predictions"]] == [r["prediction"] for r in ref]  # JSON null where not OK

        wrong = requests.post(f"{server.url}/invocations", json={"dataframe_records": [{"ticker": "SYN0001"}]}, timeout=60)
        assert wrong.status_code == 400 and "symbol" in wrong.text
    finally:
        server.stop()


def test_a_model_fit_on_other_columns_is_refused(trained, store: FeatureStore):
    df = trained["job"].to_df().dropna()
    model = LogisticRegression().fit(df[["returns__ret_1d", "label"]].astype(float), df["label"])
    with pytest.raises(InvalidArgumentError, match="label"):
        fs_mlflow.log_model(model, "bad", training_set=trained["job"], store=store)


def test_a_training_set_by_id_and_no_active_run(trained, store: FeatureStore):
    assert mlflow.active_run() is None
    info = fs_mlflow.log_model(trained["model"], "by_id", training_set=trained["job"].id, store=store)
    spec = fs_mlflow.feature_spec(info.model_uri)
    assert (spec.training_set_id, spec.features) == (trained["manifest"]["id"], trained["references"])
    out = fs_mlflow.score_batch(info.model_uri, pd.DataFrame({"symbol": ["SYN0001"], "ts": [TODAY.tz_localize(None) - pd.Timedelta(days=2)]}))
    assert out["status"].tolist() == ["OK"]
