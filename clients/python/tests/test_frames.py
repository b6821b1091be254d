"""Units without a server: the Arrow → pandas dtype rules (checked against pyarrow's own values),
time zones of entity frames, and which run a retrieval links."""
from __future__ import annotations

import sys
import types

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pytest

from conftest import values
from market_feature_store.frames import from_ipc, time_column, to_ipc, to_pandas, utc_times
from market_feature_store.lineage import resolve_run_id


def test_dtypes_follow_the_null_rules_and_values_equal_pyarrows():
    rng = np.random.default_rng(5)
    n = 1000
    mask = rng.random(n) < 0.2
    table = pa.table(
        {
            "i32_nulls": pa.array(rng.integers(-5, 5, n).astype("int32"), mask=mask),
            "u64_nulls": pa.array(rng.integers(0, 5, n).astype("uint64"), mask=mask),
            "i64": pa.array(rng.integers(0, 5, n)),
            "b_nulls": pa.array(rng.random(n) < 0.5, mask=mask),
            "b": pa.array(rng.random(n) < 0.5),
            "f": pa.array(rng.normal(size=n), mask=mask),
            "ts_naive_ms": pa.array(rng.integers(1.6e12, 1.7e12, n), pa.timestamp("ms")),
            "ts_utc_us": pa.array(rng.integers(1.6e15, 1.7e15, n), pa.timestamp("us", tz="UTC")),
            "s": pa.array([None if m else f"v{i}" for i, m in enumerate(mask)]),
        }
    )
    df = to_pandas(from_ipc(to_ipc(table).to_pybytes()))
    assert list(df.columns) == table.column_names
    assert {c: str(t) for c, t in df.dtypes.items() if c != "s"} == {
        "i32_nulls": "Int64",
        "u64_nulls": "UInt64",
        "i64": "int64",
        "b_nulls": "boolean",
        "b": "bool",
        "f": "float64",
        "ts_naive_ms": "datetime64[ns, UTC]",
        "ts_utc_us": "datetime64[ns, UTC]",
    }
    for name in ["i32_nulls", "u64_nulls", "i64", "b_nulls", "b", "f", "s"]:
        assert values(df[name]) == table.column(name).to_pylist(), name
    for name in ["ts_naive_ms", "ts_utc_us"]:
        expected = pc.cast(table.column(name), pa.int64()).to_numpy() * (1000 if name == "ts_utc_us" else 1_000_000)
        assert (df[name].dt.tz_convert(None).to_numpy().astype("int64") == expected).all(), name


def test_entity_times_naive_are_utc_and_zoned_are_converted():
    naive = pd.DataFrame({"symbol": ["A", "B"], "ts": pd.to_datetime(["2021-03-28 01:30", "2021-10-31 23:00"])})
    zoned = naive.assign(ts=naive["ts"].dt.tz_localize("UTC").dt.tz_convert("Europe/Berlin"))
    a = utc_times(pa.Table.from_pandas(naive, preserve_index=False), "ts")
    b = utc_times(pa.Table.from_pandas(zoned, preserve_index=False), "ts")
    assert a.schema.field("ts").type.tz == "UTC" and b.schema.field("ts").type.tz == "UTC"
    assert a.column("ts").to_pylist() == b.column("ts").to_pylist()
    assert [t.isoformat() for t in a.column("ts").to_pylist()] == ["2021-03-28T01:30:00+00:00", "2021-10-31T23:00:00+00:00"]
    text = pa.table({"symbol": ["A"], "event_timestamp": ["2021-01-01T00:00:00Z"]})
    assert time_column(text, None) == "event_timestamp" and utc_times(text, "event_timestamp") is text


def test_the_run_linked_is_explicit_then_the_active_mlflow_run_then_none(monkeypatch):
    assert resolve_run_id(False) is None
    assert resolve_run_id("run-1") == "run-1"
    monkeypatch.delitem(sys.modules, "mlflow", raising=False)
    assert resolve_run_id(None) is None  # mlflow not imported: not looked up
    active = types.SimpleNamespace(info=types.SimpleNamespace(run_id="active-run"))
    monkeypatch.setitem(sys.modules, "mlflow", types.SimpleNamespace(active_run=lambda: active))
    assert resolve_run_id(None) == "active-run"
    assert resolve_run_id("explicit") == "explicit" and resolve_run_id(False) is None
    monkeypatch.setitem(sys.modules, "mlflow", types.SimpleNamespace(active_run=lambda: None))
    assert resolve_run_id(None) is None
    with pytest.raises(TypeError):
        resolve_run_id(3)  # type: ignore[arg-type]
