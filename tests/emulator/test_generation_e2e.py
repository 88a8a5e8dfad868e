"""Generate, poll and download over real HTTP, with the generated clients."""

from __future__ import annotations

import asyncio

import pytest
from layer_graphql.input_types import (
    GenerateImagesInput,
    GetInferencesByIdInput,
    GetWorkspaceUsageInput,
)

from layer_client.emulator import Emulator, EmulatorConfig
from tests.emulator.helpers import (
    TERMINAL_STATUSES,
    async_graphql_client,
    decode_png,
    generate,
    graphql_client,
    http_client,
    wait_until_terminal,
)


def test_generate_poll_download_sync(layer_emulator: Emulator) -> None:
    with graphql_client(layer_emulator) as client:
        submitted = client.generate_images(
            GenerateImagesInput(
                workspace_id=layer_emulator.workspace_id,
                style_id=layer_emulator.style_id,
                prompt="a red dragon",
                batch_size=3,
                width=96,
                height=64,
            )
        ).generate_images
        assert submitted.typename__ == "Inference", submitted
        assert submitted.status.value == "IN_PROGRESS"
        assert submitted.files == []
        assert submitted.eta_at is not None
        assert submitted.eta_at.tzinfo is not None
        assert submitted.eta_at > submitted.created_at

        done = wait_until_terminal(client, submitted.id)

    assert done.status.value == "COMPLETE"
    assert len(done.files) == 3
    with http_client() as files:
        for file in done.files:
            assert file.status.value == "PROCESSED"
            assert file.content_type == "image/png"
            assert (file.width, file.height) == (96, 64)
            assert file.url.startswith(layer_emulator.files_url)
            assert not file.url.startswith(layer_emulator.url)

            response = files.get(file.url)
            assert response.status_code == 200
            assert response.headers["content-type"] == "image/png"
            assert len(response.content) == file.size_bytes
            image = decode_png(response.content)
            assert (image.width, image.height) == (96, 64)
            assert len(image.distinct_pixels()) >= 2

            preview = decode_png(files.get(file.preview_url).content)
            assert preview.width <= 96
            assert preview.height <= 64
    assert layer_emulator.counters.file_downloads == 6


async def test_generate_poll_download_async(layer_emulator: Emulator) -> None:
    async with async_graphql_client(layer_emulator) as client:
        submitted = (
            await client.generate_images(
                GenerateImagesInput(
                    workspace_id=layer_emulator.workspace_id,
                    style_id=layer_emulator.style_id,
                    prompt="a blue lagoon",
                )
            )
        ).generate_images
        assert submitted.typename__ == "Inference", submitted

        for _ in range(1000):
            result = (
                await client.get_inferences_by_id(
                    GetInferencesByIdInput(inference_ids=[submitted.id])
                )
            ).get_inferences_by_id
            assert result is not None
            assert result.typename__ == "InferencesResult"
            inference = (result.inferences or [])[0]
            if inference.status.value in TERMINAL_STATUSES:
                break
            await asyncio.sleep(0.005)

        assert inference.status.value == "COMPLETE"
        assert len(inference.files) == 1
        file = inference.files[0]
        assert file.url is not None
        # The files origin needs no token: send none.
        response = await client.http_client.get(file.url)

    assert response.status_code == 200
    image = decode_png(response.content)
    assert (image.width, image.height) == (512, 512)


def test_balance_falls_by_charge() -> None:
    config = EmulatorConfig(speed=1000.0, balance=100.0, price_per_image=2.5)
    with Emulator(config) as emulator, graphql_client(emulator) as client:
        usage_input = GetWorkspaceUsageInput(
            workspace_id=emulator.workspace_id, filtering=[]
        )
        before = client.get_workspace_usage(usage_input).get_workspace_usage
        assert before.typename__ == "WorkspaceUsage"

        submitted = client.generate_images(
            GenerateImagesInput(
                workspace_id=emulator.workspace_id,
                style_id=emulator.style_id,
                prompt="four coins",
                batch_size=4,
            )
        ).generate_images
        assert submitted.typename__ == "Inference", submitted

        after = client.get_workspace_usage(usage_input).get_workspace_usage
        assert after.typename__ == "WorkspaceUsage"

    assert before.entitlement.balance == 100.0
    assert after.entitlement.balance == 90.0
    assert after.entitlement.usage == 10.0
    assert after.workspace_id == emulator.workspace_id
    assert emulator.counters.credits_charged == 10.0
    assert emulator.counters.generate_images_accepted == 1


def test_images_deterministic_from_seed_and_prompt(layer_emulator: Emulator) -> None:
    def first_image(prompt: str) -> bytes:
        inference = generate(
            client, layer_emulator, prompt=prompt, seed=42, width=40, height=40
        )
        layer_emulator.state.force_inference_status(inference["id"], "COMPLETE")
        done = layer_emulator.state.get_inference(inference["id"])
        assert done is not None
        return client.get(done.files[0].url).content

    with http_client() as client:
        castle = first_image("a castle")
        castle_again = first_image("a castle")
        tower = first_image("a tower")

    assert castle == castle_again
    assert castle != tower


def test_forbidden_word_fails_generation(layer_emulator: Emulator) -> None:
    with graphql_client(layer_emulator) as client:
        submitted = client.generate_images(
            GenerateImagesInput(
                workspace_id=layer_emulator.workspace_id,
                style_id=layer_emulator.style_id,
                prompt="something Forbidden here",
            )
        ).generate_images
        assert submitted.typename__ == "Inference", submitted
        assert submitted.status.value == "IN_PROGRESS"

        done = wait_until_terminal(client, submitted.id)

    assert done.status.value == "FAILED"
    assert done.error_code is not None
    assert done.error_code.value == "CONTENT_POLICY_VIOLATION"
    assert done.files == []


def test_zero_duration_returns_complete() -> None:
    config = EmulatorConfig(min_duration=0.0, max_duration=0.0)
    with Emulator(config) as emulator, http_client() as client:
        inference = generate(client, emulator, batchSize=2, width=16, height=16)

    assert inference["status"] == "COMPLETE"
    assert len(inference["files"]) == 2


@pytest.mark.parametrize("distribution", ["uniform", "lognormal"])
def test_eta_within_duration_bounds(distribution: str) -> None:
    config = EmulatorConfig(
        duration_distribution=distribution,  # type: ignore[arg-type]
        min_duration=5.0,
        max_duration=15.0,
    )
    with Emulator(config) as emulator, http_client() as client:
        for _ in range(5):
            generate(client, emulator)
        inferences = emulator.state.inferences()

    assert len(inferences) == 5
    for inference in inferences:
        assert inference.eta_at is not None
        seconds = (inference.eta_at - inference.created_at).total_seconds()
        assert 5.0 <= seconds <= 15.0
