"""MLflow models that look up their own features (``pip install market-feature-store[mlflow]``).

    import market_feature_store.mlflow as fs_mlflow
    info = fs_mlflow.log_model(clf, "model", training_set=job)        # pins job's feature versions
    fs_mlflow.score_batch(info.model_uri, entity_df)                   # point in time, per row
    mlflow.pyfunc.load_model(info.model_uri).predict([{"symbol": "SYN0001"}])   # online

This subpackage shares its name with the ``mlflow`` package; its modules import that one
absolutely (``from __future__ import annotations``, no relative ``import mlflow``).
"""
from __future__ import annotations

from market_feature_store.mlflow.batch import score_batch
from market_feature_store.mlflow.logged_model import METADATA_KEY, default_requirements, feature_spec, log_model
from market_feature_store.mlflow.model import FeatureStoreModel
from market_feature_store.mlflow.scoring import NOT_FOUND, NULL_VALUE, OK, OUTSIDE_TTL
from market_feature_store.mlflow.spec import FeatureSpec

__all__ = [
    "log_model",
    "score_batch",
    "feature_spec",
    "default_requirements",
    "FeatureStoreModel",
    "FeatureSpec",
    "METADATA_KEY",
    "OK",
    "NOT_FOUND",
    "OUTSIDE_TTL",
    "NULL_VALUE",
]
