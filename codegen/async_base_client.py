"""Base class of the generated asynchronous Layer GraphQL client."""

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

Self = TypeVar("Self", bound="AsyncBaseClient")


class AsyncBaseClient:
    """Send each operation as one JSON POST through a pooled `httpx.AsyncClient`.

    A caller's own `http_client` is used as given and is not closed by this
    class; otherwise one is created with `timeout` and closed on exit.
    """

    def __init__(
        self,
        url: str = "",
        headers: dict[str, str] | None = None,
        http_client: httpx.AsyncClient | None = None,
        timeout: httpx.Timeout | float | None = DEFAULT_TIMEOUT,
    ) -> None:
        self.url = url
        self.headers = headers
        self._owns_http_client = http_client is None
        self.http_client = http_client or httpx.AsyncClient(timeout=timeout)

    async def __aenter__(self: Self) -> Self:
        return self

    async def __aexit__(
        self, exc_type: object, exc_val: object, exc_tb: object
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        if self._owns_http_client:
            await self.http_client.aclose()

    async def execute(
        self,
        query: str,
        operation_name: str | None = None,
        variables: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> httpx.Response:
        headers = merge_headers(self.headers, kwargs)
        return await self.http_client.post(
            self.url,
            json=build_payload(query, operation_name, variables),
            headers=headers,
            **kwargs,
        )

    # The generated async methods call get_data without await (ariadne-codegen
    # 0.19), so it stays a plain method; the body has been read already.
    def get_data(self, response: httpx.Response) -> dict[str, Any]:
        return parse_data(response)

    def parse_response(self, response: httpx.Response, model: type[ModelT]) -> ModelT:
        return parse_response(response, model)
