"""Settings of one emulator instance."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Literal

from .clock import Clock
from .faults import FaultRule

__all__ = ["DEFAULT_TOKEN", "DEFAULT_WORKSPACE_ID", "EmulatorConfig"]

DEFAULT_TOKEN = "emulator-token"
DEFAULT_WORKSPACE_ID = "ws_emulator"

# Styles that every catalogue has besides the COMPLETE trained ones: one
# BUILDING, one FAILED and one MODEL_URL style.
SPECIAL_STYLE_COUNT = 3


@dataclass(frozen=True, kw_only=True)
class EmulatorConfig:
    """Settings of one emulator; every field has a working default.

    Durations are in emulated seconds unless a name states otherwise. Both
    servers always listen on 127.0.0.1.
    """

    port: int = 0
    """TCP port of the GraphQL API; 0 picks a free port."""
    files_port: int = 0
    """TCP port of the files origin; 0 picks a free port."""
    token: str = DEFAULT_TOKEN
    """Bearer token the API accepts."""
    unauthorized_as_error_member: bool = False
    """Return an UNAUTHORIZED_ERROR `Error` member with status 200 for a bad
    token instead of HTTP 401. The real API has done both."""

    workspace_id: str = DEFAULT_WORKSPACE_ID
    """Id of the one workspace the token belongs to."""
    workspace_name: str = "emulator"
    """`Workspace.name` of that workspace."""
    workspace_display_name: str = "Layer Emulator"
    """`Workspace.displayName` of that workspace."""
    forbidden_workspace_ids: tuple[str, ...] = ()
    """Workspaces that exist but the token cannot use (FORBIDDEN_ERROR)."""
    balance: float = 1000.0
    """Starting credits balance of the workspace."""
    price_per_image: float = 1.0
    """Credits charged per image, at submission."""

    style_count: int = 12
    """Number of seeded styles: all COMPLETE trained styles but three."""
    max_concurrent_inferences: int = 5
    """IN_PROGRESS inferences a workspace may have before RATE_LIMITED_ERROR."""
    max_batch_size: int = 16
    """Largest `batchSize`; the smallest is 1."""
    max_image_side: int = 2048
    """Largest `width` or `height` in pixels."""
    default_image_side: int = 512
    """`width` and `height` when the request leaves them out."""
    max_prompt_length: int = 100_000
    """Maximum prompt length in characters."""
    default_page_size: int = 20
    """Styles per page when `listStyles` gets neither `first` nor `last`."""
    max_page_size: int = 100
    """Styles per page at most; a larger `first` or `last` is cut to this."""
    forbidden_word: str = "forbidden"
    """A prompt containing this word (any case) ends FAILED with
    CONTENT_POLICY_VIOLATION; an empty string turns the check off."""

    duration_distribution: Literal["uniform", "lognormal"] = "uniform"
    """Distribution of the generation durations between the two bounds."""
    min_duration: float = 5.0
    """Minimum generation time, in emulated seconds. With both bounds at 0,
    `generateImages` returns COMPLETE inferences with their files."""
    max_duration: float = 15.0
    """Maximum generation time, in emulated seconds."""
    speed: float = 1.0
    """How many times faster emulated time runs than the wall clock."""
    clock: Clock | None = None
    """Clock to use instead of an `AcceleratedClock` at `speed`."""

    seed: int = 0
    """Seed of every random choice: durations, ids, seeds left unset, faults."""
    faults: tuple[FaultRule, ...] = field(default_factory=tuple)
    """Fault injection rules, evaluated in order."""
    faults_seed: int | None = None
    """Seed of the fault rules; `seed` when left out."""

    def __post_init__(self) -> None:
        for name in ("port", "files_port"):
            port = getattr(self, name)
            if not 0 <= port <= 65535:
                raise ValueError(f"{name} must be within 0..65535, got {port!r}")

        if not self.token or self.token.strip() != self.token:
            raise ValueError("token must be a non-empty string without spaces around")
        if not self.workspace_id:
            raise ValueError("workspace_id must not be empty")
        _require_finite("balance", self.balance, minimum=0.0)
        _require_finite("price_per_image", self.price_per_image, minimum=0.0)

        if self.style_count < SPECIAL_STYLE_COUNT + 1:
            raise ValueError(
                f"style_count must be at least {SPECIAL_STYLE_COUNT + 1} (one "
                "BUILDING, one FAILED, one MODEL_URL and one usable style), "
                f"got {self.style_count}"
            )
        for name in (
            "max_concurrent_inferences",
            "max_batch_size",
            "max_image_side",
            "default_image_side",
            "max_prompt_length",
            "default_page_size",
            "max_page_size",
        ):
            value = getattr(self, name)
            if value < 1:
                raise ValueError(f"{name} must be at least 1, got {value!r}")
        if self.default_image_side > self.max_image_side:
            raise ValueError("default_image_side must not exceed max_image_side")

        if self.duration_distribution not in ("uniform", "lognormal"):
            raise ValueError(
                "duration_distribution must be 'uniform' or 'lognormal', got "
                f"{self.duration_distribution!r}"
            )
        _require_finite("min_duration", self.min_duration, minimum=0.0)
        _require_finite("max_duration", self.max_duration, minimum=0.0)
        if self.min_duration > self.max_duration:
            raise ValueError(
                f"min_duration ({self.min_duration}) must not exceed "
                f"max_duration ({self.max_duration})"
            )
        if not (math.isfinite(self.speed) and self.speed > 0):
            raise ValueError(f"speed must be a positive number, got {self.speed!r}")

        object.__setattr__(self, "faults", tuple(self.faults))
        object.__setattr__(
            self, "forbidden_workspace_ids", tuple(self.forbidden_workspace_ids)
        )


def _require_finite(name: str, value: float, *, minimum: float) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"{name} must be a number, got {value!r}")
    if not math.isfinite(value) or value < minimum:
        raise ValueError(f"{name} must be a finite number >= {minimum}, got {value!r}")
