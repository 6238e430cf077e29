"""What changed: each KPI and area now against an earlier period, with status, direction and freshness.

`since` is the previous period of the selected period's kind ("previous"), the same period a
year earlier ("year") or any period. Both sides are the latest figure at or before their
period, as the board shows them, so the table answers "switch to that period and tell me
what changed". Direction and its significance use the report's rules (`rules.with_direction`)
with the earlier figure in place of the year-earlier one; where no new figure has come in
since (the same period on both sides) there is no direction. Rows whose status changed
come first.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import polars as pl

from kpis import freshness as F
from kpis import rules
from kpis import summary as S
from kpis.periods import Period, parse_period, step
from kpis.store import Store

SINCE_CHOICES = ("previous", "year")

FIELDS = {
    "kpi_id": pl.String, "kpi_name": pl.String, "short_name": pl.String, "priority": pl.Int64, "owner": pl.String, "unit": pl.String, "decimals": pl.Int64,
    "area": pl.String, "period": pl.String, "value": pl.Float64, "since_period": pl.String, "since_value": pl.Float64,
    "status": pl.String, "since_status": pl.String, "status_changed": pl.Boolean, "new_figure": pl.Boolean,
    "change": pl.Float64, "arrow": pl.String, "direction": pl.String, "change_significant": pl.Boolean,
    "target": pl.Float64, "target_last_met": pl.String,
    "overdue": pl.Boolean, "overdue_days": pl.Int64, "due_by": pl.Date, "expected_period": pl.String,
    "catalogue_order": pl.Int64,  # KPI in catalogue order, then area in areas order
}
CLI_FIELDS = ("kpi_id", "area", "period", "value", "since_period", "since_value", "status", "since_status", "status_changed",
              "direction", "change_significant", "overdue", "due_by")


@dataclass(frozen=True)
class Comparison:
    period: Period
    since: Period


def since_period(period: Period, since: str | Period) -> Period:
    """The period compared with: the previous one of the same kind, a year earlier, or the one given."""
    if isinstance(since, Period):
        return since
    if since == "previous":
        return step(period, -1)
    if since == "year":
        return period.year_earlier()
    return parse_period(since)


def target_last_met(store: Store, until: Period | None) -> pl.DataFrame:
    """Per KPI and area, the latest period at or before `until` whose figure met its target (null if never)."""
    obs = store.observations.lazy()
    if until is not None:
        obs = obs.filter(pl.col("period_end") <= until.end)
    fields = store.catalogue.lazy().select("kpi_id", "polarity", "decimals", pl.col("target").alias("catalogue_target"),
                                           "rag_basis", "green_within", "amber_within")
    judged = rules.with_rag(obs.join(fields, on="kpi_id", how="inner").with_columns(pl.coalesce("target", "catalogue_target").alias("target")))
    return (
        judged.filter(pl.col("shortfall") <= 0)
        .sort(["period_end", "period_start"])
        .group_by("kpi_id", "area")
        .agg(pl.col("period").last().alias("target_last_met"))
        .collect()
    )


_DROPPED = ("prior_start", "prior_period", "prior_value", "prior_numerator", "prior_denominator",
            *rules.DIRECTION_COLUMNS, *rules.SIGNIFICANCE_COLUMNS)


def changes(store: Store, period: Period, since: str | Period = "previous", as_of: date | None = None,
            areas: list[str] | None = None, kpi_ids: list[str] | None = None) -> pl.DataFrame:
    """One row per KPI and area with a figure at or before `period` (see the module's words)."""
    then_period = since_period(period, since)
    now = S.latest(store, period, areas, kpi_ids)
    if now.height == 0:
        return pl.DataFrame(schema=FIELDS)
    then = S.latest(store, then_period, areas, kpi_ids).select(
        "kpi_id", "area", pl.col("period").alias("since_period"), pl.col("value").alias("since_value"), pl.col("rag").alias("since_status"),
        pl.col("numerator").alias("prior_numerator"), pl.col("denominator").alias("prior_denominator"),
    )
    fresh = F.freshness(store, as_of or period.end, areas, kpi_ids).select("kpi_id", "area", "overdue", "overdue_days", "due_by", "expected_period")
    owners = store.catalogue.select("kpi_id", "owner")
    joined = now.drop([c for c in _DROPPED if c in now.columns]).join(then, on=["kpi_id", "area"], how="left")
    new_figure = pl.col("since_period").is_null() | (pl.col("since_period") != pl.col("period"))
    judged = rules.with_direction(joined.with_columns(pl.col("since_value").alias("prior_value"))).with_columns(new_figure.alias("new_figure"))
    judged = judged.with_columns(
        pl.when(pl.col("new_figure")).then(pl.col(c)).alias(c) for c in ("change", "arrow", "direction", "change_significant")
    )
    return (
        judged.with_row_index("catalogue_order")
        .join(owners, on="kpi_id", how="left")
        .join(fresh, on=["kpi_id", "area"], how="left")
        .join(target_last_met(store, period), on=["kpi_id", "area"], how="left")
        .with_columns(
            pl.col("name").alias("kpi_name"), pl.col("rag").alias("status"),
            (pl.col("since_status").is_not_null() & (pl.col("since_status") != pl.col("rag"))).alias("status_changed"),
        )
        .sort([pl.col("status_changed").not_(), pl.col("catalogue_order")])
        .select(list(FIELDS))
        .cast(FIELDS)
    )


def records(frame: pl.DataFrame, fields: tuple[str, ...] = CLI_FIELDS) -> list[dict[str, object]]:
    """Plain records for JSON: dates as ISO text."""
    return frame.select(fields).with_columns(pl.col(pl.Date).cast(pl.String)).to_dicts()


HISTORY_AREAS = 6  # status histories listed under the table at most; the table itself has every area


def history_areas(frame: pl.DataFrame, kpi_id: str, area: str, limit: int = HISTORY_AREAS) -> tuple[list[str], int]:
    """The areas whose status history is listed for a KPI (rows of `changes`): the selected area first, then those
    whose status changed, then the rest, in the table's order, at most `limit`; and how many are left out."""
    rows = (frame.filter(pl.col("kpi_id") == kpi_id)
            .with_columns((pl.col("area") == area).alias("_own"))
            .sort(["_own", "status_changed"], descending=[True, True], maintain_order=True))
    areas = rows["area"].cast(pl.String).to_list()
    return areas[:limit], max(0, len(areas) - limit)


def status_history(store: Store, kpi_id: str, area: str, until: Period | None) -> pl.DataFrame:
    """A KPI's status in an area over time, one row per change: from which period it held, the figure, and the status before."""
    from kpis import views

    trend = views.trend(store, [kpi_id], [area], until, intervals=False)
    if trend.height == 0:
        return pl.DataFrame(schema={"period": pl.String, "value": pl.Float64, "status": pl.String, "previous_status": pl.String})
    return (
        trend.select("period", "value", pl.col("rag").alias("status"), pl.col("rag").shift(1).alias("previous_status"))
        .filter(pl.col("previous_status").is_null() | (pl.col("status") != pl.col("previous_status")))
        .reverse()
    )


@dataclass(frozen=True)
class Sort:
    label: str
    keys: tuple[pl.Expr, ...]
    descending: tuple[bool, ...]


# How the table can be ordered: one registry, read by the page's sort control and the URL.
SORTS: dict[str, Sort] = {
    "changes": Sort("Status changes first", (pl.col("status_changed").not_(),), (False,)),
    "overdue": Sort("Most overdue first", (pl.col("overdue_days").fill_null(-1),), (True,)),
    "change": Sort("Largest change first", (pl.col("change").abs().fill_null(-1.0),), (True,)),
    "worst": Sort("Red first", (pl.col("status").replace_strict({"red": 0, "amber": 1, "green": 2}, default=3, return_dtype=pl.Int64),), (False,)),
    "kpi": Sort("Catalogue order", (pl.col("catalogue_order"),), (False,)),
}


def select(frame: pl.DataFrame, changed_only: bool = False, overdue_only: bool = False, priorities: list[int] | None = None,
           areas: list[str] | None = None, sort: str = "changes") -> pl.DataFrame:
    """The rows to show: filtered, then sorted by `SORTS[sort]` (catalogue order breaks ties, as `changes` returns it)."""
    keep = pl.lit(True)
    if changed_only:
        keep &= pl.col("status_changed")
    if overdue_only:
        keep &= pl.col("overdue").fill_null(False)
    if priorities:
        keep &= pl.col("priority").is_in(priorities)
    if areas:
        keep &= pl.col("area").is_in(areas)
    chosen = SORTS.get(sort, SORTS["changes"])
    return frame.filter(keep).sort([*chosen.keys, pl.col("catalogue_order")], descending=[*chosen.descending, False])


def _value(column: str) -> pl.Expr:
    from kpis.formatting import value_expr

    return value_expr(column, "unit", "decimals")


def freshness_text_expr() -> pl.Expr:
    """'Overdue by 8 weeks (Jun 2024 expected)', or 'On time · next due 11 Sep 2024'; '–' where not judged."""
    weeks = pl.col("overdue_days") // 7
    late = (pl.when(pl.col("overdue_days") < 14).then(pl.format("Overdue by {} days", pl.col("overdue_days")))
            .otherwise(pl.format("Overdue by {} weeks", weeks)))
    due = pl.col("due_by").dt.strftime("%-d %b %Y")
    return (
        pl.when(pl.col("overdue").is_null()).then(pl.lit("–"))
        .when(pl.col("overdue")).then(pl.format("{} ({} expected)", late, pl.col("expected_period")))
        .otherwise(pl.format("On time · next due {}", due))
    )


def display(frame: pl.DataFrame, spc: pl.DataFrame | None = None) -> pl.DataFrame:
    """The table in words, one row per KPI and area: then and now, status (then → now where it changed), direction
    with its significance, SPC variation, target last met, freshness and owner."""
    from kpis.styles import ARROWS, DIRECTION, rag_label_expr

    if spc is not None and spc.height:
        frame = frame.join(spc.select("kpi_id", "area", "variation_label"), on=["kpi_id", "area"], how="left", maintain_order="left")
    else:
        frame = frame.with_columns(pl.lit(None, pl.String).alias("variation_label"))
    direction = pl.concat_str(
        pl.col("arrow").replace_strict(ARROWS, default="–", return_dtype=pl.String), pl.lit(" "),
        pl.col("direction").replace_strict({k: v.word for k, v in DIRECTION.items()}, default="", return_dtype=pl.String),
        pl.when(pl.col("change_significant")).then(pl.lit(", significant"))
        .when(pl.col("change_significant").not_()).then(pl.lit(", within normal variation")).otherwise(pl.lit("")),
    )
    from kpis import suppression

    # With the flags of `suppression.mark`, a suppressed figure is the word, never a dash or a number.
    shown = lambda column, flag: suppression.word_expr(_value(column), flag) if flag in frame.columns else _value(column)
    hidden_then = pl.col("since_suppressed").fill_null(False) if "since_suppressed" in frame.columns else pl.lit(False)
    return frame.select(
        pl.col("short_name").alias("KPI"), pl.col("area").alias("Area"),
        pl.when(pl.col("since_value").is_null() & ~hidden_then).then(pl.lit("–"))
        .otherwise(pl.format("{} ({})", shown("since_value", "since_suppressed"), pl.col("since_period"))).alias("Then"),
        pl.format("{} ({})", shown("value", "suppressed"), pl.col("period")).alias("Now"),
        pl.when(pl.col("status_changed")).then(pl.format("{} → {}", rag_label_expr("since_status"), rag_label_expr("status")))
        .otherwise(rag_label_expr("status")).alias("Status"),
        pl.when(pl.col("new_figure")).then(direction).otherwise(pl.lit("No new figure since")).alias("Direction"),
        pl.col("variation_label").fill_null("–").alias("SPC"),
        pl.col("target_last_met").fill_null("Not met since records began").alias("Target last met"),
        freshness_text_expr().alias("Freshness"),
        pl.col("owner").fill_null("–").alias("Owner"),
    )
