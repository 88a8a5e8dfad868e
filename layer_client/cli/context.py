"""The context of one command: the parsed options, the output and the client."""

from __future__ import annotations

import argparse
import os
from dataclasses import dataclass, field
from typing import Any

from ..client import LayerClient
from ..config import API_KEY_VARIABLE, API_URL_VARIABLE, WORKSPACE_VARIABLE
from ..errors import LayerInputError
from .output import Output
from .progress import Reporter, make_reporter

MISSING_TOKEN_MESSAGE = (
    f"No API key: set {API_KEY_VARIABLE} to your Layer API token. To try the "
    "local emulator instead, run `layer-client emulator` and set "
    f"{API_URL_VARIABLE} and {API_KEY_VARIABLE} to the URL and token it prints."
)

MISSING_WORKSPACE_MESSAGE = (
    f"No workspace id: pass --workspace ID or set {WORKSPACE_VARIABLE}. "
    "`layer-client workspaces` lists yours."
)


class MissingTokenError(LayerInputError):
    """LAYER_API_KEY is not set. The message explains how to set it."""

    def __init__(self) -> None:
        super().__init__(MISSING_TOKEN_MESSAGE, field="api_key")


def open_client(api_url: str | None, workspace_id: str | None) -> LayerClient:
    """Return a LayerClient for the command line's settings.

    Tests replace it to shorten the polling delays.
    """
    return LayerClient(api_url=api_url, workspace_id=workspace_id)


@dataclass
class Context:
    """The state of one run: options, output, progress display, client."""

    args: argparse.Namespace
    output: Output
    # Extra fields for the JSON error object, such as the inferences that
    # ended before a wait timed out.
    error_details: dict[str, Any] = field(default_factory=dict)
    # A sentence appended to the error line, such as how to resume.
    hint: str | None = None
    # The endpoint of the client, named in network error lines.
    api_url: str | None = field(default=None, init=False)
    _reporter: Reporter | None = field(default=None, init=False)

    def client(self) -> LayerClient:
        """Return a new client; raise MissingTokenError without a token."""
        if not os.environ.get(API_KEY_VARIABLE, "").strip():
            raise MissingTokenError()
        layer = open_client(self.args.api_url, self.args.workspace)
        self.api_url = layer.settings.api_url
        return layer

    def require_workspace(self, layer: LayerClient) -> str:
        """Return the workspace id of this run; raise without one."""
        workspace = layer.settings.workspace_id
        if workspace is None:
            raise LayerInputError(MISSING_WORKSPACE_MESSAGE, field="workspace_id")
        return workspace

    @property
    def reporter(self) -> Reporter:
        """The progress display, started on first use."""
        if self._reporter is None:
            self._reporter = make_reporter()
        return self._reporter

    def close(self) -> None:
        """Stop the progress display, if one started."""
        if self._reporter is not None:
            self._reporter.close()
            self._reporter = None
