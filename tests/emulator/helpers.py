"""Helpers of the emulator tests: clients, GraphQL documents and a PNG reader.

Every client here ignores proxy settings from the environment, so test
traffic stays on 127.0.0.1.
"""

from __future__ import annotations

import struct
import time
import zlib
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from typing import Any

import httpx
from layer_graphql import AsyncLayerGraphQLClient, LayerGraphQLClient
from layer_graphql.input_types import GetInferencesByIdInput

from layer_client.emulator import Emulator

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
TERMINAL_STATUSES = {"COMPLETE", "FAILED", "CANCELLED", "DELETED"}

GENERATE = """
mutation GenerateImages($input: GenerateImagesInput!) {
  generateImages(input: $input) {
    __typename
    ... on Inference { id status errorCode createdAt etaAt files { id url } }
    ... on Error { type code title message }
  }
}
"""

GET_INFERENCES = """
query GetInferencesById($input: GetInferencesByIdInput!) {
  getInferencesById(input: $input) {
    __typename
    ... on InferencesResult { inferences { id status errorCode files { id status url } } }
    ... on Error { type message }
  }
}
"""

LIST_STYLES = """
query ListStyles($input: ListStylesInput!) {
  listStyles(input: $input) {
    __typename
    ... on StylesConnection {
      edges { cursor node { id status } }
      pageInfo { hasNextPage hasPreviousPage startCursor endCursor totalCount }
    }
    ... on Error { type message }
  }
}
"""

WORKSPACE_USAGE = """
query GetWorkspaceUsage($input: GetWorkspaceUsageInput!) {
  getWorkspaceUsage(input: $input) {
    __typename
    ... on WorkspaceUsage { workspaceId entitlement { balance usage } }
    ... on Error { type message }
  }
}
"""


def http_client(**kwargs: Any) -> httpx.Client:
    """Return an httpx client that ignores proxy settings from the environment."""
    return httpx.Client(trust_env=False, **kwargs)


def post(
    client: httpx.Client,
    emulator: Emulator,
    query: str,
    variables: dict[str, Any] | None = None,
    *,
    operation_name: str | None = None,
    headers: dict[str, str] | None = None,
) -> httpx.Response:
    """POST one GraphQL operation with the emulator's token unless `headers` is given."""
    payload: dict[str, Any] = {"query": query, "variables": variables or {}}
    if operation_name is not None:
        payload["operationName"] = operation_name
    return client.post(
        emulator.url,
        json=payload,
        headers=emulator.headers if headers is None else headers,
    )


def generate_payload(emulator: Emulator, **fields: Any) -> dict[str, Any]:
    """Return GenerateImages variables for the emulator's first usable style."""
    values: dict[str, Any] = {
        "workspaceId": emulator.workspace_id,
        "styleId": emulator.style_id,
        "prompt": "a castle on a hill",
    }
    values.update(fields)
    return {"input": values}


def generate(client: httpx.Client, emulator: Emulator, **fields: Any) -> dict[str, Any]:
    """Send GenerateImages over raw HTTP and return the `generateImages` object."""
    response = post(
        client,
        emulator,
        GENERATE,
        generate_payload(emulator, **fields),
        operation_name="GenerateImages",
    )
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()["data"]["generateImages"]
    return result


@contextmanager
def graphql_client(emulator: Emulator) -> Iterator[LayerGraphQLClient]:
    """Yield the generated sync client, pointed at the emulator."""
    with (
        http_client() as transport,
        LayerGraphQLClient(
            url=emulator.url, headers=emulator.headers, http_client=transport
        ) as client,
    ):
        yield client


@asynccontextmanager
async def async_graphql_client(
    emulator: Emulator,
) -> AsyncIterator[AsyncLayerGraphQLClient]:
    """Yield the generated async client, pointed at the emulator."""
    async with (
        httpx.AsyncClient(trust_env=False) as transport,
        AsyncLayerGraphQLClient(
            url=emulator.url, headers=emulator.headers, http_client=transport
        ) as client,
    ):
        yield client


def wait_until_terminal(
    client: LayerGraphQLClient, inference_id: str, *, max_polls: int = 1000
) -> Any:
    """Poll GetInferencesById until the inference ends; fail after `max_polls`."""
    for _ in range(max_polls):
        result = client.get_inferences_by_id(
            GetInferencesByIdInput(inference_ids=[inference_id])
        ).get_inferences_by_id
        assert result is not None
        assert result.typename__ == "InferencesResult", result
        inferences = result.inferences or []
        assert len(inferences) == 1
        if inferences[0].status.value in TERMINAL_STATUSES:
            return inferences[0]
        time.sleep(0.005)
    raise AssertionError(
        f"inference {inference_id} did not end after {max_polls} polls"
    )


@dataclass(frozen=True)
class DecodedPNG:
    """Header fields and raw scanlines of a PNG checked by `decode_png`."""

    width: int
    height: int
    bit_depth: int
    color_type: int
    scanlines: bytes

    def distinct_pixels(self) -> set[bytes]:
        """Return the distinct RGB pixels of an 8-bit RGB image."""
        stride = 1 + 3 * self.width
        pixels: set[bytes] = set()
        for row in range(self.height):
            line = self.scanlines[row * stride + 1 : (row + 1) * stride]
            pixels.update(line[i : i + 3] for i in range(0, len(line), 3))
        return pixels


def decode_png(data: bytes) -> DecodedPNG:
    """Check a PNG's signature, chunk CRCs and IDAT size, and decode its header.

    Raise AssertionError naming the first problem found.
    """
    assert data[:8] == PNG_SIGNATURE, "missing PNG signature"
    offset = 8
    chunks: list[tuple[bytes, bytes]] = []
    while offset < len(data):
        assert offset + 8 <= len(data), "chunk header cut off"
        (length,) = struct.unpack(">I", data[offset : offset + 4])
        tag = data[offset + 4 : offset + 8]
        body = data[offset + 8 : offset + 8 + length]
        assert len(body) == length, f"chunk {tag!r} cut off"
        (crc,) = struct.unpack(">I", data[offset + 8 + length : offset + 12 + length])
        assert crc == zlib.crc32(tag + body) & 0xFFFFFFFF, f"bad CRC in {tag!r}"
        chunks.append((tag, body))
        offset += 12 + length

    assert chunks[0][0] == b"IHDR", "IHDR is not the first chunk"
    assert chunks[-1][0] == b"IEND", "IEND is not the last chunk"
    width, height, bit_depth, color_type, _, _, _ = struct.unpack(
        ">IIBBBBB", chunks[0][1]
    )
    scanlines = zlib.decompress(
        b"".join(body for tag, body in chunks if tag == b"IDAT")
    )
    assert bit_depth == 8
    assert color_type == 2
    assert len(scanlines) == height * (1 + 3 * width), "IDAT size does not match IHDR"
    return DecodedPNG(width, height, bit_depth, color_type, scanlines)
