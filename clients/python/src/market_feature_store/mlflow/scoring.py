"""Scoring rows whose features may be missing: the wrapped model sees only complete rows, in the
training columns' order; every row gets a ``status`` (and the refs that kept it from a prediction).

Output columns appended to the caller's rows:

- ``prediction``: the wrapped model's ``predict`` for the row, null when ``status`` is not OK;
- ``probability``: for a binary classifier (``predict_proba`` and two ``classes_``), the
  probability of ``classes_[1]``; null when not OK;
- ``status``: ``OK``, or why not, the first that applies of ``NOT_FOUND`` (no value for the
  key), ``OUTSIDE_TTL`` (the newest value is older than the view's TTL), ``NULL_VALUE`` (a value
  is null, e.g. a 20-day feature on the second bar; in a point-in-time set also "no value as
  of that time");
- ``missing``: the pinned references that were not usable, comma-separated ("" when OK).
"""
from __future__ import annotations

from typing import Any, Dict, Optional, Sequence

import numpy as np
import pandas as pd

OK = "OK"
NOT_FOUND = "NOT_FOUND"
OUTSIDE_TTL = "OUTSIDE_TTL"
NULL_VALUE = "NULL_VALUE"

#: Statuses as codes; the highest of a row's values is the row's status (its most fundamental problem).
CODES = [OK, NULL_VALUE, OUTSIDE_TTL, NOT_FOUND]
_CODE = {status: code for code, status in enumerate(CODES)}

#: The online store's status of a value (PRESENT with a null value is NULL_VALUE).
_OF_ONLINE = {"PRESENT": _CODE[OK], "OUTSIDE_TTL": _CODE[OUTSIDE_TTL]}


def value_codes(features: pd.DataFrame, online: Optional[Sequence[Dict[str, str]]] = None, online_names: Optional[Sequence[str]] = None) -> np.ndarray:
    """Per row and feature column, a status code: the online store's, else NULL_VALUE for a null value."""
    codes = np.where(features.isna().to_numpy(), _CODE[NULL_VALUE], _CODE[OK]).astype(np.int8)
    if online is not None and online_names is not None:
        stored = np.array([[_OF_ONLINE.get(row.get(name, ""), _CODE[NOT_FOUND]) for name in online_names] for row in online], dtype=np.int8)
        codes = np.maximum(codes, stored.reshape(codes.shape))
    return codes


def score(model: Any, features: pd.DataFrame, codes: np.ndarray, references: Sequence[str], nullable_dtypes: bool) -> pd.DataFrame:
    """``prediction`` (+ ``probability``), ``status`` and ``missing`` for each row of `features`.

    `features` has the model's columns in training order and a RangeIndex; `codes` its
    value_codes. The model is called once, on the complete rows only, with plain NumPy dtypes
    (no nulls are left among them). With `nullable_dtypes` the outputs are pandas nullable
    arrays (batch); without, object columns holding None (JSON null in ``mlflow models serve``).
    """
    n = len(features)
    row_codes = codes.max(axis=1) if codes.shape[1] else np.zeros(n, dtype=np.int8)
    ok = row_codes == _CODE[OK]
    index = np.flatnonzero(ok)
    out: Dict[str, Any] = {}
    complete = _plain_dtypes(features.iloc[index].reset_index(drop=True)) if len(index) else None
    out["prediction"] = _column(_predict(model, complete) if complete is not None else None, index, n, nullable_dtypes)
    if _is_binary_classifier(model):
        proba = np.asarray(model.predict_proba(complete))[:, 1] if complete is not None else None
        out["probability"] = _column(proba, index, n, nullable_dtypes)
    out["status"] = np.array(CODES, dtype=object)[row_codes]
    out["missing"] = _missing(codes, row_codes, references)
    return pd.DataFrame(out, index=features.index)


def _missing(codes: np.ndarray, row_codes: np.ndarray, references: Sequence[str]) -> np.ndarray:
    # Joined for the incomplete rows only: a large backtest is mostly complete rows.
    missing = np.full(len(row_codes), "", dtype=object)
    for i in np.flatnonzero(row_codes != _CODE[OK]):
        missing[i] = ",".join(ref for ref, code in zip(references, codes[i]) if code != _CODE[OK])
    return missing


def _predict(model: Any, frame: pd.DataFrame) -> np.ndarray:
    if hasattr(model, "predict"):
        result = model.predict(frame)
    elif callable(model):
        result = model(frame)
    else:
        raise TypeError(f"the wrapped model ({type(model).__name__}) has no predict() and is not callable")
    if isinstance(result, pd.DataFrame):
        result = result.iloc[:, 0] if result.shape[1] == 1 else list(result.itertuples(index=False, name=None))
    array = np.asarray(result.to_numpy() if isinstance(result, (pd.Series, pd.Index)) else result)
    if array.ndim > 1:  # several outputs per row: one list per row
        return np.array([list(row) for row in array.tolist()] + [None], dtype=object)[:-1]
    if len(array) != len(frame):
        raise ValueError(f"the wrapped model answered {len(array)} predictions for {len(frame)} rows")
    return array


def _is_binary_classifier(model: Any) -> bool:
    return hasattr(model, "predict_proba") and len(getattr(model, "classes_", ())) == 2


def _plain_dtypes(frame: pd.DataFrame) -> pd.DataFrame:
    """Nullable pandas columns (boolean, Int64, Float64) as NumPy ones: what models were fit on."""
    out = {}
    for name in frame.columns:
        col = frame[name]
        if isinstance(col.dtype, pd.BooleanDtype):
            col = col.astype(bool)
        elif isinstance(col.dtype, pd.api.extensions.ExtensionDtype) and pd.api.types.is_integer_dtype(col.dtype):
            col = col.astype(np.int64)
        elif isinstance(col.dtype, pd.api.extensions.ExtensionDtype) and pd.api.types.is_float_dtype(col.dtype):
            col = col.astype(np.float64)
        elif col.dtype == object:
            col = _object_column(col)
        out[name] = col
    return pd.DataFrame(out, columns=frame.columns)


def _object_column(col: pd.Series) -> pd.Series:
    # An online column with no value at all arrives as object; its values are all Python scalars here.
    inferred = pd.api.types.infer_dtype(col, skipna=True)
    if inferred == "boolean":
        return col.astype(bool)
    if inferred in ("floating", "integer", "mixed-integer-float"):
        return col.astype(np.float64)
    return col


def _column(values: Optional[np.ndarray], index: np.ndarray, n: int, nullable: bool) -> Any:
    """The model's outputs for the rows at `index` as a column of `n` rows, null elsewhere."""
    if nullable and values is not None and values.dtype != object:
        array = pd.array(values)
        if len(index) == n:
            return array
        positions = np.full(n, -1, dtype=np.int64)
        positions[index] = np.arange(len(index))
        return array.take(positions, allow_fill=True)  # Int64 / boolean / Float64 / string, <NA> where not scored
    plain = np.full(n, None, dtype=object)
    if values is not None:
        for i, value in zip(index, values.tolist()):
            plain[i] = value
    return plain
