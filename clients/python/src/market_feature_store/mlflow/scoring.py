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

from typing import Any, Dict, List, Optional, Sequence

import numpy as np
import pandas as pd

OK = "OK"
NOT_FOUND = "NOT_FOUND"
OUTSIDE_TTL = "OUTSIDE_TTL"
NULL_VALUE = "NULL_VALUE"

#: The worse of two reasons wins, so a row says its most fundamental problem.
_RANK = {OK: 0, NULL_VALUE: 1, OUTSIDE_TTL: 2, NOT_FOUND: 3}

#: The online store's status of a value, as a row status (PRESENT with a null value is NULL_VALUE).
_OF_ONLINE = {"PRESENT": OK, "NOT_FOUND": NOT_FOUND, "OUTSIDE_TTL": OUTSIDE_TTL}


def value_statuses(features: pd.DataFrame, online: Optional[Sequence[Dict[str, str]]] = None, online_names: Optional[Sequence[str]] = None) -> List[List[str]]:
    """Per row, the status of each feature column: the online store's, or NULL_VALUE for a null value."""
    nulls = features.isna().to_numpy()
    rows: List[List[str]] = []
    for i in range(len(features)):
        statuses = []
        for j in range(features.shape[1]):
            status = OK
            if online is not None and online_names is not None:
                status = _OF_ONLINE.get(online[i].get(online_names[j], "NOT_FOUND"), NOT_FOUND)
            if status == OK and nulls[i, j]:
                status = NULL_VALUE
            statuses.append(status)
        rows.append(statuses)
    return rows


def score(
    model: Any,
    features: pd.DataFrame,
    statuses: List[List[str]],
    references: Sequence[str],
    nullable_dtypes: bool,
) -> pd.DataFrame:
    """``prediction`` (+ ``probability``), ``status`` and ``missing`` for each row of `features`.

    `features` has the model's columns in training order. The model is called once, on the
    complete rows only, with plain NumPy dtypes (no nulls are left among them). With
    `nullable_dtypes` the outputs are pandas nullable arrays (batch); without, object columns
    holding None (they become JSON null in ``mlflow models serve``).
    """
    row_status = [max(s, key=_RANK.__getitem__) if s else OK for s in statuses]
    missing = [",".join(ref for ref, s in zip(references, row) if s != OK) for row in statuses]
    ok = np.array([s == OK for s in row_status], dtype=bool)
    n = len(features)
    predictions: List[Any] = [None] * n
    probabilities: Optional[List[Any]] = [None] * n if _is_binary_classifier(model) else None
    if ok.any():
        complete = _plain_dtypes(features.loc[ok].reset_index(drop=True))
        index = np.flatnonzero(ok)
        for i, value in zip(index, _as_list(_predict(model, complete))):
            predictions[i] = value
        if probabilities is not None:
            for i, value in zip(index, _as_list(np.asarray(model.predict_proba(complete))[:, 1])):
                probabilities[i] = value
    out: Dict[str, Any] = {"prediction": _column(predictions, nullable_dtypes)}
    if probabilities is not None:
        out["probability"] = _column(probabilities, nullable_dtypes)
    out["status"] = row_status
    out["missing"] = missing
    return pd.DataFrame(out, index=features.index)


def _predict(model: Any, frame: pd.DataFrame) -> Any:
    if hasattr(model, "predict"):
        return model.predict(frame)
    if callable(model):
        return model(frame)
    raise TypeError(f"the wrapped model ({type(model).__name__}) has no predict() and is not callable")


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


def _as_list(values: Any) -> List[Any]:
    if isinstance(values, (pd.Series, pd.Index)):
        values = values.to_numpy()
    if isinstance(values, pd.DataFrame):
        return [row.tolist() if len(row) > 1 else row.iloc[0] for _, row in values.iterrows()]
    array = np.asarray(values)
    if array.ndim > 1 and array.shape[1] == 1:
        array = array[:, 0]
    return array.tolist()


def _column(values: List[Any], nullable: bool) -> Any:
    plain = np.empty(len(values), dtype=object)
    plain[:] = values
    if not nullable:
        return plain
    try:
        return pd.array(values)  # Int64 / boolean / Float64 / string with <NA> for the rows not scored
    except (TypeError, ValueError):
        return plain
