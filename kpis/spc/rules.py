"""Special-cause rules and point types, as NHSRplotthedots' `ptd_calculate_point_type` labels them.

Over a frame of points with their group's limits (see `limits`), per group:

- outside the limits: strictly above the upper or below the lower process limit;
- a trend: 7 points in a row each strictly higher (or lower) than the one before; a tie
  breaks it; every point of the run is labelled;
- two in three: 2 of 3 consecutive points on the same side of the mean with at least 2
  of them between the 2-sigma line and the limit (strictly beyond 2 sigma, up to and
  including the limit); only those points are labelled;
- a shift: 7 points in a row on the same side of the mean; a point on the mean breaks
  it; every point of the run is labelled.

One label per point, by precedence: outside > trend > two in three > shift. A labelled
point is an improvement or a concern by the side it signals (above or below the mean; for
a trend, its direction, where a point shared by two trends takes the later one), or
neutral high / low when the KPI has no better direction.

Judgement: two numbers that differ by no more than a relative 1e-9 are taken as equal,
so that float noise in a mean or a limit never decides whether a point sits on it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import reduce

import polars as pl

RUN = 7  # points in a shift or a trend
TOLERANCE = 1e-9

POINT_TYPES = (
    "common_cause", "special_cause_improvement", "special_cause_concern",
    "special_cause_neutral_high", "special_cause_neutral_low",
)
IMPROVEMENTS = {"increase": 1, "decrease": -1, "neutral": 0}


def compare(a: pl.Expr, b: pl.Expr) -> pl.Expr:
    """sign(a - b): +1, -1, or 0 where they differ by no more than float noise (a relative 1e-9)."""
    tolerance = pl.max_horizontal(pl.lit(1.0), a.abs(), b.abs()) * TOLERANCE
    difference = a - b
    return pl.when(difference.abs() <= tolerance).then(0).otherwise(difference.sign()).cast(pl.Int64)


def _any_of_next(flag: pl.Expr, count: int, by: Sequence[str]) -> pl.Expr:
    """True where `flag` holds at this point or one of the next `count - 1` in the group."""
    return pl.any_horizontal(flag.shift(-k).over(by).fill_null(False) for k in range(count))


def relative_to_mean() -> pl.Expr:
    """+1 above the mean, -1 below, 0 on it."""
    return compare(pl.col("value"), pl.col("mean")).fill_null(0)


def outside_limits() -> pl.Expr:
    value = pl.col("value")
    return ((compare(value, pl.col("upl")) > 0) | (compare(value, pl.col("lpl")) < 0)).fill_null(False)


def beyond_two_sigma() -> pl.Expr:
    """Between the 2-sigma line (exclusive) and the process limit (inclusive)."""
    value = pl.col("value")
    return (~outside_limits() & ((compare(value, pl.col("u2s")) > 0) | (compare(value, pl.col("l2s")) < 0))).fill_null(False)


def shift(by: Sequence[str]) -> pl.Expr:
    """Part of 7 or more points in a row on one side of the mean."""
    side = pl.col("_side")
    ends = ((side != 0) & (side.rolling_min(RUN).over(by) == side.rolling_max(RUN).over(by))).fill_null(False)
    return _any_of_next(ends, RUN, by)


def _steps(by: Sequence[str]) -> pl.Expr:
    return compare(pl.col("value"), pl.col("value").shift(1)).over(by)


def trend(by: Sequence[str]) -> pl.Expr:
    """Part of 7 or more points in a row, each strictly above (or below) the one before."""
    step = pl.col("_step")
    ends = ((step.rolling_min(RUN - 1).over(by) == 1) | (step.rolling_max(RUN - 1).over(by) == -1)).fill_null(False)
    return _any_of_next(ends, RUN, by)


def trend_side(by: Sequence[str]) -> pl.Expr:
    """+1 for a rising trend, -1 for a falling one: the step after the point where the next point is
    also in a trend, else the step before (as NHSRplotthedots orients it)."""
    in_trend = pl.col("_trend")
    right = in_trend & in_trend.shift(-1).over(by).fill_null(False)
    step = pl.when(right).then(pl.col("_step").shift(-1).over(by)).otherwise(pl.col("_step"))
    return pl.when(step == 1).then(1).otherwise(-1)


def two_in_three(by: Sequence[str]) -> pl.Expr:
    """Beyond 2 sigma and in a window of 3 points on one side of the mean with 2 or more beyond 2 sigma."""
    close = pl.col("_close")
    window = (
        (close.cast(pl.Int64).rolling_sum(3).over(by) >= 2) & (pl.col("_side").rolling_sum(3).over(by).abs() == 3)
    ).fill_null(False)
    return _any_of_next(window, 3, by) & close


@dataclass(frozen=True)
class Rule:
    name: str
    words: str  # plain words for people
    flag: str  # the column that marks the points the rule labels
    side: pl.Expr  # +1 high, -1 low, for a labelled point


_MEAN_SIDE = pl.when(pl.col("_side") > 0).then(1).otherwise(-1)

# In order of precedence: a point takes the first rule that labels it.
RULES = (
    Rule("outside_limits", "A point outside the process limits", "_outside",
         pl.when(pl.col("_side") == 1).then(1).otherwise(-1)),
    Rule("trend", "A run of 7 points each higher, or each lower, than the one before", "_trend", pl.col("_trend_side")),
    Rule("two_in_three", "2 of 3 points in a row beyond the 2-sigma line, on the same side of the mean", "_two_in_three", _MEAN_SIDE),
    Rule("shift", "A run of 7 points in a row on one side of the mean", "_shift", _MEAN_SIDE),
)
RULE_WORDS = {r.name: r.words for r in RULES}


def _first(parts: list[tuple[pl.Expr, pl.Expr]]) -> pl.Expr:
    chain = reduce(lambda acc, p: acc.when(p[0]).then(p[1]), parts[1:], pl.when(parts[0][0]).then(parts[0][1]))
    return chain.otherwise(None)


def point_type(side: pl.Expr, rule: pl.Expr, improvement: pl.Expr) -> pl.Expr:
    """common_cause, or special cause improvement / concern / neutral high or low."""
    direction = improvement.replace_strict(IMPROVEMENTS, return_dtype=pl.Int64)
    return (
        pl.when(rule.is_null()).then(pl.lit("common_cause"))
        .when(direction == 0).then(pl.when(side > 0).then(pl.lit("special_cause_neutral_high")).otherwise(pl.lit("special_cause_neutral_low")))
        .when(side * direction > 0).then(pl.lit("special_cause_improvement"))
        .otherwise(pl.lit("special_cause_concern"))
    )


def with_rules(frame: pl.DataFrame | pl.LazyFrame, series: Sequence[str]) -> pl.DataFrame | pl.LazyFrame:
    """Adds `relative_to_mean`, each rule's flag, `rule` (the label that wins), `side` and `point_type`."""
    by = [*series, "group"]
    flagged = (
        frame.with_columns(relative_to_mean().alias("_side"), _steps(by).alias("_step"),
                           outside_limits().alias("_outside"), beyond_two_sigma().alias("_close"))
        .with_columns(shift(by).alias("_shift"), trend(by).alias("_trend"), two_in_three(by).alias("_two_in_three"))
        .with_columns(trend_side(by).alias("_trend_side"))
        .with_columns(
            _first([(pl.col(r.flag), pl.lit(r.name)) for r in RULES]).alias("rule"),
            _first([(pl.col(r.flag), r.side) for r in RULES]).alias("side"),
        )
    )
    return (
        flagged.with_columns(point_type(pl.col("side"), pl.col("rule"), pl.col("improvement")).alias("point_type"))
        .rename({"_side": "relative_to_mean", "_outside": "outside_limits", "_close": "beyond_two_sigma",
                 "_shift": "part_of_shift", "_trend": "part_of_trend", "_two_in_three": "part_of_two_in_three"})
        .drop("_step", "_trend_side")
    )
