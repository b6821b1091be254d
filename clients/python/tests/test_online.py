"""get_online_features against the real API, compared with the plain POST /v1/online-features."""
from __future__ import annotations

import numpy as np
import pandas as pd

from conftest import RUN, values
from market_feature_store import FeatureStore

FEATURES = ["returns:ret_1d", "updown:going_up", "trend@1:rsi_14"]
ROWS = [{"symbol": "SYN0001"}, {"symbol": "BTC-USD"}, {"symbol": "NOPE"}, {"symbol": "SYN0002"}]


def test_online_values_statuses_and_dtypes_match_the_plain_answer(store: FeatureStore, plain):
    response = store.get_online_features(features=FEATURES, entity_rows=ROWS)
    ref = plain.post_json("/v1/online-features", {"features": FEATURES, "entities": {"symbol": [r["symbol"] for r in ROWS]}}).json()
    names = ref["featureNames"]
    assert names == ["symbol", "returns__ret_1d", "updown__going_up", "trend__rsi_14"]

    # to_dict: column by column, as Feast's OnlineResponse.to_dict().
    assert response.to_dict() == {name: [row[name] for row in ref["rows"]] for name in names}
    assert response.statuses == [m["statuses"] for m in ref["metadata"]]
    statuses = [s["returns__ret_1d"] for s in response.statuses]
    assert statuses == ["PRESENT", "OUTSIDE_TTL", "NOT_FOUND", "PRESENT"]  # BTC-USD's sample bars end in 2021

    df = response.to_df()
    assert list(df.columns) == names
    for name in names:
        assert values(df[name]) == [row[name] for row in ref["rows"]], name
    assert df["returns__ret_1d"].dtype == np.float64 and df["trend__rsi_14"].dtype == np.float64
    assert df["updown__going_up"].dtype == pd.BooleanDtype()  # booleans with nulls (NOPE, BTC-USD)

    with_status = response.to_df(include_statuses=True)
    assert list(with_status["returns__ret_1d__status"]) == statuses


def test_column_wise_entities_and_a_feature_service(store: FeatureStore, plain):
    by_rows = store.get_online_features(features=FEATURES, entity_rows=ROWS).to_dict()
    by_columns = store.get_online_features(features=FEATURES, entity_rows={"symbol": [r["symbol"] for r in ROWS]}).to_dict()
    assert by_columns == by_rows
    service = store.get_online_features(feature_service="market_signals", entity_rows=ROWS[:1])
    ref = plain.post_json("/v1/online-features", {"featureService": "market_signals", "entities": {"symbol": ["SYN0001"]}}).json()
    assert service.to_dict() == {name: [ref["rows"][0][name]] for name in ref["featureNames"]}


def test_a_whole_number_double_stays_a_double(store: FeatureStore):
    # JSON writes a double 1.0 as 1; the view's declared type decides the column's dtype.
    view = {
        "name": f"pyclient_whole_{RUN}",
        "entity": "symbol",
        "source": "bars_1d",
        "timestamp_column": "ts",
        "ttl": "3650d",
        "sql": "SELECT symbol, ts, round(close / close) AS one FROM source",
        "features": [{"name": "one", "type": "DOUBLE"}],
    }
    store.apply(view)
    store.materialize(f"pyclient_whole_{RUN}")
    df = store.get_online_features(features=[f"pyclient_whole_{RUN}:one"], entity_rows=[{"symbol": "SYN0001"}]).to_df()
    assert df[f"pyclient_whole_{RUN}__one"].dtype == np.float64
    assert df[f"pyclient_whole_{RUN}__one"].tolist() == [1.0]
