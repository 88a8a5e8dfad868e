"""Client settings: credentials, endpoint, timeouts, polling and retry policy."""

from __future__ import annotations

import ipaddress
import math
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import httpx

from .errors import LayerInputError

DEFAULT_API_URL = "https://api.app.layer.ai/graphql"

API_KEY_VARIABLE = "LAYER_API_KEY"
WORKSPACE_VARIABLE = "LAYER_WORKSPACE_ID"
API_URL_VARIABLE = "LAYER_API_URL"

# httpx waits 5 s by default, too short for a mutation that queues a
# generation. Reads get 60 s; a closer deadline shortens each request.
DEFAULT_TIMEOUT = httpx.Timeout(60.0, connect=10.0)


def _require_positive(name: str, value: float) -> None:
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or not math.isfinite(value)
        or value <= 0
    ):
        raise LayerInputError(
            f"{name} must be a positive finite number of seconds, got {value!r}",
            field=name,
        )


@dataclass(frozen=True)
class PollingConfig:
    """The polling schedule of `wait` and `wait_many` until an inference ends.

    Delays are in seconds. The first poll comes after `initial_delay`, each
    later delay is `multiplier` times the previous one up to `max_delay`, and
    every delay is spread by +/- `jitter` (a fraction) without going beyond
    `max_delay`. `timeout` is the overall deadline of one wait.
    """

    initial_delay: float = 2.0
    multiplier: float = 1.5
    max_delay: float = 10.0
    timeout: float = 120.0
    jitter: float = 0.1
    # Never sleep less than this toward an `etaAt`, so a late estimate
    # does not turn into a busy loop.
    min_delay: float = 0.25
    # A wait raises NotFoundError for an id the API has left out of this
    # many responses in a row without ever returning it; None waits until
    # the deadline instead.
    missing_polls: int | None = 3

    def __post_init__(self) -> None:
        _require_positive("initial_delay", self.initial_delay)
        _require_positive("max_delay", self.max_delay)
        _require_positive("timeout", self.timeout)
        _require_positive("min_delay", self.min_delay)
        if not (math.isfinite(self.multiplier) and self.multiplier >= 1.0):
            raise LayerInputError(
                f"PollingConfig.multiplier must be a number >= 1, got {self.multiplier!r}",
                field="multiplier",
            )
        if self.missing_polls is not None and (
            isinstance(self.missing_polls, bool)
            or not isinstance(self.missing_polls, int)
            or self.missing_polls < 1
        ):
            raise LayerInputError(
                "PollingConfig.missing_polls must be a positive int or None, "
                f"got {self.missing_polls!r}",
                field="missing_polls",
            )
        if not (math.isfinite(self.jitter) and 0.0 <= self.jitter < 1.0):
            raise LayerInputError(
                f"PollingConfig.jitter must be in [0, 1), got {self.jitter!r}",
                field="jitter",
            )


@dataclass(frozen=True)
class RetryConfig:
    """The retry policy of one operation after a transient failure.

    Delays are in seconds: exponential backoff from `initial_delay` by
    `multiplier` up to `max_delay`, with full jitter. `max_attempts` counts
    the first attempt. `deadline` bounds one operation with all its retries;
    a `Retry-After` longer than what is left raises at once.
    """

    max_attempts: int = 4
    initial_delay: float = 0.5
    multiplier: float = 2.0
    max_delay: float = 8.0
    deadline: float = 120.0
    # An Error member with the "pixel wizards" message is retried at most
    # this many times in all: the cause is unknown and it has repeated
    # for some styles.
    max_busy_retries: int = 2

    def __post_init__(self) -> None:
        if isinstance(self.max_attempts, bool) or not isinstance(
            self.max_attempts, int
        ):
            raise LayerInputError(
                f"RetryConfig.max_attempts must be an int, got {self.max_attempts!r}",
                field="max_attempts",
            )
        if self.max_attempts < 1:
            raise LayerInputError(
                f"RetryConfig.max_attempts must be at least 1, got {self.max_attempts}",
                field="max_attempts",
            )
        _require_positive("initial_delay", self.initial_delay)
        _require_positive("max_delay", self.max_delay)
        _require_positive("deadline", self.deadline)
        if not (math.isfinite(self.multiplier) and self.multiplier >= 1.0):
            raise LayerInputError(
                f"RetryConfig.multiplier must be a number >= 1, got {self.multiplier!r}",
                field="multiplier",
            )


# Retries switched off, for callers that run their own retry policy.
NO_RETRIES = RetryConfig(max_attempts=1)


@dataclass(frozen=True)
class Settings:
    """Resolved settings of one client. The API key never appears in its repr."""

    api_key: str = field(repr=False)
    api_url: str
    workspace_id: str | None
    timeout: httpx.Timeout
    polling: PollingConfig
    retry: RetryConfig

    def require_workspace_id(self, workspace_id: str | None = None) -> str:
        """Return the workspace id given to a call, else the client's."""
        chosen = workspace_id if workspace_id is not None else self.workspace_id
        if chosen is None:
            raise LayerInputError(
                "No workspace id: pass workspace_id=... or set "
                f"{WORKSPACE_VARIABLE}. `layer-client workspaces` lists yours.",
                field="workspace_id",
            )
        if not isinstance(chosen, str) or not chosen.strip():
            raise LayerInputError(
                f"Invalid workspace_id {chosen!r}: expected a non-empty string",
                field="workspace_id",
            )
        return chosen.strip()


def resolve_settings(
    *,
    api_key: str | None,
    workspace_id: str | None,
    api_url: str | None,
    timeout: httpx.Timeout | float | None,
    polling: PollingConfig | None,
    retry: RetryConfig | None,
    environ: Mapping[str, str] | None = None,
) -> Settings:
    """Combine explicit arguments with the LAYER_* environment variables."""
    env = os.environ if environ is None else environ

    key = api_key if api_key is not None else env.get(API_KEY_VARIABLE)
    if key is not None and not isinstance(key, str):
        # The value is left out of the message because it may be the token.
        raise LayerInputError(
            f"Invalid API key: expected a string, got {type(key).__name__}",
            field="api_key",
        )
    if key is None or not key.strip():
        raise LayerInputError(
            f"No API key: pass api_key=... or set {API_KEY_VARIABLE}. For the "
            "local emulator, use the token that `layer-client emulator` prints "
            f"and set {API_URL_VARIABLE} to its URL.",
            field="api_key",
        )
    if any(character.isspace() for character in key.strip()):
        raise LayerInputError(
            "Invalid API key: it contains whitespace; copy the token again",
            field="api_key",
        )

    url = api_url if api_url is not None else env.get(API_URL_VARIABLE)
    url = check_api_url(url or DEFAULT_API_URL)

    workspace = (
        workspace_id if workspace_id is not None else env.get(WORKSPACE_VARIABLE)
    )
    if workspace is not None and not isinstance(workspace, str):
        raise LayerInputError(
            f"Invalid workspace_id {workspace!r}: expected a string",
            field="workspace_id",
        )
    if workspace is not None and not workspace.strip():
        workspace = None

    return Settings(
        api_key=key.strip(),
        api_url=url,
        workspace_id=workspace.strip() if workspace else None,
        timeout=_as_timeout(timeout),
        polling=polling or PollingConfig(),
        retry=retry or RetryConfig(),
    )


def check_api_url(url: str) -> str:
    """Return url when it is https, or http to a loopback host; raise otherwise.

    The bearer token travels with every request, so plain http is accepted
    only where it cannot leave the machine.
    """
    if not isinstance(url, str):
        raise LayerInputError(
            f"Invalid API URL {url!r}: expected a string", field="api_url"
        )
    parts = urlsplit(url.strip())
    if parts.scheme == "https" and parts.hostname:
        return url.strip()
    if parts.scheme == "http" and parts.hostname and is_loopback_host(parts.hostname):
        return url.strip()
    if parts.scheme == "http" and parts.hostname:
        raise LayerInputError(
            f"Refusing plain http API URL {url!r}: the token would travel "
            "unencrypted. Use https, or http only to a loopback address such as "
            "127.0.0.1.",
            field="api_url",
        )
    raise LayerInputError(
        f"Invalid API URL {url!r}: expected https://host/path, for example "
        f"{DEFAULT_API_URL}",
        field="api_url",
    )


def is_loopback_host(host: str) -> bool:
    """True for localhost and loopback IP addresses (127.0.0.0/8, ::1, ::ffff:127.0.0.1)."""
    if host.lower() in {"localhost", "localhost."}:
        return True
    try:
        address = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    # Python 3.11 does not count ::ffff:127.0.0.1 as loopback.
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped.is_loopback
    return address.is_loopback


def _as_timeout(timeout: httpx.Timeout | float | None) -> httpx.Timeout:
    if timeout is None:
        return DEFAULT_TIMEOUT
    if isinstance(timeout, httpx.Timeout):
        return timeout
    if isinstance(timeout, bool) or not isinstance(timeout, int | float):
        raise LayerInputError(
            f"Invalid timeout {timeout!r}: expected seconds as a number or an "
            "httpx.Timeout",
            field="timeout",
        )
    _require_positive("timeout", float(timeout))
    return httpx.Timeout(float(timeout))
