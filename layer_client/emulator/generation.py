"""Rules of `generateImages`: input checks and generation durations.

The checks follow what real users have seen: no style gives "At least one
style must be provided", a style that is not COMPLETE is rejected, and the
public REST docs limit the batch size to 1..16 and the prompt to 100,000
characters.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from .config import EmulatorConfig
from .models import ApiError, ErrorType, Inference, Style, Workspace

__all__ = [
    "GenerationRequest",
    "check_request",
    "check_style",
    "draw_duration",
    "new_inference",
]

NO_STYLE_MESSAGE = "At least one style must be provided"
PIXEL_WIZARDS_MESSAGE = "Oops! Our pixel wizards need a moment to recharge"
# Seeds drawn for requests without one stay in the signed 32-bit range that
# common diffusion pipelines accept.
_MAX_DRAWN_SEED = 2**31 - 1


@dataclass(frozen=True)
class GenerationRequest:
    """The fields of a `GenerateImagesInput`, before defaults are applied."""

    workspace_id: str
    style_id: str | None = None
    prompt: str | None = None
    batch_size: int | None = None
    seed: int | None = None
    width: int | None = None
    height: int | None = None
    num_inference_steps: int | None = None
    guidance_scale: float | None = None

    @classmethod
    def from_input(cls, data: dict[str, Any]) -> GenerationRequest:
        """Read a `GenerateImagesInput` object as GraphQL coerced it."""
        return cls(
            workspace_id=data["workspaceId"],
            style_id=data.get("styleId"),
            prompt=data.get("prompt"),
            batch_size=data.get("batchSize"),
            seed=data.get("seed"),
            width=data.get("width"),
            height=data.get("height"),
            num_inference_steps=data.get("numInferenceSteps"),
            guidance_scale=data.get("guidanceScale"),
        )


def _bad_request(message: str) -> ApiError:
    return ApiError.of(ErrorType.BAD_REQUEST, message)


def check_request(
    request: GenerationRequest, config: EmulatorConfig
) -> ApiError | None:
    """Return the error for input outside the allowed ranges, or None.

    The style itself is checked by `check_style`.
    """
    if request.batch_size is not None and not (
        1 <= request.batch_size <= config.max_batch_size
    ):
        return _bad_request(
            f"batchSize must be between 1 and {config.max_batch_size}, "
            f"got {request.batch_size}"
        )
    for name, side in (("width", request.width), ("height", request.height)):
        if side is not None and not 1 <= side <= config.max_image_side:
            return _bad_request(
                f"{name} must be between 1 and {config.max_image_side} pixels, "
                f"got {side}"
            )
    if request.prompt is not None and len(request.prompt) > config.max_prompt_length:
        return _bad_request(
            f"prompt must be at most {config.max_prompt_length} characters, "
            f"got {len(request.prompt)}"
        )
    if request.num_inference_steps is not None and request.num_inference_steps < 1:
        return _bad_request(
            f"numInferenceSteps must be at least 1, got {request.num_inference_steps}"
        )
    if request.guidance_scale is not None and not (
        math.isfinite(request.guidance_scale) and request.guidance_scale > 0
    ):
        return _bad_request(
            f"guidanceScale must be a positive number, got {request.guidance_scale}"
        )
    return None


def check_style(style_id: str | None, style: Style | None) -> ApiError | None:
    """Return the error for a missing, unknown or unusable style, or None."""
    if style_id is None or not style_id.strip():
        return _bad_request(NO_STYLE_MESSAGE)
    if style is None:
        return ApiError.of(ErrorType.NOT_FOUND, f"Style {style_id} not found")
    if style.status != "COMPLETE":
        return _bad_request(
            f"Style {style_id} cannot be used for generation: its status is "
            f"{style.status}, not COMPLETE"
        )
    if style.can_forge_from != "YES":
        return ApiError.of(
            ErrorType.FORBIDDEN,
            f"Style {style_id} cannot be used in this workspace "
            f"({style.can_forge_from})",
        )
    if style.fails_generation:
        return ApiError.of(ErrorType.INTERNAL_SERVER, PIXEL_WIZARDS_MESSAGE)
    return None


def draw_duration(rng: random.Random, config: EmulatorConfig) -> float:
    """Draw one generation duration in emulated seconds."""
    low, high = config.min_duration, config.max_duration
    if high <= low:
        return low
    if config.duration_distribution == "uniform":
        return rng.uniform(low, high)

    # Lognormal centred on the geometric mean of the bounds, with about 95%
    # of the draws inside them; the rest are clamped to the bounds.
    floor = max(low, 0.001)
    mu = (math.log(floor) + math.log(high)) / 2
    sigma = (math.log(high) - math.log(floor)) / 4
    return min(high, max(low, rng.lognormvariate(mu, sigma)))


def new_inference(
    request: GenerationRequest,
    style: Style,
    workspace: Workspace,
    *,
    inference_id: str,
    batch_size: int,
    now: datetime,
    report: Callable[[datetime], datetime],
    rng: random.Random,
    config: EmulatorConfig,
) -> Inference:
    """Build the IN_PROGRESS inference of an accepted request.

    It ends after a drawn duration: FAILED with CONTENT_POLICY_VIOLATION
    when the prompt contains the configured forbidden word, else COMPLETE.
    `report` maps emulated time to the timestamps clients see.
    """
    seed = request.seed if request.seed is not None else rng.randint(0, _MAX_DRAWN_SEED)
    width = request.width or config.default_image_side
    height = request.height or config.default_image_side
    prompt = request.prompt or ""
    end = now + timedelta(seconds=draw_duration(rng, config))

    forbidden = config.forbidden_word.lower()
    failure = (
        "CONTENT_POLICY_VIOLATION"
        if forbidden and forbidden in prompt.lower()
        else None
    )
    parameters = {
        "styleId": style.id,
        "prompt": prompt,
        "batchSize": batch_size,
        "seed": seed,
        "width": width,
        "height": height,
        "numInferenceSteps": request.num_inference_steps,
        "guidanceScale": request.guidance_scale,
    }
    return Inference(
        id=inference_id,
        workspace=workspace,
        created_at=report(now),
        eta_at=report(end),
        status="IN_PROGRESS",
        parameters=parameters,
        styles=[style],
        prompt=prompt,
        seed=seed,
        width=width,
        height=height,
        batch_size=batch_size,
        completes_at=end,
        failure_code=failure,
    )
