"""The argument parser of `layer-client`: global options and commands."""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from .. import __version__
from ..config import API_KEY_VARIABLE, API_URL_VARIABLE, WORKSPACE_VARIABLE
from . import batch, catalog, generation, tools
from .arguments import Parser, UsageError, add_global_options
from .exit_codes import EXIT_STATUS_HELP
from .output import PROGRAM

DESCRIPTION = """\
Generate images from trained Layer styles, and inspect styles, credits and
workspaces, through the Layer GraphQL API.

Run `layer-client COMMAND --help` for the options of one command."""

ENVIRONMENT_HELP = f"""\
environment:
  {API_KEY_VARIABLE}       API token sent as a Bearer token (required for API commands)
  {WORKSPACE_VARIABLE}  default workspace id (--workspace overrides it)
  {API_URL_VARIABLE}       GraphQL endpoint (--api-url overrides it); the local
                      emulator prints its URL and token when it starts
  LAYER_LOG           debug, info or warning: log the layer_client library on
                      stderr; debug also prints tracebacks"""

# Commands whose arguments go unparsed to another tool's main(argv).
PASSTHROUGH_COMMANDS = frozenset(tools.PASSTHROUGH)


def build_parser() -> Parser:
    """Return the parser of the whole command line."""
    parser = Parser(
        prog=PROGRAM,
        description=DESCRIPTION,
        epilog=f"{ENVIRONMENT_HELP}\n\n{EXIT_STATUS_HELP}",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--version", action="version", version=f"%(prog)s {__version__}"
    )
    add_global_options(parser)
    commands = parser.add_subparsers(
        dest="command", required=True, metavar="COMMAND", title="commands"
    )
    catalog.register(commands)
    generation.register(commands)
    batch.register(commands)
    tools.register(commands)
    for name, command_parser in commands.choices.items():
        if name not in PASSTHROUGH_COMMANDS:
            add_global_options(command_parser, after_command=True)
    return parser


def split_passthrough(
    argv: Sequence[str],
) -> tuple[argparse.Namespace, str, list[str]] | None:
    """Split argv at `schema` or `emulator` when that is the command.

    Returns the global options before the command, the command, and its
    arguments untouched, or None when the command is another one. The
    arguments are kept out of argparse, which would read an option such as
    `--port` as one of its own.
    """
    global_parser = Parser(prog=PROGRAM, add_help=False)
    add_global_options(global_parser)
    for index, token in enumerate(argv):
        if token not in PASSTHROUGH_COMMANDS:
            continue
        try:
            options = global_parser.parse_args(list(argv[:index]))
        except UsageError:
            # The token is an option's value, as in `--workspace schema`.
            continue
        return options, token, list(argv[index + 1 :])
    return None
