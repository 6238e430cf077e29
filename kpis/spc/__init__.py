"""Statistical process control: XmR charts as NHS England's Making Data Count does them.

The pipeline follows NHSRplotthedots (`ptd_spc`) step by step: group the points at each
rebase, compute each group's limits (`limits`), label each point (`rules`), add the
short-group warning, then the variation and assurance icons (`icons`). Baselines are data
(`baselines`, `spc_baselines.csv`), never code. Every step is a Polars expression over a
frame partitioned by KPI, area and group, so one pass serves one series or every tile.

Judgements, where NHSRplotthedots leaves a choice or the product asks for one:
- a group of fewer than 13 points carries the short-group warning (the package warns
  under 12);
- a constant baseline keeps its zero moving ranges (see `limits`);
- numbers within a relative 1e-9 of each other compare equal (see `rules`);
- no assurance icon where a group of one point has no limits (see `icons`);
- from the store, each KPI × area series is its history of figures up to the period
  asked for, in period order, with missing figures left out; the target for assurance
  is the one in force for the latest figure; the improvement direction comes from the
  catalogue's polarity (higher_is_better → increase, lower_is_better → decrease,
  neutral → neutral).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import polars as pl

from kpis import summary as S
from kpis import views
from kpis.periods import Period
from kpis.spc import icons, limits
from kpis.spc import rules as spc_rules
from kpis.spc.icons import ICONS, POINT_WORDS, icon_table
from kpis.spc.limits import GROUP_SCHEMA
from kpis.spc.rules import IMPROVEMENTS
from kpis.store import Store
from kpis.styles import RAG

__all__ = ["EXPLANATION", "GROUP_SCHEMA", "ICONS", "IMPROVEMENTS", "POINT_WORDS", "SpcResult", "analyse", "for_store", "icon_table", "summary"]

SERIES = ("kpi_id", "area")
POLARITY_TO_IMPROVEMENT = {"higher_is_better": "increase", "lower_is_better": "decrease", "neutral": "neutral"}


@dataclass(frozen=True)
class SpcResult:
    points: pl.DataFrame  # index, value, point_type, rule, group, the group's limits (and period, from the store)
    groups: pl.DataFrame  # start, n, mean, amr, lpl, upl, l2s, u2s, short_group_warning (and period, reason, fix_after, from the store)
    variation: str | None
    assurance: str | None
    improvement: str
    target: float | None

    @property
    def short_group_warning(self) -> bool:
        return bool(self.groups["short_group_warning"].any())


def _run(frame: pl.DataFrame, screen: bool) -> pl.DataFrame:
    """The pipeline over points with SERIES keys, index, value, rebase, fix_after, improvement and target."""
    lazy = frame.lazy().sort([*SERIES, "index"])
    lazy = limits.with_limits(limits.with_groups(lazy, SERIES), SERIES, screen)
    return spc_rules.with_rules(lazy, SERIES).collect()


def _last(points: pl.DataFrame) -> pl.DataFrame:
    """Per series: the last point, its variation icon and the assurance against its target."""
    return (
        points.group_by(SERIES, maintain_order=True).agg(pl.all().last(), pl.len().alias("n"))
        .with_columns(
            icons.variation_expr(pl.col("point_type"), pl.col("improvement")).alias("variation"),
            icons.assurance_expr(pl.col("target"), pl.col("lpl"), pl.col("upl"), pl.col("improvement")).alias("assurance"),
        )
    )


def _result(points: pl.DataFrame, extra_group_columns: Sequence[str] = ()) -> SpcResult:
    groups = limits.group_table(points, SERIES)
    if extra_group_columns:
        firsts = points.group_by([*SERIES, "group"], maintain_order=True).agg(pl.col(c).first() for c in extra_group_columns)
        groups = groups.join(firsts, on=[*SERIES, "group"], how="left", maintain_order="left")
    last = _last(points).row(0, named=True) if points.height else {}
    target = last.get("target")
    return SpcResult(
        points.drop(*SERIES), groups.drop(*SERIES), last.get("variation"), last.get("assurance"),
        str(last.get("improvement") or ""), None if target is None else float(target),
    )


def analyse(
    values: Sequence[float],
    improvement: str,
    target: float | None = None,
    fix_after: int | Mapping[int, int] | None = None,
    rebase: Sequence[int] = (),
    screen: bool = True,
) -> SpcResult:
    """XmR analysis of one series. `rebase`: 0-based positions where a new group starts;
    `fix_after`: N for every group, or {group start: N}."""
    if improvement not in IMPROVEMENTS:
        raise ValueError(f"improvement must be one of {', '.join(IMPROVEMENTS)}, not {improvement!r}")
    if not values:
        raise ValueError("no values to analyse")
    if not all(math.isfinite(v) for v in values):
        raise ValueError("every value must be a finite number")
    bad = [p for p in rebase if not 0 <= p < len(values)]
    if bad:
        raise ValueError(f"rebase position(s) {bad} are outside 0..{len(values) - 1}")
    fixes = dict(fix_after) if isinstance(fix_after, Mapping) else {}
    if any(n < 1 for n in ([fix_after] if isinstance(fix_after, int) else fixes.values())):
        raise ValueError("fix_after must be at least 1")
    if set(fixes) - {0, *rebase}:
        raise ValueError(f"fix_after names group starts {sorted(set(fixes) - {0, *rebase})} that are not 0 or a rebase position")
    index = pl.int_range(len(values), dtype=pl.Int64, eager=True)
    frame = pl.DataFrame({"index": index, "value": [float(v) for v in values]}).with_columns(
        pl.lit("").alias("kpi_id"), pl.lit("").alias("area"),
        pl.col("index").is_in(list(rebase)).alias("rebase"),
        (pl.lit(fix_after, pl.Int64) if isinstance(fix_after, int)
         else pl.col("index").replace_strict(fixes, default=None, return_dtype=pl.Int64)).alias("fix_after"),
        pl.lit(improvement).alias("improvement"),
        pl.lit(target, pl.Float64).alias("target"),
    )
    return _result(_run(frame, screen))


def _series(store: Store, kpi_ids: list[str] | None, areas: list[str] | None, until: Period | None, baselines: pl.DataFrame | None) -> pl.DataFrame:
    """History per KPI × area as pipeline input, with the baselines' rebases and fixes marked."""
    history = (
        views.trend(store, kpi_ids, areas, until, intervals=False)
        .filter(pl.col("value").is_not_null() & pl.col("value").is_not_nan())
        .select(*SERIES, "period", "period_start", "period_end", "value", "target", "polarity")
        .sort([*SERIES, "period_end", "period_start"])
        .with_columns(pl.int_range(pl.len(), dtype=pl.Int64).over(SERIES).alias("index"))
    )
    marks = pl.DataFrame(schema={**dict.fromkeys(SERIES, pl.String), "index": pl.Int64, "fix_after": pl.Int64, "reason": pl.String})
    if baselines is not None and baselines.height:
        # Each baseline starts a group at the first figure at or after the start of its period.
        marks = (
            history.select(*SERIES, "index", "period_start")
            .join(baselines.select(*SERIES, pl.col("period_start").alias("from"), "fix_after", "reason").with_row_index("_order"), on=list(SERIES))
            .filter(pl.col("period_start") >= pl.col("from"))
            .group_by([*SERIES, "_order"]).agg(pl.col("index").min(), pl.col("fix_after").first(), pl.col("reason").first())
            .sort("_order").unique([*SERIES, "index"], keep="last").drop("_order")
        )
    return (
        history.join(marks, on=[*SERIES, "index"], how="left", maintain_order="left")
        .with_columns(
            pl.col("reason").is_not_null().alias("rebase"),
            pl.col("polarity").replace_strict(POLARITY_TO_IMPROVEMENT, default="neutral", return_dtype=pl.String).alias("improvement"),
        )
    )


def for_store(store: Store, kpi_id: str, area: str, until: Period | None = None, baselines: pl.DataFrame | None = None,
              screen: bool = True) -> SpcResult | None:
    """XmR analysis of one KPI in one area, from its history up to and including `until`; None without figures."""
    frame = _series(store, [kpi_id], [area], until, baselines)
    if frame.height == 0:
        return None
    return _result(_run(frame, screen), ("period", "reason", "fix_after"))


DISAGREEMENT_COLUMNS = {"kpi_id": pl.String, "area": pl.String, "n": pl.Int64, "variation": pl.String, "assurance": pl.String,
                        "variation_label": pl.String, "assurance_label": pl.String, "short_group_warning": pl.Boolean,
                        "rag": pl.String, "disagreement": pl.String}


@dataclass(frozen=True)
class Disagreement:
    name: str
    when: pl.Expr
    sentence: str  # `{rag}` is the status word


_variation, _assurance, _rag = pl.col("variation"), pl.col("assurance"), pl.col("rag")
# The first that applies is said; in order of how much it changes the reading of the status.
DISAGREEMENTS = (
    Disagreement("red_common_cause", (_rag == "red") & (_variation == "common_cause"),
                 "{rag} against the target, but the latest figure is within normal variation: no special cause."),
    Disagreement("behind_target_improving", _rag.is_in(["red", "amber"]) & _variation.str.starts_with("improvement"),
                 "{rag} against the target, but the latest figure is a special cause improvement: things are getting better."),
    Disagreement("green_concern", (_rag == "green") & _variation.str.starts_with("concern"),
                 "{rag} against the target, but the latest figure is a special cause concern: things are getting worse."),
    Disagreement("green_failing", (_rag == "green") & (_assurance == "consistent_fail"),
                 "{rag} this time, but the process limits say the target will usually be missed."),
    Disagreement("behind_target_passing", _rag.is_in(["red", "amber"]) & (_assurance == "consistent_pass"),
                 "{rag} this time, but the process limits say the target is usually met."),
)


def disagreement_expr() -> pl.Expr:
    """The first disagreement sentence that applies between RAG and SPC, or null."""
    rag_word = _rag.replace_strict({k: v.word for k, v in RAG.items()}, default="", return_dtype=pl.String)
    chain = pl.when(pl.lit(False)).then(pl.lit(None, pl.String))
    for entry in DISAGREEMENTS:
        before, after = entry.sentence.split("{rag}")
        chain = chain.when(entry.when.fill_null(False)).then(pl.concat_str(pl.lit(before), rag_word, pl.lit(after)))
    return chain.otherwise(None)


def summary(store: Store, period: Period | None, areas: list[str] | None = None, kpi_ids: list[str] | None = None,
            baselines: pl.DataFrame | None = None) -> pl.DataFrame:
    """One row per KPI × area with figures: SPC icons (name and words), points, warning, RAG and any disagreement."""
    frame = _series(store, kpi_ids, areas, period, baselines)
    if frame.height == 0:
        return pl.DataFrame(schema=DISAGREEMENT_COLUMNS)
    points = _run(frame, screen=True)
    warnings = limits.group_table(points, SERIES).group_by(SERIES).agg(pl.col("short_group_warning").last())
    rag = S.latest(store, period, areas, kpi_ids).select(*SERIES, "rag")
    return (
        _last(points).select(*SERIES, "n", "variation", "assurance")
        .join(warnings, on=list(SERIES), how="left")
        .join(rag, on=list(SERIES), how="left")
        .with_columns(icons.label_expr("variation").alias("variation_label"), icons.label_expr("assurance").alias("assurance_label"))
        .with_columns(disagreement_expr().alias("disagreement"))
        .select(list(DISAGREEMENT_COLUMNS))
        .cast(DISAGREEMENT_COLUMNS)
    )


EXPLANATION = """
Alongside the RAG status (the latest figure against the target), each KPI can be read as a
**statistical process control** (SPC) chart, as in NHS England's *Making Data Count*. It asks
a different question: is the latest figure different from what this process usually produces?

**The chart (XmR).** The centre line is the **mean** of the points. The **process limits**
are the mean ± 2.66 × the average **moving range** (the gap between one point and the next).
A moving range more than 3.267 times the average is left out before the limits are worked
out, so that one wild month does not widen them. Nearly every point of a stable process
falls between the limits. Dashed lines at two-thirds of the way to the limits (2 sigma)
mark where a point is unusually far from the mean.

**Signals of special cause** (a point keeps one label, in this order):
1. **Outside the limits**: a point above the upper or below the lower process limit (a
   point exactly on a limit is inside).
2. **Trend**: 7 points in a row, each higher (or each lower) than the one before. Two equal
   points in a row end the trend. Every point of the run is marked.
3. **Two in three**: 2 of 3 points in a row beyond the 2-sigma line (up to the limit) on
   the same side of the mean. Only the points beyond the line are marked.
4. **Shift**: 7 points in a row on the same side of the mean. A point exactly on the mean
   ends the run. Every point of the run is marked.

A signal in the better direction is an **improvement**, in the worse direction a
**concern**; where neither direction is better it is **neutral** (high or low). Points
without a signal show **common cause** variation: only the usual ups and downs.

**Variation icon**: what the latest point shows (common cause, or improvement, concern or
neutral, high or low). **Assurance icon**: where the target sits against the process
limits: outside them on the good side, the target is **consistently passed**; on the bad
side, **consistently failed**; within them, it will be passed some times and missed others
(**inconsistent**). There is no assurance icon without a target or for a neutral KPI.

**Baselines.** When a process changes (a new pathway, a new definition), the limits are
worked out again from that period: the change and its reason are recorded in
`spc_baselines.csv`, which can also fix a group's limits on its first N points. With fewer
than 13 points in a group the limits are uncertain, and the chart says so.

**When RAG and SPC disagree**, a tile says so: for example a red figure that is within
normal variation is a process that usually misses the target, not a sudden change.
"""
