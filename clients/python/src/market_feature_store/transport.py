"""The HTTP side of the client: one keep-alive session, the key as a bearer token, and every
error answer turned into a FeatureStoreError subclass (never a bare requests exception)."""
from __future__ import annotations

import os
from typing import Any, Dict, Optional, Union
from urllib.parse import quote

import requests

from . import __version__
from .errors import UnavailableError, error_from_answer

DEFAULT_URL = "http://localhost:8080"

Body = Union[bytes, bytearray, memoryview, None]


class Transport:
    """Requests to one feature store server."""

    def __init__(self, url: Optional[str] = None, api_key: Optional[str] = None, timeout: Optional[float] = None, session: Optional[requests.Session] = None):
        self.url = (url or os.environ.get("FEATURE_STORE_URL") or DEFAULT_URL).rstrip("/")
        key = api_key if api_key is not None else os.environ.get("FEATURE_STORE_API_KEY")
        self.timeout = timeout
        self.session = session or requests.Session()
        self.session.headers["User-Agent"] = f"market-feature-store-python/{__version__}"
        if key:
            self.session.headers["Authorization"] = f"Bearer {key}"

    def request(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        data: Body = None,
        params: Optional[Dict[str, Any]] = None,
        headers: Optional[Dict[str, str]] = None,
    ) -> requests.Response:
        """Sends one request; raises the FeatureStoreError of an error answer or of no answer."""
        try:
            response = self.session.request(method, self.url + path, json=json, data=data, params=params, headers=headers, timeout=self.timeout)
        except requests.RequestException as error:
            raise UnavailableError(f"cannot reach the feature store at {self.url}: {error}", details={"url": self.url}) from error
        if response.status_code >= 400:
            raise error_from_answer(response.status_code, response.content, response.headers)
        return response

    def json(self, method: str, path: str, **kwargs: Any) -> Any:
        """A request whose answer is JSON; returns the parsed body."""
        return self.request(method, path, **kwargs).json()

    def close(self) -> None:
        self.session.close()


def segment(name: Union[str, int]) -> str:
    """A name as one path segment (a run id may hold `:` or `.`; nothing may add a `/`)."""
    return quote(str(name), safe="")
