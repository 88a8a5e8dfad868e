"""Fault injection over real HTTP: every kind, sequences, seeded probability."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from layer_graphql.input_types import ListStylesInput

from layer_client.emulator import (
    Emulator,
    EmulatorConfig,
    FaultKind,
    FaultRule,
    load_faults,
)
from layer_client.emulator.faults import CLIENT_OPERATIONS, FaultPlan
from tests.emulator.helpers import (
    GENERATE,
    WORKSPACE_USAGE,
    decode_png,
    generate_payload,
    graphql_client,
    http_client,
    post,
)

PING = "query Ping { __typename }"


@pytest.fixture
def client() -> Iterator[httpx.Client]:
    with http_client() as client:
        yield client


def send_generate(client: httpx.Client, emulator: Emulator) -> httpx.Response:
    return post(
        client,
        emulator,
        GENERATE,
        generate_payload(emulator),
        operation_name="GenerateImages",
    )


def ping_outcomes(emulator: Emulator, count: int) -> list[int]:
    with http_client() as client:
        return [
            post(client, emulator, PING, operation_name="Ping").status_code
            for _ in range(count)
        ]


def check_429(response: httpx.Response) -> None:
    assert response.status_code == 429
    assert response.headers["retry-after"] == "3"
    assert response.json()["errors"][0]["message"] == "Too many requests"


def check_502(response: httpx.Response) -> None:
    assert response.status_code == 502
    assert response.headers["content-type"] == "text/html"
    assert "502 Bad Gateway" in response.text


def check_503(response: httpx.Response) -> None:
    assert response.status_code == 503
    assert response.headers["content-type"] == "text/html"


def check_errors(response: httpx.Response) -> None:
    assert response.status_code == 200
    body = response.json()
    assert body["data"] is None
    assert body["errors"][0]["message"] == "Cannot query field on purpose"


def check_unknown_enum(response: httpx.Response) -> None:
    assert response.status_code == 200
    assert response.json()["data"]["generateImages"]["status"] == "PENDING_REVIEW"


def check_unknown_union(response: httpx.Response) -> None:
    assert response.status_code == 200
    typename = response.json()["data"]["generateImages"]["__typename"]
    assert typename == "InferencesPage"


def check_ok(response: httpx.Response) -> None:
    assert response.status_code == 200
    assert response.json()["data"]["generateImages"]["__typename"] == "Inference"


# (fault kind, check of the response or None for a dropped connection,
#  whether the generation was applied)
GRAPHQL_FAULT_CASES: list[tuple[str, Callable[[httpx.Response], None] | None, bool]] = [
    ("ok", check_ok, True),
    ("429", check_429, False),
    ("502", check_502, False),
    ("503", check_503, False),
    ("drop_before", None, False),
    ("drop_after", None, True),
    ("errors", check_errors, False),
    ("unknown_enum", check_unknown_enum, True),
    ("unknown_union", check_unknown_union, True),
    ("ok", check_ok, True),
]


def test_each_graphql_fault_kind(client: httpx.Client) -> None:
    rule = FaultRule(
        operation="GenerateImages",
        sequence=[kind for kind, _, _ in GRAPHQL_FAULT_CASES],
        retry_after=3,
        message="Cannot query field on purpose",
    )
    config = EmulatorConfig(faults=(rule,), max_concurrent_inferences=20)
    with Emulator(config) as emulator:
        for kind, check, applied in GRAPHQL_FAULT_CASES:
            accepted_before = emulator.counters.generate_images_accepted
            if check is None:
                with pytest.raises(httpx.RemoteProtocolError):
                    send_generate(client, emulator)
            else:
                check(send_generate(client, emulator))

            accepted = emulator.counters.generate_images_accepted - accepted_before
            assert accepted == int(applied), f"{kind}: applied={accepted}"

    applied_count = sum(applied for _, _, applied in GRAPHQL_FAULT_CASES)
    assert len(emulator.state.inferences()) == applied_count
    assert emulator.counters.requests["GenerateImages"] == len(GRAPHQL_FAULT_CASES)
    for kind, _, _ in GRAPHQL_FAULT_CASES:
        expected = 0 if kind == "ok" else 1
        assert emulator.counters.faults[kind] == expected, kind


def test_unknown_enum_through_generated_client(layer_emulator: Emulator) -> None:
    layer_emulator.add_fault(FaultRule(operation="ListStyles", kind="unknown_enum"))

    with graphql_client(layer_emulator) as client:
        page = client.list_styles(ListStylesInput(first=3)).list_styles

    assert page.typename__ == "StylesConnection"
    statuses = [edge.node.status for edge in page.edges or [] if edge and edge.node]
    assert len(statuses) == 3
    for status in statuses:
        assert status.value == "PENDING_REVIEW"
        assert status.is_unknown


def test_slow_response_delays(layer_emulator: Emulator) -> None:
    layer_emulator.add_fault(
        FaultRule(operation="GetWorkspaceUsage", kind="slow", delay=0.5, limit=1)
    )
    variables = {"input": {"workspaceId": layer_emulator.workspace_id, "filtering": []}}

    with http_client(timeout=0.05) as impatient:
        with pytest.raises(httpx.ReadTimeout):
            post(impatient, layer_emulator, WORKSPACE_USAGE, variables)
        second = post(impatient, layer_emulator, WORKSPACE_USAGE, variables)

    assert second.status_code == 200
    assert layer_emulator.counters.faults["slow"] == 1


def test_limit_stops_faults(layer_emulator: Emulator) -> None:
    layer_emulator.add_fault(FaultRule(operation="Ping", kind="502", limit=2))

    assert ping_outcomes(layer_emulator, 4) == [502, 502, 200, 200]


def test_repeated_sequence(layer_emulator: Emulator) -> None:
    layer_emulator.add_fault(
        FaultRule(operation="Ping", sequence=["429", "ok"], repeat=True)
    )

    assert ping_outcomes(layer_emulator, 5) == [429, 200, 429, 200, 429]


def test_sequence_ends_with_ok(layer_emulator: Emulator) -> None:
    layer_emulator.set_faults([FaultRule(operation="Ping", sequence=["ok", "503"])])

    assert ping_outcomes(layer_emulator, 4) == [200, 503, 200, 200]


def test_seeded_probability_repeatable() -> None:
    rule = FaultRule(operation="Ping", kind="502", probability=0.5)
    outcomes = []
    for _ in range(2):
        with Emulator(EmulatorConfig(faults=(rule,), seed=11)) as emulator:
            outcomes.append(ping_outcomes(emulator, 30))

    assert outcomes[0] == outcomes[1]
    assert 200 in outcomes[0]
    assert 502 in outcomes[0]


def test_any_operation_rule_skips_files(layer_emulator: Emulator) -> None:
    layer_emulator.add_fault(FaultRule(operation="*", kind="503"))

    assert ping_outcomes(layer_emulator, 2) == [503, 503]
    with http_client() as client:
        usage = post(
            client,
            layer_emulator,
            WORKSPACE_USAGE,
            {"input": {"workspaceId": layer_emulator.workspace_id, "filtering": []}},
        )
        missing_file = client.get(f"{layer_emulator.files_url}/files/fil_x_1.png")

    assert usage.status_code == 503
    assert missing_file.status_code == 404


def test_clear_faults(layer_emulator: Emulator) -> None:
    layer_emulator.add_fault(FaultRule(operation="Ping", kind="429"))
    first = ping_outcomes(layer_emulator, 1)
    layer_emulator.clear_faults()

    assert first == [429]
    assert ping_outcomes(layer_emulator, 1) == [200]


def test_each_file_fault_kind(client: httpx.Client) -> None:
    rule = FaultRule(
        operation="file",
        sequence=["truncate", "429", "502", "503", "drop_before", "ok"],
        retry_after=3,
    )
    config = EmulatorConfig(faults=(rule,), min_duration=0.0, max_duration=0.0)
    with Emulator(config) as emulator:
        body = send_generate(client, emulator).json()["data"]["generateImages"]
        url = body["files"][0]["url"]

        with pytest.raises(httpx.RemoteProtocolError):
            client.get(url)
        check_429(client.get(url))
        check_502(client.get(url))
        check_503(client.get(url))
        with pytest.raises(httpx.RemoteProtocolError):
            client.get(url)
        whole = client.get(url)

    assert whole.status_code == 200
    decode_png(whole.content)
    assert emulator.counters.file_downloads == 2
    assert emulator.counters.faults["truncate"] == 1
    assert emulator.counters.faults["drop_before"] == 1


def test_truncated_download_sends_half(layer_emulator: Emulator) -> None:
    layer_emulator.add_fault(FaultRule(operation="file", kind="truncate"))
    with http_client() as client:
        submitted = send_generate(client, layer_emulator).json()["data"]
        inference_id = submitted["generateImages"]["id"]
        inference = layer_emulator.state.force_inference_status(
            inference_id, "COMPLETE"
        )
        received = bytearray()

        def read_all(response: httpx.Response) -> None:
            for chunk in response.iter_raw():
                received.extend(chunk)

        with client.stream("GET", inference.files[0].url) as response:
            declared = int(response.headers["content-length"])
            with pytest.raises(httpx.RemoteProtocolError):
                read_all(response)

    assert declared == inference.files[0].size_bytes
    assert 0 < len(received) < declared


def test_faults_file_loaded(tmp_path: Path) -> None:
    path = tmp_path / "faults.json"
    path.write_text(
        json.dumps(
            {
                "seed": 5,
                "rules": [
                    {"operation": "Ping", "sequence": ["ok", "429", "ok"]},
                    {"operation": "file", "kind": "truncate", "probability": 0.25},
                ],
            }
        )
    )

    rules, seed = load_faults(path)
    with Emulator(EmulatorConfig(faults=tuple(rules), faults_seed=seed)) as emulator:
        outcomes = ping_outcomes(emulator, 3)

    assert seed == 5
    assert rules[0].sequence == (FaultKind.OK, FaultKind.RATE_LIMITED, FaultKind.OK)
    assert rules[1].kind is FaultKind.TRUNCATE
    assert rules[1].probability == 0.25
    assert outcomes == [200, 429, 200]


def test_faults_file_list_form(tmp_path: Path) -> None:
    path = tmp_path / "faults.json"
    path.write_text('[{"operation": "GenerateImages", "kind": "drop_after"}]')

    rules, seed = load_faults(path)

    assert seed is None
    assert rules == [FaultRule(operation="GenerateImages", kind=FaultKind.DROP_AFTER)]


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ('[{"operation": "Ping", "kind": "418"}]', "unknown fault kind '418'"),
        (
            '[{"operation": "Ping", "kind": "429", "when": 1}]',
            "unknown fault rule keys",
        ),
        ('[{"operation": "Ping", "kind": "truncate"}]', "does not apply"),
        ('[{"operation": "file", "kind": "unknown_enum"}]', "does not apply"),
        ('[{"operation": "Ping"}]', "exactly one of 'kind' and 'sequence'"),
        ('[{"operation": "Ping", "kind": "429", "probability": 2}]', "within [0, 1]"),
        ('[{"operation": "Ping", "sequence": []}]', "non-empty"),
        ('{"rules": [], "extra": 1}', "unknown keys"),
        ('{"seed": "x", "rules": []}', "seed must be an integer"),
        ('"429"', "list of rules"),
        ("{not json", "not valid JSON"),
    ],
)
def test_invalid_faults_file(tmp_path: Path, document: str, message: str) -> None:
    path = tmp_path / "faults.json"
    path.write_text(document)

    with pytest.raises(ValueError, match=message.replace("[", r"\[")):
        load_faults(path)


def test_client_operations_match_saved_queries() -> None:
    queries = Path(__file__).resolve().parents[2] / "queries"
    names = {
        match.group(1)
        for path in queries.glob("*.graphql")
        for match in re.finditer(r"^(?:query|mutation) (\w+)", path.read_text(), re.M)
    }

    assert names == CLIENT_OPERATIONS


def test_unknown_operation_warns(caplog: pytest.LogCaptureFixture) -> None:
    plan = FaultPlan()

    with caplog.at_level(logging.WARNING, logger="layer_client.emulator"):
        plan.add(FaultRule(operation="generateImages", kind=FaultKind.RATE_LIMITED))

    assert "'GenerateImages'" in caplog.text


def test_known_operation_silent(caplog: pytest.LogCaptureFixture) -> None:
    plan = FaultPlan()

    with caplog.at_level(logging.WARNING, logger="layer_client.emulator"):
        plan.add(FaultRule(operation="GenerateImages", kind=FaultKind.RATE_LIMITED))
        plan.add(FaultRule(operation="file", kind=FaultKind.TRUNCATE))

    assert caplog.text == ""
