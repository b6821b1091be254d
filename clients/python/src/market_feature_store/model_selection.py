"""Cross-validation that respects when labels became known.

A label such as a 5-day forward return spans ``[ts, available_at]``: a training row whose label
window reaches into the test block has seen the test period's prices. ``PurgedWalkForward``
drops (purges) such rows, and with an embargo also the rows that start shortly after a test block
(serial correlation), as in López de Prado, *Advances in Financial Machine Learning*, ch. 7.
"""
from __future__ import annotations

import re
from typing import Any, Iterator, Optional, Tuple, Union

import numpy as np
import pandas as pd

from .errors import InvalidArgumentError

__all__ = ["PurgedWalkForward"]


class PurgedWalkForward:
    """A scikit-learn compatible splitter (``split``, ``get_n_splits``) over a training set's rows.

    The distinct decision times (``time_column``) are cut into contiguous blocks, in time order.
    Split k tests on one block and trains on the rows before it (``train="past"``, walk-forward:
    ``n_splits + 1`` blocks, the first only trains) or on every other block (``train="all"``,
    purged k-fold: ``n_splits`` blocks). A training row is dropped when its label window
    ``[ts, available_at]`` overlaps ``[test start, test end + embargo]``; a row whose
    ``available_at`` is null (its label was not known yet) never trains. ``X`` is a pandas
    DataFrame with ``time_column`` and the available_at column (by default the one column named
    ``available_at`` or ending in ``__available_at``, as ``get_historical_features(labels=...)``
    returns it). Indices are positions in ``X``.
    """

    def __init__(
        self,
        n_splits: int = 5,
        embargo: Union[str, pd.Timedelta, None] = "0d",
        time_column: str = "ts",
        available_at_column: Optional[str] = None,
        train: str = "past",
    ) -> None:
        if not isinstance(n_splits, (int, np.integer)) or isinstance(n_splits, bool) or n_splits < 1 or (train == "all" and n_splits < 2):
            raise InvalidArgumentError(f"n_splits: a whole number of at least {2 if train == 'all' else 1}, got {n_splits!r}", details={"field": "n_splits"})
        if train not in ("past", "all"):
            raise InvalidArgumentError(f'train: "past" or "all", got {train!r}', details={"field": "train"})
        self.embargo = _duration(embargo)
        if self.embargo < pd.Timedelta(0):
            raise InvalidArgumentError("embargo: must not be negative", details={"field": "embargo"})
        self.n_splits = int(n_splits)
        self.time_column = time_column
        self.available_at_column = available_at_column
        self.train = train

    def get_n_splits(self, X: Any = None, y: Any = None, groups: Any = None) -> int:
        """The number of splits (scikit-learn's interface)."""
        return self.n_splits

    def split(self, X: pd.DataFrame, y: Any = None, groups: Any = None) -> Iterator[Tuple[np.ndarray, np.ndarray]]:
        """Yields (train positions, test positions) per split, in time order."""
        ts, end = self._windows(X)
        times = np.unique(ts)
        parts = self.n_splits + 1 if self.train == "past" else self.n_splits
        if len(times) < parts:
            raise InvalidArgumentError(f"X: {len(times)} distinct times cannot make {parts} blocks", details={"field": "X"})
        blocks = np.array_split(times, parts)
        first_test = 1 if self.train == "past" else 0
        for block in blocks[first_test:]:
            start, stop = block[0], block[-1]
            test = (ts >= start) & (ts <= stop)
            candidates = ~test & (ts < start) if self.train == "past" else ~test
            # Overlap of [ts, end] with [start, stop + embargo]; an unknown end (null) overlaps everything.
            overlaps = (ts <= stop + self.embargo.to_numpy()) & (np.isnat(end) | (end >= start))
            known = ~np.isnat(end)
            yield np.flatnonzero(candidates & known & ~overlaps), np.flatnonzero(test)

    def _windows(self, X: pd.DataFrame) -> Tuple[np.ndarray, np.ndarray]:
        if not isinstance(X, pd.DataFrame):
            raise InvalidArgumentError("X: a pandas DataFrame with the time and available_at columns", details={"field": "X"})
        column = self.available_at_column or _available_at_column(X)
        for name in (self.time_column, column):
            if name not in X.columns:
                raise InvalidArgumentError(f"X: no column {name!r}", details={"field": "X"})
        return _utc(X[self.time_column]), _utc(X[column])


_UNITS = {"ms": "ms", "s": "s", "m": "min", "min": "min", "h": "h", "d": "D", "w": "W"}


def _duration(value: Union[str, pd.Timedelta, None]) -> pd.Timedelta:
    """``"5d"``, ``"36h"``, ``"90min"`` (as the server's TTLs) or a Timedelta; pandas alone no longer takes ``"5d"``."""
    if value is None:
        return pd.Timedelta(0)
    if isinstance(value, str):
        match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*(ms|s|min|m|h|d|w)\s*", value, flags=re.IGNORECASE)
        if match:
            return pd.Timedelta(float(match.group(1)), unit=_UNITS[match.group(2).lower()])
    try:
        return pd.Timedelta(value)
    except (ValueError, TypeError) as error:
        raise InvalidArgumentError(f"embargo: not a duration such as \"5d\" ({error})", details={"field": "embargo"}) from None


def _available_at_column(X: pd.DataFrame) -> str:
    found = [c for c in X.columns if isinstance(c, str) and (c == "available_at" or c.endswith("__available_at"))]
    if len(found) != 1:
        raise InvalidArgumentError(
            f"available_at_column: name it; X has {len(found)} available_at columns ({', '.join(found) or 'none'})", details={"field": "available_at_column"}
        )
    return found[0]


def _utc(column: pd.Series) -> np.ndarray:
    """Times as datetime64[ns] UTC (naive times are UTC), nulls as NaT."""
    times = pd.to_datetime(column, utc=True)
    return times.dt.tz_convert("UTC").dt.tz_localize(None).to_numpy(dtype="datetime64[ns]")
