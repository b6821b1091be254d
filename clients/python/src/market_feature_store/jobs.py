"""What the retrieval calls hand back: a training set (Feast's RetrievalJob) and an online answer."""
from __future__ import annotations

from typing import Any, Callable, Dict, List, Optional

import pandas as pd
import pyarrow as pa

from .frames import columns_of_rows, to_pandas


class RetrievalJob:
    """A stored training set: ``id``, ``digest``, ``manifest``, and its rows by ``to_df()`` / ``to_arrow()``.

    The rows of a new set arrive with the request that made it; those of a set fetched by id are
    read on first use (``GET /v1/training-sets/{id}/data``).
    """

    def __init__(
        self,
        training_set_id: str,
        digest: Optional[str],
        *,
        table: Optional[pa.Table] = None,
        load_table: Callable[[], pa.Table],
        load_manifest: Callable[[], Dict[str, Any]],
        manifest: Optional[Dict[str, Any]] = None,
    ):
        self.id = training_set_id
        self._digest = digest
        self._table = table
        self._load_table = load_table
        self._load_manifest = load_manifest
        self._manifest = manifest

    @property
    def digest(self) -> str:
        """The set's content digest (the same rows from the same data give the same digest)."""
        if self._digest is None:
            self._digest = str(self.manifest["digest"])
        return self._digest

    @property
    def manifest(self) -> Dict[str, Any]:
        """``GET /v1/training-sets/{id}``: features with pinned versions, row count, run ids, ..."""
        if self._manifest is None:
            self._manifest = self._load_manifest()
        return self._manifest

    @property
    def training_set_id(self) -> str:
        return self.id

    @property
    def features(self) -> List[str]:
        """The pinned feature references of the set, ``view@version:feature``."""
        return [f"{f['view']}@{f['version']}:{f['feature']}" for f in self.manifest.get("features", [])]

    def to_arrow(self) -> pa.Table:
        """The rows as a pyarrow Table, as the server wrote them."""
        if self._table is None:
            self._table = self._load_table()
        return self._table

    def to_df(self) -> pd.DataFrame:
        """The rows as a pandas DataFrame (timestamps datetime64[ns, UTC], nullable ints Int64, nullable booleans boolean)."""
        return to_pandas(self.to_arrow())

    def __repr__(self) -> str:
        return f"RetrievalJob(id={self.id!r}, digest={self._digest!r})"


class OnlineResponse:
    """The answer of an online lookup: one row per entity row, with a status per value."""

    def __init__(self, body: Dict[str, Any], types: Optional[Dict[str, pa.DataType]] = None):
        self.feature_names: List[str] = list(body.get("featureNames", []))
        self.rows: List[Dict[str, Any]] = list(body.get("rows", []))
        self.metadata: List[Dict[str, Any]] = list(body.get("metadata", []))
        self._types = types or {}

    @property
    def statuses(self) -> List[Dict[str, str]]:
        """Per entity row, the status of each feature: PRESENT, NOT_FOUND or OUTSIDE_TTL."""
        return [m.get("statuses", {}) for m in self.metadata]

    @property
    def event_timestamps(self) -> List[Dict[str, Optional[str]]]:
        """Per entity row, the event time of each feature's value (ISO-8601, or None)."""
        return [m.get("eventTimestamps", {}) for m in self.metadata]

    def to_dict(self, include_event_timestamps: bool = False) -> Dict[str, List[Any]]:
        """Column by column, as Feast's ``OnlineResponse.to_dict()``: ``{name: [value per entity row]}``."""
        out: Dict[str, List[Any]] = {name: [row.get(name) for row in self.rows] for name in self.feature_names}
        if include_event_timestamps:
            for name in self.feature_names:
                if any(name in t for t in self.event_timestamps):
                    out[f"{name}__ts"] = [t.get(name) for t in self.event_timestamps]
        return out

    def to_arrow(self) -> pa.Table:
        """The rows as a pyarrow Table, each feature column of its declared type."""
        table = columns_of_rows(self.rows, self.feature_names)
        for i, name in enumerate(table.column_names):
            wanted = self._types.get(name)
            if wanted is not None and table.schema.field(i).type != wanted:
                table = table.set_column(i, pa.field(name, wanted), table.column(i).cast(wanted))
        return table

    def to_df(self, include_statuses: bool = False) -> pd.DataFrame:
        """The rows as a DataFrame; ``include_statuses`` adds a ``<feature>__status`` column per feature."""
        df = to_pandas(self.to_arrow())
        if include_statuses:
            for name in self.feature_names:
                if any(name in s for s in self.statuses):
                    df[f"{name}__status"] = [s.get(name) for s in self.statuses]
        return df

    def __repr__(self) -> str:
        return f"OnlineResponse(rows={len(self.rows)}, features={self.feature_names!r})"
