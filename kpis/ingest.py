"""Observation files: read, normalise in Polars, validate with pandera, report.

`check_observations` never raises for anything a file holds: every problem becomes a
row of the report, and the rows that pass come back typed, ready for the store.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

import polars as pl

from kpis import areas as A
from kpis import catalogue as C
from kpis import periods, readers, validation
from kpis import problems as P
from kpis.numbers import parse_number, unparsed
from kpis.schemas import ObservationModel

REQUIRED = ("kpi_id", "area", "period", "value")
OPTIONAL = ("numerator", "denominator", "target", "note")
KEY = ("kpi_id", "area", "period")

OBSERVATION_SCHEMA = {
    "kpi_id": pl.String, "area": pl.String, "period": pl.String, "period_start": pl.Date,
    "period_end": pl.Date, "period_kind": pl.String, "value": pl.Float64, "numerator": pl.Float64,
    "denominator": pl.Float64, "target": pl.Float64, "note": pl.String,
}

EXPLAIN = {
    "numerator_not_negative": validation.Explanation("numerator", "The numerator is negative", "Counts cannot be below zero"),
    "denominator_positive": validation.Explanation("denominator", "The denominator is zero or negative", "Use the number of people or events counted; it must be above zero"),
    "percent_in_range": validation.Explanation("value", "A percentage outside 0–100", "Give the percentage as a number from 0 to 100 (87 or 87%, not 0.87 or 870)"),
    "count_not_negative": validation.Explanation("value", "A count below zero", "Counts cannot be negative"),
    "numerator_within_denominator": validation.Explanation("numerator", "The numerator is larger than the denominator", "Check that the two columns are not swapped"),
    "value_matches_fraction": validation.Explanation("value", "The value does not match numerator ÷ denominator", "Recalculate the percentage, or correct the numerator or denominator"),
    "period_fits_frequency": validation.Explanation("period", "The period does not fit the KPI's frequency", "Use a month for a monthly KPI, a quarter for a quarterly one and a year for an annual one"),
}


@dataclass(frozen=True)
class CheckResult:
    """Rows that passed (typed), and every problem found."""

    frame: pl.DataFrame
    problems: pl.DataFrame

    @property
    def valid(self) -> bool:
        return not P.has_errors(self.problems)


def empty() -> pl.DataFrame:
    return pl.DataFrame(schema=OBSERVATION_SCHEMA)


def _area_hint(areas: pl.DataFrame) -> str:
    listed = [f"{a} ({c})" for a, c in zip(areas["area"], areas["code"], strict=True)]
    more = f" and {len(listed) - 8} more in areas.csv" if len(listed) > 8 else ""
    return "Use an area name or code: " + ", ".join(listed[:8]) + more


def check_observations(text: pl.DataFrame, catalogue: pl.DataFrame, areas: pl.DataFrame, file: str, today: date | None = None) -> CheckResult:
    """Normalise and validate a text frame of observations (as `readers` returns it)."""
    missing = [c for c in REQUIRED if c not in text.columns]
    if missing:
        return CheckResult(empty(), P.file_problem(
            file, f"Missing required column(s): {', '.join(missing)}",
            f"The header must include {', '.join(REQUIRED)} (optional: {', '.join(OPTIONAL)}); see the template",
            column=", ".join(missing)))
    today = today or date.today()
    text = text.with_columns(pl.lit(None, pl.String).alias(c) for c in OPTIONAL if c not in text.columns)
    lookup = A.lookup(areas)
    period_table = periods.parse_labels(text["period"])
    kpi_info = catalogue.select(
        "kpi_id", "unit", "frequency", "decimals", pl.col("target").alias("catalogue_target"), pl.lit(True).alias("known_kpi"),
    )

    typed = (
        text.lazy()
        .rename({"period": "raw_period"})
        .with_columns(
            pl.col("kpi_id").str.to_lowercase().alias("kpi_id"),
            pl.col("area").str.to_lowercase().replace_strict(lookup, default=None).alias("_area"),
            parse_number("value").alias("_value"),
            parse_number("numerator").alias("_numerator"),
            parse_number("denominator").alias("_denominator"),
            parse_number("target").alias("_target"),
        )
        .join(period_table.lazy(), on="raw_period", how="left", maintain_order="left")
        .join(kpi_info.lazy(), on="kpi_id", how="left", maintain_order="left")
        .collect()
    )

    unknown_ids = typed.filter(pl.col("kpi_id").is_not_null() & pl.col("known_kpi").is_null())["kpi_id"].unique().to_list()
    known = catalogue["kpi_id"].to_list()
    hints = pl.DataFrame(
        {"kpi_id": unknown_ids, "_hint": [
            f"Did you mean '{s}'? " if (s := C.suggest(u, known)) else "" for u in unknown_ids
        ]},
        schema={"kpi_id": pl.String, "_hint": pl.String},
    )

    parse_problems = [
        P.row_problems(typed, file, pl.col("kpi_id").is_null(), "kpi_id", pl.col("kpi_id"), "The KPI id is empty", "Fill in the KPI id from the catalogue"),
        P.row_problems(
            typed.join(hints, on="kpi_id", how="inner"), file, pl.lit(True), "kpi_id", pl.col("kpi_id"),
            pl.format("Unknown KPI id '{}'", pl.col("kpi_id")),
            pl.col("_hint") + pl.lit("KPI ids are listed in the catalogue (Definitions page)")),
        P.row_problems(typed, file, pl.col("area").is_null(), "area", pl.col("area"), "The area is empty", _area_hint(areas)),
        P.row_problems(typed, file, pl.col("area").is_not_null() & pl.col("_area").is_null(), "area", pl.col("area"),
                       pl.format("Unknown area '{}'", pl.col("area")), _area_hint(areas)),
        P.row_problems(typed, file, pl.col("raw_period").is_null(), "period", pl.col("raw_period"), "The period is empty",
                       f"Write the period, e.g. {periods.ACCEPTED_FORMS}"),
        P.row_problems(typed, file, pl.col("period_error").is_not_null(), "period", pl.col("raw_period"), pl.col("period_error"),
                       f"Accepted forms are {periods.ACCEPTED_FORMS}"),
        P.row_problems(typed, file, pl.col("value").is_null(), "value", pl.col("value"), "The value is empty",
                       "Enter the figure, or remove the row if there is none for this period"),
        *(
            P.row_problems(typed, file, unparsed(c, f"_{c}"), c, pl.col(c), pl.format("'{}' is not a number", pl.col(c)),
                           "Use digits with an optional % sign or thousands commas, e.g. 87, 87% or 1,024")
            for c in ("value", "numerator", "denominator", "target")
        ),
    ]

    typed = typed.with_columns(
        pl.col("_area").alias("area"),
        pl.col("_value").alias("value"),
        pl.col("_numerator").alias("numerator"),
        pl.col("_denominator").alias("denominator"),
        pl.col("_target").alias("target"),
    )
    schema_problems = validation.validate(ObservationModel, typed, file, EXPLAIN, raw=text)

    key_ok = pl.all_horizontal(pl.col(k).is_not_null() for k in (*KEY, "value")) & pl.col("known_kpi").is_not_null()
    typed = typed.with_columns(
        pl.col("row").filter(key_ok).min().over(KEY).alias("_first_row"),
        pl.col("value").filter(key_ok).n_unique().over(KEY).alias("_distinct"),
        key_ok.sum().over(KEY).alias("_in_key"),
    )
    first_row, distinct_values, in_key = pl.col("_first_row"), pl.col("_distinct"), pl.col("_in_key") > 1
    duplicate_problems = [
        P.row_problems(typed, file, key_ok & in_key & (pl.col("row") != first_row) & (distinct_values > 1), "value", pl.col("value"),
                       pl.format("The same KPI, area and period as row {} with a different value", first_row),
                       "Keep one row per KPI, area and period"),
        P.row_problems(typed, file, key_ok & in_key & (pl.col("row") != first_row) & (distinct_values == 1), "value", pl.col("value"),
                       pl.format("Repeats row {}", first_row), "Delete the repeated row", "warning"),
    ]
    no_target = pl.col("known_kpi").is_not_null() & pl.col("target").is_null() & pl.col("catalogue_target").is_null()
    warnings = [
        P.row_problems(typed, file, pl.col("period_start") > pl.lit(today), "period", pl.col("period"),
                       "This period has not started yet", "Check the period; figures are usually for a past period", "warning"),
        # One warning per KPI is enough for the reader.
        P.row_problems(typed, file, no_target & (pl.col("row") == pl.col("row").filter(no_target).min().over("kpi_id")),
                       "target", pl.col("kpi_id"), "This KPI has no target, so it will be shown without a RAG status",
                       "Add a target to the catalogue or a target column to the file, if there is one", "warning"),
    ]
    report = P.combine([*parse_problems, schema_problems, *duplicate_problems, *warnings])

    bad_rows = report.filter((pl.col("severity") == "error") & pl.col("row").is_not_null())["row"].unique().implode()
    frame = typed.filter(key_ok & ~pl.col("row").is_in(bad_rows)).unique(subset=KEY, keep="first", maintain_order=True)
    return CheckResult(frame.select(OBSERVATION_SCHEMA.keys()), report)


def check_file(path: Path | str, data: bytes, catalogue: pl.DataFrame, areas: pl.DataFrame, today: date | None = None) -> CheckResult:
    """Check CSV bytes; `path` is only used for naming the file in the report."""
    name = Path(path).name
    text = readers.read_text_csv(data, name)
    if text.frame is None:
        return CheckResult(empty(), text.problems)
    result = check_observations(text.frame, catalogue, areas, name, today)
    return CheckResult(result.frame, P.combine([text.problems, result.problems]))
