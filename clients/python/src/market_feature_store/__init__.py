"""Python client of the market feature store (``pip install market-feature-store``).

    from market_feature_store import FeatureStore
    store = FeatureStore("http://localhost:8080")      # or FEATURE_STORE_URL / FEATURE_STORE_API_KEY
    df = store.get_historical_features(entity_df, features=["returns:ret_1d"]).to_df()
"""
__version__ = "0.1.0"

from .client import FeatureStore  # noqa: E402
from .errors import (  # noqa: E402
    AuthError,
    ConflictError,
    FeatureStoreError,
    InvalidArgumentError,
    InvalidDefinitionError,
    JobFailedError,
    JobTimeoutError,
    NotFoundError,
    PayloadTooLargeError,
    RateLimitError,
    SchemaMismatchError,
    ServerError,
    UnavailableError,
    UnknownFeatureError,
    UnknownReferenceError,
    UnprocessableError,
    UnsupportedMediaTypeError,
)
from .jobs import OnlineResponse, RetrievalJob  # noqa: E402

__all__ = [
    "FeatureStore",
    "RetrievalJob",
    "OnlineResponse",
    "FeatureStoreError",
    "InvalidArgumentError",
    "AuthError",
    "NotFoundError",
    "ConflictError",
    "PayloadTooLargeError",
    "UnsupportedMediaTypeError",
    "UnprocessableError",
    "UnknownFeatureError",
    "UnknownReferenceError",
    "InvalidDefinitionError",
    "SchemaMismatchError",
    "RateLimitError",
    "ServerError",
    "UnavailableError",
    "JobFailedError",
    "JobTimeoutError",
]
