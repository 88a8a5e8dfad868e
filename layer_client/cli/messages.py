"""Error lines in the words of the command line instead of the library's.

The library names its Python arguments (`style_id`, `documented_limits=False`)
and the environment variables. On the command line, a LayerInputError
names the option that sets the value instead, and a network failure names
the API URL and what to check.
"""

from __future__ import annotations

import re

from ..config import API_URL_VARIABLE, WORKSPACE_VARIABLE
from ..errors import LayerInputError

# The option that sets each library argument, by LayerInputError.field.
OPTION_OF_FIELD = {
    "style_id": "--style",
    "prompt": "--prompt",
    "batch_size": "--batch-size",
    "seed": "--seed",
    "width": "--width",
    "height": "--height",
    "num_inference_steps": "--steps",
    "guidance_scale": "--guidance",
    "out_dir": "--out",
    "timeout": "--timeout",
    "workspace_id": "--workspace",
    "api_url": "--api-url",
}

# Values that an environment variable can set as well as the option.
VARIABLE_OF_FIELD = {"workspace_id": WORKSPACE_VARIABLE, "api_url": API_URL_VARIABLE}

# The metavar of each option, for "pass workspace_id=..." in library messages.
METAVAR_OF_FIELD = {"workspace_id": "ID", "api_url": "URL"}

# The library's advice to switch its documented limits off, which the
# command line has no option for.
DOCUMENTED_LIMITS_HINT = re.compile(r",? or pass documented_limits=False")

# The library's hint after a failed connection. The command line replaces
# it with one that also names --api-url.
LIBRARY_CONNECT_HINT = re.compile(r"\.?\s*Is the server running\?\s*Check [^.]*\.")

CONNECT_HINT = (
    "Is the server running? Check LAYER_API_URL or --api-url; for the "
    "emulator, start `layer-client emulator`."
)


def option_message(error: LayerInputError, message: str) -> str:
    """Return message with the library's argument names replaced by options.

    The line starts with the option, unless the message already names it.
    Messages of fields that no option sets come back unchanged.
    """
    field = error.field
    option = OPTION_OF_FIELD.get(field or "")
    if field is None or option is None:
        return message

    metavar = METAVAR_OF_FIELD.get(field, "VALUE")
    text = message.replace(f"{field}=...", f"{option} {metavar}")
    text = re.sub(rf"\b{re.escape(field)}\b", option, text)
    text = DOCUMENTED_LIMITS_HINT.sub("", text)
    if option in text:
        return text

    variable = VARIABLE_OF_FIELD.get(field)
    label = f"{option} or {variable}" if variable else option
    return f"{label}: {text}"


def transport_message(message: str, api_url: str | None) -> str:
    """Return a network failure's message with the API URL and what to check."""
    text = LIBRARY_CONNECT_HINT.sub("", message).rstrip(".")
    if api_url and api_url not in text:
        text = f"{text} (API URL: {api_url})"
    return f"{text}. {CONNECT_HINT}"
