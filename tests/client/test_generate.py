"""generate(): credit check, submit, wait and download, in both clients."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from pytest_httpx import HTTPXMock

from layer_client import (
    DownloadError,
    GenerationFailedError,
    GenerationResult,
    GenerationTimeoutError,
    Inference,
    InsufficientCreditsError,
)
from tests.client.conftest import Layer
from tests.fakes import (
    PNG_BYTES,
    WORKSPACE,
    FakeClock,
    Script,
    data,
    error_member,
    file_url,
    generate_answer,
    inference_node,
    inferences_answer,
    operation_of,
    style_answer,
    usage_answer,
    variables_of,
)

PROMPT = "a castle"


def entries(directory: Path) -> list[str]:
    """Return the names in directory, hidden temporary files included."""
    return sorted(path.name for path in directory.iterdir())


def resolved(path: Path) -> Path:
    return path.resolve()


def serve_files(httpx_mock: HTTPXMock, count: int) -> None:
    for index in range(1, count + 1):
        httpx_mock.add_response(
            url=file_url(index),
            content=PNG_BYTES,
            headers={"content-type": "image/png"},
        )


def file_requests(httpx_mock: HTTPXMock) -> list[httpx.Request]:
    return [r for r in httpx_mock.get_requests() if r.url.host == "media.test.layer"]


def script_generation(script: Script, files: int = 2) -> None:
    script.add("GetWorkspaceUsage", usage_answer())
    script.add("GetStyleById", style_answer("sty_1"))
    script.add("GenerateImages", generate_answer("inf_1"))
    script.add(
        "GetInferencesById",
        inferences_answer(inference_node("inf_1")),
        inferences_answer(inference_node("inf_1", "COMPLETE", files=files)),
    )


async def test_generate_full_flow(
    layer: Layer, script: Script, httpx_mock: HTTPXMock, tmp_path: Path
) -> None:
    script_generation(script)
    serve_files(httpx_mock, 2)

    result = await layer.call(
        "generate", style_id="sty_1", prompt=PROMPT, out_dir=tmp_path, batch_size=2
    )

    assert isinstance(result, GenerationResult)
    assert result.inference.id == "inf_1"
    assert result.inference.status.value == "COMPLETE"
    assert [path.name for path in result.paths] == ["inf_1-1.png", "inf_1-2.png"]
    assert all(path.read_bytes() == PNG_BYTES for path in result.paths)
    assert all(path.parent == resolved(tmp_path) for path in result.paths)
    assert [operation_of(r) for r in script.requests] == [
        "GetWorkspaceUsage",
        "GetStyleById",
        "GenerateImages",
        "GetInferencesById",
        "GetInferencesById",
    ]


async def test_generate_creates_out_dir(
    layer: Layer, script: Script, httpx_mock: HTTPXMock, tmp_path: Path
) -> None:
    script_generation(script, files=1)
    serve_files(httpx_mock, 1)
    out_dir = tmp_path / "new" / "nested"

    result = await layer.call(
        "generate", style_id="sty_1", prompt=PROMPT, out_dir=out_dir
    )

    assert out_dir.is_dir()
    assert result.paths[0].parent == resolved(out_dir)


@pytest.mark.parametrize(
    ("balance", "has_access"), [(0.0, True), (-5.0, True), (100.0, False)]
)
async def test_generate_credit_check(
    layer: Layer,
    script: Script,
    tmp_path: Path,
    balance: float,
    has_access: bool,
) -> None:
    script.add("GetWorkspaceUsage", usage_answer(balance, has_access))
    script.add("GetStyleById", style_answer("sty_1"))
    script.add("GenerateImages", generate_answer())

    with pytest.raises(InsufficientCreditsError) as caught:
        await layer.call("generate", style_id="sty_1", prompt=PROMPT, out_dir=tmp_path)

    assert caught.value.balance == balance
    assert WORKSPACE in str(caught.value)
    assert script.count("GenerateImages") == 0


async def test_generate_payment_member(
    layer: Layer, script: Script, tmp_path: Path
) -> None:
    script.add("GetWorkspaceUsage", usage_answer(1.0))
    script.add("GetStyleById", style_answer("sty_1"))
    script.add(
        "GenerateImages",
        data({"generateImages": error_member("PAYMENT_REQUIRED_ERROR", "Top up")}),
    )

    with pytest.raises(InsufficientCreditsError, match="Top up"):
        await layer.call("generate", style_id="sty_1", prompt=PROMPT, out_dir=tmp_path)

    assert script.count("GenerateImages") == 1


async def test_generate_complete_at_submit(
    layer: Layer, script: Script, httpx_mock: HTTPXMock, tmp_path: Path
) -> None:
    script.add("GetWorkspaceUsage", usage_answer())
    script.add("GetStyleById", style_answer("sty_1"))
    script.add("GenerateImages", generate_answer("inf_1", "COMPLETE", files=1))
    serve_files(httpx_mock, 1)

    result = await layer.call(
        "generate", style_id="sty_1", prompt=PROMPT, out_dir=tmp_path
    )

    assert len(result.paths) == 1
    assert script.count("GetInferencesById") == 0


async def test_generate_failed(
    layer: Layer, script: Script, httpx_mock: HTTPXMock, tmp_path: Path
) -> None:
    script.add("GetWorkspaceUsage", usage_answer())
    script.add("GetStyleById", style_answer("sty_1"))
    script.add("GenerateImages", generate_answer("inf_1"))
    script.add(
        "GetInferencesById",
        inferences_answer(
            inference_node("inf_1", "FAILED", error_code="CONTENT_POLICY_VIOLATION")
        ),
    )

    with pytest.raises(GenerationFailedError) as caught:
        await layer.call("generate", style_id="sty_1", prompt=PROMPT, out_dir=tmp_path)

    assert caught.value.inference_id == "inf_1"
    assert file_requests(httpx_mock) == []
    assert entries(tmp_path) == []


async def test_generate_timeout(
    layer: Layer, script: Script, clock: FakeClock, tmp_path: Path
) -> None:
    script.add("GetWorkspaceUsage", usage_answer())
    script.add("GetStyleById", style_answer("sty_1"))
    script.add("GenerateImages", generate_answer("inf_1"))
    script.add("GetInferencesById", inferences_answer(inference_node("inf_1")))

    with pytest.raises(GenerationTimeoutError) as caught:
        await layer.call(
            "generate", style_id="sty_1", prompt=PROMPT, out_dir=tmp_path, timeout=12
        )

    assert caught.value.inference_id == "inf_1"
    assert clock.now - 1000.0 == pytest.approx(12.0)


async def test_generate_sends_arguments(
    layer: Layer, script: Script, httpx_mock: HTTPXMock, tmp_path: Path
) -> None:
    script_generation(script, files=1)
    serve_files(httpx_mock, 1)

    await layer.call(
        "generate",
        style_id="sty_1",
        prompt=PROMPT,
        out_dir=tmp_path,
        batch_size=1,
        seed=42,
        width=512,
        height=768,
        num_inference_steps=30,
        guidance_scale=7.5,
    )

    [submit] = [r for r in script.requests if operation_of(r) == "GenerateImages"]
    assert variables_of(submit)["input"] == {
        "workspaceId": WORKSPACE,
        "styleId": "sty_1",
        "prompt": PROMPT,
        "batchSize": 1,
        "seed": 42,
        "width": 512,
        "height": 768,
        "numInferenceSteps": 30,
        "guidanceScale": 7.5,
    }


# download


def complete(files: int = 2) -> Inference:
    return Inference.model_validate(inference_node("inf_1", "COMPLETE", files=files))


async def test_download_saves_files(
    layer: Layer, httpx_mock: HTTPXMock, tmp_path: Path
) -> None:
    serve_files(httpx_mock, 2)

    paths = await layer.call("download", complete(), tmp_path)

    assert [path.name for path in paths] == ["inf_1-1.png", "inf_1-2.png"]
    assert paths[0].read_bytes() == PNG_BYTES


async def test_download_no_files(layer: Layer, tmp_path: Path) -> None:
    assert await layer.call("download", complete(files=0), tmp_path) == []


async def test_download_html_error_page(
    layer: Layer, httpx_mock: HTTPXMock, tmp_path: Path
) -> None:
    httpx_mock.add_response(
        url=file_url(1),
        text="<html><body>Access denied</body></html>",
        headers={"content-type": "text/html"},
        is_reusable=True,
    )

    with pytest.raises(DownloadError):
        await layer.call("download", complete(files=1), tmp_path)

    assert entries(tmp_path) == []


async def test_download_retry_uses_client_sleep(
    layer: Layer, httpx_mock: HTTPXMock, clock: FakeClock, tmp_path: Path
) -> None:
    httpx_mock.add_response(url=file_url(1), status_code=503)
    serve_files(httpx_mock, 1)

    paths = await layer.call("download", complete(files=1), tmp_path)

    assert len(paths) == 1
    assert len(clock.sleeps) == 1
