"""log_model: a model fit on a training set, logged as a pyfunc model that looks up its own features."""
from __future__ import annotations

import importlib.metadata
import os
from typing import Any, List, Optional, Sequence, Union

import mlflow
import mlflow.pyfunc
from mlflow.models.signature import ModelSignature
from mlflow.types.schema import ColSpec, Schema

import market_feature_store
from market_feature_store.client import FeatureStore
from market_feature_store.errors import InvalidArgumentError
from market_feature_store.jobs import RetrievalJob
from market_feature_store.mlflow.model import FeatureStoreModel
from market_feature_store.mlflow.spec import FeatureSpec, spec_of_training_set

#: Where the spec sits in the MLmodel file's metadata (``get_model_info(uri).metadata[...]``).
METADATA_KEY = "feature_store"


def log_model(
    model: Any,
    name: str = "model",
    *,
    training_set: Union[RetrievalJob, str],
    feature_columns: Optional[Sequence[str]] = None,
    store: Optional[FeatureStore] = None,
    bundle_client: bool = True,
    link_run: bool = True,
    pip_requirements: Optional[List[str]] = None,
    extra_pip_requirements: Optional[List[str]] = None,
    **kwargs: Any,
) -> Any:
    """Logs `model` (fit on `training_set`'s feature columns) as an MLflow pyfunc model whose
    ``predict`` takes entity keys and looks the features up online; returns MLflow's ModelInfo.

    ``feature_columns`` are the set's columns the model was fit on, in order; by default the
    model's ``feature_names_in_`` (scikit-learn fit on a DataFrame), else all the set's feature
    columns. The model records the set's id, digest and pinned references (``returns@1:ret_1d``)
    in its MLmodel metadata, and, in an active run, as run tags; the run is linked to the set.
    ``bundle_client`` ships this client in the model (``code_paths``) so that a serving
    environment needs only mlflow, pandas, pyarrow and requests. Other keyword arguments go to
    ``mlflow.pyfunc.log_model`` (``registered_model_name``, ``input_example``, ...).
    """
    store = store or FeatureStore()
    job = training_set if isinstance(training_set, RetrievalJob) else store.get_training_set(str(training_set))
    if feature_columns is None and getattr(model, "feature_names_in_", None) is not None:
        feature_columns = [str(c) for c in model.feature_names_in_]
    spec = spec_of_training_set(store, job, feature_columns)
    python_model = FeatureStoreModel(model, spec.to_dict())
    metadata = dict(kwargs.pop("metadata", None) or {})
    metadata[METADATA_KEY] = spec.to_dict()
    if pip_requirements is None:
        pip_requirements = default_requirements(model) + list(extra_pip_requirements or [])
    elif extra_pip_requirements:
        raise InvalidArgumentError("pip_requirements and extra_pip_requirements: give one of them, as mlflow.pyfunc.log_model wants")
    info = mlflow.pyfunc.log_model(
        name=name,
        python_model=python_model,
        signature=_signature(spec),
        metadata=metadata,
        code_paths=[_package_dir()] if bundle_client else None,
        pip_requirements=pip_requirements,
        **kwargs,
    )
    run = mlflow.active_run()
    if run is not None:
        mlflow.set_tags(
            {
                "feature_store.training_set_id": spec.training_set_id,
                "feature_store.training_set_digest": spec.training_set_digest,
                "feature_store.features": ",".join(spec.features),
            }
        )
        if link_run and run.info.run_id not in (job.manifest.get("runIds") or []):
            store.link_run(run.info.run_id, [job.id])
    return info


def feature_spec(model_uri: str) -> FeatureSpec:
    """The feature spec of a logged model, read from its MLmodel file (nothing is unpickled)."""
    from mlflow.models import get_model_info

    metadata = get_model_info(model_uri).metadata or {}
    if METADATA_KEY not in metadata:
        raise InvalidArgumentError(f"{model_uri}: not a model logged with market_feature_store.mlflow.log_model (no {METADATA_KEY!r} metadata)", details={"field": "model_uri"})
    return FeatureSpec.from_dict(metadata[METADATA_KEY])


def default_requirements(model: Any) -> List[str]:
    """What serving needs: this client's own dependencies, mlflow, and the wrapped model's library at its installed version."""
    wanted = ["mlflow", "pandas", "pyarrow", "requests"]
    library = _distribution_of(type(model).__module__.split(".")[0])
    if library and library not in wanted:
        wanted.append(library)
    pins: List[str] = []
    for dist in wanted:
        try:
            pins.append(f"{dist}=={importlib.metadata.version(dist)}")
        except importlib.metadata.PackageNotFoundError:
            pins.append(dist)
    return pins


def _distribution_of(module: str) -> Optional[str]:
    if module in ("builtins", "__main__", "market_feature_store", "numpy", "pandas"):
        return None
    try:
        names = importlib.metadata.packages_distributions().get(module) or []
    except Exception:  # an odd site-packages must not stop a model from being logged
        return None
    return names[0] if names else None


def _signature(spec: FeatureSpec) -> ModelSignature:
    # Input only: the join keys. The output is a DataFrame described in the docs (prediction, status, ...).
    return ModelSignature(inputs=Schema([ColSpec(spec.key_types.get(k, "string"), k) for k in spec.join_keys]))


def _package_dir() -> str:
    return os.path.dirname(os.path.abspath(market_feature_store.__file__))
