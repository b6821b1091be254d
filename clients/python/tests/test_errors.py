"""Errors: each server answer becomes the FeatureStoreError subclass of its code, carrying the
status, code, message and details of the plain answer; client-side checks raise before sending."""
from __future__ import annotations

import os
import socket

import pandas as pd
import pytest

from market_feature_store import (
    AuthError,
    FeatureStore,
    FeatureStoreError,
    InvalidArgumentError,
    NotFoundError,
    RateLimitError,
    ServerError,
    UnavailableError,
    UnknownFeatureError,
    UnknownReferenceError,
)
from market_feature_store.errors import ConflictError, error_from_answer

FRAME = pd.DataFrame({"symbol": ["BTC-USD"], "ts": [pd.Timestamp("2021-04-12 10:00")]})


def plain_error(plain, path, body):
    answer = plain.post_json(path, body)
    return answer.status_code, answer.json()["error"]


def assert_same(error: FeatureStoreError, status: int, plain_body: dict) -> None:
    assert (error.status, error.code, error.message, error.details) == (status, plain_body["code"], plain_body["message"], plain_body["details"])


def test_an_unknown_feature_is_an_unknown_feature_error(store: FeatureStore, plain):
    with pytest.raises(UnknownFeatureError) as caught:
        store.get_historical_features(FRAME, features=["returns:nope"])
    status, body = plain_error(plain, "/v1/training-sets", {"features": ["returns:nope"], "entities": [{"symbol": "BTC-USD", "ts": "2021-04-12T10:00:00Z"}]})
    assert_same(caught.value, status, body)
    assert caught.value.status == 422 and caught.value.details["field"] == "features[0]"
    with pytest.raises(UnknownFeatureError):
        store.get_online_features(features=["nope:x"], entity_rows=[{"symbol": "A"}])


def test_a_bad_time_is_an_invalid_argument_naming_the_row(store: FeatureStore):
    frame = pd.DataFrame({"symbol": ["BTC-USD", "BTC-USD"], "ts": ["2021-04-12T10:00:00Z", "1800-01-01T00:00:00Z"]})
    with pytest.raises(InvalidArgumentError) as caught:
        store.get_historical_features(frame, features=["returns:ret_1d"])
    assert caught.value.status == 400 and caught.value.code == "INVALID_ARGUMENT"
    assert caught.value.details["rows"][0]["row"] == 2
    assert isinstance(caught.value, ValueError)


def test_unknown_names_are_not_found_or_unknown_reference(store: FeatureStore, plain):
    with pytest.raises(NotFoundError) as caught:
        store.get_training_set("tset-nope")
    assert (caught.value.status, caught.value.code) == (404, "NOT_FOUND")
    with pytest.raises(NotFoundError):
        store.get_run("nobody-at-all")
    with pytest.raises(UnknownReferenceError) as service:
        store.get_historical_features(FRAME, feature_service="no_such_service")
    assert service.value.status == 422


def test_client_side_checks_raise_before_sending(store: FeatureStore):
    with pytest.raises(InvalidArgumentError, match="point_in_time"):
        store.get_historical_features(FRAME, features=["returns:ret_1d"], point_in_time="later")
    with pytest.raises(InvalidArgumentError, match="features"):
        store.get_historical_features(FRAME)
    with pytest.raises(InvalidArgumentError, match="entity_df"):
        store.get_historical_features([{"symbol": "A"}], features=["returns:ret_1d"])  # type: ignore[arg-type]
    with pytest.raises(InvalidArgumentError, match="entity_rows"):
        store.get_online_features(features=["returns:ret_1d"], entity_rows=[{"symbol": "A"}, {"ticker": "B"}])


def test_an_unreachable_server_is_unavailable():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again before the request: nothing listens there
    with pytest.raises(UnavailableError) as caught:
        FeatureStore(f"http://127.0.0.1:{port}", timeout=5).list_feature_views()
    assert caught.value.status is None and isinstance(caught.value, ServerError)


@pytest.fixture(scope="module")
def auth_url() -> str:
    url = os.environ.get("FEATURE_STORE_AUTH_URL")
    if not url:
        pytest.fail("FEATURE_STORE_AUTH_URL is not set: run these tests through `npx jest test/python-client.e2e-spec.ts`", pytrace=False)
    return url


def test_keys_are_sent_as_bearer_tokens_and_refusals_are_auth_errors(auth_url: str, monkeypatch):
    read_key = os.environ["FEATURE_STORE_READ_KEY"]
    with pytest.raises(AuthError) as anonymous:
        FeatureStore(auth_url, api_key="").list_feature_views()
    assert (anonymous.value.status, anonymous.value.code) == (401, "UNAUTHENTICATED")
    with pytest.raises(AuthError) as wrong:
        FeatureStore(auth_url, api_key="not-a-key").list_feature_views()
    assert wrong.value.status == 401
    monkeypatch.setenv("FEATURE_STORE_URL", auth_url)
    monkeypatch.setenv("FEATURE_STORE_API_KEY", read_key)
    reader = FeatureStore()  # both from the environment
    assert reader.url == auth_url.rstrip("/")
    assert isinstance(reader.list_feature_views(), list)
    with pytest.raises(AuthError) as forbidden:
        reader.apply({"name": "x", "entity": "symbol", "source": "bars_1d", "sql": "SELECT symbol, ts, 1.0 AS c FROM source", "features": [{"name": "c", "type": "DOUBLE"}]})
    assert (forbidden.value.status, forbidden.value.code) == (403, "FORBIDDEN")
    assert forbidden.value.details == {"scope": "admin"}


def test_answers_map_by_code_then_by_status():
    # The server has no rate limit of its own; a proxy in front of it may answer 429.
    limited = error_from_answer(429, b"too many", {"Retry-After": "7"})
    assert isinstance(limited, RateLimitError) and limited.retry_after == 7.0 and limited.status == 429
    conflict = error_from_answer(409, b'{"error": {"code": "CONFLICT", "message": "m", "details": null}}')
    assert isinstance(conflict, ConflictError) and (conflict.code, conflict.message, conflict.details) == ("CONFLICT", "m", None)
    unknown_code = error_from_answer(422, b'{"error": {"code": "SOMETHING_NEW", "message": "m", "details": {}}}')
    assert type(unknown_code).__name__ == "UnprocessableError" and unknown_code.code == "SOMETHING_NEW"
    gateway = error_from_answer(502, b"<html>bad gateway</html>")
    assert isinstance(gateway, ServerError) and gateway.status == 502 and "bad gateway" in gateway.message
