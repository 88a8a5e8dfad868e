"""The pure retry decision: classification of failures and `decide`."""

from __future__ import annotations

import random

import httpx
import pydantic
import pytest
from layer_graphql import ErrorFields, GetInferencesById
from layer_graphql.exceptions import (
    GraphQLHttpError,
    GraphQLInvalidResponseError,
    GraphQLResponseErrors,
)

from layer_client import (
    BadRequestError,
    GraphQLError,
    InvalidResponseError,
    LayerAPIError,
    LayerError,
    RateLimitError,
    RetryConfig,
    ServerError,
    SubmissionUnknownError,
    TransportError,
)
from layer_client.calls import MIN_REQUEST_TIMEOUT, shrink_timeout
from layer_client.retries import (
    Decision,
    Failure,
    FailureKind,
    RetryState,
    backoff_delay,
    classify_exception,
    classify_member,
    decide,
)
from tests.fakes import API_URL, error_member

CONFIG = RetryConfig(
    max_attempts=4,
    initial_delay=0.5,
    multiplier=2.0,
    max_delay=8.0,
    deadline=120.0,
    max_busy_retries=2,
)
REQUEST = httpx.Request("POST", API_URL)


class EdgeRandom(random.Random):
    """A Random whose uniform() returns the upper or lower bound."""

    def __init__(self, upper: bool) -> None:
        super().__init__(0)
        self.upper = upper

    def uniform(self, a: float, b: float) -> float:
        return b if self.upper else a


def failure(kind: FailureKind, error: LayerError | None = None) -> Failure:
    return Failure(kind, error or LayerError("boom", operation="ListStyles"))


def run_decide(
    failed: Failure,
    *,
    is_mutation: bool = False,
    attempt: int = 1,
    busy_retries: int = 0,
    remaining: float = 100.0,
    config: RetryConfig = CONFIG,
    rng: random.Random | None = None,
) -> Decision:
    return decide(
        failed,
        is_mutation=is_mutation,
        attempt=attempt,
        busy_retries=busy_retries,
        remaining=remaining,
        config=config,
        rng=rng or random.Random(1),
    )


def http_error(status: int, headers: dict[str, str] | None = None) -> GraphQLHttpError:
    response = httpx.Response(
        status, request=REQUEST, text="<html>gateway</html>", headers=headers
    )
    return GraphQLHttpError(response)


def validation_error() -> pydantic.ValidationError:
    try:
        GetInferencesById.model_validate({"getInferencesById": {"__typename": "X"}})
    except pydantic.ValidationError as exc:
        return exc
    raise AssertionError("the payload was accepted")


def member(error_type: str, message: str = "failed") -> ErrorFields:
    return ErrorFields.model_validate(error_member(error_type, message))


# classify_exception


@pytest.mark.parametrize(
    "exc",
    [
        httpx.ConnectError("refused", request=REQUEST),
        httpx.ConnectTimeout("connect timed out", request=REQUEST),
        httpx.PoolTimeout("no free connection", request=REQUEST),
        httpx.ProxyError("proxy refused", request=REQUEST),
    ],
    ids=lambda exc: type(exc).__name__,
)
def test_classify_not_sent(exc: Exception) -> None:
    classified = classify_exception(exc, "ListStyles")

    assert classified.kind is FailureKind.NOT_SENT
    assert isinstance(classified.error, TransportError)
    assert classified.error.operation == "ListStyles"


@pytest.mark.parametrize(
    "exc",
    [
        httpx.ReadTimeout("read timed out", request=REQUEST),
        httpx.WriteTimeout("write timed out", request=REQUEST),
        httpx.ReadError("connection reset", request=REQUEST),
        httpx.WriteError("broken pipe", request=REQUEST),
        httpx.RemoteProtocolError("peer closed connection", request=REQUEST),
    ],
    ids=lambda exc: type(exc).__name__,
)
def test_classify_no_answer(exc: Exception) -> None:
    classified = classify_exception(exc, "GenerateImages")

    assert classified.kind is FailureKind.NO_ANSWER
    assert isinstance(classified.error, TransportError)


@pytest.mark.parametrize(
    "exc",
    [
        httpx.UnsupportedProtocol("ftp is not supported", request=REQUEST),
        httpx.LocalProtocolError("bad header", request=REQUEST),
    ],
    ids=lambda exc: type(exc).__name__,
)
def test_classify_local_errors_final(exc: Exception) -> None:
    classified = classify_exception(exc, "ListStyles")

    assert classified.kind is FailureKind.FINAL
    assert isinstance(classified.error, TransportError)


def test_classify_429_rejected() -> None:
    classified = classify_exception(http_error(429, {"retry-after": "3"}), "ListStyles")

    assert classified.kind is FailureKind.REJECTED
    assert isinstance(classified.error, RateLimitError)
    assert classified.error.retry_after == 3.0


@pytest.mark.parametrize("status", [502, 503, 504])
def test_classify_gateway_unavailable(status: int) -> None:
    classified = classify_exception(http_error(status), "ListStyles")

    assert classified.kind is FailureKind.UNAVAILABLE
    assert isinstance(classified.error, ServerError)
    assert classified.error.status_code == status


@pytest.mark.parametrize("status", [400, 401, 402, 403, 404, 418, 422, 500, 501])
def test_classify_other_statuses_final(status: int) -> None:
    classified = classify_exception(http_error(status), "ListStyles")

    assert classified.kind is FailureKind.FINAL
    assert classified.error.status_code == status


def test_classify_graphql_errors_final() -> None:
    exc = GraphQLResponseErrors([{"message": "Cannot query field"}], None)

    classified = classify_exception(exc, "ListStyles")

    assert classified.kind is FailureKind.FINAL
    assert isinstance(classified.error, GraphQLError)


def test_classify_invalid_body_final() -> None:
    response = httpx.Response(200, request=REQUEST, text="not json")
    exc = GraphQLInvalidResponseError(response, "the response body is not JSON")

    classified = classify_exception(exc, "ListStyles")

    assert classified.kind is FailureKind.FINAL
    assert isinstance(classified.error, InvalidResponseError)


def test_classify_validation_error_final() -> None:
    classified = classify_exception(validation_error(), "GetInferencesById")

    assert classified.kind is FailureKind.FINAL
    assert isinstance(classified.error, InvalidResponseError)


@pytest.mark.parametrize(
    "exc", [KeyError("data"), TypeError("bad"), ValueError("bad")], ids=repr
)
def test_classify_unexpected_exception_final(exc: Exception) -> None:
    classified = classify_exception(exc, "ListStyles")

    assert classified.kind is FailureKind.FINAL
    assert isinstance(classified.error, InvalidResponseError)


def test_classify_layer_error_kept() -> None:
    error = BadRequestError("no", operation="ListStyles")

    classified = classify_exception(error, "ListStyles")

    assert classified.error is error
    assert classified.kind is FailureKind.FINAL


# classify_member


def test_member_rate_limited_rejected() -> None:
    classified = classify_member(member("RATE_LIMITED_ERROR"), "GenerateImages")

    assert classified.kind is FailureKind.REJECTED
    assert isinstance(classified.error, RateLimitError)


def test_member_pixel_wizards_busy() -> None:
    wizards = member(
        "INTERNAL_SERVER_ERROR", "Our pixel wizards need a moment to recharge"
    )

    classified = classify_member(wizards, "GenerateImages")

    assert classified.kind is FailureKind.BUSY
    assert isinstance(classified.error, ServerError)


@pytest.mark.parametrize(
    "error_type",
    [
        "BAD_REQUEST_ERROR",
        "UNAUTHORIZED_ERROR",
        "FORBIDDEN_ERROR",
        "NOT_FOUND_ERROR",
        "PAYMENT_REQUIRED_ERROR",
        "INTERNAL_SERVER_ERROR",
        "BRAND_NEW_ERROR",
    ],
)
def test_member_other_types_final(error_type: str) -> None:
    classified = classify_member(member(error_type), "GenerateImages")

    assert classified.kind is FailureKind.FINAL
    assert isinstance(classified.error, LayerAPIError)


# decide


def test_decide_final_raises_same_error() -> None:
    error = BadRequestError("bad", operation="ListStyles")

    decision = run_decide(failure(FailureKind.FINAL, error))

    assert decision.retry is False
    assert decision.error is error


@pytest.mark.parametrize(
    "kind",
    [
        FailureKind.NOT_SENT,
        FailureKind.NO_ANSWER,
        FailureKind.REJECTED,
        FailureKind.UNAVAILABLE,
        FailureKind.BUSY,
    ],
)
def test_decide_query_retries_transient(kind: FailureKind) -> None:
    decision = run_decide(failure(kind))

    assert decision.retry is True
    assert 0.0 <= decision.delay <= CONFIG.initial_delay


@pytest.mark.parametrize(
    "kind", [FailureKind.NOT_SENT, FailureKind.REJECTED, FailureKind.BUSY]
)
def test_decide_mutation_retries_when_not_acted(kind: FailureKind) -> None:
    decision = run_decide(failure(kind), is_mutation=True)

    assert decision.retry is True


@pytest.mark.parametrize(
    ("kind", "status"),
    [
        (FailureKind.NO_ANSWER, None),
        (FailureKind.UNAVAILABLE, 502),
        (FailureKind.UNAVAILABLE, 503),
        (FailureKind.UNAVAILABLE, 504),
    ],
)
def test_decide_mutation_ambiguous_unknown(
    kind: FailureKind, status: int | None
) -> None:
    error: LayerError = TransportError("lost", operation="GenerateImages")
    if status is not None:
        error = ServerError("gateway", status_code=status, operation="GenerateImages")

    decision = run_decide(failure(kind, error), is_mutation=True)

    assert decision.retry is False
    assert isinstance(decision.error, SubmissionUnknownError)
    assert decision.error.status_code == status
    assert decision.error.operation == "GenerateImages"
    assert "may exist" in decision.error.message


def test_decide_mutation_final_raises_same() -> None:
    error = BadRequestError("bad", operation="GenerateImages")

    decision = run_decide(failure(FailureKind.FINAL, error), is_mutation=True)

    assert decision.error is error


def test_decide_busy_within_limit_retries() -> None:
    decision = run_decide(failure(FailureKind.BUSY), busy_retries=1)

    assert decision.retry is True


def test_decide_busy_limit_reached_raises() -> None:
    error = ServerError("pixel wizards", operation="GenerateImages")

    decision = run_decide(
        failure(FailureKind.BUSY, error), is_mutation=True, busy_retries=2
    )

    assert decision.retry is False
    assert decision.error is error


def test_decide_busy_limit_zero_never_retries() -> None:
    config = RetryConfig(max_busy_retries=0)

    decision = run_decide(failure(FailureKind.BUSY), config=config)

    assert decision.retry is False


@pytest.mark.parametrize("kind", [FailureKind.NOT_SENT, FailureKind.NO_ANSWER])
def test_decide_attempts_used_transport(kind: FailureKind) -> None:
    error = TransportError("ConnectError: refused", operation="ListStyles")

    decision = run_decide(failure(kind, error), attempt=4)

    assert decision.retry is False
    assert type(decision.error) is TransportError
    assert "after 4 attempts" in decision.error.message
    assert decision.error.operation == "ListStyles"


def test_decide_attempts_used_server_error() -> None:
    error = ServerError("HTTP 502", status_code=502, operation="ListStyles")

    decision = run_decide(failure(FailureKind.UNAVAILABLE, error), attempt=4)

    assert decision.error is error


def test_decide_attempts_used_becomes_server_error() -> None:
    error = LayerAPIError("HTTP 503", status_code=503, operation="ListStyles")

    decision = run_decide(failure(FailureKind.UNAVAILABLE, error), attempt=4)

    assert isinstance(decision.error, ServerError)
    assert decision.error.status_code == 503
    assert "after 4 attempts" in decision.error.message


@pytest.mark.parametrize("kind", [FailureKind.REJECTED, FailureKind.BUSY])
def test_decide_attempts_used_keeps_error(kind: FailureKind) -> None:
    error = RateLimitError("slow down", operation="ListStyles")

    decision = run_decide(failure(kind, error), attempt=4)

    assert decision.error is error


def test_decide_max_attempts_one() -> None:
    decision = run_decide(
        failure(FailureKind.NOT_SENT), config=RetryConfig(max_attempts=1)
    )

    assert decision.retry is False


def test_decide_retry_after_honoured() -> None:
    error = RateLimitError("slow down", retry_after=3.0, status_code=429)

    decision = run_decide(failure(FailureKind.REJECTED, error))

    assert decision.retry is True
    assert decision.delay == 3.0


def test_decide_retry_after_below_backoff() -> None:
    config = RetryConfig(max_attempts=10)
    error = RateLimitError("slow down", retry_after=1.0, status_code=429)

    decision = run_decide(
        failure(FailureKind.REJECTED, error),
        attempt=4,
        config=config,
        rng=EdgeRandom(upper=True),
    )

    assert decision.delay == 4.0


def test_decide_retry_after_beyond_deadline() -> None:
    error = RateLimitError("slow down", retry_after=60.0, status_code=429)

    decision = run_decide(failure(FailureKind.REJECTED, error), remaining=30.0)

    assert decision.retry is False
    assert decision.error is error
    assert isinstance(decision.error, RateLimitError)
    assert decision.error.retry_after == 60.0


def test_decide_backoff_beyond_deadline() -> None:
    error = TransportError("ConnectError", operation="ListStyles")

    decision = run_decide(
        failure(FailureKind.NOT_SENT, error),
        remaining=0.1,
        rng=EdgeRandom(upper=True),
    )

    assert decision.retry is False
    assert isinstance(decision.error, TransportError)
    assert "after 1 attempts" in decision.error.message


def test_decide_no_time_left() -> None:
    decision = run_decide(
        failure(FailureKind.UNAVAILABLE), remaining=0.0, rng=EdgeRandom(upper=False)
    )

    assert decision.retry is False


# backoff_delay


@pytest.mark.parametrize(
    ("attempt", "ceiling"),
    [(1, 0.5), (2, 1.0), (3, 2.0), (4, 4.0), (5, 8.0), (6, 8.0), (20, 8.0)],
)
def test_backoff_full_jitter_bounds(attempt: int, ceiling: float) -> None:
    upper = backoff_delay(attempt, CONFIG, EdgeRandom(upper=True))
    lower = backoff_delay(attempt, CONFIG, EdgeRandom(upper=False))
    samples = [
        backoff_delay(attempt, CONFIG, random.Random(seed)) for seed in range(50)
    ]

    assert upper == ceiling
    assert lower == 0.0
    assert all(0.0 <= sample <= ceiling for sample in samples)


def test_backoff_spreads_delays() -> None:
    rng = random.Random(3)

    samples = {round(backoff_delay(5, CONFIG, rng), 6) for _ in range(20)}

    assert len(samples) > 10


# RetryState


def test_state_counts_attempts() -> None:
    state = RetryState(
        operation="ListStyles",
        is_mutation=False,
        config=CONFIG,
        started=0.0,
        deadline=100.0,
        rng=random.Random(1),
    )

    delay = state.after_failure(failure(FailureKind.NOT_SENT), now=1.0)

    assert state.attempt == 2
    assert state.busy_retries == 0
    assert 0.0 <= delay <= CONFIG.initial_delay


def test_state_counts_busy_retries() -> None:
    state = RetryState(
        operation="GenerateImages",
        is_mutation=True,
        config=CONFIG,
        started=0.0,
        deadline=100.0,
        rng=random.Random(1),
    )
    busy = failure(FailureKind.BUSY, ServerError("pixel wizards"))

    state.after_failure(busy, now=0.0)
    state.after_failure(busy, now=0.0)

    assert state.busy_retries == 2
    with pytest.raises(ServerError, match="pixel wizards"):
        state.after_failure(busy, now=0.0)


def test_state_remaining() -> None:
    state = RetryState(
        operation="ListStyles",
        is_mutation=False,
        config=CONFIG,
        started=10.0,
        deadline=40.0,
        rng=random.Random(1),
    )

    assert state.remaining(25.0) == 15.0


# shrink_timeout


def test_shrink_timeout_caps_parts() -> None:
    base = httpx.Timeout(60.0, connect=10.0)

    shrunk = shrink_timeout(base, 5.0)

    assert shrunk.connect == 5.0
    assert shrunk.read == 5.0
    assert shrunk.write == 5.0
    assert shrunk.pool == 5.0


def test_shrink_timeout_keeps_shorter_parts() -> None:
    base = httpx.Timeout(60.0, connect=10.0)

    shrunk = shrink_timeout(base, 30.0)

    assert shrunk.connect == 10.0
    assert shrunk.read == 30.0


def test_shrink_timeout_fills_unbounded_parts() -> None:
    shrunk = shrink_timeout(httpx.Timeout(None), 7.0)

    assert shrunk.read == 7.0
    assert shrunk.connect == 7.0


def test_shrink_timeout_has_floor() -> None:
    shrunk = shrink_timeout(httpx.Timeout(60.0), -3.0)

    assert shrunk.read == MIN_REQUEST_TIMEOUT
