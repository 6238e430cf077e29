"""The KPI catalogue: the one registry of KPIs, their targets, units and RAG rules."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from kpis import problems as P
from kpis import readers, validation
from kpis.numbers import number_problem, parse_number, unparsed
from kpis.schemas import CatalogueModel

REQUIRED = ("kpi_id", "name", "unit", "polarity", "frequency")
OPTIONAL_TEXT = ("short_name", "target_wording", "definition", "source", "owner", "priority", "target",
                 "rag_basis", "green_within", "amber_within", "decimals", "per", "direction_tolerance", "expected_within_days", "suppress_under")
DEFAULTS = {"rag_basis": "relative", "green_within": 2.5, "amber_within": 5.0, "direction_tolerance": 0.0}
DEFAULT_DECIMALS = {"percent": 1, "count": 0, "rate": 1, "number": 1}

SCHEMA = {
    "kpi_id": pl.String, "name": pl.String, "short_name": pl.String, "priority": pl.Int64, "unit": pl.String,
    "polarity": pl.String, "target": pl.Float64, "target_wording": pl.String, "frequency": pl.String,
    "definition": pl.String, "source": pl.String, "owner": pl.String, "rag_basis": pl.String,
    "green_within": pl.Float64, "amber_within": pl.Float64, "decimals": pl.Int64,
    "per": pl.Float64, "direction_tolerance": pl.Float64, "expected_within_days": pl.Int64, "suppress_under": pl.Float64,
}

EXPLAIN = {
    "catalogue_numbers_finite": validation.Explanation(
        "target", "A number is NaN or infinite", "Write target, bands, per and direction_tolerance as finite numbers"),
    "amber_not_narrower_than_green": validation.Explanation(
        "amber_within", "amber_within is smaller than green_within",
        "amber_within is the outer band: make it at least green_within"),
}


def empty() -> pl.DataFrame:
    return pl.DataFrame(schema=SCHEMA)


def parse(text: pl.DataFrame, file: str = "catalogue.csv") -> tuple[pl.DataFrame, pl.DataFrame]:
    """Typed catalogue and its problems, from a frame of text cells."""
    missing = [c for c in REQUIRED if c not in text.columns]
    if missing:
        return empty(), P.file_problem(file, f"Missing column(s): {', '.join(missing)}", f"Add the columns {', '.join(REQUIRED)}")
    text = text.with_columns(pl.lit(None, pl.String).alias(c) for c in OPTIONAL_TEXT if c not in text.columns)
    numeric = ("priority", "target", "green_within", "amber_within", "decimals", "per", "direction_tolerance", "expected_within_days", "suppress_under")
    typed = text.with_columns(
        pl.col("kpi_id").str.to_lowercase(),
        pl.col("unit", "polarity", "frequency", "rag_basis").str.to_lowercase(),
        *(parse_number(c).alias(f"_{c}") for c in numeric),
    )
    bad_numbers = [
        P.row_problems(typed, file, unparsed(c, f"_{c}"), c, pl.col(c), pl.format("{}: {}", pl.lit(c), number_problem(c)),
                       f"Write {c} as a finite number in digits (not NaN or infinity), or leave it empty")
        for c in numeric
    ]
    typed = typed.with_columns(
        pl.coalesce("short_name", "name").alias("short_name"),
        pl.col("_priority").cast(pl.Int64).alias("priority"),
        pl.col("_target").alias("target"),
        pl.col("rag_basis").fill_null(DEFAULTS["rag_basis"]),
        pl.col("_green_within").fill_null(DEFAULTS["green_within"]).alias("green_within"),
        pl.col("_amber_within").fill_null(DEFAULTS["amber_within"]).alias("amber_within"),
        pl.col("_per").alias("per"),
        pl.col("_suppress_under").alias("suppress_under"),
        pl.col("_direction_tolerance").fill_null(DEFAULTS["direction_tolerance"]).alias("direction_tolerance"),
        pl.col("_expected_within_days").round(0).cast(pl.Int64).alias("expected_within_days"),
        pl.coalesce(
            pl.col("_decimals").cast(pl.Int64),
            pl.col("unit").replace_strict(DEFAULT_DECIMALS, default=1, return_dtype=pl.Int64),
        ).alias("decimals"),
    )
    problems = validation.validate(CatalogueModel, typed, file, EXPLAIN, raw=text)
    return typed.select(SCHEMA.keys()), P.combine([*bad_numbers, problems])


def load(path: Path) -> tuple[pl.DataFrame, pl.DataFrame]:
    if not path.exists():
        return empty(), P.file_problem(path.name, "The KPI catalogue is missing", "Add catalogue.csv to the data folder (see data/README.md)")
    text = readers.read_text_csv(path.read_bytes(), path.name)
    if text.frame is None:
        return empty(), text.problems
    frame, problems = parse(text.frame, path.name)
    return frame, P.combine([text.problems, problems])


def short_names(catalogue: pl.DataFrame) -> dict[str, str]:
    return dict(zip(catalogue["kpi_id"], catalogue["short_name"], strict=True))


def suggest(unknown: str, known: list[str]) -> str | None:
    import difflib

    match = difflib.get_close_matches(unknown, known, n=1, cutoff=0.6)
    return match[0] if match else None
