"""Summaries of repeated measurements and the ratio tables the benchmarks print."""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass

__all__ = ["Row", "Summary", "format_table", "ratios", "summarize"]


@dataclass(frozen=True)
class Summary:
    """Median, quartiles and range of one series of measurements."""

    median: float
    q1: float
    q3: float
    minimum: float
    maximum: float
    count: int

    def spread(self, digits: int = 2) -> str:
        """Return the interquartile range and the full range as text."""
        return (
            f"IQR {self.q1:.{digits}f}-{self.q3:.{digits}f}, "
            f"range {self.minimum:.{digits}f}-{self.maximum:.{digits}f}"
        )


def summarize(values: Sequence[float]) -> Summary:
    """Summarize a series of at least one value."""
    if not values:
        raise ValueError("cannot summarize an empty series")
    if len(values) == 1:
        q1 = q3 = values[0]
    else:
        q1, _, q3 = statistics.quantiles(values, n=4, method="inclusive")
    return Summary(
        median=statistics.median(values),
        q1=q1,
        q3=q3,
        minimum=min(values),
        maximum=max(values),
        count=len(values),
    )


def ratios(values: Sequence[float], baseline: Sequence[float]) -> list[float]:
    """Divide each value by the baseline measured in the same repetition."""
    if len(values) != len(baseline):
        raise ValueError("a ratio needs one baseline value per repetition")
    return [value / base for value, base in zip(values, baseline, strict=True)]


@dataclass(frozen=True)
class Row:
    """One line of a result table: a contender, its ratio and its own figure."""

    name: str
    ratio: Summary
    absolute: str
    target: str = ""


def format_table(title: str, baseline: str, rows: Sequence[Row]) -> str:
    """Render rows as text; each ratio is against `baseline`, 1.00 means equal."""
    width = max(len(row.name) for row in rows)
    lines = [f"{title}  (ratio to {baseline}, median of {rows[0].ratio.count} reps)"]
    for row in rows:
        line = (
            f"  {row.name:<{width}}  {row.ratio.median:6.2f}x  "
            f"[{row.ratio.spread()}]  {row.absolute}"
        )
        if row.target:
            line += f"  {row.target}"
        lines.append(line)
    return "\n".join(lines)
