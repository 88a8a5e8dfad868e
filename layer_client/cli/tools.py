"""`schema` and `emulator`: commands that hand their arguments to another tool."""

from __future__ import annotations

import argparse
import os
from collections.abc import Iterator
from contextlib import contextmanager

from ..config import API_URL_VARIABLE
from .arguments import Commands, UsageError
from .exit_codes import OK, USAGE
from .output import PROGRAM, Output

PASSTHROUGH = ("schema", "emulator")

# Modules of the optional extras that the two tools import.
EXTRA_OF_MODULE = {"ariadne": "emulator", "uvicorn": "emulator", "graphql": "schema"}


def register(commands: Commands) -> None:
    """List schema and emulator in the help; main() runs them itself."""
    schema = commands.add_parser(
        "schema",
        add_help=False,
        help="pull the live schema or check the saved operations (schema --help)",
    )
    schema.add_argument("arguments", nargs=argparse.REMAINDER)
    emulator = commands.add_parser(
        "emulator",
        add_help=False,
        help="run the local Layer emulator on loopback (emulator --help)",
    )
    emulator.add_argument("arguments", nargs=argparse.REMAINDER)


def run_passthrough(
    command: str, options: argparse.Namespace, arguments: list[str], usage: str
) -> int:
    """Run schema or emulator with arguments and return its exit status."""
    rejected_options = [
        option
        for option, is_given in (
            ("--json", options.json),
            ("--workspace", options.workspace is not None),
            ("--api-url", command == "emulator" and options.api_url is not None),
        )
        if is_given
    ]
    if rejected_options:
        single = len(rejected_options) == 1
        raise UsageError(
            f"{' and '.join(rejected_options)} {'does' if single else 'do'} not "
            f"apply to `{command}`: remove {'it' if single else 'them'}",
            usage,
        )
    try:
        if command == "schema":
            from ..schema_tool import main as schema_main

            with _environment(API_URL_VARIABLE, options.api_url):
                return schema_main(arguments, prog=f"{PROGRAM} schema")
        from ..emulator import main as emulator_main

        return emulator_main(arguments)
    except SystemExit as exit_request:  # the tool's --help or usage error
        return exit_request.code if isinstance(exit_request.code, int) else OK
    except ImportError as error:
        extra = _missing_extra(error)
        if extra is None:
            raise
        Output.notice(
            f"error: `{command}` needs the {extra} extra, which is not installed: "
            f"pip install '.[{extra}]' from a clone of layer-client"
        )
        return USAGE


def _missing_extra(error: ImportError) -> str | None:
    """Return the extra whose missing module caused error, if one did."""
    cause: BaseException | None = error
    while isinstance(cause, ImportError):
        module = (cause.name or "").partition(".")[0]
        if module in EXTRA_OF_MODULE:
            return EXTRA_OF_MODULE[module]
        cause = cause.__cause__
    return None


@contextmanager
def _environment(name: str, value: str | None) -> Iterator[None]:
    """Set the environment variable name to value inside the block."""
    if value is None:
        yield
        return
    previous = os.environ.get(name)
    os.environ[name] = value
    try:
        yield
    finally:
        if previous is None:
            del os.environ[name]
        else:
            os.environ[name] = previous
