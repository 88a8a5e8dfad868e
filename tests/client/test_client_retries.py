"""Retries of queries and of the generateImages mutation, in both clients."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest

from layer_client import (
    NO_RETRIES,
    AuthenticationError,
    BadRequestError,
    RateLimitError,
    RetryConfig,
    ServerError,
    SubmissionUnknownError,
    TransportError,
)
from tests.client.conftest import Layer, LayerFactory
from tests.fakes import (
    FakeClock,
    Script,
    data,
    error_member,
    generate_answer,
    style_answer,
)

Answer = httpx.Response | Exception


def gateway(status: int) -> httpx.Response:
    return httpx.Response(
        status,
        text="<html><body>gateway</body></html>",
        headers={"content-type": "text/html"},
    )


def member(field: str, error_type: str, message: str = "failed") -> httpx.Response:
    return data({field: error_member(error_type, message)})


WIZARDS = "Our pixel wizards need a moment to recharge"

QUERY_TRANSIENT: dict[str, Callable[[], Answer]] = {
    "connect-error": lambda: httpx.ConnectError("refused"),
    "connect-timeout": lambda: httpx.ConnectTimeout("timed out"),
    "read-timeout": lambda: httpx.ReadTimeout("timed out"),
    "remote-protocol": lambda: httpx.RemoteProtocolError("peer closed"),
    "429": lambda: httpx.Response(429, json={"errors": [{"message": "slow"}]}),
    "502": lambda: gateway(502),
    "503": lambda: gateway(503),
    "504": lambda: gateway(504),
    "rate-limited-member": lambda: member("getStyleById", "RATE_LIMITED_ERROR"),
}


@pytest.mark.parametrize("kind", sorted(QUERY_TRANSIENT))
async def test_query_retried(layer: Layer, script: Script, kind: str) -> None:
    script.add("GetStyleById", QUERY_TRANSIENT[kind](), style_answer("sty_1"))

    style = await layer.call("get_style", "sty_1")

    assert style.id == "sty_1"
    assert script.count("GetStyleById") == 2


@pytest.mark.parametrize(
    ("kind", "expected"),
    [
        ("connect-error", TransportError),
        ("read-timeout", TransportError),
        ("429", RateLimitError),
        ("502", ServerError),
        ("503", ServerError),
        ("504", ServerError),
        ("rate-limited-member", RateLimitError),
    ],
)
async def test_query_gives_up(
    layer: Layer,
    script: Script,
    clock: FakeClock,
    kind: str,
    expected: type[Exception],
) -> None:
    script.add("GetStyleById", QUERY_TRANSIENT[kind]())

    with pytest.raises(expected) as caught:
        await layer.call("get_style", "sty_1")

    assert not isinstance(caught.value, SubmissionUnknownError)
    assert script.count("GetStyleById") == RetryConfig().max_attempts
    assert len(clock.sleeps) == RetryConfig().max_attempts - 1


async def test_query_gives_up_transport_message(layer: Layer, script: Script) -> None:
    script.add("GetStyleById", httpx.ConnectError("refused"))

    with pytest.raises(TransportError) as caught:
        await layer.call("get_style", "sty_1")

    assert "after 4 attempts" in str(caught.value)
    assert caught.value.operation == "GetStyleById"


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        (lambda: httpx.Response(500, text="oops"), ServerError),
        (lambda: httpx.Response(400, text="bad"), BadRequestError),
        (lambda: httpx.Response(401), AuthenticationError),
        (
            lambda: member("getStyleById", "BAD_REQUEST_ERROR"),
            BadRequestError,
        ),
    ],
    ids=["500", "400", "401", "bad-request-member"],
)
async def test_query_not_retried(
    layer: Layer,
    script: Script,
    answer: Callable[[], Answer],
    expected: type[Exception],
) -> None:
    script.add("GetStyleById", answer())

    with pytest.raises(expected):
        await layer.call("get_style", "sty_1")

    assert script.count("GetStyleById") == 1


async def test_max_attempts_config(make_layer: LayerFactory, script: Script) -> None:
    layer = make_layer(retry=RetryConfig(max_attempts=2))
    script.add("GetStyleById", gateway(503))

    with pytest.raises(ServerError):
        await layer.call("get_style", "sty_1")

    assert script.count("GetStyleById") == 2


async def test_no_retries_config(make_layer: LayerFactory, script: Script) -> None:
    layer = make_layer(retry=NO_RETRIES)
    script.add("GetStyleById", httpx.ConnectError("refused"))

    with pytest.raises(TransportError):
        await layer.call("get_style", "sty_1")

    assert script.count("GetStyleById") == 1


async def test_backoff_full_jitter(
    make_layer: LayerFactory, script: Script, clock: FakeClock
) -> None:
    layer = make_layer(retry=RetryConfig(max_attempts=6))
    script.add("GetStyleById", httpx.ConnectError("refused"))

    with pytest.raises(TransportError):
        await layer.call("get_style", "sty_1")

    ceilings = [0.5, 1.0, 2.0, 4.0, 8.0]
    assert len(clock.sleeps) == len(ceilings)
    for delay, ceiling in zip(clock.sleeps, ceilings, strict=True):
        assert 0.0 <= delay <= ceiling


async def test_retry_deadline_bounds_time(
    make_layer: LayerFactory, script: Script, clock: FakeClock
) -> None:
    config = RetryConfig(max_attempts=100, deadline=5.0, initial_delay=1.0)
    layer = make_layer(retry=config)
    script.add("GetStyleById", httpx.ConnectError("refused"))

    with pytest.raises(TransportError):
        await layer.call("get_style", "sty_1")

    assert clock.now - 1000.0 < 5.0
    assert script.count("GetStyleById") < 100


async def test_request_timeout_shrinks(
    make_layer: LayerFactory, script: Script, clock: FakeClock
) -> None:
    layer = make_layer(retry=RetryConfig(deadline=3.0))
    script.add("GetStyleById", gateway(503), style_answer("sty_1"))

    await layer.call("get_style", "sty_1")

    first, second = (request.extensions["timeout"] for request in script.requests)
    assert first["read"] == pytest.approx(3.0)
    assert first["connect"] == pytest.approx(3.0)
    assert second["read"] == pytest.approx(3.0 - clock.sleeps[0])


async def test_request_timeout_configured(
    make_layer: LayerFactory, script: Script
) -> None:
    layer = make_layer(timeout=httpx.Timeout(2.0, read=7.0))
    script.add("GetStyleById", style_answer("sty_1"))

    await layer.call("get_style", "sty_1")

    [request] = script.requests
    assert request.extensions["timeout"]["read"] == 7.0
    assert request.extensions["timeout"]["connect"] == 2.0


async def test_default_timeout_not_httpx_default(layer: Layer, script: Script) -> None:
    script.add("GetStyleById", style_answer("sty_1"))

    await layer.call("get_style", "sty_1")

    assert script.requests[0].extensions["timeout"]["read"] > 5.0


# generateImages

MUTATION_RETRIED: dict[str, Callable[[], Answer]] = {
    "connect-error": lambda: httpx.ConnectError("refused"),
    "connect-timeout": lambda: httpx.ConnectTimeout("timed out"),
    "429": lambda: httpx.Response(429, headers={"retry-after": "2"}),
    "rate-limited-member": lambda: member("generateImages", "RATE_LIMITED_ERROR"),
    "pixel-wizards": lambda: member("generateImages", "INTERNAL_SERVER_ERROR", WIZARDS),
}

MUTATION_AMBIGUOUS: dict[str, Callable[[], Answer]] = {
    "read-timeout": lambda: httpx.ReadTimeout("timed out"),
    "write-timeout": lambda: httpx.WriteTimeout("timed out"),
    "remote-protocol": lambda: httpx.RemoteProtocolError("peer closed"),
    "read-error": lambda: httpx.ReadError("connection reset"),
    "502": lambda: gateway(502),
    "503": lambda: gateway(503),
    "504": lambda: gateway(504),
}


@pytest.fixture
def unchecked(make_layer: LayerFactory) -> Layer:
    """A client without the style check, so only GenerateImages is sent."""
    return make_layer(check_style=False)


@pytest.mark.parametrize("kind", sorted(MUTATION_RETRIED))
async def test_mutation_retried(unchecked: Layer, script: Script, kind: str) -> None:
    script.add("GenerateImages", MUTATION_RETRIED[kind](), generate_answer("inf_5"))

    inference = await unchecked.call("generate_images", style_id="sty_1", prompt="x")

    assert inference.id == "inf_5"
    assert script.count("GenerateImages") == 2


@pytest.mark.parametrize("kind", sorted(MUTATION_AMBIGUOUS))
async def test_mutation_ambiguous(
    unchecked: Layer, script: Script, clock: FakeClock, kind: str
) -> None:
    script.add("GenerateImages", MUTATION_AMBIGUOUS[kind](), generate_answer())

    with pytest.raises(SubmissionUnknownError) as caught:
        await unchecked.call("generate_images", style_id="sty_1", prompt="x")

    assert script.count("GenerateImages") == 1
    assert clock.sleeps == []
    assert "may exist" in str(caught.value)
    assert caught.value.operation == "GenerateImages"


@pytest.mark.parametrize("status", [502, 503, 504])
async def test_mutation_ambiguous_status(
    unchecked: Layer, script: Script, status: int
) -> None:
    script.add("GenerateImages", gateway(status))

    with pytest.raises(SubmissionUnknownError) as caught:
        await unchecked.call("generate_images", style_id="sty_1", prompt="x")

    assert caught.value.status_code == status


async def test_mutation_429_retry_after(
    unchecked: Layer, script: Script, clock: FakeClock
) -> None:
    script.add("GenerateImages", MUTATION_RETRIED["429"](), generate_answer())

    await unchecked.call("generate_images", style_id="sty_1", prompt="x")

    assert clock.sleeps[0] >= 2.0


async def test_mutation_busy_limit(unchecked: Layer, script: Script) -> None:
    script.add("GenerateImages", MUTATION_RETRIED["pixel-wizards"]())

    with pytest.raises(ServerError) as caught:
        await unchecked.call("generate_images", style_id="sty_1", prompt="x")

    assert script.count("GenerateImages") == 1 + RetryConfig().max_busy_retries
    assert "pixel wizards" in str(caught.value)


async def test_mutation_busy_limit_config(
    make_layer: LayerFactory, script: Script
) -> None:
    layer = make_layer(check_style=False, retry=RetryConfig(max_busy_retries=0))
    script.add("GenerateImages", MUTATION_RETRIED["pixel-wizards"]())

    with pytest.raises(ServerError):
        await layer.call("generate_images", style_id="sty_1", prompt="x")

    assert script.count("GenerateImages") == 1


@pytest.mark.parametrize(
    "answer",
    [
        lambda: member("generateImages", "BAD_REQUEST_ERROR"),
        lambda: member("generateImages", "INTERNAL_SERVER_ERROR", "boom"),
        lambda: httpx.Response(500, text="oops"),
        lambda: httpx.Response(422, json={"errors": [{"message": "bad"}]}),
    ],
    ids=["bad-request-member", "internal-member", "500", "422"],
)
async def test_mutation_not_retried(
    unchecked: Layer, script: Script, answer: Callable[[], Answer]
) -> None:
    script.add("GenerateImages", answer(), generate_answer())

    with pytest.raises((BadRequestError, ServerError)):
        await unchecked.call("generate_images", style_id="sty_1", prompt="x")

    assert script.count("GenerateImages") == 1


async def test_mutation_never_resent_after_ambiguity(
    unchecked: Layer, script: Script
) -> None:
    # A retryable failure first, then an ambiguous one: still no third request.
    script.add(
        "GenerateImages",
        httpx.ConnectError("refused"),
        httpx.ReadTimeout("timed out"),
        generate_answer(),
    )

    with pytest.raises(SubmissionUnknownError):
        await unchecked.call("generate_images", style_id="sty_1", prompt="x")

    assert script.count("GenerateImages") == 2


async def test_style_check_retried(layer: Layer, script: Script) -> None:
    script.add("GetStyleById", gateway(502), style_answer("sty_1"))
    script.add("GenerateImages", generate_answer())

    await layer.call("generate_images", style_id="sty_1", prompt="x")

    assert script.count("GetStyleById") == 2
    assert script.count("GenerateImages") == 1


async def test_delete_retried_on_connect(layer: Layer, script: Script) -> None:
    script.add(
        "DeleteInference",
        httpx.ConnectError("refused"),
        data({"deleteInference": None}),
    )

    await layer.call("delete_inference", "inf_1")

    assert script.count("DeleteInference") == 2


async def test_mutation_never_connected(
    unchecked: Layer, script: Script, clock: FakeClock
) -> None:
    script.add("GenerateImages", httpx.ConnectError("refused"))

    with pytest.raises(TransportError) as caught:
        await unchecked.call("generate_images", style_id="sty_1", prompt="x")

    assert not isinstance(caught.value, SubmissionUnknownError)
    assert script.count("GenerateImages") == RetryConfig().max_attempts
