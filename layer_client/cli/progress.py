"""Progress display on stderr while a command waits or downloads.

With rich installed (the `cli` extra) and stderr a terminal, each step is a
live line with a spinner, a bar and the elapsed time. Otherwise each step
prints a plain line when it starts and when it ends, which suits logs and CI.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import TYPE_CHECKING, Protocol

from .output import PROGRAM

if TYPE_CHECKING:
    from rich.console import Console
    from rich.progress import Progress as RichProgress


class Reporter(Protocol):
    """Shows the steps of a long command to a person."""

    def step(
        self, description: str, *, expected_seconds: float | None = None
    ) -> AbstractContextManager[None]:
        """Show description until the block ends.

        expected_seconds, when known, fills a bar as time passes.
        """
        ...

    def note(self, message: str) -> None:
        """Show a one-off message."""
        ...

    def close(self) -> None:
        """Stop the display."""
        ...


class PlainReporter:
    """Prints one line when a step starts and one when it ends."""

    @contextmanager
    def step(
        self, description: str, *, expected_seconds: float | None = None
    ) -> Iterator[None]:
        eta = (
            f" (expected about {expected_seconds:.0f} s)"
            if expected_seconds is not None
            else ""
        )
        print(f"{PROGRAM}: {description}...{eta}", file=sys.stderr, flush=True)
        started = time.monotonic()
        yield
        elapsed = time.monotonic() - started
        print(
            f"{PROGRAM}: {description}: done in {elapsed:.1f} s",
            file=sys.stderr,
            flush=True,
        )

    def note(self, message: str) -> None:
        print(f"{PROGRAM}: {message}", file=sys.stderr, flush=True)

    def close(self) -> None:
        pass


class RichReporter:
    """A live rich display: spinner, description, bar and elapsed time."""

    def __init__(self) -> None:
        from rich.console import Console

        self._console = Console(stderr=True)
        self._progress: RichProgress = _make_progress(self._console)
        self._progress.start()

    @contextmanager
    def step(
        self, description: str, *, expected_seconds: float | None = None
    ) -> Iterator[None]:
        from rich.markup import escape

        # Ids and paths in the description are data, not rich markup.
        escaped_description = escape(description)
        task = self._progress.add_task(escaped_description, expected=expected_seconds)
        try:
            yield
        except BaseException:
            # A spinner left turning would suggest the step goes on.
            self._progress.remove_task(task)
            self._progress.console.print(
                f"[red]✗[/red] {escaped_description} [red](stopped)[/red]",
                highlight=False,
            )
            raise
        self._progress.update(task, total=1, completed=1)
        self._progress.stop_task(task)

    def note(self, message: str) -> None:
        self._progress.console.print(message, highlight=False, markup=False)

    def close(self) -> None:
        self._progress.stop()


def _make_progress(console: Console) -> RichProgress:
    from rich.console import RenderableType
    from rich.progress import (
        Progress,
        ProgressColumn,
        SpinnerColumn,
        Task,
        TextColumn,
        TimeElapsedColumn,
    )
    from rich.progress_bar import ProgressBar

    class ExpectedTimeBar(ProgressColumn):
        """A bar that fills with the time elapsed against the expected time.

        The bar stops at 99% until the step ends, since the expected time is
        an estimate. Without one, it pulses.
        """

        def render(self, task: Task) -> RenderableType:
            if task.finished:
                return ProgressBar(total=1, completed=1, width=30)
            expected = task.fields.get("expected")
            if not isinstance(expected, int | float) or expected <= 0:
                return ProgressBar(total=None, width=30, pulse=True)
            elapsed = task.elapsed or 0.0
            return ProgressBar(
                total=expected, completed=min(elapsed, expected * 0.99), width=30
            )

    return Progress(
        SpinnerColumn(finished_text="[green]✓"),
        TextColumn("{task.description}"),
        ExpectedTimeBar(),
        TimeElapsedColumn(),
        console=console,
        transient=False,
        # Results on stdout go around the display only when stdout is the
        # same terminal; a redirected stdout must get them unchanged.
        redirect_stdout=sys.stdout.isatty(),
    )


def rich_available() -> bool:
    """True when rich can be imported."""
    try:
        import rich  # noqa: F401
    except ImportError:
        return False
    return True


def make_reporter() -> Reporter:
    """Return the rich display when rich is installed and stderr is a terminal."""
    if sys.stderr.isatty() and rich_available():
        return RichReporter()
    return PlainReporter()
