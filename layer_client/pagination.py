"""Relay pagination with guards against servers that never stop paging."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Protocol, TypeVar

logger = logging.getLogger("layer_client")


class PageInfo(Protocol):
    @property
    def has_next_page(self) -> bool: ...

    @property
    def end_cursor(self) -> str | None: ...


class Node(Protocol):
    @property
    def id(self) -> str: ...


NodeT = TypeVar("NodeT", bound=Node, covariant=True)


class Edge(Protocol[NodeT]):
    @property
    def node(self) -> NodeT | None: ...


class CursorGuard:
    """Decide the `after` cursor of the next page, or that paging is over.

    Paging stops, with a warning, on `hasNextPage` with no edges, on a null
    cursor and on a cursor seen before, so a faulty server cannot make the
    client request the same page forever.
    """

    def __init__(self, operation: str) -> None:
        self._operation = operation
        self._seen: set[str] = set()
        self._seen_ids: set[str] = set()

    def is_new(self, node_id: str) -> bool:
        """True the first time a node id is seen, so repeated nodes are skipped."""
        if node_id in self._seen_ids:
            return False
        self._seen_ids.add(node_id)
        return True

    def read_page(
        self, edges: Sequence[Edge[NodeT] | None] | None, page_info: PageInfo
    ) -> tuple[list[NodeT], str | None]:
        """Return the new nodes of one page and the cursor of the next, if any."""
        nodes: list[NodeT] = []
        edge_count = 0
        for edge in edges or ():
            if edge is None:
                continue
            edge_count += 1
            node = edge.node
            if node is not None and node.id not in self._seen_ids:
                self._seen_ids.add(node.id)
                nodes.append(node)
        return nodes, self.next_cursor(page_info, edge_count)

    def next_cursor(self, page_info: PageInfo, edge_count: int) -> str | None:
        if not page_info.has_next_page:
            return None
        if edge_count == 0:
            self._warn("hasNextPage is true but the page has no edges")
            return None
        cursor = page_info.end_cursor
        if not cursor:
            self._warn("hasNextPage is true but endCursor is empty")
            return None
        if cursor in self._seen:
            self._warn(f"endCursor {cursor!r} was returned before")
            return None
        self._seen.add(cursor)
        return cursor

    def _warn(self, reason: str) -> None:
        logger.warning("%s: stopped paging because %s", self._operation, reason)
