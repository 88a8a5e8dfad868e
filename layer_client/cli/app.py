"""main(): parse the command line, run one command, map errors to exit codes."""

from __future__ import annotations

import argparse
import logging
import os
import sys
import traceback
from collections.abc import Sequence
from typing import Any

from ..errors import (
    GenerationTimeoutError,
    LayerError,
    LayerInputError,
    SubmissionUnknownError,
    TransportError,
)
from .arguments import UsageError
from .context import Context
from .exit_codes import (
    INTERRUPTED,
    OK,
    USAGE,
    error_message,
    exit_code_for,
)
from .logs import LOG_VARIABLE, configure_logging, remove_logging, resolve_level
from .messages import option_message, transport_message
from .output import PROGRAM, Output
from .parser import build_parser, split_passthrough
from .tools import run_passthrough


def main(argv: Sequence[str] | None = None) -> int:
    """Run `layer-client` with argv (default: sys.argv[1:]); return the exit status."""
    try:
        return _main(argv)
    except KeyboardInterrupt:
        # Ctrl-C outside a command, as while the logging is set up.
        print(f"{PROGRAM}: interrupted", file=sys.stderr)
        return INTERRUPTED


def _main(argv: Sequence[str] | None) -> int:
    arguments = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    try:
        passthrough = split_passthrough(arguments)
        if passthrough is not None:
            options, command, rest = passthrough
            return _with_logging(
                options.verbose,
                lambda: run_passthrough(command, options, rest, parser.format_usage()),
            )
        args = parser.parse_args(arguments)
    except UsageError as error:
        sys.stderr.write(error.usage)
        print(f"{PROGRAM}: error: {error.message}", file=sys.stderr)
        return USAGE
    except SystemExit as exit_request:  # --help and --version
        return exit_request.code if isinstance(exit_request.code, int) else OK
    except KeyboardInterrupt:
        print(f"{PROGRAM}: interrupted", file=sys.stderr)
        return INTERRUPTED

    return _with_logging(args.verbose, lambda: _run_command(args))


def _with_logging(verbosity: int, run: Any) -> int:
    """Call run with the layer_client logger set up from LAYER_LOG and -v."""
    level, warning = resolve_level(os.environ.get(LOG_VARIABLE), verbosity)
    if warning:
        Output.notice(f"warning: {warning}")
    handler = configure_logging(level)
    try:
        status: int = run()
        return status
    finally:
        remove_logging(handler)


def _run_command(args: argparse.Namespace) -> int:
    output = Output(json_mode=args.json)
    context = Context(args=args, output=output)
    try:
        try:
            status: int = args.run(args, context)
        finally:
            # Stop the live display before any error line is printed.
            context.close()
        return status
    except KeyboardInterrupt:
        print(f"{PROGRAM}: interrupted", file=sys.stderr)
        return INTERRUPTED
    except LayerError as error:
        if logging.getLogger("layer_client").isEnabledFor(logging.DEBUG):
            traceback.print_exc(file=sys.stderr)
        code = exit_code_for(error)
        message = _cli_message(error, args.command, context)
        if context.hint:
            message = f"{message.rstrip('.')}. {context.hint}"
        output.error(
            message, data=_error_json(error, message, code, context.error_details)
        )
        return code
    except BrokenPipeError:
        # The reader of stdout went away, as with `| head`: stop quietly.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return OK


def _cli_message(error: LayerError, command: str, context: Context) -> str:
    """Return the error line, naming options and the API URL where they matter."""
    message = error_message(error)
    # Batch errors name the keys of the JSONL rows, which are the library's
    # argument names, so they keep them.
    if isinstance(error, LayerInputError) and command != "batch":
        return option_message(error, message)
    # A lost submission did reach the server, and its message already
    # names the next step.
    if isinstance(error, TransportError) and not isinstance(
        error, SubmissionUnknownError
    ):
        return transport_message(message, context.api_url)
    return message


def _error_json(
    error: LayerError, message: str, exit_code: int, details: dict[str, Any]
) -> dict[str, Any]:
    """Return the JSON error object: kind, message, exit status and context."""
    data: dict[str, Any] = {
        "type": type(error).__name__,
        "message": message,
        "exit_code": exit_code,
    }
    for key, value in (
        ("inference_id", error.inference_id),
        ("operation", error.operation),
        ("error_type", error.error_type),
        ("code", error.code),
        ("status_code", error.status_code),
    ):
        if value is not None:
            data[key] = value
    if isinstance(error, GenerationTimeoutError):
        data["pending_ids"] = list(error.pending_ids)
    data.update(details)
    return data
