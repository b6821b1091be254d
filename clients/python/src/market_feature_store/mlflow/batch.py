"""score_batch: a logged model over a point-in-time training set (batch inference, backtests)."""
from __future__ import annotations

from typing import Any, Optional, Union

import pandas as pd

from market_feature_store.client import FeatureStore, RunId
from market_feature_store.errors import InvalidArgumentError
from market_feature_store.frames import TableLike
from market_feature_store.mlflow.model import FeatureStoreModel
from market_feature_store.mlflow.scoring import score, value_codes


def score_batch(
    model_uri: Union[str, Any],
    entity_df: TableLike,
    *,
    store: Optional[FeatureStore] = None,
    timestamp_column: Optional[str] = None,
    point_in_time: Optional[str] = None,
    include_features: bool = False,
    run_id: RunId = False,
) -> pd.DataFrame:
    """Scores each row of `entity_df` (join keys and a time) with the features known at its time.

    The model's pinned features (the versions it was trained on) are read with
    ``get_historical_features`` (``point_in_time`` defaults to the training set's), then the
    wrapped model is called on the complete rows. The answer is `entity_df`'s columns, the
    feature columns if ``include_features``, then ``prediction`` (``probability``), ``status``
    (``OK`` or ``NULL_VALUE``) and ``missing``; ``attrs["training_set_id"]`` names the set read.
    `model_uri` is an MLflow model URI, a loaded pyfunc model or a FeatureStoreModel. The set is
    not linked to the active MLflow run unless ``run_id`` says so (it is scoring, not training).
    """
    python_model = _python_model(model_uri)
    spec = python_model.spec
    store = store or python_model.store()  # FEATURE_STORE_URL, else the URL the model was logged against
    job = store.get_historical_features(
        entity_df,
        features=spec.features,
        point_in_time=point_in_time or spec.point_in_time,
        timestamp_column=timestamp_column,
        run_id=run_id,
    )
    df = job.to_df().reset_index(drop=True)
    # The server appends one column per requested feature, in order, after the entity columns.
    n = len(spec.features)
    entity_columns = list(df.columns[: len(df.columns) - n])
    features = df.iloc[:, len(df.columns) - n :].set_axis(spec.columns, axis=1)
    scored = score(python_model.model, features, value_codes(features), spec.features, nullable_dtypes=True)
    parts = [df[entity_columns]] + ([features] if include_features else []) + [scored]
    out = pd.concat(parts, axis=1)
    out.attrs["training_set_id"] = job.id
    out.attrs["training_set_digest"] = job.digest
    return out


def _python_model(model: Any) -> FeatureStoreModel:
    if isinstance(model, FeatureStoreModel):
        return model
    if isinstance(model, str):
        import mlflow.pyfunc

        model = mlflow.pyfunc.load_model(model)
    unwrap = getattr(model, "unwrap_python_model", None)
    inner = unwrap() if unwrap is not None else None
    if not isinstance(inner, FeatureStoreModel):
        raise InvalidArgumentError(
            f"model_uri: {type(inner or model).__name__} is not a model logged with market_feature_store.mlflow.log_model",
            details={"field": "model_uri"},
        )
    return inner
