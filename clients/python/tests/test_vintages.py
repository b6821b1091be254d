"""Vintages from Python: known_at=, recreate and diff against the real API, checked against the
plain HTTP answers (the JSON route, read without the client)."""
from __future__ import annotations

import pandas as pd
import pytest

from market_feature_store import FeatureStore, InvalidArgumentError

FEATURES = ["returns:ret_1d", "volatility:vol_20d"]
COLUMNS = ["returns__ret_1d", "volatility__vol_20d"]


def frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "symbol": ["BTC-USD", "BTC-USD", "BTC-USD"],
            "ts": pd.to_datetime(["2021-04-12 10:59:42", "2021-05-20 00:00:00", "2021-06-26 12:00:00"]),
            "label": [1, 0, 1],
        }
    )


def test_known_at_before_every_row_gives_nulls_and_is_recorded(store: FeatureStore, plain) -> None:
    early = store.get_historical_features(frame(), features=FEATURES, known_at=pd.Timestamp("2000-01-01"))
    df = early.to_df()
    assert df[COLUMNS].isna().all().all()
    assert early.manifest["knownAt"] == "2000-01-01T00:00:00.000Z"
    # The same vintage through the JSON route (another path to the same rule).
    rows = plain.post_json("/v1/training-sets", {"features": FEATURES, "entities": [{"symbol": "BTC-USD", "ts": "2021-04-12T10:59:42Z"}], "knownAt": "2000-01-01T00:00:00Z"}).json()["rows"]
    assert rows[0]["returns__ret_1d"] is None


def test_recreate_gives_the_same_digest_and_rows(store: FeatureStore, plain) -> None:
    original = store.get_historical_features(frame(), features=FEATURES, known_at="2030-01-01T00:00:00Z")
    again = store.recreate(original.id)
    assert again.id != original.id
    assert again.digest == original.digest
    assert plain.get(f"/v1/training-sets/{again.id}/data")["rows"] == plain.get(f"/v1/training-sets/{original.id}/data")["rows"]


def test_diff_counts_what_a_row_by_row_comparison_counts(store: FeatureStore, plain) -> None:
    early = store.get_historical_features(frame(), features=FEATURES, known_at="2000-01-01T00:00:00Z")
    diff = store.diff(early.id, pd.Timestamp("2030-01-01", tz="UTC"))
    later = plain.get(f"/v1/training-sets/{diff['against']['trainingSetId']}/data")["rows"]
    before = plain.get(f"/v1/training-sets/{early.id}/data")["rows"]
    expected = {c: sum(1 for a, b in zip(before, later) if a[c] != b[c]) for c in COLUMNS}
    assert {c["column"]: c["changed"] for c in diff["columns"]} == expected
    assert sum(expected.values()) > 0


def test_known_at_must_be_a_time(store: FeatureStore) -> None:
    with pytest.raises(InvalidArgumentError):
        store.get_historical_features(frame(), features=FEATURES, known_at=3.5)
