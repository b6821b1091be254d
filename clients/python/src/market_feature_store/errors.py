"""Exceptions of the client, one class per kind of error the server answers (docs/errors.md).

Callers branch on the class (or on ``code``, which is the server's stable machine code), never on
the message. Every error carries ``status`` (None when no answer came), ``code``, ``message`` and
``details`` (a dict, or None).
"""
from __future__ import annotations

import json
from typing import Any, Dict, Optional, Type


class FeatureStoreError(Exception):
    """An error answered by the feature store (or met on the way to it)."""

    #: The code of an error raised without one (e.g. by the client's own checks).
    default_code = "INTERNAL"

    def __init__(self, message: str, *, status: Optional[int] = None, code: Optional[str] = None, details: Optional[Dict[str, Any]] = None):
        super().__init__(message)
        self.status = status
        self.code = code or self.default_code
        self.message = message
        self.details = details

    def __str__(self) -> str:
        prefix = f"{self.status} {self.code}" if self.status is not None else self.code
        return f"{prefix}: {self.message}"

    def __repr__(self) -> str:
        return f"{type(self).__name__}(status={self.status!r}, code={self.code!r}, message={self.message!r}, details={self.details!r})"


class InvalidArgumentError(FeatureStoreError, ValueError):
    """400: malformed input (a field the server refuses), or input the client refuses before sending."""

    default_code = "INVALID_ARGUMENT"


class AuthError(FeatureStoreError):
    """401 (no or unknown key) or 403 (the key lacks the scope or the name)."""

    default_code = "UNAUTHENTICATED"


class NotFoundError(FeatureStoreError, LookupError):
    """404: the path names nothing (a dataset, view, version, job, run or training set)."""

    default_code = "NOT_FOUND"


class ConflictError(FeatureStoreError):
    """409: a dataset declared again with another schema; a version being materialised elsewhere."""

    default_code = "CONFLICT"


class PayloadTooLargeError(FeatureStoreError):
    """413: a body over the server's BODY_LIMIT_MB."""

    default_code = "PAYLOAD_TOO_LARGE"


class UnsupportedMediaTypeError(FeatureStoreError):
    """415: a body or Accept type the route does not take."""

    default_code = "UNSUPPORTED_MEDIA_TYPE"


class UnprocessableError(FeatureStoreError):
    """422: well-formed but unusable (rows that do not fit, feature SQL the sandbox refuses, ...)."""

    default_code = "UNPROCESSABLE"


class UnknownFeatureError(UnprocessableError, LookupError):
    """422 UNKNOWN_FEATURE: a feature reference names a view or feature that does not exist."""

    default_code = "UNKNOWN_FEATURE"


class UnknownReferenceError(UnprocessableError, LookupError):
    """422 UNKNOWN_REFERENCE / UNKNOWN_ENTITY: a feature service, training set or entity that does not exist."""

    default_code = "UNKNOWN_REFERENCE"


class InvalidDefinitionError(UnprocessableError):
    """422 INVALID_DEFINITION / FEATURE_SQL_REJECTED: a feature view definition the server refuses."""

    default_code = "INVALID_DEFINITION"


class SchemaMismatchError(UnprocessableError):
    """422 SCHEMA_MISMATCH / MISSING_COLUMN / NOTHING_INGESTED: rows that do not fit a dataset."""

    default_code = "SCHEMA_MISMATCH"


class RateLimitError(FeatureStoreError):
    """429: too many requests; ``retry_after`` is the server's Retry-After in seconds (or None)."""

    default_code = "RATE_LIMITED"

    def __init__(self, message: str, *, retry_after: Optional[float] = None, **kwargs: Any):
        super().__init__(message, **kwargs)
        self.retry_after = retry_after


class ServerError(FeatureStoreError):
    """5xx: a fault of the server or of a store behind it."""


class UnavailableError(ServerError):
    """503 UNAVAILABLE (a store is down), or the server could not be reached at all (status None)."""

    default_code = "UNAVAILABLE"


class JobFailedError(FeatureStoreError):
    """A materialisation job that ended ``failed``; ``details`` holds the job record."""

    default_code = "JOB_FAILED"


class JobTimeoutError(FeatureStoreError, TimeoutError):
    """A materialisation job still running when the wait ran out; ``details`` holds the last job record."""

    default_code = "JOB_TIMEOUT"


_BY_CODE: Dict[str, Type[FeatureStoreError]] = {
    "INVALID_ARGUMENT": InvalidArgumentError,
    "UNAUTHENTICATED": AuthError,
    "FORBIDDEN": AuthError,
    "NOT_FOUND": NotFoundError,
    "UNKNOWN_DATASET": NotFoundError,
    "UNKNOWN_FEATURE_VIEW": NotFoundError,
    "CONFLICT": ConflictError,
    "PAYLOAD_TOO_LARGE": PayloadTooLargeError,
    "UNSUPPORTED_MEDIA_TYPE": UnsupportedMediaTypeError,
    "UNKNOWN_FEATURE": UnknownFeatureError,
    "UNKNOWN_REFERENCE": UnknownReferenceError,
    "UNKNOWN_ENTITY": UnknownReferenceError,
    "INVALID_DEFINITION": InvalidDefinitionError,
    "FEATURE_SQL_REJECTED": InvalidDefinitionError,
    "SCHEMA_MISMATCH": SchemaMismatchError,
    "MISSING_COLUMN": SchemaMismatchError,
    "NOTHING_INGESTED": SchemaMismatchError,
    "UNAVAILABLE": UnavailableError,
    "PROVIDER_FAILED": ServerError,
    "INTERNAL": ServerError,
}

# A code this client does not know yet still gets the class of its status.
_BY_STATUS: Dict[int, Type[FeatureStoreError]] = {
    400: InvalidArgumentError,
    401: AuthError,
    403: AuthError,
    404: NotFoundError,
    409: ConflictError,
    413: PayloadTooLargeError,
    415: UnsupportedMediaTypeError,
    422: UnprocessableError,
    429: RateLimitError,
    503: UnavailableError,
}


def error_class(status: int, code: Optional[str]) -> Type[FeatureStoreError]:
    """The exception class for an answer's status and code."""
    if status == 429:
        return RateLimitError
    if code and code in _BY_CODE:
        return _BY_CODE[code]
    if status in _BY_STATUS:
        return _BY_STATUS[status]
    return ServerError if status >= 500 else FeatureStoreError


def error_from_answer(status: int, body: bytes, headers: Any = None) -> FeatureStoreError:
    """The exception for an error answer: the body ``{"error": {code, message, details}}`` when it is one."""
    code: Optional[str] = None
    message = ""
    details: Optional[Dict[str, Any]] = None
    try:
        parsed = json.loads(body.decode("utf-8")) if body else None
    except (UnicodeDecodeError, ValueError):
        parsed = None
    if isinstance(parsed, dict) and isinstance(parsed.get("error"), dict):
        error = parsed["error"]
        code = error.get("code")
        message = str(error.get("message", ""))
        details = error.get("details")
    else:
        message = body.decode("utf-8", errors="replace")[:500] if body else f"HTTP {status}"
    cls = error_class(status, code)
    if cls is RateLimitError:
        return RateLimitError(message, retry_after=_retry_after(headers), status=status, code=code, details=details)
    return cls(message, status=status, code=code, details=details)


def _retry_after(headers: Any) -> Optional[float]:
    value = headers.get("Retry-After") if headers is not None else None
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None  # an HTTP date: rare, and the caller can back off on its own
