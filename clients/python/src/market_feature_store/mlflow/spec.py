"""What a logged model knows of its features: the training set it was fit on, the pinned
references (``view@version:feature``) in the order of the model's columns, and the join keys.

It is plain JSON (stored in the MLmodel file's metadata and pickled with the model), so a model
can be inspected with ``mlflow.models.get_model_info(uri).metadata`` without unpickling it.
"""
from __future__ import annotations

import dataclasses
from typing import Any, Dict, List, Mapping, Optional, Sequence

from market_feature_store.client import FeatureStore
from market_feature_store.errors import FeatureStoreError, InvalidArgumentError
from market_feature_store.jobs import RetrievalJob

#: Version of this layout; a model logged with a newer one is refused rather than misread.
SPEC_FORMAT = 1


@dataclasses.dataclass(frozen=True)
class FeatureSpec:
    """The features of a logged model; ``features[i]`` fills the model's column ``columns[i]``."""

    training_set_id: str
    training_set_digest: str
    features: List[str]
    columns: List[str]
    join_keys: List[str]
    key_types: Dict[str, str]
    point_in_time: str = "event"
    feature_store_url: Optional[str] = None
    format: int = SPEC_FORMAT

    def to_dict(self) -> Dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "FeatureSpec":
        if int(data.get("format", 0)) > SPEC_FORMAT:
            raise InvalidArgumentError(f"the model's feature spec has format {data.get('format')}; this client reads up to {SPEC_FORMAT}: upgrade market-feature-store")
        known = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})


def pinned_references(manifest: Mapping[str, Any]) -> List[str]:
    """The set's features as ``view@version:feature``, in the set's order."""
    return [f"{f['view']}@{int(f['version'])}:{f['feature']}" for f in manifest.get("features", [])]


def feature_columns_of(manifest: Mapping[str, Any]) -> List[str]:
    """The set's feature columns: the server appends one per feature, in order, after the entity columns."""
    features = manifest.get("features", [])
    columns = list(manifest.get("columns") or [])
    if len(columns) < len(features):
        raise InvalidArgumentError(f"training set {manifest.get('id')}: its manifest lists {len(features)} features but {len(columns)} columns")
    return columns[len(columns) - len(features):]


def spec_of_training_set(
    store: FeatureStore,
    job: RetrievalJob,
    feature_columns: Optional[Sequence[str]] = None,
) -> FeatureSpec:
    """The spec of a model fit on `job`'s columns `feature_columns` (default: all its feature columns)."""
    manifest = job.manifest
    refs = pinned_references(manifest)
    set_columns = feature_columns_of(manifest)
    ref_of_column = dict(zip(set_columns, refs))
    columns = list(feature_columns) if feature_columns is not None else set_columns
    unknown = [c for c in columns if c not in ref_of_column]
    if unknown:
        raise InvalidArgumentError(
            f"feature_columns: {unknown} are not feature columns of training set {job.id} (its feature columns are {set_columns}); "
            "a model logged with log_model must be fit on the set's feature columns only",
            details={"field": "feature_columns", "unknown": unknown},
        )
    if len(set(columns)) != len(columns):
        raise InvalidArgumentError(f"feature_columns: {columns} names a column twice", details={"field": "feature_columns"})
    views = sorted({(f["view"], int(f["version"])) for f in manifest.get("features", [])})
    keys = join_keys(store, views)
    return FeatureSpec(
        training_set_id=job.id,
        training_set_digest=job.digest,
        features=[ref_of_column[c] for c in columns],
        columns=columns,
        join_keys=keys,
        key_types=_key_types(job, keys),
        point_in_time=str(manifest.get("pointInTime") or "event"),
        feature_store_url=store.url,
    )


def join_keys(store: FeatureStore, views: Sequence[Any]) -> List[str]:
    """The join keys of the views' entities (one entity: a model looks features up by one key set)."""
    entities = sorted({str(store.get_feature_view(view, version)["definition"]["entity"]) for view, version in views})
    if len(entities) != 1:
        raise InvalidArgumentError(f"training set: its features belong to entities {entities}; a served model needs them all of one entity")
    entity = entities[0]
    # The client has no entities call yet; the route is part of the API contract (GET /v1/entities).
    try:
        listed = store._http.json("GET", "/v1/entities")  # noqa: SLF001
    except FeatureStoreError:
        listed = []
    for item in listed:
        if item.get("name") == entity and item.get("joinKeys"):
            return [str(k) for k in item["joinKeys"]]
    return [entity]


def _key_types(job: RetrievalJob, keys: Sequence[str]) -> Dict[str, str]:
    """MLflow column types of the join keys, read from the set's rows when they are already here
    (a set made by get_historical_features); otherwise keys are text, as tickers are."""
    table = getattr(job, "_table", None)
    types: Dict[str, str] = {}
    for key in keys:
        kind = "string"
        if table is not None and key in table.column_names:
            import pyarrow as pa

            t = table.schema.field(key).type
            kind = "long" if pa.types.is_integer(t) else "double" if pa.types.is_floating(t) else "string"
        types[key] = kind
    return types
