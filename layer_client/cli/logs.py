"""Logging of the `layer_client` logger for the command line.

LAYER_LOG=debug|info|warning turns it on; -v means info and -vv debug. The
more verbose of the two wins. Without either, the library stays silent and
the CLI prints only its own output and errors.
"""

from __future__ import annotations

import logging
import sys
from typing import TextIO

from .output import PROGRAM

LOG_VARIABLE = "LAYER_LOG"
LEVELS = {"debug": logging.DEBUG, "info": logging.INFO, "warning": logging.WARNING}
LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


class CLIFormatter(logging.Formatter):
    """A formatter of LOG_FORMAT that puts `layer-client: ` before warnings.

    Error records get the prefix too. The README promises that error lines
    on stderr start with the program name, and a logged warning reads as one.
    """

    def __init__(self) -> None:
        super().__init__(LOG_FORMAT)

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        if record.levelno >= logging.WARNING:
            return f"{PROGRAM}: {text}"
        return text


class StderrHandler(logging.StreamHandler[TextIO]):
    """A handler that writes to the current `sys.stderr` at each record.

    A progress display and pytest's capture both replace sys.stderr after
    the handler is made, so the stream is looked up when a record is emitted.
    """

    def __init__(self) -> None:
        super().__init__(sys.stderr)

    @property
    def stream(self) -> TextIO:
        return sys.stderr

    @stream.setter
    def stream(self, value: TextIO) -> None:
        pass


def resolve_level(
    env_value: str | None, verbosity: int
) -> tuple[int | None, str | None]:
    """Return the log level to use, or None for none, and a warning to print.

    The warning names an unknown LAYER_LOG value, which is then ignored.
    """
    level: int | None = None
    warning: str | None = None
    if env_value is not None and env_value.strip():
        name = env_value.strip().lower()
        if name in LEVELS:
            level = LEVELS[name]
        else:
            warning = (
                f"ignoring {LOG_VARIABLE}={env_value!r}: expected one of "
                f"{', '.join(LEVELS)}"
            )
    if verbosity >= 2:
        level = logging.DEBUG
    elif verbosity == 1 and (level is None or level > logging.INFO):
        level = logging.INFO
    return level, warning


def configure_logging(level: int | None) -> logging.Handler | None:
    """Attach a stderr handler at level to the `layer_client` logger.

    Returns the handler so that the caller can remove it when done.
    """
    if level is None:
        return None
    logger = logging.getLogger("layer_client")
    handler = StderrHandler()
    handler.setFormatter(CLIFormatter())
    handler.setLevel(level)
    logger.addHandler(handler)
    logger.setLevel(level)
    return handler


def remove_logging(handler: logging.Handler | None) -> None:
    """Detach a handler that configure_logging attached."""
    if handler is None:
        return
    logger = logging.getLogger("layer_client")
    logger.removeHandler(handler)
    if not logger.handlers:
        logger.setLevel(logging.NOTSET)
