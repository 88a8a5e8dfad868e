"""Base class of the generated synchronous Layer GraphQL client."""

from typing import Any, TypeVar

import httpx

from .transport import (
    DEFAULT_TIMEOUT,
    ModelT,
    build_payload,
    merge_headers,
    parse_data,
    parse_response,
)

Self = TypeVar("Self", bound="BaseClient")


class BaseClient:
    """Send each operation as one JSON POST through a pooled `httpx.Client`.

    A caller's own `http_client` is used as given and is not closed by this
    class; otherwise one is created with `timeout` and closed on exit.
    """

    def __init__(
        self,
        url: str = "",
        headers: dict[str, str] | None = None,
        http_client: httpx.Client | None = None,
        timeout: httpx.Timeout | float | None = DEFAULT_TIMEOUT,
    ) -> None:
        self.url = url
        self.headers = headers
        self._owns_http_client = http_client is None
        self.http_client = http_client or httpx.Client(timeout=timeout)

    def __enter__(self: Self) -> Self:
        return self

    def __exit__(self, exc_type: object, exc_val: object, exc_tb: object) -> None:
        self.close()

    def close(self) -> None:
        if self._owns_http_client:
            self.http_client.close()

    def execute(
        self,
        query: str,
        operation_name: str | None = None,
        variables: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> httpx.Response:
        headers = merge_headers(self.headers, kwargs)
        return self.http_client.post(
            self.url,
            json=build_payload(query, operation_name, variables),
            headers=headers,
            **kwargs,
        )

    def get_data(self, response: httpx.Response) -> dict[str, Any]:
        return parse_data(response)

    def parse_response(self, response: httpx.Response, model: type[ModelT]) -> ModelT:
        return parse_response(response, model)
