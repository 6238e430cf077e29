"""XmR limits: groups, moving ranges, screening, fixed baselines, mean and process limits.

As NHSRplotthedots' `ptd_spc_standard` computes them, as Polars expressions over a frame
of points in time order with `value`, `rebase` (true where a new group starts) and
`fix_after` (the group's N, or null), partitioned by the series keys given:

- a series is split into groups at each rebase; every calculation is per group;
- with `fix_after` N, the mean and moving ranges use the group's first N points only;
- the moving range of a group's first point is null (it has no predecessor in the group);
- screening drops moving ranges of 3.267 × their mean or more, then takes the mean again;
- process limits are mean ± 2.66 × mean moving range; the 2-sigma lines mean ± 2/3 of that.

Judgement: when every moving range of a group is 0 (a constant baseline) screening keeps
them, so the limits collapse onto the mean. NHSRplotthedots' strict `<` would drop them
all and leave no limits at all.
"""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl

LIMIT = 2.66  # 3 sigma: 3 / d2 with d2 = 1.128 for moving ranges of two points
TWO_SIGMA = 2 * LIMIT / 3
SCREEN = 3.267  # D4 for n = 2: a moving range above this × the mean moving range is screened out
SHORT_GROUP = 13  # a group of fewer points than this carries a warning

LIMIT_COLUMNS = ("mean", "amr", "lpl", "upl", "l2s", "u2s")


def with_groups(frame: pl.DataFrame | pl.LazyFrame, series: Sequence[str]) -> pl.DataFrame | pl.LazyFrame:
    """`group` (0, 1, …) from `rebase`, and `position` (0-based) within the group; needs `index` and `rebase`."""
    starts = (pl.col("rebase") & (pl.col("index") > pl.col("index").min().over(series))).cast(pl.Int64)
    return frame.with_columns(starts.cum_sum().over(series).alias("group")).with_columns(
        pl.int_range(pl.len()).over([*series, "group"]).alias("position"),
    )


def moving_range(value: pl.Expr, by: Sequence[str]) -> pl.Expr:
    """|difference from the previous point| in the group; null for the group's first point."""
    return value.diff().abs().over(by)


def screened(mr: pl.Expr, by: Sequence[str], screen: bool) -> pl.Expr:
    """Moving ranges kept for the mean: those below 3.267 × their mean (all of them without screening)."""
    if not screen:
        return mr
    amr = mr.mean().over(by)
    return pl.when((mr < SCREEN * amr) | (amr == 0)).then(mr)


def with_limits(frame: pl.DataFrame | pl.LazyFrame, series: Sequence[str], screen: bool = True) -> pl.DataFrame | pl.LazyFrame:
    """Adds `moving_range` and the limit columns; needs `group`, `position`, `value`, `fix_after`."""
    by = [*series, "group"]
    fix_after = pl.col("fix_after").first().over(by)
    baseline = pl.when(fix_after.is_null() | (pl.col("position") < fix_after)).then(pl.col("value"))
    mean = pl.col("mean")
    amr = pl.col("amr")
    return (
        frame.with_columns(baseline.alias("_baseline"))
        .with_columns(
            pl.col("_baseline").mean().over(by).alias("mean"),
            moving_range(pl.col("_baseline"), by).alias("moving_range"),
        )
        .with_columns(screened(pl.col("moving_range"), by, screen).mean().over(by).alias("amr"))
        .with_columns(
            (mean - LIMIT * amr).alias("lpl"), (mean + LIMIT * amr).alias("upl"),
            (mean - TWO_SIGMA * amr).alias("l2s"), (mean + TWO_SIGMA * amr).alias("u2s"),
        )
        .drop("_baseline")
    )


GROUP_SCHEMA = {"start": pl.Int64, "n": pl.Int64, **dict.fromkeys(LIMIT_COLUMNS, pl.Float64), "short_group_warning": pl.Boolean}


def group_table(points: pl.DataFrame, series: Sequence[str]) -> pl.DataFrame:
    """One row per group: where it starts (0-based), its size, its limits and the short-group warning."""
    return (
        points.group_by([*series, "group"], maintain_order=True)
        .agg(pl.col("index").first().alias("start"), pl.len().cast(pl.Int64).alias("n"), *(pl.col(c).first() for c in LIMIT_COLUMNS))
        .with_columns((pl.col("n") < SHORT_GROUP).alias("short_group_warning"))
        .select(*series, "group", *GROUP_SCHEMA)
    )
