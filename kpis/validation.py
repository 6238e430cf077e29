"""Run a pandera model lazily and turn its failures into problem rows for the user."""

from __future__ import annotations

import re
from dataclasses import dataclass

import pandera.errors
import pandera.polars as pa
import polars as pl

from kpis import problems as P


@dataclass(frozen=True)
class Explanation:
    """How to tell the user about one failed check."""

    column: str
    problem: str
    fix: str
    severity: P.Severity = "error"


def _generic(check: str, column: str) -> tuple[str, str]:
    if check == "not_nullable":
        return f"{column} is empty", f"Fill in {column}"
    if check in ("field_uniqueness", "unique", "multiple_fields_uniqueness"):
        return f"This {column} appears more than once", f"Keep one row per {column}"
    if match := re.fullmatch(r"isin\((.*)\)", check):
        return f"Not an accepted {column}", f"Use one of {match.group(1)}"
    if check.startswith("str_matches"):
        return f"Not a valid {column}", "Use lower-case letters, digits and underscores, starting with a letter"
    if match := re.fullmatch(r"greater_than_or_equal_to\((.*)\)", check):
        return f"{column} is below {match.group(1)}", f"Use a value of at least {match.group(1)}"
    if match := re.fullmatch(r"less_than_or_equal_to\((.*)\)", check):
        return f"{column} is above {match.group(1)}", f"Use a value of at most {match.group(1)}"
    return f"{column} fails the check {check}", f"Correct {column}"


def validate(
    model: type[pa.DataFrameModel] | pa.DataFrameSchema,
    frame: pl.DataFrame,
    file: str,
    explanations: dict[str, Explanation] | None = None,
    raw: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """Validate `frame` with every check collected (lazy=True) and return problem rows.

    `frame` needs a `row` column. `raw` (same row order, text cells) supplies the value
    as the user typed it; without it the typed value is shown.
    """
    explanations = explanations or {}
    try:
        model.validate(frame, lazy=True)
        return P.empty()
    except pandera.errors.SchemaErrors as errors:
        cases = errors.failure_cases
    except pandera.errors.SchemaError as error:  # pragma: no cover - lazy=True collects, kept as a guard
        return P.file_problem(file, f"The data could not be checked: {error}", "Check the file's columns")
    positions = frame.select("row").with_row_index("index").with_columns(pl.col("index").cast(pl.Int64))
    shown = positions.join(raw if raw is not None else frame, on="row", how="left", maintain_order="left")
    problems = []
    for (check, column), group in cases.group_by(["check", "column"], maintain_order=True):
        note = explanations.get(str(check))
        col = note.column if note else str(column)
        problem, fix = (note.problem, note.fix) if note else _generic(str(check), col)
        indexed = group.filter(pl.col("index").is_not_null()).select(pl.col("index").cast(pl.Int64), "failure_case")
        if indexed.height == 0:
            problems.append(P.file_problem(file, problem, fix, note.severity if note else "error", col))
            continue
        value = pl.col(col).cast(pl.String) if col in shown.columns else pl.col("failure_case")
        joined = indexed.join(shown, on="index", how="left")
        problems.append(
            P.row_problems(joined, file, pl.lit(True), col, value, problem, fix, note.severity if note else "error")
        )
    return P.combine(problems)
