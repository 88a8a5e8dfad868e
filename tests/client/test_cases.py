"""The server responses and inputs listed in tests/data/responses.json.

Each response case is served as written. Where a case body leaves out
fields that the saved operation selects, the missing fields are filled
in with ordinary values, because a GraphQL server always returns every
selected field. The values that the case sets are kept. The `Error` member of
`style-error-member` spells `type`, which the saved operations select
under the alias `errorType`, so the server sends it under that name.
"""

from __future__ import annotations

import copy
import email.utils
import json
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx
import pydantic
import pytest
from pytest_httpx import HTTPXMock

from layer_client import (
    BadRequestError,
    DownloadError,
    GenerationFailedError,
    GenerationTimeoutError,
    GraphQLError,
    InvalidResponseError,
    LayerAPIError,
    LayerInputError,
    PollingConfig,
    RateLimitError,
    RetryConfig,
    ServerError,
    StyleNotUsableError,
    SubmissionUnknownError,
)
from layer_client.validation import LONG_MAX, LONG_MIN
from tests.client.conftest import Layer, LayerFactory
from tests.fakes import (
    PNG_BYTES,
    FakeClock,
    Script,
    file_node,
    generate_answer,
    inference_node,
    inferences_answer,
    page_info,
    style_answer,
    style_node,
    styles_page,
    workspaces_page,
)

CASES_FILE = Path(__file__).resolve().parent.parent / "data" / "responses.json"
CASES: dict[str, dict[str, Any]] = {
    case["id"]: case for case in json.loads(CASES_FILE.read_text())["cases"]
}
RESPONSE_CASES = sorted(
    i for i, case in CASES.items() if "http_status" in case and "operation" in case
)


def fill(node: dict[str, Any], defaults: dict[str, Any]) -> dict[str, Any]:
    """Return node with every key of defaults that it lacks."""
    return {**defaults, **node}


def complete_body(case_id: str, body: Any) -> Any:
    """Add the fields a case body leaves out but the saved operation selects."""
    body = copy.deepcopy(body)
    if case_id == "unknown-enum-value-in-list":
        connection = body["data"]["listStyles"]
        connection["pageInfo"] = fill(connection["pageInfo"], page_info(False, None))
        connection["edges"] = [
            fill(
                {**edge, "node": fill(edge["node"], style_node(edge["node"]["id"]))},
                {"__typename": "StyleEdge"},
            )
            for edge in connection["edges"]
        ]
    if case_id == "inference-failed":
        result = body["data"]["getInferencesById"]
        result["inferences"] = [
            fill(node, inference_node(node["id"])) for node in result["inferences"]
        ]
    if case_id == "style-error-member":
        member = body["data"]["generateImages"]
        member["errorType"] = member.pop("type")
    return body


def case_response(case_id: str) -> httpx.Response:
    """Build the HTTP response that a response case describes."""
    case = CASES[case_id]
    headers = case.get("headers")
    if "body_text" in case:
        return httpx.Response(
            case["http_status"], text=case["body_text"], headers=headers
        )
    return httpx.Response(
        case["http_status"],
        json=complete_body(case_id, case["body"]),
        headers=headers,
    )


async def check_unknown_union_member(layer: Layer, script: Script) -> None:
    with pytest.raises(InvalidResponseError) as caught:
        await layer.call("wait", "inf_1")

    message = str(caught.value)
    assert "InferencesPage" in message
    assert "make schema" in message
    assert not isinstance(caught.value, pydantic.ValidationError)
    assert script.count("GetInferencesById") == 1


async def check_unknown_enum_in_list(layer: Layer, script: Script) -> None:
    styles = await layer.call("list_styles")

    assert [style.id for style in styles] == ["sty_1", "sty_2"]
    assert styles[0].status.value == "COMPLETE"
    assert styles[1].status.value == "PENDING_REVIEW"
    assert styles[1].status == "PENDING_REVIEW"
    assert styles[1].status.is_unknown


async def check_errors_without_data(layer: Layer, script: Script) -> None:
    with pytest.raises(GraphQLError) as caught:
        await layer.call("generate_images", style_id="sty_1", prompt="a castle")

    message = str(caught.value)
    assert 'Cannot query field "etaAt" on type "Inference".' in message
    assert "may not match the live schema" in message
    assert caught.value.errors[0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
    assert script.count("GenerateImages") == 1


async def check_http_400_with_errors(layer: Layer, script: Script) -> None:
    with pytest.raises((GraphQLError, BadRequestError)) as caught:
        await layer.call("list_styles")

    assert 'got invalid value 0 at "input.first"' in str(caught.value)
    assert caught.value.status_code == 400
    assert script.count("ListStyles") == 1


async def check_502_html_page(layer: Layer, script: Script) -> None:
    with pytest.raises(GenerationTimeoutError) as caught:
        await layer.call("wait", "inf_1", timeout=30)

    cause = caught.value.__cause__
    assert isinstance(cause, ServerError)
    assert cause.status_code == 502
    assert script.count("GetInferencesById") > 1


async def check_429_retry_after(layer: Layer, script: Script) -> None:
    with pytest.raises(RateLimitError) as caught:
        await layer.call("list_styles")

    assert caught.value.retry_after == 3.0
    assert caught.value.status_code == 429
    assert "Too many requests" in str(caught.value)


async def check_style_error_member(layer: Layer, script: Script) -> None:
    with pytest.raises(BadRequestError) as caught:
        await layer.call("generate_images", style_id="sty_1", prompt="a castle")

    assert "At least one style must be provided" in caught.value.message
    assert caught.value.error_type == "BAD_REQUEST_ERROR"
    assert caught.value.code == "bad_request"
    assert script.count("GenerateImages") == 1


async def check_inference_failed(layer: Layer, script: Script) -> None:
    with pytest.raises(GenerationFailedError) as caught:
        await layer.call("wait", "inf_9")

    assert caught.value.error_code == "CONTENT_POLICY_VIOLATION"
    assert caught.value.inference_id == "inf_9"


CHECKS: dict[str, Callable[[Layer, Script], Awaitable[None]]] = {
    "unknown-union-member": check_unknown_union_member,
    "unknown-enum-value-in-list": check_unknown_enum_in_list,
    "errors-without-data": check_errors_without_data,
    "http-400-with-graphql-errors": check_http_400_with_errors,
    "502-html-page": check_502_html_page,
    "429-retry-after": check_429_retry_after,
    "style-error-member": check_style_error_member,
    "inference-failed": check_inference_failed,
}
OTHER_CASES = {
    "mutation-read-timeout",
    "repeated-cursor",
    "truncated-download",
    "seed-out-of-range",
}


def test_every_case_covered() -> None:
    assert set(CASES) == set(CHECKS) | OTHER_CASES
    assert set(RESPONSE_CASES) == set(CHECKS)


@pytest.mark.parametrize("case_id", RESPONSE_CASES)
async def test_response_case(
    case_id: str, make_layer: LayerFactory, script: Script
) -> None:
    # Every response to the operation is the case, so retries get it again.
    script.add(CASES[case_id]["operation"], case_response(case_id))
    layer = make_layer(check_style=False)

    await CHECKS[case_id](layer, script)


async def test_502_then_success(layer: Layer, script: Script) -> None:
    script.add(
        "GetInferencesById",
        case_response("502-html-page"),
        inferences_answer(inference_node(status="COMPLETE")),
    )

    done = await layer.call("wait", "inf_1")

    assert done.status.value == "COMPLETE"
    assert script.count("GetInferencesById") == 2


async def test_502_every_attempt_server_error(
    layer: Layer, script: Script, clock: FakeClock
) -> None:
    script.add("ListStyles", case_response("502-html-page"))

    with pytest.raises(ServerError) as caught:
        await layer.call("list_styles")

    assert caught.value.status_code == 502
    assert not isinstance(caught.value, json.JSONDecodeError)
    assert script.count("ListStyles") == 4
    assert len(clock.sleeps) == 3


async def test_429_waits_retry_after(
    layer: Layer, script: Script, clock: FakeClock
) -> None:
    script.add("ListStyles", case_response("429-retry-after"), styles_page(["a"]))

    styles = await layer.call("list_styles")

    assert [style.id for style in styles] == ["a"]
    assert clock.sleeps[0] >= 3.0


async def test_429_http_date(layer: Layer, script: Script, clock: FakeClock) -> None:
    # NOTE: an HTTP date is compared with the real wall clock, not FakeClock.
    when = email.utils.formatdate(time.time() + 6, usegmt=True)
    limited = httpx.Response(429, headers={"retry-after": when})
    script.add("ListStyles", limited, styles_page(["a"]))

    await layer.call("list_styles")

    assert clock.sleeps[0] >= 3.0
    assert clock.sleeps[0] <= 6.0


async def test_429_malformed_backoff(
    layer: Layer, script: Script, clock: FakeClock
) -> None:
    limited = httpx.Response(429, headers={"retry-after": "in a while"})
    script.add("ListStyles", limited, styles_page(["a"]))

    await layer.call("list_styles")

    assert 0.0 <= clock.sleeps[0] <= RetryConfig().initial_delay


async def test_429_beyond_deadline(
    layer: Layer, script: Script, clock: FakeClock
) -> None:
    limited = httpx.Response(429, headers={"retry-after": "600"})
    script.add("ListStyles", limited)

    with pytest.raises(RateLimitError) as caught:
        await layer.call("list_styles")

    assert caught.value.retry_after == 600.0
    assert script.count("ListStyles") == 1
    assert clock.sleeps == []


async def test_mutation_read_timeout(make_layer: LayerFactory, script: Script) -> None:
    layer = make_layer(check_style=False)
    script.add("GenerateImages", httpx.ReadTimeout("timed out"))

    with pytest.raises(SubmissionUnknownError) as caught:
        await layer.call("generate_images", style_id="sty_1", prompt="a castle")

    assert "may exist" in str(caught.value)
    assert caught.value.operation == "GenerateImages"
    assert script.count("GenerateImages") == 1


async def test_repeated_cursor(layer: Layer, script: Script) -> None:
    pages = CASES["repeated-cursor"]["pages"]
    script.add(
        "ListStyles",
        *(
            styles_page(
                page["node_ids"],
                page["pageInfo"]["hasNextPage"],
                page["pageInfo"]["endCursor"],
            )
            for page in pages
        ),
        # Served only if a third request were sent.
        styles_page(["sty_3"]),
    )

    try:
        styles = await layer.call("list_styles")
    except InvalidResponseError:
        styles = None

    assert script.count("ListStyles") == 2
    if styles is not None:
        assert [style.id for style in styles] == ["sty_1", "sty_2"]


async def test_truncated_download(
    layer: Layer, script: Script, httpx_mock: HTTPXMock, tmp_path: Path
) -> None:
    case = CASES["truncated-download"]
    httpx_mock.add_response(
        url=file_node(1)["url"],
        status_code=case["http_status"],
        headers=case["headers"],
        content=PNG_BYTES.ljust(case["body_bytes"], b"\0"),
        is_reusable=True,
    )
    script.add(
        "GetInferencesById",
        inferences_answer(inference_node(status="COMPLETE", files=1)),
    )
    done = await layer.call("wait", "inf_1")
    out_dir = tmp_path / "out"

    with pytest.raises(DownloadError):
        await layer.call("download", done, out_dir)

    assert sorted(path.name for path in out_dir.iterdir()) == []


@pytest.mark.parametrize("seed", [2**63, LONG_MAX + 1, LONG_MIN - 1, True])
async def test_seed_out_of_range(layer: Layer, script: Script, seed: int) -> None:
    with pytest.raises(LayerInputError) as caught:
        await layer.call(
            "generate_images", style_id="sty_1", prompt="a castle", seed=seed
        )

    assert caught.value.field == "seed"
    assert "seed" in str(caught.value)
    assert str(LONG_MAX) in str(caught.value)
    assert str(LONG_MIN) in str(caught.value)
    assert script.requests == []


@pytest.mark.parametrize("seed", [LONG_MIN, -1, 0, LONG_MAX])
async def test_seed_in_range_sent(
    make_layer: LayerFactory, script: Script, seed: int
) -> None:
    layer = make_layer(check_style=False)
    script.add("GenerateImages", generate_answer())

    await layer.call("generate_images", style_id="sty_1", prompt="a castle", seed=seed)

    sent = json.loads(script.requests[0].content)["variables"]["input"]
    assert sent["seed"] == seed


# The whole kind of each fault, beyond the listed input.

UNKNOWN_MEMBER = {"__typename": "Mystery", "id": "x"}


# Each operation with its result field and the public method that sends it.
OPERATION_CALLS: list[tuple[str, str, str, dict[str, Any]]] = [
    ("ListStyles", "listStyles", "list_styles", {}),
    ("GetStyleById", "getStyleById", "get_style", {"style_id": "sty_1"}),
    ("GetWorkspaceUsage", "getWorkspaceUsage", "get_usage", {}),
    ("ListWorkspaces", "getMyUser", "list_workspaces", {}),
    (
        "GenerateImages",
        "generateImages",
        "generate_images",
        {"style_id": "sty_1", "prompt": "a castle"},
    ),
    ("GetInferencesById", "getInferencesById", "wait", {"inference": "inf_1"}),
    (
        "DeleteInference",
        "deleteInference",
        "delete_inference",
        {"inference_id": "inf_1"},
    ),
]
OPERATION_IDS = [operation for operation, *_ in OPERATION_CALLS]


@pytest.mark.parametrize(
    ("operation", "field", "method", "kwargs"), OPERATION_CALLS, ids=OPERATION_IDS
)
async def test_unknown_typename_every_operation(
    make_layer: LayerFactory,
    script: Script,
    operation: str,
    field: str,
    method: str,
    kwargs: dict[str, Any],
) -> None:
    layer = make_layer(check_style=False)
    script.add(operation, httpx.Response(200, json={"data": {field: UNKNOWN_MEMBER}}))

    with pytest.raises(InvalidResponseError) as caught:
        await layer.call(method, **kwargs)

    assert "make schema" in str(caught.value)
    assert caught.value.operation == operation
    if operation != "DeleteInference":  # a plain Error field, not a union
        assert "Mystery" in str(caught.value)
    assert script.count(operation) == 1


@pytest.mark.parametrize(
    ("operation", "field", "method", "kwargs"), OPERATION_CALLS, ids=OPERATION_IDS
)
async def test_errors_without_data_every_operation(
    make_layer: LayerFactory,
    script: Script,
    operation: str,
    field: str,
    method: str,
    kwargs: dict[str, Any],
) -> None:
    layer = make_layer(check_style=False)
    script.add(operation, case_response("errors-without-data"))

    with pytest.raises(GraphQLError) as caught:
        await layer.call(method, **kwargs)

    assert "Cannot query field" in str(caught.value)
    assert "make schema" in str(caught.value)
    assert script.count(operation) == 1


@pytest.mark.parametrize(
    ("operation", "field", "method", "kwargs"), OPERATION_CALLS, ids=OPERATION_IDS
)
async def test_http_400_errors_every_operation(
    make_layer: LayerFactory,
    script: Script,
    operation: str,
    field: str,
    method: str,
    kwargs: dict[str, Any],
) -> None:
    layer = make_layer(check_style=False)
    case = CASES["http-400-with-graphql-errors"]
    script.add(operation, httpx.Response(case["http_status"], json=case["body"]))

    with pytest.raises((GraphQLError, BadRequestError)) as caught:
        await layer.call(method, **kwargs)

    assert "got invalid value 0" in str(caught.value)
    assert script.count(operation) == 1


@pytest.mark.parametrize(
    ("operation", "field", "method", "kwargs"),
    [call for call in OPERATION_CALLS if call[0] != "GetInferencesById"],
    ids=[i for i in OPERATION_IDS if i != "GetInferencesById"],
)
async def test_502_html_every_operation(
    make_layer: LayerFactory,
    script: Script,
    operation: str,
    field: str,
    method: str,
    kwargs: dict[str, Any],
) -> None:
    layer = make_layer(check_style=False)
    script.add(operation, case_response("502-html-page"))

    with pytest.raises((ServerError, SubmissionUnknownError)) as caught:
        await layer.call(method, **kwargs)

    assert caught.value.status_code == 502
    if operation == "GenerateImages":
        assert isinstance(caught.value, SubmissionUnknownError)
        assert script.count(operation) == 1
    else:
        assert script.count(operation) == RetryConfig().max_attempts


async def test_unknown_typename_in_nested_node(layer: Layer, script: Script) -> None:
    node = inference_node(status="COMPLETE", files=1)
    node["files"][0]["__typename"] = "Hologram"
    script.add("GetInferencesById", inferences_answer(node))

    done = await layer.call("wait", "inf_1")

    assert done.files[0].typename__ == "Hologram"


@pytest.mark.parametrize(
    ("field", "value"),
    [("status", "PENDING_REVIEW"), ("type", "HYPERNETWORK"), ("modality", "SMELL")],
)
async def test_unknown_enum_style_fields(
    layer: Layer, script: Script, field: str, value: str
) -> None:
    node = style_node("sty_1")
    node[field] = value
    script.add(
        "ListStyles",
        httpx.Response(
            200,
            json={
                "data": {
                    "listStyles": {
                        "__typename": "StylesConnection",
                        "edges": [
                            {"__typename": "StyleEdge", "cursor": "c", "node": node}
                        ],
                        "pageInfo": page_info(False, None),
                    }
                }
            },
        ),
    )

    [style] = await layer.call("list_styles")

    attribute = {"type": "type_"}.get(field, field)
    assert getattr(style, attribute).value == value
    assert getattr(style, attribute).is_unknown


async def test_unknown_enum_can_forge_from(layer: Layer, script: Script) -> None:
    node = {**style_node("sty_1"), "canForgeFrom": "MAYBE_LATER"}
    script.add(
        "GetStyleById", httpx.Response(200, json={"data": {"getStyleById": node}})
    )

    style = await layer.call("get_style", "sty_1")

    assert style.can_forge_from.value == "MAYBE_LATER"


async def test_unknown_enum_inference_status(
    layer: Layer, script: Script, clock: FakeClock
) -> None:
    script.add(
        "GetInferencesById",
        inferences_answer(inference_node("inf_1", status="QUEUED_SOMEWHERE")),
    )

    with pytest.raises(GenerationTimeoutError) as caught:
        await layer.call("wait", "inf_1", timeout=20)

    assert caught.value.last_status == "QUEUED_SOMEWHERE"
    assert clock.now - 1000.0 == pytest.approx(20.0)


async def test_unknown_enum_error_code(layer: Layer, script: Script) -> None:
    node = inference_node("inf_1", status="FAILED", error_code="GPU_ON_FIRE")
    script.add("GetInferencesById", inferences_answer(node))

    with pytest.raises(GenerationFailedError) as caught:
        await layer.call("wait", "inf_1")

    assert caught.value.error_code == "GPU_ON_FIRE"


async def test_unknown_enum_file_status(layer: Layer, script: Script) -> None:
    node = inference_node(status="COMPLETE", files=1)
    node["files"][0]["status"] = "ARCHIVED_COLD"
    script.add("GetInferencesById", inferences_answer(node))

    done = await layer.call("wait", "inf_1")

    assert done.files[0].status.value == "ARCHIVED_COLD"


async def test_unknown_enum_error_type(
    make_layer: LayerFactory, script: Script
) -> None:
    layer = make_layer(check_style=False)
    member = {
        "__typename": "Error",
        "errorType": "QUOTA_MOOD_ERROR",
        "code": "mood",
        "title": "Mood",
        "message": "not today",
    }
    script.add(
        "GenerateImages", httpx.Response(200, json={"data": {"generateImages": member}})
    )

    with pytest.raises(LayerAPIError) as caught:
        await layer.call("generate_images", style_id="sty_1", prompt="a castle")

    assert caught.value.error_type == "QUOTA_MOOD_ERROR"
    assert "not today" in str(caught.value)
    assert script.count("GenerateImages") == 1


@pytest.mark.parametrize(("field", "value"), [("role", "OWNER"), ("status", "FROZEN")])
async def test_unknown_enum_membership(
    layer: Layer, script: Script, field: str, value: str
) -> None:
    answer = workspaces_page(["ws_1"])
    body = json.loads(answer.content)
    edge = body["data"]["getMyUser"]["memberships"]["edges"][0]
    edge["node"][field] = value
    script.add("ListWorkspaces", httpx.Response(200, json=body))

    [membership] = await layer.call("list_workspaces")

    assert getattr(membership, field).value == value


async def test_unknown_style_status_not_usable(layer: Layer, script: Script) -> None:
    script.add("GetStyleById", style_answer("sty_1", status="PENDING_REVIEW"))

    with pytest.raises(StyleNotUsableError) as caught:
        await layer.call("generate_images", style_id="sty_1", prompt="a castle")

    assert caught.value.status == "PENDING_REVIEW"
    assert script.count("GenerateImages") == 0


async def test_retry_until_deadline_polls(
    make_layer: LayerFactory, script: Script
) -> None:
    layer = make_layer(polling=PollingConfig(timeout=5.0))
    script.add("GetInferencesById", case_response("502-html-page"))

    with pytest.raises(GenerationTimeoutError):
        await layer.call("wait", "inf_1")
