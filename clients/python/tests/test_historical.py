"""get_historical_features / get_training_set against the real API, compared with the plain HTTP
answer decoded by pyarrow (a JSON or Parquet entity body: another parser than the client's Arrow)."""
from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from conftest import ARROW, arrow_bytes, values
from market_feature_store import FeatureStore, InvalidArgumentError

FEATURES = ["returns:ret_1d", "updown@1:prev_1d", "volatility:vol_20d"]
COLUMNS = ["returns__ret_1d", "updown__prev_1d", "volatility__vol_20d"]
TODAY = pd.Timestamp.now(tz="UTC").floor("D")


def entity_frame() -> pd.DataFrame:
    """Rows with values, rows before any data, an unknown symbol, labels of every kind."""
    return pd.DataFrame(
        {
            "symbol": ["BTC-USD", "BTC-USD", "SYN0001", "SYN0002", "NOPE", "BTC-USD", "SYN0003"],
            "ts": pd.to_datetime(
                [
                    "2021-04-12 10:59:42",
                    "2021-06-26 12:00:00",
                    str((TODAY - pd.Timedelta(days=3, hours=5)).tz_localize(None)),
                    str((TODAY - pd.Timedelta(days=20)).tz_localize(None)),
                    "2021-04-12 00:00:00",
                    "2021-01-01 00:00:00",
                    str((TODAY - pd.Timedelta(hours=1)).tz_localize(None)),
                ]
            ),
            "label": [1.0, 0.0, 1.0, 0.0, 1.0, 0.0, np.nan],
            "count": [3, 1, 4, 1, 5, 9, 2],
            "maybe": pd.array([1, None, 3, None, 5, 6, 7], dtype="Int64"),
            "up": [True, False, True, True, False, True, False],
            "note": ["a", "b", "2021-01-01", "d", "e", "f", "g"],
        }
    )


def reference(plain, frame: pd.DataFrame, features=FEATURES, point_in_time: str = "event") -> pa.Table:
    rows = [{"symbol": s, "ts": t.isoformat()} for s, t in zip(frame["symbol"], pd.to_datetime(frame["ts"], utc=True))]
    return plain.training_set_rows(features, rows, point_in_time)


def test_training_set_matches_the_plain_http_answer_with_the_right_dtypes(store: FeatureStore, plain):
    frame = entity_frame()
    job = store.get_historical_features(frame, features=FEATURES, point_in_time="event")
    df = job.to_df()
    ref = reference(plain, frame)

    assert list(df.columns) == list(frame.columns) + COLUMNS
    assert len(df) == len(frame)
    for name in COLUMNS:
        assert values(df[name]) == ref.column(name).to_pylist(), name
    assert values(df["ts"]) == [t.to_pydatetime() for t in pd.to_datetime(frame["ts"]).dt.tz_localize("UTC")]
    assert values(df["symbol"]) == ref.column("symbol").to_pylist()
    # Some rows have values and some have none, so the nullable dtypes are really exercised.
    assert df["returns__ret_1d"].notna().sum() >= 3 and df["returns__ret_1d"].isna().sum() >= 2

    assert str(df["ts"].dtype) == "datetime64[ns, UTC]"
    assert df["returns__ret_1d"].dtype == np.float64 and df["volatility__vol_20d"].dtype == np.float64
    assert df["updown__prev_1d"].dtype == pd.BooleanDtype()  # booleans with nulls
    assert df["maybe"].dtype == pd.Int64Dtype()  # integers with nulls
    assert df["symbol"].dtype == object or isinstance(df["symbol"].dtype, pd.StringDtype)


def test_extra_columns_come_back_unchanged_and_in_order(store: FeatureStore):
    frame = entity_frame()
    df = store.get_historical_features(frame, features=FEATURES).to_df()
    for name in ["label", "count", "maybe", "up", "note"]:
        pd.testing.assert_series_equal(df[name], frame[name], check_names=True, obj=name)


def test_time_column_ts_event_timestamp_or_named_and_time_zones(store: FeatureStore):
    frame = entity_frame()
    naive = store.get_historical_features(frame, features=FEATURES).to_df()
    # The same instants in New York time, under Feast's column name: the same features, times in UTC.
    feast = frame.rename(columns={"ts": "event_timestamp"})
    feast["event_timestamp"] = feast["event_timestamp"].dt.tz_localize("UTC").dt.tz_convert("America/New_York")
    zoned = store.get_historical_features(feast, features=FEATURES).to_df()
    pd.testing.assert_frame_equal(zoned[COLUMNS], naive[COLUMNS])
    pd.testing.assert_series_equal(zoned["event_timestamp"], naive["ts"], check_names=False)
    named = store.get_historical_features(frame.rename(columns={"ts": "as_of"}), features=FEATURES, timestamp_column="as_of").to_df()
    pd.testing.assert_frame_equal(named[COLUMNS], naive[COLUMNS])
    with pytest.raises(InvalidArgumentError, match="time column"):
        store.get_historical_features(frame.rename(columns={"ts": "when"}), features=FEATURES)


def test_a_pyarrow_table_is_an_entity_frame_too(store: FeatureStore):
    frame = entity_frame()
    from_pandas = store.get_historical_features(frame, features=FEATURES).to_df()
    from_arrow = store.get_historical_features(pa.Table.from_pandas(frame, preserve_index=False), features=FEATURES)
    pd.testing.assert_frame_equal(from_arrow.to_df(), from_pandas)
    assert from_arrow.to_arrow().num_rows == len(frame)


def test_the_entity_frame_goes_as_one_arrow_body(store: FeatureStore):
    sent = []
    store._http.session.hooks["response"].append(lambda r, *a, **k: sent.append((r.request.method, r.request.url, r.request.headers.get("Content-Type"))))
    try:
        store.get_historical_features(entity_frame(), features=FEATURES)
    finally:
        store._http.session.hooks["response"].pop()
    assert [(m, ct) for m, _, ct in sent] == [("POST", ARROW)]


def test_id_digest_manifest_and_the_stored_set_again(store: FeatureStore, plain):
    frame = entity_frame()
    job = store.get_historical_features(frame, features=FEATURES)
    manifest = plain.get(f"/v1/training-sets/{job.id}")
    assert job.manifest == manifest
    assert job.digest == manifest["digest"]
    assert job.features == ["returns@1:ret_1d", "updown@1:prev_1d", "volatility@1:vol_20d"]
    # The same frame sent by hand as Arrow gives the same set: same digest.
    body = arrow_bytes(pa.Table.from_pandas(frame.assign(ts=frame["ts"].dt.tz_localize("UTC")), preserve_index=False))
    again = plain.training_set_arrow(body, ARROW, {"features": ",".join(FEATURES)})
    assert again.headers["X-Training-Set-Digest"] == job.digest
    stored = store.get_training_set(job.id)
    assert (stored.id, stored.digest) == (job.id, job.digest)
    pd.testing.assert_frame_equal(stored.to_df(), job.to_df())


def test_feature_service_and_knowledge_time(store: FeatureStore, plain):
    frame = entity_frame()
    service = plain.get("/v1/feature-services/market_signals")
    refs = service["features"]
    df = store.get_historical_features(frame, feature_service="market_signals").to_df()
    ref = reference(plain, frame, refs)
    feature_columns = [c for c in ref.column_names if c not in ("symbol", "ts")]
    assert list(df.columns) == list(frame.columns) + feature_columns
    for name in feature_columns:
        assert values(df[name]) == ref.column(name).to_pylist(), name
    knowledge = store.get_historical_features(frame, features=FEATURES, point_in_time="knowledge").to_df()
    ref_k = reference(plain, frame, FEATURES, "knowledge")
    for name in COLUMNS:
        assert values(knowledge[name]) == ref_k.column(name).to_pylist(), name


def test_a_large_frame_equals_the_plain_parquet_request(store: FeatureStore, plain):
    rng = np.random.default_rng(7)
    n = 20_000
    start = pd.Timestamp("2021-02-01", tz="UTC").value // 10**9
    frame = pd.DataFrame(
        {
            "symbol": rng.choice(["BTC-USD", "SYN0001", "SYN0002", "NOPE"], n),
            "ts": pd.to_datetime(rng.integers(start, start + 140 * 86400, n), unit="s"),
            "label": rng.integers(0, 2, n),
        }
    )
    # Synthetic symbols get recent times (their bars end today).
    recent = frame["symbol"].str.startswith("SYN")
    frame.loc[recent, "ts"] = (TODAY.tz_localize(None) - pd.to_timedelta(rng.integers(0, 60 * 86400, int(recent.sum())), unit="s")).values
    df = store.get_historical_features(frame, features=FEATURES).to_df()
    buffer = io.BytesIO()
    pq.write_table(pa.Table.from_pandas(frame.assign(ts=frame["ts"].dt.tz_localize("UTC")), preserve_index=False), buffer)
    answer = plain.training_set_arrow(buffer.getvalue(), "application/vnd.apache.parquet", {"features": ",".join(FEATURES)})
    assert answer.status_code == 200, answer.text
    ref = pa.ipc.open_stream(answer.content).read_all().to_pandas()
    assert len(df) == n
    for name in COLUMNS:
        assert values(df[name]) == values(ref[name]), name
    assert (df["label"].to_numpy() == frame["label"].to_numpy()).all()
    assert df["returns__ret_1d"].notna().sum() > n // 4
