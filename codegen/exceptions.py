"""Exceptions raised by the generated Layer GraphQL clients.

They describe what went wrong on the wire and keep the raw material (status,
response, `errors` array, partial `data`). The `layer_client` package maps
them to its own exception hierarchy.
"""

from typing import Any

import httpx


class GraphQLClientError(Exception):
    """Base class of the exceptions raised by the generated clients."""


class GraphQLHttpError(GraphQLClientError):
    """The server responded with a status outside 2xx."""

    def __init__(self, response: httpx.Response) -> None:
        self.response = response
        self.status_code = response.status_code
        super().__init__(f"HTTP {response.status_code} from {response.request.url}")


class GraphQLInvalidResponseError(GraphQLClientError):
    """The body is not JSON, or not shaped like a GraphQL response."""

    def __init__(self, response: httpx.Response, reason: str) -> None:
        self.response = response
        self.reason = reason
        super().__init__(reason)


class GraphQLResponseErrors(GraphQLClientError):
    """The response carries a GraphQL `errors` array, with or without `data`."""

    def __init__(
        self, errors: list[dict[str, Any]], data: dict[str, Any] | None
    ) -> None:
        self.errors = errors
        self.data = data
        messages = "; ".join(str(error.get("message", error)) for error in errors)
        super().__init__(messages or "GraphQL errors without a message")
