"""Relay cursor paging over an in-memory list.

A cursor is the base64 of a prefix and the item's offset in the filtered
list. Clients must treat it as opaque; the prefix lets the emulator reject
a cursor it did not issue.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from .models import Connection, Edge, PageInfo

__all__ = ["InvalidPageRequestError", "PageRequest", "decode_cursor", "encode_cursor"]

_CURSOR_PREFIX = "layer-emulator:offset:"

T = TypeVar("T")


class InvalidPageRequestError(ValueError):
    """A cursor or page size that the emulator cannot serve."""


def encode_cursor(offset: int) -> str:
    """Return the opaque cursor of the item at `offset`."""
    return base64.b64encode(f"{_CURSOR_PREFIX}{offset}".encode()).decode("ascii")


def decode_cursor(cursor: str) -> int:
    """Return the offset inside a cursor made by `encode_cursor`."""
    try:
        text = base64.b64decode(cursor.encode("ascii"), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeError):
        raise InvalidPageRequestError(f"invalid cursor {cursor!r}") from None
    if not text.startswith(_CURSOR_PREFIX):
        raise InvalidPageRequestError(f"invalid cursor {cursor!r}")
    digits = text.removeprefix(_CURSOR_PREFIX)
    if not digits.isdigit():
        raise InvalidPageRequestError(f"invalid cursor {cursor!r}")
    return int(digits)


@dataclass(frozen=True)
class PageRequest:
    """The Relay arguments of one page: `first`/`after` and `last`/`before`."""

    first: int | None = None
    after: str | None = None
    last: int | None = None
    before: str | None = None

    @classmethod
    def from_input(cls, data: dict[str, Any]) -> PageRequest:
        """Read the paging fields of a GraphQL input object."""
        return cls(
            first=data.get("first"),
            after=data.get("after"),
            last=data.get("last"),
            before=data.get("before"),
        )

    def slice_bounds(
        self, total: int, *, default_size: int, max_size: int
    ) -> tuple[int, int]:
        """Return [start, end) offsets of the page in a list of `total` items.

        A `first` or `last` above `max_size` is cut to `max_size`.
        """
        for name, size in (("first", self.first), ("last", self.last)):
            if size is not None and size < 0:
                raise InvalidPageRequestError(f"{name} must be >= 0, got {size}")

        start, end = 0, total
        if self.after is not None:
            start = min(total, decode_cursor(self.after) + 1)
        if self.before is not None:
            end = max(start, min(end, decode_cursor(self.before)))

        # NOTE: the real API's largest page size is not known; max_size is
        # the emulator's own limit.
        if self.first is not None:
            end = min(end, start + min(self.first, max_size))
        if self.last is not None:
            start = max(start, end - min(self.last, max_size))
        if self.first is None and self.last is None:
            end = min(end, start + default_size)
        return start, end


def build_connection(
    items: Sequence[T],
    request: PageRequest,
    *,
    connection_typename: str,
    edge_typename: str,
    default_size: int,
    max_size: int,
    node: Callable[[T], Any] | None = None,
) -> Connection:
    """Cut one page out of `items` and wrap it as a Relay connection."""
    start, end = request.slice_bounds(
        len(items), default_size=default_size, max_size=max_size
    )
    edges = [
        Edge(
            typename=edge_typename,
            cursor=encode_cursor(offset),
            node=node(items[offset]) if node is not None else items[offset],
        )
        for offset in range(start, end)
    ]
    page_info = PageInfo(
        has_next_page=end < len(items),
        has_previous_page=start > 0,
        start_cursor=edges[0].cursor if edges else None,
        end_cursor=edges[-1].cursor if edges else None,
        total_count=len(items),
    )
    return Connection(typename=connection_typename, edges=edges, page_info=page_info)
