"""Typed Python client for the Layer.ai GraphQL API.

    from layer_client import LayerClient

    with LayerClient() as layer:  # LAYER_API_KEY, LAYER_WORKSPACE_ID, LAYER_API_URL
        result = layer.generate(style_id="...", prompt="a castle", out_dir="out/")

`AsyncLayerClient` has the same methods as coroutines and async iterators.
"""

from .async_client import AsyncLayerClient
from .client import LayerClient
from .config import (
    DEFAULT_API_URL,
    NO_RETRIES,
    PollingConfig,
    RetryConfig,
    Settings,
)
from .errors import (
    AuthenticationError,
    BadRequestError,
    DownloadError,
    GenerationCancelledError,
    GenerationError,
    GenerationFailedError,
    GenerationTimeoutError,
    GraphQLError,
    InsufficientCreditsError,
    InvalidResponseError,
    LayerAPIError,
    LayerError,
    LayerInputError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    ServerError,
    StyleNotUsableError,
    SubmissionUnknownError,
    TransportError,
)
from .polling import is_terminal, raise_for_status
from .results import (
    Entitlement,
    File,
    GenerationResult,
    Inference,
    Style,
    StyleDetails,
    WorkspaceMembership,
)

__version__ = "0.1.0"

__all__ = [
    "DEFAULT_API_URL",
    "NO_RETRIES",
    "AsyncLayerClient",
    "AuthenticationError",
    "BadRequestError",
    "DownloadError",
    "Entitlement",
    "File",
    "GenerationCancelledError",
    "GenerationError",
    "GenerationFailedError",
    "GenerationResult",
    "GenerationTimeoutError",
    "GraphQLError",
    "Inference",
    "InsufficientCreditsError",
    "InvalidResponseError",
    "LayerAPIError",
    "LayerClient",
    "LayerError",
    "LayerInputError",
    "NotFoundError",
    "PermissionDeniedError",
    "PollingConfig",
    "RateLimitError",
    "RetryConfig",
    "ServerError",
    "Settings",
    "Style",
    "StyleDetails",
    "StyleNotUsableError",
    "SubmissionUnknownError",
    "TransportError",
    "WorkspaceMembership",
    "__version__",
    "is_terminal",
    "raise_for_status",
]
