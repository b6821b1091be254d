"""Fixtures of the client's tests. They run against a REAL API (and a real MLflow server), which
test/python-client.e2e-spec.ts starts and names in the environment:

    FEATURE_STORE_URL        the API, with the sample data bootstrapped (BTC-USD 2021, SYN0001..)
    MLFLOW_TRACKING_URI      an MLflow tracking server the API logs lineage to
    FEATURE_STORE_AUTH_URL   a second API with access control on, and FEATURE_STORE_READ_KEY a read-only key of it

Run them with `npx jest test/python-client.e2e-spec.ts`; pytest alone needs those variables set.
References are independent of the client: plain `requests` calls decoded with pyarrow, pandas.
"""
from __future__ import annotations

import os
import uuid
from typing import Any, Dict, Optional

import pandas as pd
import pyarrow as pa
import pytest
import requests

from market_feature_store import FeatureStore

ARROW = "application/vnd.apache.arrow.stream"

#: A suffix that makes the names a test run creates its own (a rerun against the same server creates new ones).
RUN = uuid.uuid4().hex[:8]


def _env(name: str) -> str:
    value = os.environ.get(name)
    if not value:
        pytest.fail(f"{name} is not set: run these tests through `npx jest test/python-client.e2e-spec.ts`", pytrace=False)
    return value


@pytest.fixture(scope="session")
def base_url() -> str:
    return _env("FEATURE_STORE_URL").rstrip("/")


@pytest.fixture(scope="session")
def store(base_url: str) -> FeatureStore:
    return FeatureStore(base_url, api_key="")


class Plain:
    """The reference: the HTTP API called by hand, as a user without the client would."""

    def __init__(self, base: str):
        self.base = base

    def get(self, path: str) -> Any:
        r = requests.get(self.base + path, timeout=60)
        r.raise_for_status()
        return r.json()

    def post_json(self, path: str, body: Any) -> requests.Response:
        return requests.post(self.base + path, json=body, timeout=120)

    def training_set_arrow(self, body: bytes, content_type: str, params: Dict[str, str]) -> requests.Response:
        return requests.post(self.base + "/v1/training-sets", data=body, params=params, headers={"Content-Type": content_type, "Accept": ARROW}, timeout=300)

    def training_set_rows(self, features, entities, point_in_time: str = "event", run_id: Optional[str] = None) -> pa.Table:
        """A training set from a JSON body (another parser than the client's Arrow body), decoded with pyarrow."""
        body: Dict[str, Any] = {"features": features, "entities": entities, "pointInTime": point_in_time}
        if run_id:
            body["runId"] = run_id
        r = requests.post(self.base + "/v1/training-sets", json=body, headers={"Accept": ARROW}, timeout=300)
        assert r.status_code == 200, r.text
        return pa.ipc.open_stream(r.content).read_all()


@pytest.fixture(scope="session")
def plain(base_url: str) -> Plain:
    return Plain(base_url)


def arrow_bytes(table: pa.Table) -> bytes:
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    return sink.getvalue().to_pybytes()


def values(series: pd.Series) -> list:
    """A column's values as plain Python, missing values as None (the reference's shape)."""
    return [None if (v is None or v is pd.NA or (isinstance(v, float) and v != v) or v is pd.NaT) else (v.item() if hasattr(v, "item") else v) for v in series.tolist()]
