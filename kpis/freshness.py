"""Freshness: is each KPI's latest figure as recent as it should be?

The catalogue's `expected_within_days` says how long after a period ends its figure is
expected. At an as-of date, the **expected period** is the latest period of the KPI's kind
whose figure was due by then (period end + expected_within_days ≤ as-of). A KPI and area
whose latest figure is older than that is **overdue**, by the days since the first missing
figure fell due. `due_by` is when the next figure (the one after the latest) is due.

The as-of date is the end of the selected period (what was known when that period closed),
or today when looking at the latest figures (`as_of_for`). A KPI without
`expected_within_days` is not judged (overdue is null).

Periods of one kind sit on a grid of whole months (a quarter starts every three months, a
year every twelve), so all of this is month arithmetic in Polars expressions.
"""

from __future__ import annotations

from datetime import date

import polars as pl

from kpis.periods import KIND_RANK, Period, PeriodKind, canonical_label, order_exprs, span_months
from kpis.store import Store

FIELDS = {"kpi_id": pl.String, "area": pl.String, "latest_period": pl.String, "expected_period": pl.String,
          "overdue": pl.Boolean, "overdue_days": pl.Int64, "due_by": pl.Date, "as_of": pl.Date}


def as_of_for(period: Period | None, today: date, latest: Period | None = None) -> date:
    """The date freshness is judged at: today for no period or the latest one, else the selected period's end."""
    if period is None or (latest is not None and period == latest):
        return today
    return period.end


def _month_index(d: pl.Expr) -> pl.Expr:
    return d.dt.year().cast(pl.Int64) * 12 + d.dt.month().cast(pl.Int64) - 1


def _month_end(index: pl.Expr) -> pl.Expr:
    return pl.date(index // 12, index % 12 + 1, 1).dt.month_end()


def _span() -> pl.Expr:
    return pl.col("period_kind").replace_strict({k.value: span_months(k) for k in KIND_RANK}, return_dtype=pl.Int64)


def with_freshness(frame: pl.DataFrame | pl.LazyFrame, as_of: date) -> pl.DataFrame | pl.LazyFrame:
    """Freshness columns over `period_start`, `period_kind` (the latest figure) and `expected_within_days`:
    expected_start, due_by, overdue, overdue_days. A null lag gives null overdue and due dates."""
    span, lag = _span(), pl.duration(days=pl.col("expected_within_days"))
    start = _month_index(pl.col("period_start"))
    # The last month whose end is on or before as-of minus the lag; the last period ending by then.
    cutoff = pl.lit(as_of) - lag
    last_month = _month_index(cutoff) - pl.when(cutoff == cutoff.dt.month_end()).then(0).otherwise(1)
    first_of_last = last_month - span + 1
    expected = first_of_last - (first_of_last - start) % span
    # The next figure is the one after the latest; when overdue it is the first missing one, due since then.
    next_due = _month_end(start + 2 * span - 1) + lag
    overdue = pl.when(pl.col("expected_within_days").is_not_null()).then(expected > start)
    return frame.with_columns(
        pl.date(expected // 12, expected % 12 + 1, 1).alias("expected_start"),
        next_due.alias("due_by"),
        overdue.alias("overdue"),
        pl.when(overdue).then((pl.lit(as_of) - next_due).dt.total_days()).when(overdue.not_()).then(0).alias("overdue_days"),
        pl.lit(as_of).alias("as_of"),
    ).with_columns(pl.when(pl.col("expected_within_days").is_null()).then(None).otherwise(pl.col("expected_start")).alias("expected_start"))


def _labels(kinds: pl.Series, starts: pl.Series) -> pl.Series:
    """Canonical labels for (kind, start) pairs, each distinct pair labelled once."""
    pairs = {(k, s) for k, s in zip(kinds.to_list(), starts.to_list(), strict=True) if k is not None and s is not None}
    names = {pair: canonical_label(PeriodKind(pair[0]), pair[1]) for pair in pairs}
    return pl.Series([names.get((k, s)) for k, s in zip(kinds.to_list(), starts.to_list(), strict=True)], dtype=pl.String)


def freshness(store: Store, as_of: date, areas: list[str] | None = None, kpi_ids: list[str] | None = None) -> pl.DataFrame:
    """One row per KPI and area with a figure by `as_of`: its latest period, the period expected by then,
    whether it is overdue and by how many days, and when the next figure is due."""
    obs = store.observations.lazy().filter(pl.col("period_end") <= as_of)
    if areas is not None:
        obs = obs.filter(pl.col("area").is_in(areas))
    if kpi_ids is not None:
        obs = obs.filter(pl.col("kpi_id").is_in(kpi_ids))
    last = obs.sort(order_exprs()).unique(subset=["kpi_id", "area"], keep="last", maintain_order=True)
    order = store.catalogue.lazy().select("kpi_id", "expected_within_days").with_row_index("kpi_order")
    area_order = store.areas.lazy().select("area", pl.col("order").alias("area_order"))
    frame = (
        with_freshness(last.join(order, on="kpi_id", how="inner"), as_of)
        .join(area_order, on="area", how="left")
        .sort(["kpi_order", "area_order"])
        .collect()
    )
    return frame.with_columns(
        pl.col("period").alias("latest_period"),
        _labels(frame["period_kind"], frame["expected_start"]).alias("expected_period"),
    ).select(list(FIELDS)).cast(FIELDS)


def overdue_words(days: int | None) -> str | None:
    """'Overdue by N weeks' (or days, under two weeks), or None when not overdue."""
    if days is None or days <= 0:
        return None
    if days < 14:
        return f"Overdue by {days} day{'s' if days != 1 else ''}"
    return f"Overdue by {days // 7} weeks"


def due_words(due_by: date | None) -> str | None:
    return None if due_by is None else f"Next figure due by {due_by.day} {due_by:%b %Y}"


def on_time_words(due_by: date | None) -> str | None:
    """Beside an older figure that is not late: 'On time for this KPI: next figure due by 30 Jul 2024'."""
    return None if due_by is None else f"On time for this KPI: next figure due by {due_by.day} {due_by:%b %Y}"


def records(frame: pl.DataFrame) -> list[dict[str, object]]:
    return frame.with_columns(pl.col("due_by", "as_of").cast(pl.String)).to_dicts()

