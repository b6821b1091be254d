"""FeatureStore: the client's one entry point, with Feast's names where the concept is the same."""
from __future__ import annotations

import dataclasses
import re
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple, Union

import pyarrow as pa

from . import lineage
from .errors import FeatureStoreError, InvalidArgumentError
from .frames import ARROW_STREAM, TableLike, as_table, from_ipc, is_table, time_column, to_ipc, utc_times
from .jobs import OnlineResponse, RetrievalJob
from .materialize import MaterializeWaiter, Progress, iso_time
from .transport import Transport, segment

RunId = Union[str, bool, None]

# SQL types of a feature (FEATURE_TYPES of the server) as Arrow types, for online answers.
_ARROW_OF_SQL = {"DOUBLE": pa.float64(), "BIGINT": pa.int64(), "INTEGER": pa.int32(), "BOOLEAN": pa.bool_(), "VARCHAR": pa.string()}


class FeatureStore:
    """A client of one feature store server.

    ``url`` defaults to the environment's ``FEATURE_STORE_URL`` (else http://localhost:8080),
    ``api_key`` to ``FEATURE_STORE_API_KEY``; a key is sent as ``Authorization: Bearer <key>``.
    """

    def __init__(self, url: Optional[str] = None, api_key: Optional[str] = None, *, timeout: Optional[float] = None):
        self._http = Transport(url, api_key, timeout)
        self._definitions: Dict[Tuple[str, int], Dict[str, Any]] = {}

    @property
    def url(self) -> str:
        return self._http.url

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> "FeatureStore":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    # --- historical ---------------------------------------------------------------------------

    def get_historical_features(
        self,
        entity_df: TableLike,
        features: Optional[Sequence[str]] = None,
        feature_service: Optional[str] = None,
        point_in_time: str = "event",
        timestamp_column: Optional[str] = None,
        run_id: RunId = None,
        labels: Optional[Sequence[str]] = None,
        known_at: Any = None,
    ) -> RetrievalJob:
        """A point-in-time training set: each entity row with the feature values known at its time.

        ``entity_df`` (pandas or pyarrow) needs the join key and a time column (``ts``,
        ``event_timestamp`` or ``timestamp_column``; naive times are UTC); other columns (labels)
        come back unchanged, in order. It is sent as one Arrow IPC body. Inside an active MLflow
        run the set is linked to that run unless ``run_id=False``; an explicit ``run_id`` wins.
        ``labels`` (references of label views, e.g. ``["forward_returns:fwd_ret_5d"]``) adds each
        row's labels and ``<view>__available_at``; a label not yet known when the set is made is null.
        ``known_at`` (ISO text, datetime or pandas Timestamp; naive is UTC) builds the set as of
        that vintage: only feature rows created at or before it are used.
        """
        if feature_service is None and not features:
            raise InvalidArgumentError("features: a non-empty list of feature references (or feature_service=) is required", details={"field": "features"})
        if isinstance(features, str):
            raise InvalidArgumentError("features: a list of references, not one string", details={"field": "features"})
        if isinstance(labels, str):
            raise InvalidArgumentError("labels: a list of references, not one string", details={"field": "labels"})
        if point_in_time not in ("event", "knowledge"):
            raise InvalidArgumentError(f'point_in_time: must be "event" or "knowledge", got {point_in_time!r}', details={"field": "point_in_time"})
        table = as_table(entity_df)
        ts = time_column(table, timestamp_column)
        params: Dict[str, str] = {"pointInTime": point_in_time, "timestampColumn": ts}
        if feature_service is not None:
            params["featureService"] = feature_service
        else:
            params["features"] = ",".join(features or [])
        if labels:
            params["labels"] = ",".join(labels)
        run = lineage.resolve_run_id(run_id)
        if run:
            params["runId"] = run
        known = iso_time(known_at, "known_at")
        if known is not None:
            params["knownAt"] = known
        response = self._http.request(
            "POST",
            "/v1/training-sets",
            data=to_ipc(utc_times(table, ts)),
            params=params,
            headers={"Content-Type": ARROW_STREAM, "Accept": ARROW_STREAM},
        )
        set_id = response.headers["X-Training-Set-Id"]
        return self._job(set_id, response.headers.get("X-Training-Set-Digest"), from_ipc(response.content))

    def get_training_set(self, training_set_id: str) -> RetrievalJob:
        """A stored training set by id; its manifest is read now (404 as NotFoundError), its rows on first use."""
        manifest = self._http.json("GET", f"/v1/training-sets/{segment(training_set_id)}")
        return self._job(training_set_id, manifest.get("digest"), None, manifest)

    def recreate(self, training_set_id: str, run_id: Optional[str] = None) -> RetrievalJob:
        """The stored set computed again as of its ``knownAt``: a new set with the same digest (linked to ``run_id`` if given)."""
        manifest = self._http.json("POST", f"/v1/training-sets/{segment(training_set_id)}/recreate", json={"runId": run_id} if run_id else {})
        return self._job(manifest["id"], manifest.get("digest"), None, manifest)

    def diff(self, training_set_id: str, known_at: Any) -> Dict[str, Any]:
        """Per feature column, how many values of the set differ at the later vintage ``known_at``, with examples."""
        return self._http.json("GET", f"/v1/training-sets/{segment(training_set_id)}/diff", params={"knownAt": iso_time(known_at, "known_at") or ""})

    def _job(self, set_id: str, digest: Optional[str], table: Optional[pa.Table], manifest: Optional[Dict[str, Any]] = None) -> RetrievalJob:
        path = f"/v1/training-sets/{segment(set_id)}"
        return RetrievalJob(
            set_id,
            digest,
            table=table,
            manifest=manifest,
            load_table=lambda: from_ipc(self._http.request("GET", f"{path}/data", headers={"Accept": ARROW_STREAM}).content),
            load_manifest=lambda: self._http.json("GET", path),
        )

    # --- online --------------------------------------------------------------------------------

    def get_online_features(
        self,
        features: Optional[Sequence[str]] = None,
        entity_rows: Union[Sequence[Mapping[str, Any]], Mapping[str, Sequence[Any]], None] = None,
        feature_service: Optional[str] = None,
    ) -> OnlineResponse:
        """The newest values of `features` for each entity row (``[{"symbol": "SYN0001"}, ...]``,
        or column-wise ``{"symbol": [...]}``), with a status per value."""
        if entity_rows is None:
            raise InvalidArgumentError("entity_rows: a list of entity rows is required", details={"field": "entity_rows"})
        body: Dict[str, Any] = {"entities": _entity_columns(entity_rows)}
        if feature_service is not None:
            body["featureService"] = feature_service
        elif features:
            body["features"] = list(features)
        else:
            raise InvalidArgumentError("features: a non-empty list of feature references (or feature_service=) is required", details={"field": "features"})
        answer = self._http.json("POST", "/v1/online-features", json=body)
        return OnlineResponse(answer, self._online_types(answer))

    def _online_types(self, answer: Dict[str, Any]) -> Dict[str, pa.DataType]:
        # A double that happens to be whole arrives in JSON as an integer; the definitions say what it is.
        versions: Dict[str, int] = answer.get("versions") or {}
        types: Dict[str, pa.DataType] = {}
        for view, version in versions.items():
            try:
                definition = self._definition(view, int(version))
            except FeatureStoreError:
                continue  # e.g. a key that may not read definitions: the values as JSON typed them

            for feature in definition.get("definition", {}).get("features", []):
                arrow = _ARROW_OF_SQL.get(str(feature.get("type", "")).upper())
                if arrow is None:
                    continue
                for name in (f"{view}__{feature['name']}", f"{view}@{version}__{feature['name']}"):
                    types[name] = arrow
        return types

    def _definition(self, view: str, version: int) -> Dict[str, Any]:
        # A version never changes, so its definition is read once per client.
        key = (view, version)
        if key not in self._definitions:
            self._definitions[key] = self.get_feature_view(view, version)
        return self._definitions[key]

    # --- data and definitions ----------------------------------------------------------------

    def push(self, dataset: str, df: Union[TableLike, Sequence[Mapping[str, Any]]], timestamp_column: Optional[str] = None) -> Dict[str, Any]:
        """Appends rows to a dataset (created from the first batch); ``{"accepted", "rejected", "errors"}``.

        A DataFrame or Table goes as one Arrow IPC body, naive times as UTC; a list of dicts as JSON.
        """
        path = f"/v1/datasets/{segment(dataset)}/rows"
        if not is_table(df):
            return self._http.json("POST", path, json=list(df))  # type: ignore[arg-type]
        table = as_table(df, "df")
        names = table.column_names
        ts = timestamp_column if timestamp_column in names else next((n for n in ("ts", "event_timestamp") if n in names), None)
        if ts is not None:
            table = utc_times(table, ts)
        return self._http.json("POST", path, data=to_ipc(table), headers={"Content-Type": ARROW_STREAM})

    def apply(self, view: Any) -> Dict[str, Any]:
        """Registers a feature view (a dict, a dataclass or an object with ``to_dict()``); snake_case
        keys become the API's camelCase. ``{"name", "version", "digest", "created"}``."""
        return self._http.json("POST", "/v1/feature-views", json=_definition_body(view))

    def materialize(
        self,
        view: str,
        version: Optional[int] = None,
        start: Any = None,
        end: Any = None,
        wait: bool = True,
        timeout: Optional[float] = None,
        poll_interval: float = 0.5,
        progress: Progress = None,
    ) -> Dict[str, Any]:
        """Materialises a view version (default: the latest) over [start, end] (default: all its data).

        With ``wait`` it polls ``/v1/jobs/{id}`` until the job ends, calling ``progress`` (a
        callable, or True to print to stderr) on each change; a failed job raises JobFailedError,
        one still running after ``timeout`` seconds JobTimeoutError. Returns the job record.
        """
        version = version if version is not None else self._latest_version(view)
        body = {k: v for k, v in (("start", iso_time(start, "start")), ("end", iso_time(end, "end"))) if v is not None}
        job = self._http.json("POST", f"/v1/feature-views/{segment(view)}/versions/{int(version)}/materialize", json=body)
        if not wait:
            return job
        return MaterializeWaiter(lambda job_id: self._http.json("GET", f"/v1/jobs/{segment(job_id)}"), timeout, poll_interval, progress).wait(job)

    def get_job(self, job_id: str) -> Dict[str, Any]:
        """A materialisation job's record: ``{"jobId", "status", "rows", "error"?}``."""
        return self._http.json("GET", f"/v1/jobs/{segment(job_id)}")

    def list_feature_views(self) -> List[Dict[str, Any]]:
        """The latest version of each feature view."""
        return self._http.json("GET", "/v1/feature-views")

    def get_feature_view(self, name: str, version: Optional[int] = None) -> Dict[str, Any]:
        """One version's definition, digest and materialisation state (default: the latest version)."""
        version = version if version is not None else self._latest_version(name)
        return self._http.json("GET", f"/v1/feature-views/{segment(name)}/versions/{int(version)}")

    def get_feature_view_versions(self, name: str) -> Dict[str, Any]:
        """``{"name", "latest", "versions": [...]}`` of a view."""
        return self._http.json("GET", f"/v1/feature-views/{segment(name)}")

    def _latest_version(self, name: str) -> int:
        info = self.get_feature_view_versions(name)
        if info.get("latest") is not None:
            return int(info["latest"])
        return max(int(v["version"]) for v in info.get("versions", []))

    def list_datasets(self) -> List[Dict[str, Any]]:
        return self._http.json("GET", "/v1/datasets")

    # --- lineage -------------------------------------------------------------------------------

    def get_run(self, run_id: str) -> Dict[str, Any]:
        """A run's lineage: ``{"runId", "trainingSets", "featureVersions", ...}``."""
        return self._http.json("GET", f"/v1/runs/{segment(run_id)}")

    def link_run(self, run_id: str, training_set_ids: Sequence[str], system: str = "mlflow", tags: Optional[Mapping[str, str]] = None) -> Dict[str, Any]:
        """Links training sets to a run (idempotent); the server logs them to MLflow as dataset inputs."""
        body = {"runId": run_id, "trainingSetIds": list(training_set_ids), "system": system, "tags": dict(tags or {})}
        return self._http.json("POST", "/v1/runs", json=body)

    def health(self) -> Dict[str, Any]:
        return self._http.json("GET", "/health")


def _entity_columns(rows: Union[Sequence[Mapping[str, Any]], Mapping[str, Sequence[Any]]]) -> Dict[str, List[Any]]:
    if isinstance(rows, Mapping):
        return {k: list(v) for k, v in rows.items()}
    columns: Dict[str, List[Any]] = {}
    for i, row in enumerate(rows):
        if not isinstance(row, Mapping):
            raise InvalidArgumentError(f"entity_rows[{i}]: must be a dict of join keys, got {type(row).__name__}", details={"field": f"entity_rows[{i}]"})
        if i > 0 and set(row) != set(columns):
            raise InvalidArgumentError(f"entity_rows[{i}]: has keys {sorted(row)}, the first row {sorted(columns)}", details={"field": f"entity_rows[{i}]"})
        for key, value in row.items():
            columns.setdefault(key, []).append(value)
    return columns


def _definition_body(view: Any) -> Dict[str, Any]:
    if isinstance(view, Mapping):
        body = dict(view)
    elif dataclasses.is_dataclass(view) and not isinstance(view, type):
        body = dataclasses.asdict(view)
    elif hasattr(view, "to_dict"):
        body = dict(view.to_dict())
    else:
        raise InvalidArgumentError(f"view: expected a dict, a dataclass or an object with to_dict(), got {type(view).__name__}", details={"field": "view"})
    return {_camel(k): v for k, v in body.items() if v is not None}


def _camel(key: str) -> str:
    return re.sub(r"_([a-z])", lambda m: m.group(1).upper(), key)
