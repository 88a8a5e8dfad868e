"""Per-call overhead without a network: each client against the same canned bytes.

Every contender talks to an `httpx.MockTransport` that returns a prepared
response body, so the time measured is request building, JSON parsing,
validation and the client's own bookkeeping. Raw httpx with `json.loads`
and plain dict access is the baseline.
"""

from __future__ import annotations

import gc
import json
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from layer_graphql import (
    GetInferencesByIdInput,
    LayerGraphQLClient,
    ListStylesInput,
)

from layer_client import LayerClient

from .stats import Row, format_table, ratios, summarize

__all__ = ["run"]

# Nothing listens there: a request that escaped the mock transport would fail
# on the loopback interface instead of reaching any other host.
API_URL = "http://127.0.0.1:9/graphql"
TOKEN = "bench-token"
WORKSPACE = "ws_bench"
SCHEMA_PATH = Path(__file__).resolve().parent.parent / "schema.graphql"
BASELINE = "raw httpx"


def styles_body(count: int) -> bytes:
    """Return a ListStyles response with `count` styles on one page."""
    edges = [
        {
            "__typename": "StyleEdge",
            "cursor": f"c{index}",
            "node": {
                "__typename": "Style",
                "id": f"sty_{index:04d}",
                "name": f"Benchmark style {index}",
                "slug": f"benchmark-style-{index}",
                "status": "COMPLETE",
                "type": "LAYER_TRAINED_CHECKPOINT",
                "modality": "IMAGE",
            },
        }
        for index in range(count)
    ]
    page_info = {
        "__typename": "PageInfo",
        "hasNextPage": False,
        "hasPreviousPage": False,
        "startCursor": "c0",
        "endCursor": f"c{count - 1}",
        "totalCount": count,
    }
    body = {
        "data": {
            "listStyles": {
                "__typename": "StylesConnection",
                "edges": edges,
                "pageInfo": page_info,
            }
        }
    }
    return json.dumps(body).encode()


def inference_ids(count: int) -> list[str]:
    return [f"inf_{index:04d}" for index in range(count)]


def inferences_body(count: int, files_per_inference: int = 2) -> bytes:
    """Return a GetInferencesById response: `count` COMPLETE inferences."""
    inferences = []
    for inference_id in inference_ids(count):
        files = [
            {
                "__typename": "File",
                "id": f"{inference_id}_file_{n}",
                "status": "PROCESSED",
                "url": f"http://127.0.0.1:9/files/{inference_id}/{n}.png",
                "previewUrl": f"http://127.0.0.1:9/files/{inference_id}/{n}-preview.png",
                "contentType": "image/png",
                "sizeBytes": 412_345,
                "width": 512,
                "height": 512,
            }
            for n in range(files_per_inference)
        ]
        inferences.append(
            {
                "__typename": "Inference",
                "id": inference_id,
                "status": "COMPLETE",
                "errorCode": None,
                "createdAt": "2025-08-01T12:00:00.000Z",
                "etaAt": None,
                "files": files,
            }
        )
    body = {
        "data": {
            "getInferencesById": {
                "__typename": "InferencesResult",
                "inferences": inferences,
            }
        }
    }
    return json.dumps(body).encode()


def canned_transport(body: bytes) -> httpx.MockTransport:
    """Return a transport that sends `body` as a JSON 200 for every request."""
    headers = {"content-type": "application/json"}

    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=body, headers=headers)

    return httpx.MockTransport(answer)


@dataclass(frozen=True)
class Case:
    """One operation with its canned response and the call of each contender."""

    title: str
    body: bytes
    ids: list[str] | None  # None for ListStyles


def capture_request(case: Case) -> dict[str, Any]:
    """Return the JSON payload the generated client sends for this case.

    Raw httpx and gql send that same query text and variables, so every
    contender requests exactly the same fields.
    """
    sent: list[dict[str, Any]] = []

    def record(request: httpx.Request) -> httpx.Response:
        sent.append(json.loads(request.content))
        return httpx.Response(200, content=case.body)

    with httpx.Client(transport=httpx.MockTransport(record)) as http:
        generated = LayerGraphQLClient(url=API_URL, http_client=http)
        if case.ids is None:
            generated.list_styles(input=ListStylesInput(first=50))
        else:
            generated.get_inferences_by_id(
                input=GetInferencesByIdInput(inference_ids=case.ids)
            )
    return sent[0]


def contenders(case: Case, schema_text: str) -> dict[str, Callable[[], object]]:
    """Build one zero-argument call per contender, all on the same canned bytes."""
    payload = capture_request(case)
    headers = {"Authorization": f"Bearer {TOKEN}"}
    calls: dict[str, Callable[[], object]] = {}

    raw_http = httpx.Client(transport=canned_transport(case.body), headers=headers)
    if case.ids is None:

        def raw() -> object:
            response = raw_http.post(API_URL, json=payload)
            response.raise_for_status()
            data = json.loads(response.content)["data"]["listStyles"]
            return [
                (edge["node"]["id"], edge["node"]["name"], edge["node"]["status"])
                for edge in data["edges"]
            ]
    else:

        def raw() -> object:
            response = raw_http.post(API_URL, json=payload)
            response.raise_for_status()
            data = json.loads(response.content)["data"]["getInferencesById"]
            return [
                (item["id"], item["status"], [f["url"] for f in item["files"]])
                for item in data["inferences"]
            ]

    calls[BASELINE] = raw

    generated = LayerGraphQLClient(
        url=API_URL,
        headers=headers,
        http_client=httpx.Client(transport=canned_transport(case.body)),
    )
    if case.ids is None:

        def generated_call() -> object:
            result = generated.list_styles(input=ListStylesInput(first=50))
            return result.list_styles

    else:
        ids = case.ids

        def generated_call() -> object:
            result = generated.get_inferences_by_id(
                input=GetInferencesByIdInput(inference_ids=ids)
            )
            return result.get_inferences_by_id

    calls["generated client"] = generated_call

    layer = LayerClient(
        TOKEN,
        workspace_id=WORKSPACE,
        api_url=API_URL,
        http_client=httpx.Client(transport=canned_transport(case.body)),
        sleep=lambda seconds: None,
    )
    if case.ids is None:

        def layer_call() -> object:
            return list(layer.list_styles(page_size=50))

    else:
        wait_ids = case.ids

        def layer_call() -> object:
            # wait_many with a no-op sleep: one poll round, every id COMPLETE.
            return list(layer.wait_many(wait_ids))

    calls["LayerClient"] = layer_call

    calls.update(gql_contenders(case, payload, headers, schema_text))
    return calls


def gql_contenders(
    case: Case, payload: dict[str, Any], headers: dict[str, str], schema_text: str
) -> dict[str, Callable[[], object]]:
    """Build the gql calls: with no schema, and validating against schema.graphql."""
    from gql import Client, GraphQLRequest
    from gql.transport.httpx import HTTPXTransport

    calls: dict[str, Callable[[], object]] = {}
    for name, schema in (("gql", None), ("gql + schema validation", schema_text)):
        transport = HTTPXTransport(
            url=API_URL, headers=headers, transport=canned_transport(case.body)
        )
        client = Client(transport=transport, schema=schema)
        session = client.connect_sync()  # type: ignore[no-untyped-call, unused-ignore]
        request = GraphQLRequest(
            payload["query"],
            variable_values=payload["variables"],
            operation_name=payload["operationName"],
        )

        def call(session: Any = session, request: GraphQLRequest = request) -> object:
            return session.execute(request)

        calls[name] = call
    return calls


def time_calls(call: Callable[[], object], calls_per_rep: int) -> float:
    """Return the mean seconds per call over one batch of calls."""
    gc.collect()
    start = time.perf_counter()
    for _ in range(calls_per_rep):
        call()
    return (time.perf_counter() - start) / calls_per_rep


def measure(case: Case, reps: int, calls_per_rep: int, schema_text: str) -> str:
    """Time every contender `reps` times, in a shuffled order each repetition."""
    calls = contenders(case, schema_text)
    for call in calls.values():  # warm-up: imports, caches, connection pools
        for _ in range(20):
            call()

    seconds: dict[str, list[float]] = {name: [] for name in calls}
    order = list(calls)
    shuffler = random.Random(1)
    for _ in range(reps):
        shuffler.shuffle(order)
        for name in order:
            seconds[name].append(time_calls(calls[name], calls_per_rep))

    rows = []
    for name in calls:
        per_call = summarize(seconds[name])
        target = ""
        if name == "LayerClient":
            target = "(target <= 1.30x, and below gql)"
        rows.append(
            Row(
                name,
                summarize(ratios(seconds[name], seconds[BASELINE])),
                f"{per_call.median * 1e6:8.0f} us/call",
                target,
            )
        )
    return format_table(f"overhead: {case.title}", BASELINE, rows)


def run(quick: bool, reps: int | None = None) -> list[str]:
    """Run the overhead benchmark and return one table per operation."""
    default_reps, calls_per_rep = (5, 30) if quick else (15, 100)
    reps = reps or default_reps
    schema_text = SCHEMA_PATH.read_text(encoding="utf-8")
    cases = [
        Case("ListStyles, 50 styles", styles_body(50), None),
        Case("GetInferencesById, 1 inference", inferences_body(1), inference_ids(1)),
        Case(
            "GetInferencesById, 50 inferences", inferences_body(50), inference_ids(50)
        ),
    ]
    tables = []
    for case in cases:
        table = measure(case, reps, calls_per_rep, schema_text)
        print(table, flush=True)
        tables.append(table)
    return tables
