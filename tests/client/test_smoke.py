"""The main flow of both clients against scripted responses."""

from __future__ import annotations

import httpx
import pytest

from layer_client import (
    AsyncLayerClient,
    GenerationFailedError,
    LayerClient,
    LayerInputError,
)
from tests.fakes import (
    FakeClock,
    Script,
    data,
    inference_node,
    inferences_answer,
    style_answer,
    style_node,
)


def test_wait_polls_until_complete(
    client: LayerClient, script: Script, clock: FakeClock
) -> None:
    script.add(
        "GetInferencesById",
        inferences_answer(inference_node(status="IN_PROGRESS")),
        inferences_answer(inference_node(status="COMPLETE", files=2)),
    )

    done = client.wait("inf_1")

    assert done.status.value == "COMPLETE"
    assert len(done.files) == 2
    assert script.count("GetInferencesById") == 2
    assert clock.sleeps[0] == 0.0
    assert 1.8 <= clock.sleeps[1] <= 2.2


def test_wait_raises_failed(client: LayerClient, script: Script) -> None:
    script.add(
        "GetInferencesById",
        inferences_answer(
            inference_node("inf_9", "FAILED", error_code="CONTENT_POLICY_VIOLATION")
        ),
    )

    with pytest.raises(GenerationFailedError) as caught:
        client.wait("inf_9")

    assert caught.value.error_code == "CONTENT_POLICY_VIOLATION"
    assert caught.value.inference_id == "inf_9"


def test_generate_images_checks_style(client: LayerClient, script: Script) -> None:
    script.add("GetStyleById", style_answer("sty_1"))
    script.add("GenerateImages", data({"generateImages": inference_node("inf_2")}))

    inference = client.generate_images(style_id="sty_1", prompt="a castle")

    assert inference.id == "inf_2"
    assert script.count("GetStyleById") == 1


def test_missing_style_sends_nothing(client: LayerClient, script: Script) -> None:
    with pytest.raises(LayerInputError, match="style_id"):
        client.generate_images(style_id="  ", prompt="a castle")

    assert script.requests == []


def test_list_styles_pages(client: LayerClient, script: Script) -> None:
    def page(ids: list[str], has_next: bool, cursor: str) -> httpx.Response:
        return data(
            {
                "listStyles": {
                    "__typename": "StylesConnection",
                    "edges": [
                        {"__typename": "StyleEdge", "cursor": i, "node": style_node(i)}
                        for i in ids
                    ],
                    "pageInfo": {
                        "__typename": "PageInfo",
                        "hasNextPage": has_next,
                        "hasPreviousPage": False,
                        "startCursor": None,
                        "endCursor": cursor,
                        "totalCount": 3,
                    },
                }
            }
        )

    script.add("ListStyles", page(["a", "b"], True, "c1"), page(["c"], False, "c2"))

    ids = [style.id for style in client.list_styles()]

    assert ids == ["a", "b", "c"]


async def test_async_wait(async_client: AsyncLayerClient, script: Script) -> None:
    script.add(
        "GetInferencesById",
        inferences_answer(inference_node(status="IN_PROGRESS")),
        inferences_answer(inference_node(status="COMPLETE", files=1)),
    )

    done = await async_client.wait("inf_1")

    assert done.status.value == "COMPLETE"
