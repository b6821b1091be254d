"""apply, materialize, push and the registry reads against the real API, compared with plain GETs."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Dict, List

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from conftest import RUN, values
from market_feature_store import FeatureStore, NotFoundError

TYPED_VIEW = {
    "name": f"pyclient_types_{RUN}",
    "entity": "symbol",
    "source": "bars_1d",
    "timestamp_column": "ts",
    "ttl": "3650d",
    # Every third bar has nulls, so each type is served with and without values.
    "sql": """SELECT symbol, ts,
  CASE WHEN (epoch(ts)::BIGINT // 86400) % 3 = 0 THEN NULL ELSE CAST(volume AS BIGINT) END AS vol_big,
  CASE WHEN (epoch(ts)::BIGINT // 86400) % 3 = 0 THEN NULL ELSE CAST((epoch(ts)::BIGINT // 86400) % 7 AS INTEGER) END AS day_mod,
  CASE WHEN (epoch(ts)::BIGINT // 86400) % 3 = 0 THEN NULL ELSE close > open END AS up,
  CASE WHEN (epoch(ts)::BIGINT // 86400) % 3 = 0 THEN NULL WHEN close > open THEN 'up' ELSE 'down' END AS direction
FROM source""",
    "features": [
        {"name": "vol_big", "type": "BIGINT"},
        {"name": "day_mod", "type": "INTEGER"},
        {"name": "up", "type": "BOOLEAN"},
        {"name": "direction", "type": "VARCHAR"},
    ],
    "description": "nullable columns of every type, for the Python client's tests",
}


@dataclass
class ViewDefinition:
    name: str
    entity: str
    source: str
    sql: str
    features: List[Dict[str, str]]
    timestamp_column: str = "ts"
    ttl: str = "3650d"
    tags: Dict[str, str] = field(default_factory=dict)


def test_apply_is_idempotent_and_the_registry_reads_match_plain_gets(store: FeatureStore, plain):
    first = store.apply(TYPED_VIEW)
    second = store.apply(dict(TYPED_VIEW))
    assert (second["name"], second["version"], second["digest"], second["created"]) == (f"pyclient_types_{RUN}", first["version"], first["digest"], False)
    assert store.list_feature_views() == plain.get("/v1/feature-views")
    latest = plain.get(f"/v1/feature-views/pyclient_types_{RUN}")["latest"]
    assert store.get_feature_view(f"pyclient_types_{RUN}") == plain.get(f"/v1/feature-views/pyclient_types_{RUN}/versions/{latest}")
    assert store.get_feature_view("returns", version=1) == plain.get("/v1/feature-views/returns/versions/1")
    as_dataclass = store.apply(ViewDefinition(name=f"pyclient_dc_{RUN}", entity="symbol", source="bars_1d", sql="SELECT symbol, ts, close AS c FROM source", features=[{"name": "c", "type": "DOUBLE"}]))
    assert plain.get(f"/v1/feature-views/pyclient_dc_{RUN}/versions/1")["definition"]["timestampColumn"] == "ts"
    assert as_dataclass["created"] is True
    with pytest.raises(NotFoundError):
        store.get_feature_view("no_such_view")


def test_materialize_waits_for_the_job_and_reports_progress(store: FeatureStore, plain):
    store.apply(TYPED_VIEW)
    seen = []
    job = store.materialize(f"pyclient_types_{RUN}", progress=seen.append, timeout=120)
    assert job["status"] == "succeeded"
    assert plain.get(f"/v1/jobs/{job['jobId']}") == job
    assert seen and seen[-1] == job
    state = plain.get(f"/v1/feature-views/pyclient_types_{RUN}/versions/1")["materialized"]
    assert state is not None and state["rows"] > 0
    ranged = store.materialize(f"pyclient_types_{RUN}", start=datetime(2021, 4, 1), end=pd.Timestamp("2021-05-01 02:00", tz="Europe/Berlin"))
    assert ranged["status"] == "succeeded" and plain.get(f"/v1/jobs/{ranged['jobId']}") == ranged
    again = store.materialize(f"pyclient_types_{RUN}", version=1, wait=False)
    assert again["status"] in ("queued", "running", "succeeded")
    with pytest.raises(NotFoundError):
        store.materialize("no_such_view", version=1)


def test_nullable_integers_booleans_and_text_come_back_typed(store: FeatureStore, plain):
    store.apply(TYPED_VIEW)
    store.materialize(f"pyclient_types_{RUN}")
    today = pd.Timestamp.now(tz="UTC").floor("D")
    frame = pd.DataFrame({"symbol": ["SYN0001"] * 6 + ["NOPE"], "ts": [today - pd.Timedelta(days=d) for d in range(6)] + [today]})
    df = store.get_historical_features(frame, features=[f"pyclient_types_{RUN}:vol_big", f"pyclient_types_{RUN}:day_mod", f"pyclient_types_{RUN}:up", f"pyclient_types_{RUN}:direction"]).to_df()
    ref = plain.training_set_rows([f"pyclient_types_{RUN}:vol_big", f"pyclient_types_{RUN}:day_mod", f"pyclient_types_{RUN}:up", f"pyclient_types_{RUN}:direction"], [{"symbol": s, "ts": t.isoformat()} for s, t in zip(frame["symbol"], frame["ts"])])
    for name, dtype in [(f"pyclient_types_{RUN}__vol_big", pd.Int64Dtype()), (f"pyclient_types_{RUN}__day_mod", pd.Int64Dtype()), (f"pyclient_types_{RUN}__up", pd.BooleanDtype())]:
        assert ref.column(name).null_count > 0 and ref.column(name).null_count < len(frame), name
        assert df[name].dtype == dtype, name
        assert values(df[name]) == ref.column(name).to_pylist(), name
    assert values(df[f"pyclient_types_{RUN}__direction"]) == ref.column(f"pyclient_types_{RUN}__direction").to_pylist()
    assert df[f"pyclient_types_{RUN}__direction"].dtype == object or isinstance(df[f"pyclient_types_{RUN}__direction"].dtype, pd.StringDtype)
    online = store.get_online_features(features=[f"pyclient_types_{RUN}:vol_big", f"pyclient_types_{RUN}:up"], entity_rows=[{"symbol": "SYN0001"}, {"symbol": "NOPE"}]).to_df()
    assert online[f"pyclient_types_{RUN}__vol_big"].dtype == pd.Int64Dtype() and online[f"pyclient_types_{RUN}__up"].dtype == pd.BooleanDtype()


def test_push_sends_a_frame_and_the_lake_has_its_rows(store: FeatureStore, plain):
    n = 500
    rng = np.random.default_rng(3)
    frame = pd.DataFrame(
        {
            "symbol": rng.choice(["QA", "QB"], n),
            "ts": pd.Timestamp("2024-01-01") + pd.to_timedelta(np.arange(n), unit="h"),  # naive: UTC
            "price": rng.normal(100, 5, n),
            "size": rng.integers(1, 1000, n),
        }
    )
    result = store.push(f"pyclient_quotes_{RUN}", frame)
    assert (result["accepted"], result["rejected"]) == (n, 0)
    datasets = {d["name"]: d for d in plain.get("/v1/datasets")}
    quotes = datasets[f"pyclient_quotes_{RUN}"]
    assert quotes["rows"] == n
    assert pd.Timestamp(quotes["minTs"]) == frame["ts"].min().tz_localize("UTC")
    assert pd.Timestamp(quotes["maxTs"]) == frame["ts"].max().tz_localize("UTC")
    types = {c["name"]: c["type"] for c in quotes["columns"]}
    assert types["price"] == "DOUBLE"
    as_rows = store.push(f"pyclient_quotes_{RUN}", [{"symbol": "QC", "ts": "2024-03-01T00:00:00Z", "price": 1.5, "size": 2}])
    assert as_rows["accepted"] == 1
    table = pa.Table.from_pandas(frame.head(3), preserve_index=False)
    assert store.push(f"pyclient_quotes_arrow_{RUN}", table)["accepted"] == 3


def test_get_run_after_a_linked_retrieval(store: FeatureStore, plain):
    frame = pd.DataFrame({"symbol": ["BTC-USD"], "ts": [pd.Timestamp("2021-04-12 10:00")]})
    job = store.get_historical_features(frame, features=["returns:ret_1d"], run_id=f"pyclient-explicit-run-{RUN}")
    assert store.get_run(f"pyclient-explicit-run-{RUN}") == plain.get(f"/v1/runs/pyclient-explicit-run-{RUN}")
    assert job.id in store.get_run(f"pyclient-explicit-run-{RUN}")["trainingSets"]
    assert f"pyclient-explicit-run-{RUN}" in job.manifest["runIds"]
    linked = store.link_run(f"pyclient-linked-run-{RUN}", [job.id], tags={"k": "v"})
    assert linked["trainingSets"] == [job.id]
    with pytest.raises(NotFoundError):
        store.get_run("pyclient-nobody")
