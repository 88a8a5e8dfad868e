"""What generateImages accepts and rejects, on a clock that moves only on request."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from layer_client.emulator import (
    BUILDING_STYLE_ID,
    FAILED_STYLE_ID,
    MODEL_URL_STYLE_ID,
    Emulator,
    EmulatorConfig,
    ManualClock,
)
from tests.emulator.helpers import (
    GENERATE,
    GET_INFERENCES,
    generate,
    generate_payload,
    http_client,
    post,
)

DELETE = """
mutation DeleteInference($input: DeleteInferenceInput!) {
  deleteInference(input: $input) { __typename type message }
}
"""


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def layer_emulator_config(clock: ManualClock) -> EmulatorConfig:
    return EmulatorConfig(
        clock=clock,
        min_duration=10.0,
        max_duration=10.0,
        forbidden_workspace_ids=("ws_other_team",),
    )


@pytest.fixture
def client() -> Iterator[httpx.Client]:
    with http_client() as client:
        yield client


def inference_statuses(
    client: httpx.Client, emulator: Emulator, ids: list[str]
) -> list[tuple[str, str]]:
    response = post(client, emulator, GET_INFERENCES, {"input": {"inferenceIds": ids}})
    assert response.status_code == 200, response.text
    result = response.json()["data"]["getInferencesById"]
    assert result["__typename"] == "InferencesResult"
    return [(item["id"], item["status"]) for item in result["inferences"]]


def test_missing_style_id_rejected(
    layer_emulator: Emulator, client: httpx.Client
) -> None:
    for style_id in (None, "", "   "):
        result = generate(client, layer_emulator, styleId=style_id)

        assert result["__typename"] == "Error"
        assert result["type"] == "BAD_REQUEST_ERROR"
        assert result["message"] == "At least one style must be provided"
    assert layer_emulator.counters.generate_images_accepted == 0


def test_unknown_style_not_found(
    layer_emulator: Emulator, client: httpx.Client
) -> None:
    result = generate(client, layer_emulator, styleId="sty_does_not_exist")

    assert result["__typename"] == "Error"
    assert result["type"] == "NOT_FOUND_ERROR"
    assert "sty_does_not_exist" in result["message"]


@pytest.mark.parametrize(
    ("style_id", "status"),
    [(BUILDING_STYLE_ID, "BUILDING"), (FAILED_STYLE_ID, "FAILED")],
)
def test_unusable_style_rejected(
    layer_emulator: Emulator, client: httpx.Client, style_id: str, status: str
) -> None:
    result = generate(client, layer_emulator, styleId=style_id)

    assert result["__typename"] == "Error"
    assert result["type"] == "BAD_REQUEST_ERROR"
    assert status in result["message"]


def test_model_url_style_pixel_wizards(
    layer_emulator: Emulator, client: httpx.Client
) -> None:
    result = generate(client, layer_emulator, styleId=MODEL_URL_STYLE_ID)

    assert result["__typename"] == "Error"
    assert result["type"] == "INTERNAL_SERVER_ERROR"
    assert result["message"] == "Oops! Our pixel wizards need a moment to recharge"
    assert layer_emulator.state.balance == layer_emulator.config.balance


OUT_OF_RANGE_FIELDS: list[dict[str, Any]] = [
    {"batchSize": 0},
    {"batchSize": 17},
    {"width": 0},
    {"height": 4096},
    {"numInferenceSteps": 0},
    {"guidanceScale": -1.0},
    {"prompt": "x" * 100_001},
]


def test_out_of_range_input_rejected(
    layer_emulator: Emulator, client: httpx.Client
) -> None:
    for fields in OUT_OF_RANGE_FIELDS:
        result = generate(client, layer_emulator, **fields)

        case = str(fields)[:40]
        assert result["__typename"] == "Error", case
        assert result["type"] == "BAD_REQUEST_ERROR", case
    assert layer_emulator.counters.generate_images_accepted == 0


def test_batch_of_sixteen_accepted(
    layer_emulator: Emulator, client: httpx.Client, clock: ManualClock
) -> None:
    result = generate(client, layer_emulator, batchSize=16, width=8, height=8)
    clock.advance(10)

    assert result["__typename"] == "Inference"
    inference = layer_emulator.state.get_inference(result["id"])
    assert inference is not None
    assert len(inference.files) == 16


def test_invalid_long_seed_rejected(
    layer_emulator: Emulator, client: httpx.Client
) -> None:
    for seed in (2**63, -(2**63) - 1, True, "7", 1.5):
        response = post(
            client,
            layer_emulator,
            GENERATE,
            generate_payload(layer_emulator, seed=seed),
            operation_name="GenerateImages",
        )

        assert response.status_code == 400, seed
        assert "Long" in response.json()["errors"][0]["message"], seed
    assert layer_emulator.counters.generate_images_accepted == 0


def test_largest_long_seed_accepted(
    layer_emulator: Emulator, client: httpx.Client
) -> None:
    result = generate(client, layer_emulator, seed=2**63 - 1)

    assert result["__typename"] == "Inference"


def test_insufficient_balance_payment_required(
    layer_emulator: Emulator, client: httpx.Client
) -> None:
    layer_emulator.state.set_balance(1.5)

    result = generate(client, layer_emulator, batchSize=2)

    assert result["__typename"] == "Error"
    assert result["type"] == "PAYMENT_REQUIRED_ERROR"
    assert layer_emulator.state.balance == 1.5
    assert layer_emulator.counters.generate_images_accepted == 0


def test_sixth_run_rate_limited(
    layer_emulator: Emulator, client: httpx.Client, clock: ManualClock
) -> None:
    accepted = [generate(client, layer_emulator) for _ in range(5)]
    sixth = generate(client, layer_emulator)

    assert [item["__typename"] for item in accepted] == ["Inference"] * 5
    assert sixth["__typename"] == "Error"
    assert sixth["type"] == "RATE_LIMITED_ERROR"
    assert layer_emulator.state.in_progress_count() == 5

    clock.advance(10)
    after_completion = generate(client, layer_emulator)

    assert after_completion["__typename"] == "Inference"
    assert layer_emulator.counters.generate_images_accepted == 6


async def test_concurrent_runs_rate_limited(layer_emulator: Emulator) -> None:
    payload = {
        "query": GENERATE,
        "operationName": "GenerateImages",
        "variables": generate_payload(layer_emulator),
    }
    async with httpx.AsyncClient(
        trust_env=False, headers=layer_emulator.headers
    ) as client:
        responses = await asyncio.gather(
            *(client.post(layer_emulator.url, json=payload) for _ in range(6))
        )

    results = [response.json()["data"]["generateImages"] for response in responses]
    typenames = sorted(result["__typename"] for result in results)
    assert typenames == ["Error"] + ["Inference"] * 5
    errors = [result for result in results if result["__typename"] == "Error"]
    assert errors[0]["type"] == "RATE_LIMITED_ERROR"


@pytest.mark.parametrize(
    ("workspace_id", "error_type"),
    [("ws_unknown", "NOT_FOUND_ERROR"), ("ws_other_team", "FORBIDDEN_ERROR")],
)
def test_foreign_workspace_rejected(
    layer_emulator: Emulator, client: httpx.Client, workspace_id: str, error_type: str
) -> None:
    result = generate(client, layer_emulator, workspaceId=workspace_id)

    assert result["__typename"] == "Error"
    assert result["type"] == error_type


def test_eta_marks_completion(
    layer_emulator: Emulator, client: httpx.Client, clock: ManualClock
) -> None:
    result = generate(client, layer_emulator)
    inference_id = result["id"]

    assert result["etaAt"].endswith("Z")
    clock.advance(9.9)
    assert inference_statuses(client, layer_emulator, [inference_id]) == [
        (inference_id, "IN_PROGRESS")
    ]
    clock.advance(0.1)
    assert inference_statuses(client, layer_emulator, [inference_id]) == [
        (inference_id, "COMPLETE")
    ]


def test_unknown_ids_left_out(layer_emulator: Emulator, client: httpx.Client) -> None:
    ids = [generate(client, layer_emulator)["id"] for _ in range(3)]

    statuses = inference_statuses(
        client, layer_emulator, [ids[2], "inf_missing", ids[0], ids[1]]
    )

    assert [item[0] for item in statuses] == [ids[2], ids[0], ids[1]]


def test_delete_inference(
    layer_emulator: Emulator, client: httpx.Client, clock: ManualClock
) -> None:
    result = generate(client, layer_emulator)
    clock.advance(10)
    inference = layer_emulator.state.get_inference(result["id"])
    assert inference is not None
    file_url = inference.files[0].url
    assert client.get(file_url).status_code == 200

    response = post(
        client, layer_emulator, DELETE, {"input": {"inferenceId": result["id"]}}
    )

    assert response.status_code == 200
    assert response.json() == {"data": {"deleteInference": None}}
    assert inference_statuses(client, layer_emulator, [result["id"]]) == [
        (result["id"], "DELETED")
    ]
    assert client.get(file_url).status_code == 404


def test_delete_unknown_inference_not_found(
    layer_emulator: Emulator, client: httpx.Client
) -> None:
    response = post(
        client, layer_emulator, DELETE, {"input": {"inferenceId": "inf_nope"}}
    )

    error = response.json()["data"]["deleteInference"]
    assert error["__typename"] == "Error"
    assert error["type"] == "NOT_FOUND_ERROR"


def test_deleted_run_frees_a_slot(
    layer_emulator: Emulator, client: httpx.Client
) -> None:
    ids = [generate(client, layer_emulator)["id"] for _ in range(5)]
    post(client, layer_emulator, DELETE, {"input": {"inferenceId": ids[0]}})

    result = generate(client, layer_emulator)

    assert result["__typename"] == "Inference"


def test_forced_status_sticks(
    layer_emulator: Emulator, client: httpx.Client, clock: ManualClock
) -> None:
    held = generate(client, layer_emulator)["id"]
    failed = generate(client, layer_emulator)["id"]
    layer_emulator.state.force_inference_status(held, "IN_PROGRESS")
    layer_emulator.state.force_inference_status(
        failed, "FAILED", error_code="DOWNSTREAM_SERVICE_ERROR"
    )

    clock.advance(60)

    assert inference_statuses(client, layer_emulator, [held, failed]) == [
        (held, "IN_PROGRESS"),
        (failed, "FAILED"),
    ]
    with pytest.raises(ValueError, match="PENDING"):
        layer_emulator.state.force_inference_status(held, "PENDING")
