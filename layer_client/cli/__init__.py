"""The `layer-client` command line.

`main(argv)` runs one command and returns its exit status. Each command
lives in the module of its concern: catalog (styles, usage, workspaces),
generation (generate, wait, download), batch, and tools (schema, emulator).
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

# The exit status after Ctrl-C; exit_codes.INTERRUPTED, which is not
# imported yet when the first Ctrl-C can come.
INTERRUPTED = 130


def main(argv: Sequence[str] | None = None) -> int:
    """Run `layer-client` with argv (default: sys.argv[1:]); return the exit status.

    The command modules are imported here, so that a Ctrl-C while they load
    exits with status 130 and one line instead of a traceback.
    """
    # NOTE: the console script imports the `layer_client` package before
    # this function runs. That import loads httpx, pydantic and the
    # generated client, and a Ctrl-C during it still prints a traceback.
    try:
        from .app import main as run
    except KeyboardInterrupt:
        print("layer-client: interrupted", file=sys.stderr)
        return INTERRUPTED
    return run(argv)


__all__ = ["main"]
