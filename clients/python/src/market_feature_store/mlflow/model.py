"""The pyfunc model that looks up its own features: entity keys in, predictions with a status out.

``predict`` reads the pinned features of the model online (``POST /v1/online-features``), puts
them in the training columns' order and calls the wrapped model on the rows that have them all.
The store it asks is named by the environment of the process that serves the model
(``FEATURE_STORE_URL``, ``FEATURE_STORE_API_KEY``), else the URL the model was logged against.
"""
from __future__ import annotations

import os
from typing import Any, Dict, List, Optional

import mlflow.pyfunc
import numpy as np
import pandas as pd
from mlflow.exceptions import MlflowException
from mlflow.protos.databricks_pb2 import INVALID_PARAMETER_VALUE

from market_feature_store.client import FeatureStore
from market_feature_store.errors import InvalidArgumentError
from market_feature_store.frames import as_table, to_pandas
from market_feature_store.mlflow.scoring import CODES, NOT_FOUND, score, value_codes
from market_feature_store.mlflow.spec import FeatureSpec


class FeatureStoreModel(mlflow.pyfunc.PythonModel):
    """A wrapped model (anything with ``predict``, or a callable) plus the spec of its features."""

    def __init__(self, model: Any, spec: Dict[str, Any]):
        self.model = model
        self.spec_dict = dict(spec)
        self._store: Optional[FeatureStore] = None

    @property
    def spec(self) -> FeatureSpec:
        return FeatureSpec.from_dict(self.spec_dict)

    def __getstate__(self) -> Dict[str, Any]:
        # A connection is per process: the serving process opens its own, with its environment.
        state = dict(self.__dict__)
        state["_store"] = None
        return state

    def load_context(self, context: Any) -> None:
        self._store = None

    def store(self) -> FeatureStore:
        """The feature store of this process (FEATURE_STORE_URL, else the URL the model was logged against)."""
        if self._store is None:
            self._store = FeatureStore(os.environ.get("FEATURE_STORE_URL") or self.spec.feature_store_url)
        return self._store

    def predict(self, context: Any, model_input: pd.DataFrame, params: Optional[Dict[str, Any]] = None) -> pd.DataFrame:
        """Entity keys (a DataFrame, ``{"symbol": [...]}`` or ``[{"symbol": ...}]``) → the keys'
        columns plus ``prediction`` (``probability``), ``status``, ``missing``, one row per key."""
        keys = _key_frame(model_input, self.spec.join_keys)
        return self.predict_online(keys)

    def predict_online(self, keys: pd.DataFrame) -> pd.DataFrame:
        """`keys` (a DataFrame with the join key columns) scored on the features read online now."""
        spec = self.spec
        keys = keys.reset_index(drop=True)
        n = len(keys)
        # A null or empty key has no value by definition; sent, it would fail the whole request.
        known = (~keys[spec.join_keys].isna().any(axis=1) & ~(keys[spec.join_keys].astype(str) == "").any(axis=1)).to_numpy()
        positions = np.flatnonzero(known)
        codes = np.full((n, len(spec.columns)), CODES.index(NOT_FOUND), dtype=np.int8)
        features = pd.DataFrame({c: pd.Series([None] * n, dtype=object) for c in spec.columns})
        if len(positions):
            asked = keys.iloc[positions]
            try:
                response = self.store().get_online_features(features=spec.features, entity_rows={k: _plain(asked[k]) for k in spec.join_keys})
            except InvalidArgumentError as error:  # a malformed key: the caller's fault (400 when served), not the model's
                raise MlflowException(f"model_input: {error.message}", error_code=INVALID_PARAMETER_VALUE) from error
            # One column per requested reference, in request order, after the join keys.
            names = response.feature_names[len(response.feature_names) - len(spec.features):]
            found = to_pandas(response.to_arrow().select(names)).set_axis(spec.columns, axis=1)
            codes[positions] = value_codes(found, response.statuses, names)
            features = found.set_axis(positions).reindex(range(n))  # rows not asked: null, and NOT_FOUND above
        scored = score(self.model, features, codes, spec.features, nullable_dtypes=False)
        return pd.concat([keys, scored], axis=1)


def _key_frame(model_input: Any, join_keys: List[str]) -> pd.DataFrame:
    if isinstance(model_input, pd.DataFrame):
        frame = model_input
    elif isinstance(model_input, dict):
        frame = pd.DataFrame({k: v if isinstance(v, (list, tuple)) else [v] for k, v in model_input.items()})
    elif isinstance(model_input, list):
        frame = pd.DataFrame(model_input)
    else:
        frame = to_pandas(as_table(model_input, "model_input"))
    if len(frame) == 1 and all(k in frame.columns and isinstance(frame[k].iloc[0], (list, tuple, np.ndarray)) for k in join_keys):
        # pyfunc's schema enforcement turns {"symbol": [...]} into ONE row holding the list.
        frame = pd.DataFrame({c: list(v) if isinstance(v, (list, tuple, np.ndarray)) else v for c, v in frame.iloc[0].items()})
    absent = [k for k in join_keys if k not in frame.columns]
    if absent:
        raise MlflowException(
            f"model_input: the join key column(s) {absent} are missing (columns are {list(frame.columns)}); send e.g. "
            + '{"dataframe_records": [{' + ", ".join(f'"{k}": ...' for k in join_keys) + "}]}",
            error_code=INVALID_PARAMETER_VALUE,
        )
    return frame


def _plain(series: pd.Series) -> List[Any]:
    return [v.item() if hasattr(v, "item") else v for v in series.tolist()]
