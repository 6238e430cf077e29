"""Validation problems as data: one row per problem, never an exception."""

from __future__ import annotations

from typing import Literal

import polars as pl

Severity = Literal["error", "warning"]

PROBLEM_SCHEMA: dict[str, pl.DataType] = {
    "file": pl.String(),
    "row": pl.Int64(),
    "column": pl.String(),
    "value": pl.String(),
    "problem": pl.String(),
    "fix": pl.String(),
    "severity": pl.String(),
}


def empty() -> pl.DataFrame:
    return pl.DataFrame(schema=PROBLEM_SCHEMA)


def file_problem(file: str, problem: str, fix: str, severity: Severity = "error", column: str | None = None) -> pl.DataFrame:
    """A problem with the file as a whole (row is null)."""
    return pl.DataFrame(
        [{"file": file, "row": None, "column": column, "value": None, "problem": problem, "fix": fix, "severity": severity}],
        schema=PROBLEM_SCHEMA,
    )


def row_problems(
    frame: pl.DataFrame | pl.LazyFrame,
    file: str,
    when: pl.Expr,
    column: str,
    value: pl.Expr,
    problem: pl.Expr | str,
    fix: pl.Expr | str,
    severity: Severity = "error",
) -> pl.LazyFrame:
    """Rows of `frame` where `when` holds, as problem rows (frame needs a `row` column)."""
    as_expr = lambda v: v if isinstance(v, pl.Expr) else pl.lit(v)
    return (
        frame.lazy()
        .filter(when)
        .select(
            pl.lit(file).alias("file"),
            pl.col("row").cast(pl.Int64),
            pl.lit(column).alias("column"),
            value.cast(pl.String).alias("value"),
            as_expr(problem).cast(pl.String).alias("problem"),
            as_expr(fix).cast(pl.String).alias("fix"),
            pl.lit(severity).alias("severity"),
        )
    )


def combine(parts: list[pl.DataFrame | pl.LazyFrame]) -> pl.DataFrame:
    """Concatenate problem parts, ordered as a user reads them: file problems, then by row."""
    if not parts:
        return empty()
    frames = pl.collect_all([p.lazy() for p in parts])
    return (
        pl.concat([f.cast(PROBLEM_SCHEMA) for f in frames], how="vertical")
        .sort(["file", "row", "column"], nulls_last=False, maintain_order=True)
    )


def error_count(problems: pl.DataFrame) -> int:
    """How many problems are errors; the rest are warnings."""
    return problems.filter(pl.col("severity") == "error").height


def has_errors(problems: pl.DataFrame) -> bool:
    return error_count(problems) > 0


def neutralise_csv_cells(frame: pl.DataFrame) -> pl.DataFrame:
    """Prefix text cells that a spreadsheet would run as a formula (=, +, -, @) with a quote."""
    return frame.with_columns(
        pl.when(pl.col(pl.String).str.contains(r"^[=+\-@\t\r]"))
        .then(pl.lit("'") + pl.col(pl.String))
        .otherwise(pl.col(pl.String))
        .name.keep()
    )
