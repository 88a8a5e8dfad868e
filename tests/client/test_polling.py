"""The poll schedule, the Poller state and wait / wait_many in both clients."""

from __future__ import annotations

import asyncio
import random
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from layer_graphql import InferenceFields

from layer_client import (
    AsyncLayerClient,
    AuthenticationError,
    GenerationCancelledError,
    GenerationFailedError,
    GenerationTimeoutError,
    LayerInputError,
    NotFoundError,
    PollingConfig,
    is_terminal,
    raise_for_status,
)
from layer_client.polling import Poller, PollSchedule
from tests.client.conftest import Layer, LayerFactory
from tests.fakes import (
    API_URL,
    TOKEN,
    WORKSPACE,
    FakeClock,
    Script,
    data,
    inference_node,
    inferences_answer,
    variables_of,
)

NOW = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
STILL = PollingConfig(jitter=0.0)


class EdgeRandom(random.Random):
    """A Random whose uniform() returns the upper or lower bound."""

    def __init__(self, upper: bool) -> None:
        super().__init__(0)
        self.upper = upper

    def uniform(self, a: float, b: float) -> float:
        return b if self.upper else a


def delays(
    schedule: PollSchedule, count: int, *, remaining: float = 1000.0
) -> list[float]:
    return [
        schedule.next_delay(eta_at=None, now=NOW, remaining=remaining)
        for _ in range(count)
    ]


def inference(status: str = "IN_PROGRESS", **kwargs: Any) -> InferenceFields:
    return InferenceFields.model_validate(inference_node(status=status, **kwargs))


def polled_ids(script: Script) -> list[list[str]]:
    return [
        list(variables_of(request)["input"]["inferenceIds"])
        for request in script.requests
    ]


# PollSchedule


def test_schedule_first_delay_two_seconds() -> None:
    schedule = PollSchedule(STILL, random.Random(1))

    assert delays(schedule, 1) == [2.0]


def test_schedule_grows_to_cap() -> None:
    schedule = PollSchedule(STILL, random.Random(1))

    assert delays(schedule, 7) == [2.0, 3.0, 4.5, 6.75, 10.0, 10.0, 10.0]


def test_schedule_jitter_bounds() -> None:
    config = PollingConfig(jitter=0.1)
    upper = delays(PollSchedule(config, EdgeRandom(upper=True)), 3)
    lower = delays(PollSchedule(config, EdgeRandom(upper=False)), 3)

    assert upper == pytest.approx([2.2, 3.3, 4.95])
    assert lower == pytest.approx([1.8, 2.7, 4.05])


def test_schedule_jitter_never_beyond_cap() -> None:
    schedule = PollSchedule(PollingConfig(jitter=0.1), EdgeRandom(upper=True))

    late = delays(schedule, 10)[-5:]

    assert all(delay <= 10.0 for delay in late)


def test_schedule_random_delays_in_bounds() -> None:
    config = PollingConfig()
    bases = [2.0, 3.0, 4.5, 6.75, 10.0, 10.0]
    for seed in range(30):
        got = delays(PollSchedule(config, random.Random(seed)), len(bases))

        for delay, base in zip(got, bases, strict=True):
            assert base * 0.9 <= delay <= min(base * 1.1, 10.0)


def test_schedule_custom_config() -> None:
    config = PollingConfig(initial_delay=1.0, multiplier=2.0, max_delay=5.0, jitter=0)

    assert delays(PollSchedule(config, random.Random(1)), 5) == [1, 2, 4, 5, 5]


def test_schedule_eta_steers() -> None:
    schedule = PollSchedule(STILL, random.Random(1))

    delay = schedule.next_delay(
        eta_at=NOW + timedelta(seconds=5), now=NOW, remaining=100.0
    )

    assert delay == 5.0


def test_schedule_far_eta_capped() -> None:
    schedule = PollSchedule(STILL, random.Random(1))

    delay = schedule.next_delay(
        eta_at=NOW + timedelta(minutes=5), now=NOW, remaining=100.0
    )

    assert delay == 10.0


def test_schedule_near_eta_min_delay() -> None:
    schedule = PollSchedule(STILL, random.Random(1))

    delay = schedule.next_delay(
        eta_at=NOW + timedelta(milliseconds=10), now=NOW, remaining=100.0
    )

    assert delay == STILL.min_delay


def test_schedule_long_overdue_eta_backoff() -> None:
    schedule = PollSchedule(STILL, random.Random(1))

    delay = schedule.next_delay(
        eta_at=NOW - timedelta(seconds=30), now=NOW, remaining=100.0
    )

    assert delay == 2.0


def test_schedule_just_overdue_eta_polls_soon() -> None:
    schedule = PollSchedule(STILL, random.Random(1))
    schedule.next_delay(eta_at=None, now=NOW, remaining=100.0)
    schedule.next_delay(eta_at=None, now=NOW, remaining=100.0)

    delay = schedule.next_delay(
        eta_at=NOW - timedelta(milliseconds=160), now=NOW, remaining=100.0
    )

    assert delay == STILL.min_delay


def test_schedule_overdue_eta_backs_off() -> None:
    schedule = PollSchedule(STILL, random.Random(1))
    schedule.next_delay(eta_at=None, now=NOW, remaining=100.0)
    schedule.next_delay(eta_at=None, now=NOW, remaining=100.0)

    delay = schedule.next_delay(
        eta_at=NOW - timedelta(seconds=1.5), now=NOW, remaining=100.0
    )

    assert delay == 1.5


def test_schedule_naive_eta_ignored() -> None:
    schedule = PollSchedule(STILL, random.Random(1))
    naive = (NOW + timedelta(seconds=7)).replace(tzinfo=None)

    delay = schedule.next_delay(eta_at=naive, now=NOW, remaining=100.0)

    assert delay == 2.0


def test_schedule_deadline_caps() -> None:
    schedule = PollSchedule(STILL, random.Random(1))

    assert delays(schedule, 1, remaining=1.5) == [1.5]
    assert schedule.next_delay(eta_at=None, now=NOW, remaining=0.0) == 0.0


def test_schedule_eta_capped_by_deadline() -> None:
    schedule = PollSchedule(STILL, random.Random(1))

    delay = schedule.next_delay(
        eta_at=NOW + timedelta(seconds=8), now=NOW, remaining=3.0
    )

    assert delay == 3.0


# Poller and the terminal states


def make_poller(
    ids: list[str],
    clock: FakeClock,
    known: dict[str, InferenceFields] | None = None,
    budget: float = 120.0,
) -> Poller:
    return Poller(
        ids,
        known or {},
        budget=budget,
        config=STILL,
        clock=clock.monotonic,
        wall_clock=clock.wall,
        rng=random.Random(1),
    )


def test_poller_chunks_of_fifty(clock: FakeClock) -> None:
    ids = [f"inf_{i}" for i in range(120)]

    chunks = make_poller(ids, clock).chunks()

    assert [len(chunk) for chunk in chunks] == [50, 50, 20]
    assert [i for chunk in chunks for i in chunk] == ids


def test_poller_already_finished(clock: FakeClock) -> None:
    done = inference("COMPLETE")
    poller = make_poller(["inf_1"], clock, {"inf_1": done})

    assert poller.already_finished() == [done]
    assert not poller.pending


def test_poller_deadline(clock: FakeClock) -> None:
    poller = make_poller(["a", "b"], clock, budget=10.0)
    poller.finished(["a"], {"a": inference(inference_id="a")})
    clock.sleep(10.0)

    assert poller.next_delay() == 0.0
    with pytest.raises(GenerationTimeoutError) as caught:
        poller.check_deadline()

    assert caught.value.inference_id == "a"
    assert caught.value.pending_ids == ["a", "b"]
    assert caught.value.last_status == "IN_PROGRESS"
    assert "wait('a')" in str(caught.value)


def test_poller_ignores_other_ids(clock: FakeClock) -> None:
    poller = make_poller(["a"], clock)

    done = poller.finished(["a"], {"b": inference("COMPLETE", inference_id="b")})

    assert done == []
    assert poller.pending


@pytest.mark.parametrize(
    ("status", "terminal"),
    [
        ("IN_PROGRESS", False),
        ("COMPLETE", True),
        ("FAILED", True),
        ("CANCELLED", True),
        ("DELETED", True),
        ("WARMING_UP", False),
    ],
)
def test_is_terminal(status: str, terminal: bool) -> None:
    assert is_terminal(inference(status)) is terminal


def test_raise_for_status_complete() -> None:
    raise_for_status(inference("COMPLETE"))


def test_raise_for_status_failed_without_code() -> None:
    with pytest.raises(GenerationFailedError) as caught:
        raise_for_status(inference("FAILED"))

    assert caught.value.error_code is None
    assert caught.value.inference_id == "inf_1"


# wait


async def test_wait_first_poll_after_two_seconds(
    layer: Layer, script: Script, clock: FakeClock
) -> None:
    script.add(
        "GetInferencesById", inferences_answer(inference_node(status="COMPLETE"))
    )

    await layer.call("wait", inference())

    assert len(clock.sleeps) == 1
    assert 1.8 <= clock.sleeps[0] <= 2.2


async def test_wait_delays_grow_to_cap(
    layer: Layer, script: Script, clock: FakeClock
) -> None:
    running = inferences_answer(inference_node(status="IN_PROGRESS"))
    script.add(
        "GetInferencesById",
        *[running] * 7,
        inferences_answer(inference_node(status="COMPLETE")),
    )

    await layer.call("wait", inference())

    bases = [2.0, 3.0, 4.5, 6.75, 10.0, 10.0, 10.0, 10.0]
    assert len(clock.sleeps) == len(bases)
    for delay, base in zip(clock.sleeps, bases, strict=True):
        assert base * 0.9 <= delay <= min(base * 1.1, 10.0)


async def test_wait_default_timeout_120(
    layer: Layer, script: Script, clock: FakeClock
) -> None:
    script.add("GetInferencesById", inferences_answer(inference_node()))

    with pytest.raises(GenerationTimeoutError) as caught:
        await layer.call("wait", "inf_1")

    assert clock.now - 1000.0 == pytest.approx(120.0)
    assert caught.value.inference_id == "inf_1"
    assert caught.value.last_status == "IN_PROGRESS"


async def test_wait_config_timeout(
    make_layer: LayerFactory, script: Script, clock: FakeClock
) -> None:
    layer = make_layer(polling=PollingConfig(timeout=30.0))
    script.add("GetInferencesById", inferences_answer(inference_node()))

    with pytest.raises(GenerationTimeoutError):
        await layer.call("wait", "inf_1")

    assert clock.now - 1000.0 == pytest.approx(30.0)


async def test_wait_timeout_argument(
    layer: Layer, script: Script, clock: FakeClock
) -> None:
    script.add("GetInferencesById", inferences_answer(inference_node()))

    with pytest.raises(GenerationTimeoutError):
        await layer.call("wait", "inf_1", timeout=15)

    assert clock.now - 1000.0 == pytest.approx(15.0)


@pytest.mark.parametrize("timeout", [0, -1, float("nan"), float("inf"), True, "10"])
async def test_wait_bad_timeout(layer: Layer, script: Script, timeout: object) -> None:
    with pytest.raises(LayerInputError) as caught:
        await layer.call("wait", "inf_1", timeout=timeout)

    assert caught.value.field == "timeout"
    assert script.requests == []


async def test_wait_follows_eta(layer: Layer, script: Script, clock: FakeClock) -> None:
    eta = (clock.wall() + timedelta(seconds=2 + 7)).isoformat()
    script.add(
        "GetInferencesById",
        inferences_answer(inference_node(eta_at=eta)),
        inferences_answer(inference_node(status="COMPLETE")),
    )

    await layer.call("wait", "inf_1")

    # The first response arrives after the first sleep, so etaAt is ~7 s ahead.
    until_eta = 9.0 - clock.sleeps[0]
    assert until_eta * 0.9 <= clock.sleeps[1] <= until_eta * 1.1


async def test_wait_eta_of_given_inference(
    layer: Layer, script: Script, clock: FakeClock
) -> None:
    eta = (clock.wall() + timedelta(seconds=6)).isoformat()
    submitted = inference(eta_at=eta)
    script.add(
        "GetInferencesById", inferences_answer(inference_node(status="COMPLETE"))
    )

    await layer.call("wait", submitted)

    assert 6.0 * 0.9 <= clock.sleeps[0] <= 6.0 * 1.1


async def test_wait_complete_given_no_poll(
    layer: Layer, script: Script, clock: FakeClock
) -> None:
    complete = inference("COMPLETE", files=1)

    done = await layer.call("wait", complete)

    assert done is complete
    assert script.requests == []
    assert clock.sleeps == []


@pytest.mark.parametrize(
    ("status", "error"),
    [
        ("FAILED", GenerationFailedError),
        ("CANCELLED", GenerationCancelledError),
        ("DELETED", GenerationCancelledError),
    ],
)
async def test_wait_ended_given_no_poll(
    layer: Layer,
    script: Script,
    clock: FakeClock,
    status: str,
    error: type[Exception],
) -> None:
    with pytest.raises(error):
        await layer.call("wait", inference(status))

    assert script.requests == []
    assert clock.sleeps == []


async def test_wait_polls_at_deadline(
    layer: Layer, script: Script, clock: FakeClock
) -> None:
    deadline = clock.now + 20.0

    def answer(request: httpx.Request) -> httpx.Response:
        status = "COMPLETE" if clock.now >= deadline else "IN_PROGRESS"
        return inferences_answer(inference_node("inf_1", status))

    script.add("GetInferencesById", answer)

    done = await layer.call("wait", "inf_1", timeout=20)

    assert done.status.value == "COMPLETE"
    assert clock.now == pytest.approx(deadline)


async def test_wait_empty_list_deadline(
    make_layer: LayerFactory, script: Script, clock: FakeClock
) -> None:
    layer = make_layer(polling=PollingConfig(missing_polls=None))
    script.add("GetInferencesById", inferences_answer())

    with pytest.raises(GenerationTimeoutError) as caught:
        await layer.call("wait", "inf_1", timeout=25)

    assert caught.value.last_status is None
    assert clock.now - 1000.0 == pytest.approx(25.0)


async def test_wait_null_result_deadline(
    make_layer: LayerFactory, script: Script, clock: FakeClock
) -> None:
    layer = make_layer(polling=PollingConfig(missing_polls=None))
    script.add("GetInferencesById", data({"getInferencesById": None}))

    with pytest.raises(GenerationTimeoutError):
        await layer.call("wait", "inf_1", timeout=25)

    assert clock.now - 1000.0 == pytest.approx(25.0)


async def test_wait_null_inferences_deadline(
    make_layer: LayerFactory, script: Script, clock: FakeClock
) -> None:
    layer = make_layer(polling=PollingConfig(missing_polls=None))
    script.add(
        "GetInferencesById",
        data(
            {
                "getInferencesById": {
                    "__typename": "InferencesResult",
                    "inferences": None,
                }
            }
        ),
    )

    with pytest.raises(GenerationTimeoutError):
        await layer.call("wait", "inf_1", timeout=25)

    assert clock.now - 1000.0 == pytest.approx(25.0)


@pytest.mark.parametrize(
    "failure",
    [
        httpx.ConnectError("refused"),
        httpx.ReadTimeout("timed out"),
        httpx.Response(503, text="busy"),
        httpx.Response(429, headers={"retry-after": "1"}),
    ],
    ids=["connect", "read-timeout", "503", "429"],
)
async def test_wait_transient_failures_deadline(
    layer: Layer,
    script: Script,
    clock: FakeClock,
    failure: httpx.Response | Exception,
) -> None:
    script.add("GetInferencesById", failure)

    with pytest.raises(GenerationTimeoutError) as caught:
        await layer.call("wait", "inf_1", timeout=40)

    elapsed = clock.now - 1000.0
    assert elapsed <= 40.0 + 1e-9
    assert elapsed >= 40.0 - 8.0
    assert caught.value.inference_id == "inf_1"
    assert caught.value.__cause__ is not None
    assert script.count("GetInferencesById") > 2


async def test_wait_hanging_server_deadline(
    layer: Layer, script: Script, clock: FakeClock
) -> None:
    def hang(request: httpx.Request) -> httpx.Response:
        # The request times out after its own read timeout.
        clock.now += request.extensions["timeout"]["read"]
        raise httpx.ReadTimeout("timed out", request=request)

    script.add("GetInferencesById", hang)

    with pytest.raises(GenerationTimeoutError):
        await layer.call("wait", "inf_1", timeout=30)

    assert clock.now - 1000.0 <= 30.0 + 0.5


async def test_wait_timeout_then_resume(
    layer: Layer, script: Script, clock: FakeClock
) -> None:
    script.add("GetInferencesById", inferences_answer(inference_node("inf_7")))

    with pytest.raises(GenerationTimeoutError) as caught:
        await layer.call("wait", "inf_7", timeout=10)
    script.queues["GetInferencesById"] = [
        inferences_answer(inference_node("inf_7", status="COMPLETE"))
    ]
    done = await layer.call("wait", caught.value.inference_id)

    assert done.id == "inf_7"
    assert done.status.value == "COMPLETE"


async def test_wait_failed_raises(layer: Layer, script: Script) -> None:
    node = inference_node("inf_3", "FAILED", error_code="IMAGE_TOO_SMALL")
    script.add("GetInferencesById", inferences_answer(node))

    with pytest.raises(GenerationFailedError) as caught:
        await layer.call("wait", "inf_3")

    assert caught.value.error_code == "IMAGE_TOO_SMALL"
    assert caught.value.inference_id == "inf_3"


@pytest.mark.parametrize("status", ["CANCELLED", "DELETED"])
async def test_wait_cancelled_raises(layer: Layer, script: Script, status: str) -> None:
    script.add("GetInferencesById", inferences_answer(inference_node("inf_4", status)))

    with pytest.raises(GenerationCancelledError) as caught:
        await layer.call("wait", "inf_4")

    assert caught.value.status == status
    assert caught.value.inference_id == "inf_4"


async def test_wait_request_timeout_shrinks(
    layer: Layer, script: Script, clock: FakeClock
) -> None:
    script.add(
        "GetInferencesById",
        inferences_answer(inference_node()),
        inferences_answer(inference_node(status="COMPLETE")),
    )

    await layer.call("wait", inference(), timeout=5)

    first, second = (request.extensions["timeout"] for request in script.requests)
    assert first["read"] <= 5.0 - 1.8
    assert second["read"] < first["read"]


@pytest.mark.parametrize("bad", [None, "", "  ", 42, ["inf_1", None]])
async def test_wait_bad_id(layer: Layer, script: Script, bad: object) -> None:
    method = "wait_many" if isinstance(bad, list) else "wait"

    with pytest.raises(LayerInputError):
        await layer.call(method, bad)

    assert script.requests == []


# wait_many


@pytest.mark.parametrize(
    ("count", "per_round"), [(1, 1), (50, 1), (51, 2), (100, 2), (120, 3)]
)
async def test_wait_many_requests_per_round(
    layer: Layer, script: Script, count: int, per_round: int
) -> None:
    ids = [f"inf_{i}" for i in range(count)]
    script.add(
        "GetInferencesById",
        lambda request: inferences_answer(
            *(
                inference_node(i, "COMPLETE")
                for i in variables_of(request)["input"]["inferenceIds"]
            )
        ),
    )

    done = await layer.call("wait_many", ids)

    assert script.count("GetInferencesById") == per_round
    assert all(len(chunk) <= 50 for chunk in polled_ids(script))
    assert sorted(i for chunk in polled_ids(script) for i in chunk) == sorted(ids)
    assert [inference.id for inference in done] == ids


async def test_wait_many_rounds_of_120(layer: Layer, script: Script) -> None:
    ids = [f"inf_{i}" for i in range(120)]
    rounds = {"count": 0}

    def answer(request: httpx.Request) -> httpx.Response:
        rounds["count"] += 1
        requested = variables_of(request)["input"]["inferenceIds"]
        status = "COMPLETE" if rounds["count"] > 3 else "IN_PROGRESS"
        return inferences_answer(*(inference_node(i, status) for i in requested))

    script.add("GetInferencesById", answer)

    done = await layer.call("wait_many", ids)

    assert script.count("GetInferencesById") == 6
    assert len(done) == 120


async def test_wait_many_completion_order(layer: Layer, script: Script) -> None:
    script.add(
        "GetInferencesById",
        inferences_answer(
            inference_node("a"), inference_node("b"), inference_node("c", "COMPLETE")
        ),
        inferences_answer(
            inference_node("a", "FAILED", error_code="CONTENT_POLICY_VIOLATION"),
            inference_node("b"),
        ),
        inferences_answer(inference_node("b", "COMPLETE")),
    )

    done = await layer.call("wait_many", ["a", "b", "c"])

    assert [inference.id for inference in done] == ["c", "a", "b"]
    assert done[1].status.value == "FAILED"
    assert polled_ids(script) == [["a", "b", "c"], ["a", "b"], ["b"]]


async def test_wait_many_yields_cancelled(layer: Layer, script: Script) -> None:
    script.add(
        "GetInferencesById",
        inferences_answer(
            inference_node("a", "CANCELLED"), inference_node("b", "DELETED")
        ),
    )

    done = await layer.call("wait_many", ["a", "b"])

    assert [inference.status.value for inference in done] == ["CANCELLED", "DELETED"]


async def test_wait_many_dedupes(layer: Layer, script: Script) -> None:
    script.add(
        "GetInferencesById",
        inferences_answer(
            inference_node("a", "COMPLETE"), inference_node("b", "COMPLETE")
        ),
    )

    done = await layer.call("wait_many", ["a", "a", " b", "b"])

    assert polled_ids(script) == [["a", "b"]]
    assert [inference.id for inference in done] == ["a", "b"]


async def test_wait_many_empty_list(layer: Layer, script: Script) -> None:
    with pytest.raises(LayerInputError) as caught:
        await layer.call("wait_many", [])

    assert "empty" in str(caught.value)
    assert script.requests == []


async def test_wait_many_bare_string(layer: Layer, script: Script) -> None:
    script.add(
        "GetInferencesById", inferences_answer(inference_node("inf_1", "COMPLETE"))
    )

    done = await layer.call("wait_many", "inf_1")

    assert [inference.id for inference in done] == ["inf_1"]
    assert polled_ids(script) == [["inf_1"]]


async def test_wait_many_mixed_inputs(layer: Layer, script: Script) -> None:
    finished = inference("COMPLETE", inference_id="x")
    script.add("GetInferencesById", inferences_answer(inference_node("y", "COMPLETE")))

    done = await layer.call("wait_many", [finished, "y"])

    assert [inference.id for inference in done] == ["x", "y"]
    assert polled_ids(script) == [["y"]]


async def test_wait_many_timeout_lists_pending(layer: Layer, script: Script) -> None:
    script.add(
        "GetInferencesById",
        inferences_answer(
            inference_node("a", "COMPLETE"), inference_node("b"), inference_node("c")
        ),
        inferences_answer(inference_node("b"), inference_node("c")),
    )
    seen: list[str] = []

    async def collect() -> None:
        async for finished in layer.stream("wait_many", ["a", "b", "c"], timeout=20):
            seen.append(finished.id)

    with pytest.raises(GenerationTimeoutError) as caught:
        await collect()

    assert seen == ["a"]
    assert caught.value.pending_ids == ["b", "c"]
    assert caught.value.inference_id == "b"


async def test_wait_many_fails_on_auth(layer: Layer, script: Script) -> None:
    script.add("GetInferencesById", httpx.Response(401))

    with pytest.raises(AuthenticationError):
        await layer.call("wait_many", ["a"])

    assert script.count("GetInferencesById") == 1


async def test_async_waits_overlap(script: Script) -> None:
    polls = {"a": 0, "b": 0}

    def answer(request: httpx.Request) -> httpx.Response:
        [inference_id] = variables_of(request)["input"]["inferenceIds"]
        polls[inference_id] += 1
        status = "COMPLETE" if polls[inference_id] >= 3 else "IN_PROGRESS"
        return inferences_answer(inference_node(inference_id, status))

    script.add("GetInferencesById", answer)
    fast = PollingConfig(initial_delay=0.01, max_delay=0.02, jitter=0.0)

    async with AsyncLayerClient(
        TOKEN, workspace_id=WORKSPACE, api_url=API_URL, polling=fast
    ) as layer:
        first, second = await asyncio.gather(layer.wait("a"), layer.wait("b"))

    order = [ids[0] for ids in polled_ids(script)]
    assert first.id == "a"
    assert second.id == "b"
    # Waits one after the other would poll "a" three times before any "b".
    assert set(order[:2]) == {"a", "b"}
    assert sorted(order) == ["a", "a", "a", "b", "b", "b"]


async def test_wait_string_id_polls_at_once(
    layer: Layer, script: Script, clock: FakeClock
) -> None:
    script.add(
        "GetInferencesById", inferences_answer(inference_node(status="COMPLETE"))
    )

    await layer.call("wait", "inf_1")

    assert clock.sleeps == [0.0]


async def test_wait_unknown_id_not_found(
    layer: Layer, script: Script, clock: FakeClock
) -> None:
    script.add("GetInferencesById", inferences_answer())

    with pytest.raises(NotFoundError) as caught:
        await layer.call("wait", "inf_typo")

    assert caught.value.inference_id == "inf_typo"
    assert script.count("GetInferencesById") == 3
    assert clock.now - 1000.0 < 10.0


async def test_wait_seen_id_missing_later_keeps_polling(
    layer: Layer, script: Script
) -> None:
    script.add(
        "GetInferencesById",
        inferences_answer(inference_node(status="IN_PROGRESS")),
        inferences_answer(),
        inferences_answer(),
        inferences_answer(),
        inferences_answer(inference_node(status="COMPLETE")),
    )

    done = await layer.call("wait", "inf_1")

    assert done.status.value == "COMPLETE"
    assert script.count("GetInferencesById") == 5


def test_polling_config_missing_polls_invalid() -> None:
    with pytest.raises(LayerInputError, match="missing_polls"):
        PollingConfig(missing_polls=0)
