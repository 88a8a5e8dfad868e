"""Command line of the emulator: `python -m layer_client.emulator`.

`layer-client emulator` calls `main()` with the same arguments.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import sys
import threading
from collections.abc import Callable, Sequence
from types import FrameType

from .config import DEFAULT_TOKEN, DEFAULT_WORKSPACE_ID, EmulatorConfig
from .faults import load_faults
from .server import Emulator

__all__ = ["build_parser", "main"]

DEFAULT_PORT = 8765
EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_USAGE = 2


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser of the emulator command."""
    parser = argparse.ArgumentParser(
        prog="layer-client emulator",
        description=(
            "Run a local Layer GraphQL API on 127.0.0.1, with generated PNG "
            "files served from a second port. Ctrl-C stops it."
        ),
    )

    servers = parser.add_argument_group("servers")
    servers.add_argument(
        "--port",
        type=int,
        default=DEFAULT_PORT,
        help=f"port of the GraphQL API; 0 picks a free port (default {DEFAULT_PORT})",
    )
    servers.add_argument(
        "--files-port",
        type=int,
        default=0,
        help="port of the files origin; 0 picks a free port (default 0)",
    )
    servers.add_argument(
        "--token",
        default=DEFAULT_TOKEN,
        help=f"Bearer token the API accepts (default {DEFAULT_TOKEN!r})",
    )
    servers.add_argument(
        "--unauthorized-as-error-member",
        action="store_true",
        help="return an UNAUTHORIZED_ERROR member with status 200 for a bad "
        "token, instead of HTTP 401",
    )

    workspace = parser.add_argument_group("workspace")
    workspace.add_argument(
        "--workspace-id",
        default=DEFAULT_WORKSPACE_ID,
        help=f"id of the emulated workspace (default {DEFAULT_WORKSPACE_ID!r})",
    )
    workspace.add_argument(
        "--balance", type=float, default=1000.0, help="starting credits (default 1000)"
    )
    workspace.add_argument(
        "--price", type=float, default=1.0, help="credits per image (default 1)"
    )
    workspace.add_argument(
        "--styles",
        type=int,
        default=12,
        help="number of seeded styles, at least 4 (default 12)",
    )

    behaviour = parser.add_argument_group("generations and faults")
    behaviour.add_argument(
        "--speed",
        type=float,
        default=1.0,
        help="how many times faster emulated time runs than the wall clock (default 1)",
    )
    behaviour.add_argument(
        "--min-duration",
        type=float,
        default=5.0,
        help="minimum generation time in emulated seconds (default 5)",
    )
    behaviour.add_argument(
        "--max-duration",
        type=float,
        default=15.0,
        help="maximum generation time in emulated seconds (default 15)",
    )
    behaviour.add_argument(
        "--durations",
        choices=("uniform", "lognormal"),
        default="uniform",
        help="distribution of generation durations (default uniform)",
    )
    behaviour.add_argument(
        "--faults", metavar="FILE", help="JSON file of fault injection rules"
    )
    behaviour.add_argument(
        "--seed", type=int, default=0, help="seed of every random choice (default 0)"
    )

    output = parser.add_argument_group("output")
    output.add_argument(
        "--json",
        action="store_true",
        help="print the addresses as one JSON line instead of text",
    )
    output.add_argument(
        "--log-level",
        default=os.environ.get("LAYER_LOG", "info"),
        choices=("debug", "info", "warning", "error"),
        help="log level (default: $LAYER_LOG or info)",
    )
    return parser


def _config_from_args(args: argparse.Namespace) -> EmulatorConfig:
    rules, faults_seed = load_faults(args.faults) if args.faults else ([], None)
    return EmulatorConfig(
        port=args.port,
        files_port=args.files_port,
        speed=args.speed,
        token=args.token,
        seed=args.seed,
        workspace_id=args.workspace_id,
        balance=args.balance,
        price_per_image=args.price,
        style_count=args.styles,
        min_duration=args.min_duration,
        max_duration=args.max_duration,
        duration_distribution=args.durations,
        unauthorized_as_error_member=args.unauthorized_as_error_member,
        faults=tuple(rules),
        faults_seed=faults_seed,
    )


def _print_addresses(emulator: Emulator, as_json: bool) -> None:
    if as_json:
        print(
            json.dumps(
                {
                    "url": emulator.url,
                    "files_url": emulator.files_url,
                    "token": emulator.token,
                    "workspace_id": emulator.workspace_id,
                }
            ),
            flush=True,
        )
        return
    print(
        "Layer emulator is running (Ctrl-C to stop)\n"
        f"  API URL:      {emulator.url}\n"
        f"  Files origin: {emulator.files_url}\n"
        f"  Token:        {emulator.token}\n"
        f"  Workspace:    {emulator.workspace_id}\n"
        f"  Usable style: {emulator.style_id}",
        flush=True,
    )


def _configure_logging(level: str) -> None:
    """Set up logging, unless the process has already done so."""
    if logging.getLogger().handlers:
        return
    logging.basicConfig(
        level=level.upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    # Uvicorn's per-request access log repeats the emulator's DEBUG lines.
    if level != "debug":
        logging.getLogger("uvicorn.access").setLevel(logging.WARNING)


def _stop_on_sigterm(stop: threading.Event) -> Callable[[], None]:
    """Make SIGTERM set `stop`; return a function that restores the old handler."""

    def handle(_signum: int, _frame: FrameType | None) -> None:
        stop.set()

    # Signal handlers can only be installed from the main thread.
    if threading.current_thread() is not threading.main_thread():
        return lambda: None
    previous = signal.signal(signal.SIGTERM, handle)

    def restore() -> None:
        signal.signal(signal.SIGTERM, previous)

    return restore


def main(argv: Sequence[str] | None = None) -> int:
    """Run the emulator until Ctrl-C or SIGTERM; return the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    _configure_logging(args.log_level)

    try:
        config = _config_from_args(args)
    except FileNotFoundError:
        # Only the faults file is read from disk here.
        print(
            f"layer-client emulator: error: faults file {args.faults} not found: "
            "pass the path of a JSON file of fault rules",
            file=sys.stderr,
        )
        return EXIT_USAGE
    except (OSError, ValueError) as error:
        print(f"layer-client emulator: error: {error}", file=sys.stderr)
        return EXIT_USAGE

    emulator = Emulator(config)
    try:
        emulator.start()
    except (OSError, RuntimeError) as error:
        print(
            f"layer-client emulator: error: cannot start on 127.0.0.1:{config.port}: "
            f"{error}",
            file=sys.stderr,
        )
        return EXIT_FAILURE

    stop = threading.Event()
    restore_sigterm = _stop_on_sigterm(stop)
    try:
        _print_addresses(emulator, args.json)
        while not stop.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        emulator.stop()
        restore_sigterm()
    print("Layer emulator stopped", flush=True)
    return EXIT_OK
