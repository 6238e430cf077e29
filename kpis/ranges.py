"""Time ranges for trends, and the period chooser grouped by kind.

A range is a registry entry (key for the URL, label, months back from the selected period's
end); `None` months is everything. The period chooser lists periods by kind (quarters,
then months, then years), latest first within each kind.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from kpis.periods import Period, PeriodKind, add_months


@dataclass(frozen=True)
class Range:
    label: str
    months: int | None


RANGES: dict[str, Range] = {
    "12m": Range("Last 12 months", 12),
    "3y": Range("Last 3 years", 36),
    "all": Range("All", None),
}
DEFAULT_RANGE = "3y"


def first_start(until: Period, key: str) -> object:
    """The earliest start date a figure may have to fall in the range ending with `until` (None: no limit)."""
    months = RANGES.get(key, RANGES[DEFAULT_RANGE]).months
    return None if months is None else add_months(until.end, 1 - months)


def in_range(history: pl.DataFrame, until: Period | None, key: str) -> pl.DataFrame:
    """The rows of a trend whose period starts within the range ending at `until` (every row without a period)."""
    if until is None:
        return history
    start = first_start(until, key)
    return history if start is None else history.filter(pl.col("period_start") >= start)


KIND_GROUPS: tuple[tuple[str, tuple[PeriodKind, ...]], ...] = (
    ("Quarter", (PeriodKind.FY_QUARTER, PeriodKind.QUARTER)),
    ("Month", (PeriodKind.MONTH,)),
    ("Year", (PeriodKind.FY, PeriodKind.YEAR)),
)


def kind_word(period: Period) -> str:
    return next(word for word, kinds in KIND_GROUPS if period.kind in kinds)


def grouped(periods: list[Period]) -> list[Period]:
    """Periods grouped by kind (quarters, months, years), latest first within each group."""
    rank = {kind: i for i, (_, kinds) in enumerate(KIND_GROUPS) for kind in kinds}
    return sorted(periods, key=lambda p: (rank[p.kind], [-d.toordinal() for d in (p.end, p.start)]))


def option_label(period: Period) -> str:
    """How the chooser shows a period: 'Quarter · 2024/25 Q1', 'Month · Jun 2024'."""
    return f"{kind_word(period)} · {period.label}"
