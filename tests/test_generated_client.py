"""Tests of the generated `layer_graphql` package against pytest-httpx.

Every generated method of the sync and async clients must send its saved
operation with camelCase variables (unset fields left out) and parse every
member of the union it returns. The transport rules (injected client, timeout,
exceptions) are checked on both clients too.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import layer_graphql as lg
import pydantic
import pytest
from graphql import (
    GraphQLSchema,
    build_schema,
    get_named_type,
    is_union_type,
    parse,
    print_ast,
)
from layer_graphql.exceptions import (
    GraphQLClientError,
    GraphQLHttpError,
    GraphQLInvalidResponseError,
    GraphQLResponseErrors,
)
from pytest_httpx import HTTPXMock

from layer_client.schema_ops import load_saved_operations, validate_operations

ROOT = Path(__file__).resolve().parent.parent
QUERIES = ROOT / "queries"
URL = "https://layer.example.test/graphql"

SAVED = {op.name: op for op in load_saved_operations(QUERIES).operations}


@pytest.fixture(scope="module")
def schema() -> GraphQLSchema:
    return build_schema((ROOT / "schema.graphql").read_text(encoding="utf-8"))


# Response objects, one per type the saved operations read. ------------------

ERROR = {
    "__typename": "Error",
    "errorType": "NOT_FOUND_ERROR",
    "code": "not_found",
    "title": "Not found",
    "message": "No such thing",
}
FILE = {
    "__typename": "File",
    "id": "file_1",
    "status": "PROCESSED",
    "url": "https://cdn.example.test/file_1.png",
    "previewUrl": None,
    "contentType": "image/png",
    "sizeBytes": 123456,
    "width": 1024,
    "height": 1024,
}
INFERENCE = {
    "__typename": "Inference",
    "id": "inf_1",
    "status": "COMPLETE",
    "errorCode": None,
    "createdAt": "2025-08-01T12:00:00Z",
    "etaAt": None,
    "files": [FILE],
}
STYLE_FIELDS = {
    "__typename": "Style",
    "id": "sty_1",
    "name": "Pixel Knights",
    "slug": "pixel-knights",
    "status": "COMPLETE",
    "type": "LAYER_TRAINED_CHECKPOINT",
    "modality": "IMAGE",
}
PAGE_INFO = {
    "__typename": "PageInfo",
    "hasNextPage": False,
    "hasPreviousPage": False,
    "startCursor": "c1",
    "endCursor": "c1",
    "totalCount": 1,
}
USER = {
    "__typename": "User",
    "id": "usr_1",
    "name": "Ada",
    "email": "ada@example.test",
    "memberships": {
        "__typename": "WorkspaceMembershipsConnection",
        "edges": [
            {
                "__typename": "WorkspaceMembershipEdge",
                "cursor": "c1",
                "node": {
                    "__typename": "WorkspaceMembership",
                    "id": "mem_1",
                    "role": "ADMIN",
                    "status": "ACTIVE",
                    "workspace": {
                        "__typename": "Workspace",
                        "id": "ws_1",
                        "name": "studio",
                        "displayName": "Studio",
                    },
                },
            }
        ],
        "pageInfo": PAGE_INFO,
    },
}


@dataclass(frozen=True)
class Case:
    """One generated method: what to pass, what goes on the wire, what parses."""

    method: str
    operation: str
    root_field: str  # the response field the operation selects
    attribute: str  # its snake_case name on the result model
    kwargs: Callable[[], dict[str, Any]]
    variables: dict[str, Any]
    # __typename -> (response value, class the client must return)
    members: dict[str, tuple[dict[str, Any], type[Any]]]


CASES = [
    Case(
        method="delete_inference",
        operation="DeleteInference",
        root_field="deleteInference",
        attribute="delete_inference",
        kwargs=lambda: {"input": lg.DeleteInferenceInput(inference_id="inf_1")},
        variables={"input": {"inferenceId": "inf_1"}},
        members={"Error": (ERROR, lg.DeleteInferenceDeleteInference)},
    ),
    Case(
        method="generate_images",
        operation="GenerateImages",
        root_field="generateImages",
        attribute="generate_images",
        kwargs=lambda: {
            "input": lg.GenerateImagesInput(
                workspace_id="ws_1", style_id="sty_1", prompt="a knight"
            )
        },
        # No batchSize, seed, width, ...: unset fields stay out.
        variables={
            "input": {"workspaceId": "ws_1", "styleId": "sty_1", "prompt": "a knight"}
        },
        members={
            "Inference": (INFERENCE, lg.GenerateImagesGenerateImagesInference),
            "Error": (ERROR, lg.GenerateImagesGenerateImagesError),
        },
    ),
    Case(
        method="get_inferences_by_id",
        operation="GetInferencesById",
        root_field="getInferencesById",
        attribute="get_inferences_by_id",
        kwargs=lambda: {
            "input": lg.GetInferencesByIdInput(inference_ids=["inf_1", "inf_2"])
        },
        variables={"input": {"inferenceIds": ["inf_1", "inf_2"]}},
        members={
            "InferencesResult": (
                {"__typename": "InferencesResult", "inferences": [INFERENCE]},
                lg.GetInferencesByIdGetInferencesByIdInferencesResult,
            ),
            "Error": (ERROR, lg.GetInferencesByIdGetInferencesByIdError),
        },
    ),
    Case(
        method="get_style_by_id",
        operation="GetStyleById",
        root_field="getStyleById",
        attribute="get_style_by_id",
        kwargs=lambda: {"input": lg.GetStyleByIdInput(style_id="sty_1")},
        variables={"input": {"styleId": "sty_1"}},
        members={
            "Style": (
                {**STYLE_FIELDS, "canForgeFrom": "YES"},
                lg.GetStyleByIdGetStyleByIdStyle,
            ),
            "Error": (ERROR, lg.GetStyleByIdGetStyleByIdError),
        },
    ),
    Case(
        method="get_workspace_usage",
        operation="GetWorkspaceUsage",
        root_field="getWorkspaceUsage",
        attribute="get_workspace_usage",
        kwargs=lambda: {
            "input": lg.GetWorkspaceUsageInput(
                workspace_id="ws_1",
                filtering=[
                    lg.FilteringInput(field="date", operator="gte", value="2025-08-01")
                ],
                ordering=[lg.SortingInput(field="date")],
            )
        },
        # groupBy is unset; SortingInput.direction keeps the server default.
        variables={
            "input": {
                "workspaceId": "ws_1",
                "filtering": [
                    {"field": "date", "operator": "gte", "value": "2025-08-01"}
                ],
                "ordering": [{"field": "date"}],
            }
        },
        members={
            "WorkspaceUsage": (
                {
                    "__typename": "WorkspaceUsage",
                    "workspaceId": "ws_1",
                    "entitlement": {
                        "__typename": "WorkspaceUsageEntitlement",
                        "balance": 120.5,
                        "hasAccess": True,
                        "overage": 0,
                        "usage": 30,
                    },
                },
                lg.GetWorkspaceUsageGetWorkspaceUsageWorkspaceUsage,
            ),
            "Error": (ERROR, lg.GetWorkspaceUsageGetWorkspaceUsageError),
        },
    ),
    Case(
        method="list_styles",
        operation="ListStyles",
        root_field="listStyles",
        attribute="list_styles",
        kwargs=lambda: {
            "input": lg.ListStylesInput(first=10, status=[lg.StyleStatus.COMPLETE])
        },
        variables={"input": {"first": 10, "status": ["COMPLETE"]}},
        members={
            "StylesConnection": (
                {
                    "__typename": "StylesConnection",
                    "edges": [
                        {
                            "__typename": "StyleEdge",
                            "cursor": "c1",
                            "node": STYLE_FIELDS,
                        }
                    ],
                    "pageInfo": PAGE_INFO,
                },
                lg.ListStylesListStylesStylesConnection,
            ),
            "Error": (ERROR, lg.ListStylesListStylesError),
        },
    ),
    Case(
        method="list_workspaces",
        operation="ListWorkspaces",
        root_field="getMyUser",
        attribute="get_my_user",
        kwargs=lambda: {"memberships": lg.GetUserMembershipsInput(first=20)},
        variables={"memberships": {"first": 20}},
        members={
            "User": (USER, lg.ListWorkspacesGetMyUserUser),
            "Error": (ERROR, lg.ListWorkspacesGetMyUserError),
        },
    ),
]
CASE_IDS = [case.operation for case in CASES]
MEMBER_CASES = [
    pytest.param(case, typename, id=f"{case.operation}-{typename}")
    for case in CASES
    for typename in case.members
]


async def _call(
    kind: str,
    method: str,
    kwargs: dict[str, Any],
    http_client: httpx.Client | httpx.AsyncClient | None = None,
) -> Any:
    """Call one generated method on a fresh sync or async client."""
    if kind == "sync":
        assert http_client is None or isinstance(http_client, httpx.Client)
        with lg.LayerGraphQLClient(url=URL, http_client=http_client) as client:
            return getattr(client, method)(**kwargs)
    assert http_client is None or isinstance(http_client, httpx.AsyncClient)
    async with lg.AsyncLayerGraphQLClient(url=URL, http_client=http_client) as aclient:
        return await getattr(aclient, method)(**kwargs)


def _normalized(query: str) -> list[str]:
    """The definitions of a GraphQL document, printed, sorted by name."""
    return sorted(print_ast(definition) for definition in parse(query).definitions)


def _sent(httpx_mock: HTTPXMock) -> dict[str, Any]:
    request = httpx_mock.get_request()
    assert request is not None
    body: dict[str, Any] = json.loads(request.content)
    return body


# The saved operations ---------------------------------------------------------


def test_every_saved_operation_validates(schema: GraphQLSchema) -> None:
    assert validate_operations(schema, load_saved_operations(QUERIES)) == []


def test_every_saved_operation_has_a_case() -> None:
    assert sorted(SAVED) == sorted(CASE_IDS)


@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_cases_cover_every_member_of_the_returned_union(
    schema: GraphQLSchema, case: Case
) -> None:
    root = next(
        t
        for t in (schema.query_type, schema.mutation_type)
        if t is not None and case.root_field in t.fields
    )
    returned = get_named_type(root.fields[case.root_field].type)
    if is_union_type(returned):
        expected = {member.name for member in schema.get_possible_types(returned)}
    else:
        expected = {returned.name}
    assert set(case.members) == expected


# What goes on the wire ----------------------------------------------------------


@pytest.mark.parametrize("kind", ["sync", "async"])
@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
async def test_method_sends_the_saved_operation(
    httpx_mock: HTTPXMock, schema: GraphQLSchema, kind: str, case: Case
) -> None:
    value, _ = next(iter(case.members.values()))
    httpx_mock.add_response(
        method="POST", url=URL, json={"data": {case.root_field: value}}
    )

    await _call(kind, case.method, case.kwargs())

    body = _sent(httpx_mock)
    assert set(body) == {"query", "operationName", "variables"}
    assert body["operationName"] == case.operation
    assert body["variables"] == case.variables
    saved = print_ast(SAVED[case.operation].document)
    assert _normalized(body["query"]) == _normalized(saved)
    request = httpx_mock.get_request()
    assert request is not None
    assert request.headers["content-type"] == "application/json"


@pytest.mark.parametrize("kind", ["sync", "async"])
async def test_nested_inputs_are_camel_case_without_unset_fields(
    httpx_mock: HTTPXMock, kind: str
) -> None:
    httpx_mock.add_response(json={"data": {"generateImages": INFERENCE}})
    parameters = lg.InferenceParametersInput(
        batch_size=2,
        negative_prompt="blurry",
        styles=[lg.InferenceParametersStyleInput(id="sty_1", weight=0.8)],
        generation_type=lg.GenerationType.CREATE,
    )
    payload = lg.GenerateImagesInput(workspace_id="ws_1", parameters=parameters)

    await _call(kind, "generate_images", {"input": payload})

    assert _sent(httpx_mock)["variables"] == {
        "input": {
            "workspaceId": "ws_1",
            "parameters": {
                "batchSize": 2,
                "negativePrompt": "blurry",
                "styles": [{"id": "sty_1", "weight": 0.8}],
                "generationType": "CREATE",
            },
        }
    }


async def test_explicit_none_is_sent_as_null(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(json={"data": {"generateImages": INFERENCE}})
    payload = lg.GenerateImagesInput(workspace_id="ws_1", prompt=None)
    await _call("sync", "generate_images", {"input": payload})
    assert _sent(httpx_mock)["variables"] == {
        "input": {"workspaceId": "ws_1", "prompt": None}
    }


# What comes back -----------------------------------------------------------------


@pytest.mark.parametrize("kind", ["sync", "async"])
@pytest.mark.parametrize(("case", "typename"), MEMBER_CASES)
async def test_method_parses_every_member(
    httpx_mock: HTTPXMock, kind: str, case: Case, typename: str
) -> None:
    value, expected_class = case.members[typename]
    httpx_mock.add_response(json={"data": {case.root_field: value}})

    result = await _call(kind, case.method, case.kwargs())

    parsed = getattr(result, case.attribute)
    assert isinstance(parsed, expected_class)
    assert parsed.typename__ == typename
    if typename == "Error":
        assert parsed.error_type is lg.ErrorType.NOT_FOUND_ERROR
        assert parsed.message == "No such thing"
    # Every field came back under its alias and nothing was dropped.
    assert parsed.model_dump(by_alias=True, mode="json") == value


@pytest.mark.parametrize(
    ("case", "value"),
    [
        (CASES[0], None),  # deleteInference: null means deleted
        (CASES[2], None),  # getInferencesById is nullable
        (CASES[3], None),  # getStyleById is nullable
    ],
    ids=["DeleteInference", "GetInferencesById", "GetStyleById"],
)
async def test_nullable_results_parse_as_none(
    httpx_mock: HTTPXMock, case: Case, value: None
) -> None:
    httpx_mock.add_response(json={"data": {case.root_field: value}})
    result = await _call("async", case.method, case.kwargs())
    assert getattr(result, case.attribute) is None


async def test_unknown_union_member_fails_validation(httpx_mock: HTTPXMock) -> None:
    # layer_client maps this to InvalidResponseError naming the __typename.
    httpx_mock.add_response(
        json={"data": {"getInferencesById": {"__typename": "InferencesPage"}}}
    )
    case = CASES[2]
    with pytest.raises(pydantic.ValidationError, match="InferencesPage"):
        await _call("sync", case.method, case.kwargs())


# Enums tolerate values added to the schema ---------------------------------------

STYLE_WITH_NEW_VALUES = {
    "getStyleById": {
        **STYLE_FIELDS,
        "status": "PENDING_REVIEW",
        "modality": "HOLOGRAM",
        "canForgeFrom": "YES",
    }
}


@pytest.mark.parametrize("path", ["model_validate", "model_validate_json"])
def test_unknown_enum_value_keeps_its_raw_value(path: str) -> None:
    if path == "model_validate":
        result = lg.GetStyleById.model_validate(STYLE_WITH_NEW_VALUES)
    else:
        result = lg.GetStyleById.model_validate_json(json.dumps(STYLE_WITH_NEW_VALUES))

    style = result.get_style_by_id
    assert isinstance(style, lg.GetStyleByIdGetStyleByIdStyle)
    assert isinstance(style.status, lg.StyleStatus)
    assert style.status.is_unknown
    assert style.status.value == "PENDING_REVIEW"
    assert style.status == "PENDING_REVIEW"
    assert style.status.name == "UNKNOWN"
    assert style.modality.is_unknown
    assert style.modality.value == "HOLOGRAM"
    # Known values stay ordinary members.
    assert style.type_ is lg.StyleType.LAYER_TRAINED_CHECKPOINT
    assert not style.type_.is_unknown
    assert style.can_forge_from is lg.StyleCanForgeFromStatus.YES
    # The raw value survives a round trip.
    again = json.loads(result.model_dump_json(by_alias=True))
    assert again["getStyleById"]["status"] == "PENDING_REVIEW"


@pytest.mark.parametrize("path", ["model_validate", "model_validate_json"])
def test_unknown_enum_value_in_a_list(path: str) -> None:
    edges = [
        {"__typename": "StyleEdge", "cursor": "c1", "node": STYLE_FIELDS},
        {
            "__typename": "StyleEdge",
            "cursor": "c2",
            "node": {**STYLE_FIELDS, "id": "sty_2", "status": "PENDING_REVIEW"},
        },
    ]
    data = {
        "listStyles": {
            "__typename": "StylesConnection",
            "edges": edges,
            "pageInfo": PAGE_INFO,
        }
    }
    if path == "model_validate":
        result = lg.ListStyles.model_validate(data)
    else:
        result = lg.ListStyles.model_validate_json(json.dumps(data))

    connection = result.list_styles
    assert isinstance(connection, lg.ListStylesListStylesStylesConnection)
    assert connection.edges is not None
    statuses = [edge.node.status for edge in connection.edges if edge and edge.node]
    assert statuses[0] is lg.StyleStatus.COMPLETE
    assert statuses[1].is_unknown
    assert statuses[1].value == "PENDING_REVIEW"


async def test_unknown_enum_value_through_the_client(httpx_mock: HTTPXMock) -> None:
    error = {**ERROR, "errorType": "TEAPOT_ERROR"}
    httpx_mock.add_response(json={"data": {"generateImages": error}})
    result = await _call("async", "generate_images", CASES[1].kwargs())
    parsed = result.generate_images
    assert isinstance(parsed, lg.GenerateImagesGenerateImagesError)
    assert parsed.error_type.is_unknown
    assert parsed.error_type.value == "TEAPOT_ERROR"


def test_unknown_value_is_not_a_member() -> None:
    unknown = lg.InferenceStatus("QUEUED")
    assert unknown.is_unknown
    assert unknown not in list(lg.InferenceStatus)
    assert lg.InferenceStatus("COMPLETE") is lg.InferenceStatus.COMPLETE
    with pytest.raises(ValueError, match="not a valid"):
        lg.InferenceStatus(3)  # type: ignore[arg-type]


# Transport ---------------------------------------------------------------------


def test_injected_sync_client_is_used_and_left_open(
    httpx_mock: HTTPXMock,
) -> None:
    httpx_mock.add_response(json={"data": {"getMyUser": USER}})
    injected = httpx.Client(headers={"X-Injected": "yes"})
    try:
        with lg.LayerGraphQLClient(
            url=URL, headers={"Authorization": "Bearer t"}, http_client=injected
        ) as client:
            assert client.http_client is injected
            client.list_workspaces(memberships=lg.GetUserMembershipsInput())
        assert not injected.is_closed
    finally:
        injected.close()
    request = httpx_mock.get_request()
    assert request is not None
    assert request.headers["X-Injected"] == "yes"
    assert request.headers["Authorization"] == "Bearer t"


async def test_injected_async_client_is_used_and_left_open(
    httpx_mock: HTTPXMock,
) -> None:
    httpx_mock.add_response(json={"data": {"getMyUser": USER}})
    injected = httpx.AsyncClient(headers={"X-Injected": "yes"})
    try:
        async with lg.AsyncLayerGraphQLClient(url=URL, http_client=injected) as client:
            assert client.http_client is injected
            await client.list_workspaces(memberships=lg.GetUserMembershipsInput())
        assert not injected.is_closed
    finally:
        await injected.aclose()
    request = httpx_mock.get_request()
    assert request is not None
    assert request.headers["X-Injected"] == "yes"


async def test_own_clients_are_closed_on_exit() -> None:
    with lg.LayerGraphQLClient(url=URL) as client:
        pass
    assert client.http_client.is_closed
    async with lg.AsyncLayerGraphQLClient(url=URL) as aclient:
        pass
    assert aclient.http_client.is_closed


async def test_per_call_headers_are_merged(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(json={"data": {"getMyUser": USER}})
    with lg.LayerGraphQLClient(url=URL, headers={"Authorization": "Bearer t"}) as c:
        c.list_workspaces(
            memberships=lg.GetUserMembershipsInput(), headers={"X-Request-Id": "r1"}
        )
    request = httpx_mock.get_request()
    assert request is not None
    assert request.headers["Authorization"] == "Bearer t"
    assert request.headers["X-Request-Id"] == "r1"


@pytest.mark.parametrize("kind", ["sync", "async"])
async def test_default_timeout_is_not_httpx_five_seconds(
    httpx_mock: HTTPXMock, kind: str
) -> None:
    httpx_mock.add_response(json={"data": {"getMyUser": USER}})
    await _call(kind, "list_workspaces", {"memberships": lg.GetUserMembershipsInput()})
    request = httpx_mock.get_request()
    assert request is not None
    timeout = request.extensions["timeout"]
    assert timeout["read"] is not None
    assert timeout["read"] >= 30
    assert timeout != httpx.Timeout(5.0).as_dict()


def test_default_timeout_of_the_owned_clients() -> None:
    with lg.LayerGraphQLClient(url=URL) as client:
        assert client.http_client.timeout != httpx.Timeout(5.0)
        assert (client.http_client.timeout.read or 0) >= 30
    explicit = lg.LayerGraphQLClient(url=URL, timeout=2.5)
    assert explicit.http_client.timeout == httpx.Timeout(2.5)
    explicit.close()


# Errors ------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["sync", "async"])
@pytest.mark.parametrize("status", [400, 401, 429, 500, 503])
async def test_non_2xx_raises_http_error(
    httpx_mock: HTTPXMock, kind: str, status: int
) -> None:
    httpx_mock.add_response(status_code=status, json={"data": None})
    with pytest.raises(GraphQLHttpError) as caught:
        await _call(
            kind, "list_workspaces", {"memberships": lg.GetUserMembershipsInput()}
        )
    assert caught.value.status_code == status
    assert caught.value.response.status_code == status
    assert isinstance(caught.value, GraphQLClientError)


@pytest.mark.parametrize("kind", ["sync", "async"])
@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"<html>Bad gateway</html>", "not JSON"),
        (b"", "not JSON"),
        (b"[1, 2]", "JSON list"),
        (b'{"data": null}', "neither a `data` object nor `errors`"),
        (b'{"data": "yes"}', "neither a `data` object nor `errors`"),
    ],
)
async def test_bad_body_raises_invalid_response(
    httpx_mock: HTTPXMock, kind: str, content: bytes, reason: str
) -> None:
    httpx_mock.add_response(content=content)
    with pytest.raises(GraphQLInvalidResponseError, match=reason) as caught:
        await _call(
            kind, "list_workspaces", {"memberships": lg.GetUserMembershipsInput()}
        )
    assert caught.value.response.status_code == 200


@pytest.mark.parametrize("kind", ["sync", "async"])
async def test_errors_array_raises_with_partial_data(
    httpx_mock: HTTPXMock, kind: str
) -> None:
    errors = [
        {"message": "Cannot query field 'etaAt' on type 'Inference'."},
        {"message": "Second problem", "path": ["generateImages"]},
    ]
    httpx_mock.add_response(json={"data": {"generateImages": None}, "errors": errors})
    with pytest.raises(GraphQLResponseErrors) as caught:
        await _call(kind, "generate_images", CASES[1].kwargs())
    assert caught.value.errors == errors
    assert caught.value.data == {"generateImages": None}
    assert "etaAt" in str(caught.value)
    assert "Second problem" in str(caught.value)


async def test_errors_without_data(httpx_mock: HTTPXMock) -> None:
    httpx_mock.add_response(json={"data": None, "errors": ["plain string"]})
    with pytest.raises(GraphQLResponseErrors) as caught:
        await _call("sync", "generate_images", CASES[1].kwargs())
    assert caught.value.errors == [{"message": "plain string"}]
    assert caught.value.data is None
