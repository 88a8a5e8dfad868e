"""Unit tests of the emulator's parts that need no server."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest

from layer_client.emulator import (
    AcceleratedClock,
    EmulatorConfig,
    FaultKind,
    FaultRule,
    ManualClock,
)
from layer_client.emulator.clock import format_datetime
from layer_client.emulator.faults import FaultPlan
from layer_client.emulator.generation import draw_duration
from layer_client.emulator.paging import (
    InvalidPageRequestError,
    PageRequest,
    decode_cursor,
    encode_cursor,
)
from layer_client.emulator.png import encode_png, render_pattern_png
from tests.emulator.helpers import decode_png

START = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)


def test_png_round_trip() -> None:
    rows = [bytes([x, y, 0]) * 1 for y in range(3) for x in range(1)]

    image = decode_png(encode_png(1, 3, rows))

    assert (image.width, image.height) == (1, 3)
    assert image.scanlines == b"\x00\x00\x00\x00\x00\x00\x01\x00\x00\x00\x02\x00"


def test_png_rejects_wrong_rows() -> None:
    with pytest.raises(ValueError, match="expected 6"):
        encode_png(2, 1, [b"\x00" * 5])
    with pytest.raises(ValueError, match="expected 2"):
        encode_png(1, 2, [b"\x00" * 3])
    with pytest.raises(ValueError, match="positive"):
        encode_png(0, 1, [])


@pytest.mark.parametrize(("width", "height"), [(1, 1), (7, 300), (640, 360)])
def test_pattern_png_sizes(width: int, height: int) -> None:
    for prompt in ("a", "b", "c", "d", "e", "f"):
        image = decode_png(render_pattern_png(width, height, seed=1, prompt=prompt))

        assert (image.width, image.height) == (width, height), prompt
        if width * height > 1:
            assert len(image.distinct_pixels()) >= 2, prompt


def test_pattern_differs_per_index() -> None:
    first = render_pattern_png(32, 32, seed=9, prompt="p", index=0)
    second = render_pattern_png(32, 32, seed=9, prompt="p", index=1)

    assert first != second
    assert first == render_pattern_png(32, 32, seed=9, prompt="p", index=0)


def test_cursor_round_trip() -> None:
    for offset in (0, 1, 99, 10**6):
        assert decode_cursor(encode_cursor(offset)) == offset


@pytest.mark.parametrize("cursor", ["", "!!!", "MTI=", encode_cursor(3)[:-2] + "xx"])
def test_invalid_cursor(cursor: str) -> None:
    with pytest.raises(InvalidPageRequestError, match="invalid cursor"):
        decode_cursor(cursor)


@pytest.mark.parametrize(
    ("request_", "bounds"),
    [
        (PageRequest(first=5), (0, 5)),
        (PageRequest(first=5, after=encode_cursor(4)), (5, 10)),
        (PageRequest(first=5, after=encode_cursor(10)), (11, 12)),
        (PageRequest(last=3), (9, 12)),
        (PageRequest(last=3, before=encode_cursor(9)), (6, 9)),
        (PageRequest(first=2, after=encode_cursor(2), before=encode_cursor(3)), (3, 3)),
        (PageRequest(), (0, 4)),
        (PageRequest(first=50), (0, 6)),
        (PageRequest(first=0), (0, 0)),
    ],
)
def test_page_slice_bounds(request_: PageRequest, bounds: tuple[int, int]) -> None:
    assert request_.slice_bounds(12, default_size=4, max_size=6) == bounds


def test_negative_page_size_rejected() -> None:
    with pytest.raises(InvalidPageRequestError, match="last must be >= 0"):
        PageRequest(last=-2).slice_bounds(3, default_size=1, max_size=5)


def test_accelerated_clock_speed() -> None:
    ticks = iter([100.0, 100.0, 102.5])
    clock = AcceleratedClock(40.0, start=START, monotonic=lambda: next(ticks))

    assert clock.now() == START
    assert clock.now() == START + timedelta(seconds=100)


def test_manual_clock() -> None:
    clock = ManualClock(START)

    assert clock.advance(1.5) == START + timedelta(seconds=1.5)
    with pytest.raises(ValueError, match="cannot go back"):
        clock.advance(-1)
    with pytest.raises(ValueError, match="cannot go back"):
        clock.set(START)
    clock.set(START + timedelta(days=1))
    assert clock.now() == START + timedelta(days=1)


def test_format_datetime() -> None:
    moment = datetime(2026, 5, 6, 7, 8, 9, 123456, tzinfo=UTC)

    assert format_datetime(moment) == "2026-05-06T07:08:09.123Z"


@pytest.mark.parametrize("distribution", ["uniform", "lognormal"])
def test_durations_within_bounds(distribution: str) -> None:
    config = EmulatorConfig(
        duration_distribution=distribution,  # type: ignore[arg-type]
        min_duration=2.0,
        max_duration=30.0,
    )
    rng = random.Random(3)

    durations = [draw_duration(rng, config) for _ in range(500)]

    assert min(durations) >= 2.0
    assert max(durations) <= 30.0
    assert len(set(durations)) > 100


def test_fixed_duration() -> None:
    config = EmulatorConfig(min_duration=4.0, max_duration=4.0)

    assert draw_duration(random.Random(0), config) == 4.0


def plan_outcomes(plan: FaultPlan, operation: str, count: int) -> list[str]:
    outcomes = []
    for _ in range(count):
        decision = plan.decide(operation)
        outcomes.append("ok" if decision is None else decision[0].value)
    return outcomes


def test_plan_seeds_differ() -> None:
    rule = FaultRule(operation="Op", kind="429", probability=0.5)
    patterns = []
    for seed in (1, 1, 2):
        plan = FaultPlan(seed=seed)
        plan.set_rules([rule])
        patterns.append(plan_outcomes(plan, "Op", 40))

    assert patterns[0] == patterns[1]
    assert patterns[0] != patterns[2]


def test_plan_rule_order() -> None:
    plan = FaultPlan()
    plan.set_rules(
        [
            FaultRule(operation="Op", sequence=["ok", "502"]),
            FaultRule(operation="*", kind="503"),
        ]
    )

    assert plan_outcomes(plan, "Op", 3) == ["503", "502", "503"]
    assert plan_outcomes(plan, "Other", 1) == ["503"]
    assert plan_outcomes(plan, "file", 1) == ["ok"]


def test_plan_probability_zero_never_fires() -> None:
    plan = FaultPlan()
    plan.add(FaultRule(operation="Op", kind="errors", probability=0.0))

    assert set(plan_outcomes(plan, "Op", 50)) == {"ok"}


def test_rule_accepts_kind_objects() -> None:
    rule = FaultRule(operation="file", sequence=[FaultKind.TRUNCATE, "ok"])

    assert rule.kinds() == (FaultKind.TRUNCATE, FaultKind.OK)
    assert rule.matches("file")
    assert not rule.matches("Op")


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"port": 70000}, "port must be within"),
        ({"token": ""}, "token must be"),
        ({"balance": -1.0}, "balance must be"),
        ({"price_per_image": float("nan")}, "price_per_image must be"),
        ({"style_count": 3}, "style_count must be at least 4"),
        ({"max_concurrent_inferences": 0}, "max_concurrent_inferences"),
        ({"default_image_side": 4096}, "default_image_side must not exceed"),
        ({"min_duration": 3.0, "max_duration": 1.0}, "must not exceed"),
        ({"speed": 0.0}, "speed must be a positive number"),
        ({"duration_distribution": "normal"}, "uniform' or 'lognormal"),
    ],
)
def test_config_validation(fields: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        EmulatorConfig(**fields)  # type: ignore[arg-type]
