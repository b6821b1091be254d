"""PurgedWalkForward against a brute-force reference (plain loops over rows and Python datetimes),
and labels=[...] of get_historical_features against the plain HTTP answer."""
from __future__ import annotations

import datetime as dt
import random

import numpy as np
import pandas as pd
import pytest
import requests

from conftest import ARROW, values
from market_feature_store import FeatureStore, InvalidArgumentError
from market_feature_store.model_selection import PurgedWalkForward

UTC = dt.timezone.utc


def reference_splits(rows, n_splits, embargo, train):
    """The rules as written, one row at a time: blocks of distinct times, purging and embargo."""
    times = sorted({r["ts"] for r in rows})
    parts = n_splits + 1 if train == "past" else n_splits
    sizes = [len(times) // parts + (1 if i < len(times) % parts else 0) for i in range(parts)]
    blocks, at = [], 0
    for size in sizes:
        blocks.append(times[at : at + size])
        at += size
    out = []
    for block in blocks[1:] if train == "past" else blocks:
        start, stop = block[0], block[-1]
        test = [i for i, r in enumerate(rows) if start <= r["ts"] <= stop]
        kept = []
        for i, r in enumerate(rows):
            if i in test or (train == "past" and r["ts"] >= start):
                continue
            if r["end"] is None:
                continue  # a label not known yet never trains
            if r["ts"] <= stop + embargo and r["end"] >= start:
                continue  # its label window meets the test block or the embargo after it
            kept.append(i)
        out.append((kept, test))
    return out


def random_rows(seed: int, n: int = 120):
    rnd = random.Random(seed)
    base = dt.datetime(2024, 1, 1, tzinfo=UTC)
    rows = []
    for _ in range(n):
        ts = base + dt.timedelta(days=rnd.randrange(60))  # repeated times: several symbols a day
        end = None if rnd.random() < 0.08 else ts + dt.timedelta(days=rnd.randrange(0, 8), hours=rnd.choice([0, 12]))
        rows.append({"ts": ts, "end": end})
    return rows


def frame(rows) -> pd.DataFrame:
    return pd.DataFrame({"ts": [r["ts"] for r in rows], "fwd__available_at": pd.to_datetime([r["end"] for r in rows], utc=True), "x": range(len(rows))})


@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize("train", ["past", "all"])
@pytest.mark.parametrize("embargo", ["0D", "2d", "36h"])
def test_splits_match_the_brute_force_reference(seed, train, embargo):
    rows = random_rows(seed)
    splitter = PurgedWalkForward(n_splits=4, embargo=embargo, train=train)
    got = [(list(a), list(b)) for a, b in splitter.split(frame(rows))]
    assert got == reference_splits(rows, 4, {'0D': dt.timedelta(0), '2d': dt.timedelta(days=2), '36h': dt.timedelta(hours=36)}[embargo], train)
    assert splitter.get_n_splits() == 4
    assert all(len(test) > 0 for _, test in got)


def test_purges_at_the_edges():
    day = lambda d, ms=0: dt.datetime(2024, 1, d, tzinfo=UTC) + dt.timedelta(milliseconds=ms)  # noqa: E731
    # 4 distinct times, 2 splits walk-forward: blocks {1, 2}, {3}, {4}.
    rows = [
        {"ts": day(1), "end": day(3)},  # ends exactly at the first test block's start: purged
        {"ts": day(2), "end": day(2, ms=86_400_000 - 1)},  # ends 1 ms before it: trains
        {"ts": day(3), "end": day(4)},
        {"ts": day(4), "end": day(5)},
    ]
    splits = list(PurgedWalkForward(n_splits=2, embargo="0d").split(frame(rows)))
    # Row 0 still trains for the last block (its window ended before day 4); row 2 reaches it.
    assert [list(a) for a, _ in splits] == [[1], [0, 1]]
    assert [list(b) for _, b in splits] == [[2], [3]]
    # Both sides of the test block (day 1): a 1-day embargo drops the row starting exactly at its
    # end (day 2), not the one 1 ms later.
    rows = [{"ts": day(1), "end": day(1)}, {"ts": day(2), "end": day(2)}, {"ts": day(2, ms=1), "end": day(2, ms=1)}, {"ts": day(3), "end": day(3)}]
    first = next(PurgedWalkForward(n_splits=4, embargo="1d", train="all").split(frame(rows)))
    assert (list(first[0]), list(first[1])) == ([2, 3], [0])


def test_refuses_what_it_cannot_split():
    with pytest.raises(InvalidArgumentError, match="n_splits: "):
        PurgedWalkForward(n_splits=0)
    with pytest.raises(InvalidArgumentError, match="embargo: "):
        PurgedWalkForward(embargo="soon")
    with pytest.raises(InvalidArgumentError, match="available_at_column: "):
        next(PurgedWalkForward().split(pd.DataFrame({"ts": [pd.Timestamp("2024-01-01")]})))
    with pytest.raises(InvalidArgumentError, match="X: 2 distinct times"):
        next(PurgedWalkForward(n_splits=5).split(frame(random_rows(1, 2))[:2].assign(ts=[pd.Timestamp("2024-01-01"), pd.Timestamp("2024-01-02")])))


def test_works_as_a_scikit_learn_cv():
    from sklearn.linear_model import LinearRegression
    from sklearn.model_selection import cross_val_score

    rows = random_rows(7)
    X = frame(rows)
    y = np.arange(len(rows), dtype=float)
    splitter = PurgedWalkForward(n_splits=3, embargo="1d")
    features = X[["x"]]
    scores = cross_val_score(LinearRegression(), features, y, cv=list(splitter.split(X)))
    assert len(scores) == 3


def test_labels_of_a_training_set_as_the_plain_api_answers_and_split_on_them(store: FeatureStore, base_url: str):
    entities = pd.DataFrame({"symbol": ["BTC-USD"] * 120, "ts": pd.date_range("2021-03-01", periods=120, freq="D", tz="UTC")})
    df = store.get_historical_features(entities, features=["returns:ret_1d"], labels=["forward_returns:fwd_ret_5d", "forward_returns:fwd_up_1d"]).to_df()
    assert list(df.columns) == ["symbol", "ts", "returns__ret_1d", "forward_returns__fwd_ret_5d", "forward_returns__fwd_up_1d", "forward_returns__available_at"]
    body = {"features": ["returns:ret_1d"], "labels": ["forward_returns:fwd_ret_5d", "forward_returns:fwd_up_1d"], "entities": [{"symbol": "BTC-USD", "ts": t.isoformat()} for t in entities["ts"]]}
    plain = requests.post(base_url + "/v1/training-sets", json=body, timeout=120).json()
    assert values(df["forward_returns__fwd_ret_5d"]) == [r["forward_returns__fwd_ret_5d"] for r in plain["rows"]]
    assert values(df["forward_returns__fwd_up_1d"]) == [r["forward_returns__fwd_up_1d"] for r in plain["rows"]]
    assert [None if pd.isna(t) else t for t in df["forward_returns__available_at"]] == [None if r["forward_returns__available_at"] is None else pd.Timestamp(r["forward_returns__available_at"]) for r in plain["rows"]]
    assert df["forward_returns__available_at"].notna().sum() > 50
    rows = [{"ts": t.to_pydatetime(), "end": None if pd.isna(e) else e.to_pydatetime()} for t, e in zip(df["ts"], df["forward_returns__available_at"])]
    got = [(list(a), list(b)) for a, b in PurgedWalkForward(n_splits=3, embargo="5d").split(df)]
    assert got == reference_splits(rows, 3, dt.timedelta(days=5), "past")
    with pytest.raises(InvalidArgumentError, match="labels: "):
        store.get_historical_features(entities, features=["returns:ret_1d"], labels="forward_returns:fwd_ret_5d")
