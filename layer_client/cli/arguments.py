"""Argument types and the global options shared by every parser."""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable, Sequence
from typing import NoReturn, TypeAlias

from ..config import API_URL_VARIABLE, WORKSPACE_VARIABLE


class UsageError(Exception):
    """A command line that argparse rejected; main() prints it and exits 2."""

    def __init__(self, message: str, usage: str) -> None:
        super().__init__(message)
        self.message = message
        self.usage = usage


class Parser(argparse.ArgumentParser):
    """An ArgumentParser that raises UsageError instead of exiting."""

    def error(self, message: str) -> NoReturn:
        raise UsageError(message, self.format_usage())


def positive_int(text: str) -> int:
    """Parse an int above 0 for argparse."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected a whole number, got {text!r}"
        ) from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"expected a number above 0, got {text}")
    return value


def whole_number(text: str) -> int:
    """Parse any int for argparse."""
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected a whole number, got {text!r}"
        ) from None


def positive_float(text: str) -> float:
    """Parse a finite float above 0 for argparse."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not math.isfinite(value) or value <= 0:
        raise argparse.ArgumentTypeError(f"expected a number above 0, got {text}")
    return value


def choice_list(allowed: Sequence[str]) -> Callable[[str], list[str]]:
    """Return an argparse type that reads comma-separated values from allowed."""

    def parse(text: str) -> list[str]:
        values = [part.strip().upper() for part in text.split(",") if part.strip()]
        unknown = [value for value in values if value not in allowed]
        if unknown or not values:
            raise argparse.ArgumentTypeError(
                f"invalid value {text!r}: expected one or more of "
                f"{', '.join(allowed)}, separated by commas"
            )
        return values

    return parse


def add_global_options(
    parser: argparse.ArgumentParser, *, after_command: bool = False
) -> None:
    """Add --json, --api-url, --workspace and --verbose to parser.

    With after_command, parser is a command's parser: the options get no
    default, so a value given before the command is kept unless the same
    option is given again after it, and then the later value wins.
    """
    target: argparse.ArgumentParser | argparse._ArgumentGroup = parser
    defaults: dict[str, object] = {"json": False, "verbose": 0}
    if after_command:
        target = parser.add_argument_group(
            "global options", "also accepted before the command"
        )
        defaults = {"json": argparse.SUPPRESS, "verbose": argparse.SUPPRESS}
    none_default = argparse.SUPPRESS if after_command else None
    target.add_argument(
        "--json",
        action="store_true",
        default=defaults["json"],
        help="print one JSON document on stdout instead of text, for scripts",
    )
    target.add_argument(
        "--api-url",
        metavar="URL",
        default=none_default,
        help=f"GraphQL endpoint URL (default: ${API_URL_VARIABLE}, else the Layer API)",
    )
    target.add_argument(
        "--workspace",
        metavar="ID",
        default=none_default,
        help=f"workspace id to use (default: ${WORKSPACE_VARIABLE})",
    )
    target.add_argument(
        "-v",
        "--verbose",
        action="count",
        default=defaults["verbose"],
        help="log the library on stderr: -v for info, -vv for debug",
    )


# The object that add_subparsers() returns, which each command module fills.
Commands: TypeAlias = "argparse._SubParsersAction[Parser]"
