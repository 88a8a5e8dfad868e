"""Bearer auth, GraphQL errors and malformed requests over raw HTTP."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from layer_graphql import LayerGraphQLClient
from layer_graphql.input_types import GetWorkspaceUsageInput

from layer_client.emulator import Emulator, EmulatorConfig
from tests.emulator.helpers import (
    GENERATE,
    WORKSPACE_USAGE,
    generate_payload,
    http_client,
    post,
)


@pytest.fixture
def client() -> Iterator[httpx.Client]:
    with http_client() as client:
        yield client


def usage_variables(emulator: Emulator) -> dict[str, object]:
    return {"input": {"workspaceId": emulator.workspace_id, "filtering": []}}


BAD_AUTHORIZATION_HEADERS: list[dict[str, str]] = [
    {},
    {"Authorization": "Bearer wrong-token"},
    {"Authorization": "Basic ZW11bGF0b3ItdG9rZW4="},
    {"Authorization": "Bearer"},
    {"Authorization": "Bearer emulator-token-but-longer"},
]


def test_bad_token_401(layer_emulator: Emulator, client: httpx.Client) -> None:
    for headers in BAD_AUTHORIZATION_HEADERS:
        response = post(
            client,
            layer_emulator,
            WORKSPACE_USAGE,
            usage_variables(layer_emulator),
            operation_name="GetWorkspaceUsage",
            headers=headers,
        )

        assert response.status_code == 401, headers
        assert response.headers["content-type"] == "application/json"
        assert response.headers["www-authenticate"].startswith("Bearer")
        error = response.json()["errors"][0]
        assert error["extensions"]["code"] == "UNAUTHENTICATED", headers
        assert "token" in error["message"]
    assert layer_emulator.counters.requests["GetWorkspaceUsage"] == len(
        BAD_AUTHORIZATION_HEADERS
    )


def test_bearer_scheme_case_insensitive(
    layer_emulator: Emulator, client: httpx.Client
) -> None:
    headers = {"Authorization": f"bearer {layer_emulator.token}"}

    response = post(
        client,
        layer_emulator,
        WORKSPACE_USAGE,
        usage_variables(layer_emulator),
        headers=headers,
    )

    assert response.status_code == 200


def test_bad_token_as_error_member(client: httpx.Client) -> None:
    config = EmulatorConfig(unauthorized_as_error_member=True, token="t0ken")
    with Emulator(config) as emulator:
        bad = {"Authorization": "Bearer nope"}
        usage = post(
            client, emulator, WORKSPACE_USAGE, usage_variables(emulator), headers=bad
        )
        generated = post(
            client, emulator, GENERATE, generate_payload(emulator), headers=bad
        )
        good = post(client, emulator, WORKSPACE_USAGE, usage_variables(emulator))

    assert usage.status_code == 200
    usage_error = usage.json()["data"]["getWorkspaceUsage"]
    assert usage_error["__typename"] == "Error"
    assert usage_error["type"] == "UNAUTHORIZED_ERROR"
    assert generated.status_code == 200
    assert generated.json()["data"]["generateImages"]["type"] == "UNAUTHORIZED_ERROR"
    assert emulator.counters.generate_images_accepted == 0
    assert good.json()["data"]["getWorkspaceUsage"]["__typename"] == "WorkspaceUsage"


def test_error_member_mode_generated_client() -> None:
    config = EmulatorConfig(unauthorized_as_error_member=True)
    with (
        Emulator(config) as emulator,
        http_client() as transport,
        LayerGraphQLClient(
            url=emulator.url,
            headers={"Authorization": "Bearer wrong-token"},
            http_client=transport,
        ) as client,
    ):
        usage = client.get_workspace_usage(
            GetWorkspaceUsageInput(workspace_id=emulator.workspace_id, filtering=[])
        ).get_workspace_usage

    assert usage.typename__ == "Error"
    assert usage.error_type.value == "UNAUTHORIZED_ERROR"


def test_unknown_root_field_clear_error(
    layer_emulator: Emulator, client: httpx.Client
) -> None:
    response = post(
        client, layer_emulator, "query Changes { getChangelogs { __typename } }"
    )

    assert response.status_code == 200
    errors = response.json()["errors"]
    assert errors[0]["message"] == (
        "layer emulator: field Query.getChangelogs is not emulated"
    )
    assert errors[0]["extensions"]["code"] == "NOT_EMULATED"
    assert layer_emulator.counters.requests["Changes"] == 1


def test_unknown_mutation_clear_error(
    layer_emulator: Emulator, client: httpx.Client
) -> None:
    response = post(client, layer_emulator, "mutation { acceptTos { __typename } }")

    message = response.json()["errors"][0]["message"]
    assert message == "layer emulator: field Mutation.acceptTos is not emulated"


def test_unknown_nested_field_clear_error(
    layer_emulator: Emulator, client: httpx.Client
) -> None:
    query = """
    query Style($input: GetStyleByIdInput!) {
      getStyleById(input: $input) { ... on Style { id trainingConfig { steps } } }
    }
    """

    response = post(
        client, layer_emulator, query, {"input": {"styleId": layer_emulator.style_id}}
    )

    message = response.json()["errors"][0]["message"]
    assert message == "layer emulator: field Style.trainingConfig is not emulated"


def test_schema_validation_error_400(
    layer_emulator: Emulator, client: httpx.Client
) -> None:
    response = post(client, layer_emulator, "query { listStyles { nope } }")

    assert response.status_code == 400
    assert response.json()["errors"]


MALFORMED_BODIES = [
    b"not json",
    b"[1, 2]",
    b'{"variables": {}}',
    b'{"query": "{x}", "variables": 3}',
    b"\xff\xfe",
]


def test_malformed_body_400(layer_emulator: Emulator, client: httpx.Client) -> None:
    for body in MALFORMED_BODIES:
        response = client.post(
            layer_emulator.url,
            content=body,
            headers={**layer_emulator.headers, "Content-Type": "application/json"},
        )

        assert response.status_code == 400, body
        assert response.json()["errors"][0]["message"], body


def test_get_and_wrong_path(layer_emulator: Emulator, client: httpx.Client) -> None:
    get = client.get(layer_emulator.url, headers=layer_emulator.headers)
    wrong_path = client.post(
        layer_emulator.url.replace("/graphql", "/v1/graphql"),
        json={"query": "{ __typename }"},
        headers=layer_emulator.headers,
    )

    assert get.status_code == 405
    assert get.headers["allow"] == "POST"
    assert wrong_path.status_code == 404


def test_files_origin_rejects_unknown(
    layer_emulator: Emulator, client: httpx.Client
) -> None:
    missing = client.get(f"{layer_emulator.files_url}/files/fil_missing_1.png")
    elsewhere = client.get(f"{layer_emulator.files_url}/etc/passwd")
    post_file = client.post(f"{layer_emulator.files_url}/files/fil_missing_1.png")

    assert missing.status_code == 404
    assert elsewhere.status_code == 404
    assert post_file.status_code == 405
    assert layer_emulator.counters.file_downloads == 0


def test_date_header_in_emulated_time(
    layer_emulator: Emulator, client: httpx.Client
) -> None:
    response = post(
        client, layer_emulator, WORKSPACE_USAGE, usage_variables(layer_emulator)
    )

    assert response.headers["date"].endswith("GMT")
    assert len(response.headers.get_list("date")) == 1
