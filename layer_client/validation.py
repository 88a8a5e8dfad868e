"""Input checks run before any request is sent.

Each check raises `LayerInputError` naming the argument, the value and the
fix. Limits that only Layer's public REST documentation states (batch size
1 to 16, prompts up to 100,000 characters) can be switched off with
`documented_limits=False` in case the GraphQL API differs.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

from layer_graphql import GenerateImagesInput, ObjectVisibility, StyleStatus

from .errors import LayerInputError

LONG_MIN = -(2**63)
LONG_MAX = 2**63 - 1
MAX_BATCH_SIZE = 16
MAX_PROMPT_LENGTH = 100_000
# getInferencesById requests carry at most this many ids each.
MAX_IDS_PER_REQUEST = 50


def require_id(name: str, value: object) -> str:
    """Return value stripped when it is a non-blank string."""
    if value is None:
        raise LayerInputError(f"{name} is missing: pass a non-empty id", field=name)
    if not isinstance(value, str):
        raise LayerInputError(
            f"Invalid {name} {value!r}: expected an id string, got "
            f"{type(value).__name__}",
            field=name,
        )
    if not value.strip():
        raise LayerInputError(
            f"{name} is blank: pass the id of the {name.removesuffix('_id')}",
            field=name,
        )
    return value.strip()


def require_style_id(value: object) -> str:
    """Check style_id, which the schema marks optional but the API requires."""
    if value is None or (isinstance(value, str) and not value.strip()):
        raise LayerInputError(
            "style_id is missing: Layer generates only from a trained style. "
            "Pass the id of a COMPLETE style (`layer-client styles` lists them).",
            field="style_id",
        )
    return require_id("style_id", value)


def require_ids(name: str, values: object) -> list[str]:
    """Return a non-empty list of distinct ids, in order."""
    if isinstance(values, str | bytes) or not isinstance(values, Iterable):
        raise LayerInputError(
            f"Invalid {name} {values!r}: expected a list of id strings",
            field=name,
        )
    # A dict keeps the first occurrence of each id, in order.
    ids = list(dict.fromkeys(require_id(name, value) for value in values))
    if not ids:
        raise LayerInputError(f"{name} is empty: pass at least one id", field=name)
    return ids


def optional_int(
    name: str, value: object, *, minimum: int, maximum: int | None = None
) -> int | None:
    """Return value when it is None or an int in [minimum, maximum]."""
    if value is None:
        return None
    allowed = f"{minimum} to {maximum}" if maximum is not None else f">= {minimum}"
    if isinstance(value, bool) or not isinstance(value, int):
        raise LayerInputError(
            f"Invalid {name} {value!r}: expected an int in the range {allowed}, "
            f"got {type(value).__name__}",
            field=name,
        )
    if value < minimum or (maximum is not None and value > maximum):
        raise LayerInputError(
            f"Invalid {name} {value}: allowed range is {allowed}", field=name
        )
    return value


def optional_positive_float(name: str, value: object) -> float | None:
    """Return value as a float when it is None or a finite positive number."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise LayerInputError(
            f"Invalid {name} {value!r}: expected a number, got {type(value).__name__}",
            field=name,
        )
    if not math.isfinite(value) or value <= 0:
        raise LayerInputError(
            f"Invalid {name} {value!r}: expected a finite number above 0", field=name
        )
    return float(value)


def check_prompt(prompt: object, *, documented_limits: bool) -> str | None:
    if prompt is None:
        return None
    if not isinstance(prompt, str):
        raise LayerInputError(
            f"Invalid prompt {prompt!r}: expected a string, got {type(prompt).__name__}",
            field="prompt",
        )
    if documented_limits and len(prompt) > MAX_PROMPT_LENGTH:
        raise LayerInputError(
            f"prompt is {len(prompt)} characters long; Layer documents at most "
            f"{MAX_PROMPT_LENGTH}. Shorten it, or pass documented_limits=False.",
            field="prompt",
        )
    return prompt


def build_generate_input(
    *,
    workspace_id: str,
    style_id: object,
    prompt: object,
    batch_size: object = None,
    seed: object = None,
    width: object = None,
    height: object = None,
    num_inference_steps: object = None,
    guidance_scale: object = None,
    documented_limits: bool = True,
) -> GenerateImagesInput:
    """Check every argument of a generation and build the mutation input."""
    fields: dict[str, Any] = {
        "workspace_id": require_id("workspace_id", workspace_id),
        "style_id": require_style_id(style_id),
    }
    checked_prompt = check_prompt(prompt, documented_limits=documented_limits)
    batch_limit = MAX_BATCH_SIZE if documented_limits else None
    optional: dict[str, Any] = {
        "prompt": checked_prompt,
        "batch_size": optional_int(
            "batch_size", batch_size, minimum=1, maximum=batch_limit
        ),
        "seed": optional_int("seed", seed, minimum=LONG_MIN, maximum=LONG_MAX),
        "width": optional_int("width", width, minimum=1),
        "height": optional_int("height", height, minimum=1),
        "num_inference_steps": optional_int(
            "num_inference_steps", num_inference_steps, minimum=1
        ),
        "guidance_scale": optional_positive_float("guidance_scale", guidance_scale),
    }
    # Unset arguments stay unset so they are left out of the request.
    fields.update(
        {name: value for name, value in optional.items() if value is not None}
    )
    return GenerateImagesInput(**fields)


def check_enum_values(
    name: str, values: object, enum_type: type[StyleStatus] | type[ObjectVisibility]
) -> list[str] | None:
    """Return the filter values as strings when every one is a known member."""
    if values is None:
        return None
    if isinstance(values, str):
        values = [values]
    if not isinstance(values, Iterable):
        raise LayerInputError(
            f"Invalid {name} {values!r}: expected a list of "
            f"{', '.join(enum_type.__members__)}",
            field=name,
        )
    checked: list[str] = []
    for value in values:
        text = value.value if isinstance(value, enum_type) else value
        if not isinstance(text, str) or text.upper() not in enum_type.__members__:
            raise LayerInputError(
                f"Invalid {name} value {value!r}: expected one of "
                f"{', '.join(enum_type.__members__)}",
                field=name,
            )
        checked.append(text.upper())
    if not checked:
        raise LayerInputError(
            f"{name} is empty: pass None for no filter, or at least one value",
            field=name,
        )
    return checked


def optional_bool(name: str, value: object) -> bool | None:
    if value is None or isinstance(value, bool):
        return value
    raise LayerInputError(
        f"Invalid {name} {value!r}: expected True, False or None", field=name
    )


def check_timeout(value: object, default: float) -> float:
    """Return a wait timeout in seconds: value, or default when value is None."""
    if value is None:
        return default
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or not math.isfinite(value)
        or value <= 0
    ):
        raise LayerInputError(
            f"Invalid timeout {value!r}: expected a positive number of seconds",
            field="timeout",
        )
    return float(value)
