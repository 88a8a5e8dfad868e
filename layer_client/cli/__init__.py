"""The `layer-client` command line.

`main(argv)` runs one command and returns its exit status. Each command
lives in the module of its concern: catalog (styles, usage, workspaces),
generation (generate, wait, download), batch, and tools (schema, emulator).
"""

from .app import main

__all__ = ["main"]
