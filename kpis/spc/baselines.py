"""SPC baselines as data: `spc_baselines.csv`, one row per process change or fixed baseline.

Columns: kpi_id, area (name or code), period (where the new group starts: the first
figure at or after the start of this period), reason (why: kept with the chart), and
optional fix_after (the group's limits come from its first N points). A row that cannot
be used is a problem row and is left out; the rest still apply. No file: no baselines.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from kpis import problems as P
from kpis import readers
from kpis.areas import lookup
from kpis.periods import parse_labels

FILE = "spc_baselines.csv"
REQUIRED = ("kpi_id", "area", "period", "reason")
SCHEMA = {"kpi_id": pl.String, "area": pl.String, "period": pl.String, "period_start": pl.Date,
          "reason": pl.String, "fix_after": pl.Int64}
MIN_FIX_AFTER = 2  # a moving range needs two points


def empty() -> pl.DataFrame:
    return pl.DataFrame(schema=SCHEMA)


def _rules(kpi_ids: list[str]) -> list[tuple[pl.Expr, str, pl.Expr, str, str]]:
    """Each rule: when it fails, the column, the value shown, the problem and the fix."""
    fix_after = pl.col("fix_after_number")
    return [
        (~pl.col("kpi_id").is_in(kpi_ids) | pl.col("kpi_id").is_null(), "kpi_id", pl.col("kpi_id"),
         "Not a KPI in the catalogue", "Use a kpi_id from catalogue.csv"),
        (pl.col("area_name").is_null(), "area", pl.col("area"), "Not an area in areas.csv", "Use an area name or code from areas.csv"),
        (pl.col("period_start").is_null(), "period", pl.col("period"),
         pl.coalesce(pl.col("period_error"), pl.lit("No period given")), "Write the period where the change starts, e.g. 'Apr 2023' or '2023/24 Q1'"),
        (pl.col("reason").is_null(), "reason", pl.col("reason"), "No reason given", "Say why the process changed, e.g. 'new referral pathway'"),
        (pl.col("fix_after").is_not_null() & (fix_after.is_null() | (fix_after < MIN_FIX_AFTER)), "fix_after", pl.col("fix_after"),
         "Not a whole number of points of at least 2", "Write how many points fix the limits, e.g. 12, or leave it empty"),
    ]


def parse(text: pl.DataFrame, catalogue: pl.DataFrame, areas: pl.DataFrame, file: str = FILE) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Usable baseline rows, and a problem row for each one that is not."""
    missing = [c for c in REQUIRED if c not in text.columns]
    if missing:
        return empty(), P.file_problem(file, f"Missing column(s): {', '.join(missing)}", f"Use the header {','.join(REQUIRED)},fix_after")
    if "fix_after" not in text.columns:
        text = text.with_columns(pl.lit(None, pl.String).alias("fix_after"))
    names = lookup(areas)
    periods = parse_labels(text["period"]).select("raw_period", pl.col("period").alias("period_label"), "period_start", "period_error")
    typed = (
        text.with_columns(
            pl.col("area").str.to_lowercase().replace_strict(names, default=None, return_dtype=pl.String).alias("area_name"),
            pl.col("fix_after").str.replace_all(",", "").cast(pl.Float64, strict=False).alias("_fix"),
        )
        .with_columns(pl.when(pl.col("_fix") == pl.col("_fix").round(0)).then(pl.col("_fix").cast(pl.Int64)).alias("fix_after_number"))
        .join(periods, left_on="period", right_on="raw_period", how="left")
        .sort("row")
    )
    rules = _rules(catalogue["kpi_id"].to_list())
    problems = P.combine([P.row_problems(typed, file, when, column, value, problem, fix) for when, column, value, problem, fix in rules])
    usable = typed.filter(~pl.col("row").is_in(problems["row"].implode()))
    return usable.select(
        "kpi_id", pl.col("area_name").alias("area"), pl.col("period_label").alias("period"), "period_start", "reason",
        pl.col("fix_after_number").alias("fix_after"),
    ).cast(SCHEMA), problems


def load(data_dir: Path, catalogue: pl.DataFrame, areas: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    path = data_dir / FILE
    if not path.is_file():
        return empty(), P.empty()
    text = readers.read_text_csv(path, FILE)
    if text.frame is None:
        # A file with a header and no rows declares no baselines; that is not a problem.
        no_rows = text.problems["problem"].str.contains("no data rows").all()
        return empty(), P.empty() if no_rows else text.problems
    return parse(text.frame, catalogue, areas)
