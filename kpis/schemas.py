"""Declarative pandera (Polars) models, one per file kind.

Frames are parsed to their types in Polars first and validated here after; pandera's
own string-to-date coercion is not used. Custom checks carry names that
`validation.describe_failures` turns into a problem and a fix for the user.
"""

from __future__ import annotations

from datetime import date
from typing import Optional

import pandera.polars as pa
import polars as pl

UNITS = ("percent", "count", "rate", "number")
POLARITIES = ("higher_is_better", "lower_is_better", "neutral")
FREQUENCIES = ("monthly", "quarterly", "annual")
RAG_BASES = ("relative", "absolute")
SLUG = r"^[a-z][a-z0-9_]*$"


FINITE_CATALOGUE_COLUMNS = ("target", "green_within", "amber_within", "per", "direction_tolerance", "suppress_under")
FINITE_OBSERVATION_COLUMNS = ("value", "numerator", "denominator", "target")


def _all_finite(columns: tuple[str, ...]) -> pl.Expr:
    """True where every one of `columns` is a finite number or empty: NaN and infinity are not figures."""
    return pl.all_horizontal(pl.col(c).is_finite().fill_null(True) for c in columns)


def fraction_scale(columns: list[str]) -> pl.Expr:
    """What numerator ÷ denominator is multiplied by to give the value, by unit: 100 for a percentage,
    the catalogue's `per` for a rate per N or a cost per unit (`number`); no check for a count or without `per`."""
    per = pl.col("per").cast(pl.Float64) if "per" in columns else pl.lit(None, pl.Float64)
    return pl.when(pl.col("unit") == "percent").then(100.0).when(pl.col("unit").is_in(["rate", "number"])).then(per)


class CatalogueModel(pa.DataFrameModel):
    row: int
    kpi_id: str = pa.Field(unique=True, str_matches=SLUG)
    name: str
    short_name: str
    priority: int = pa.Field(nullable=True, ge=1)
    unit: str = pa.Field(isin=UNITS)
    polarity: str = pa.Field(isin=POLARITIES)
    target: float = pa.Field(nullable=True)
    target_wording: str = pa.Field(nullable=True)
    frequency: str = pa.Field(isin=FREQUENCIES)
    definition: str = pa.Field(nullable=True)
    source: str = pa.Field(nullable=True)
    owner: str = pa.Field(nullable=True)
    rag_basis: str = pa.Field(isin=RAG_BASES)
    green_within: float = pa.Field(ge=0)
    amber_within: float = pa.Field(ge=0)
    decimals: int = pa.Field(ge=0, le=6)
    per: float = pa.Field(nullable=True, gt=0)
    direction_tolerance: float = pa.Field(ge=0)
    expected_within_days: Optional[int] = pa.Field(nullable=True, ge=0)  # noqa: UP045 (pandera reads Optional as "column may be absent")
    suppress_under: Optional[float] = pa.Field(nullable=True, ge=0)  # noqa: UP045

    @pa.dataframe_check(name="catalogue_numbers_finite")
    def _finite(cls, data: pa.PolarsData) -> pl.LazyFrame:
        present = set(data.lazyframe.collect_schema().names())
        return data.lazyframe.select(_all_finite(tuple(c for c in FINITE_CATALOGUE_COLUMNS if c in present)))

    @pa.dataframe_check(name="amber_not_narrower_than_green")
    def _bands(cls, data: pa.PolarsData) -> pl.LazyFrame:
        return data.lazyframe.select(pl.col("amber_within") >= pl.col("green_within"))

    class Config:
        strict = False


class AreaModel(pa.DataFrameModel):
    row: int
    area: str = pa.Field(unique=True)
    code: str = pa.Field(unique=True)
    parent: str = pa.Field(nullable=True)
    order: int

    @pa.dataframe_check(name="parent_is_declared")
    def _parent(cls, data: pa.PolarsData) -> pl.LazyFrame:
        known = data.lazyframe.select("area").collect()["area"]
        return data.lazyframe.select(pl.col("parent").is_null() | pl.col("parent").is_in(known.implode()))

    @pa.dataframe_check(name="peer_group_is_declared")
    def _peer_group(cls, data: pa.PolarsData) -> pl.LazyFrame:
        if "peer_group" not in data.lazyframe.collect_schema().names():
            return data.lazyframe.select(pl.lit(True))
        known = data.lazyframe.select("area").collect()["area"]
        return data.lazyframe.select(pl.col("peer_group").is_null() | pl.col("peer_group").is_in(known.implode()))

    class Config:
        strict = False


class ObservationModel(pa.DataFrameModel):
    """One row per KPI x area x period, after parsing and joining the catalogue."""

    row: int
    kpi_id: str = pa.Field(nullable=True)
    area: str = pa.Field(nullable=True)
    period: str = pa.Field(nullable=True)
    period_start: date = pa.Field(nullable=True)
    period_end: date = pa.Field(nullable=True)
    period_kind: str = pa.Field(nullable=True)
    value: float = pa.Field(nullable=True)
    numerator: float = pa.Field(nullable=True)
    denominator: float = pa.Field(nullable=True)
    target: float = pa.Field(nullable=True)
    note: str = pa.Field(nullable=True)
    unit: str = pa.Field(nullable=True)
    frequency: str = pa.Field(nullable=True)
    decimals: int = pa.Field(nullable=True)

    @pa.dataframe_check(name="figures_finite")
    def _finite(cls, data: pa.PolarsData) -> pl.LazyFrame:
        return data.lazyframe.select(_all_finite(FINITE_OBSERVATION_COLUMNS))

    @pa.check("numerator", name="numerator_not_negative")
    def _num(cls, data: pa.PolarsData) -> pl.LazyFrame:
        return data.lazyframe.select(pl.col(data.key) >= 0)

    @pa.check("denominator", name="denominator_positive")
    def _den(cls, data: pa.PolarsData) -> pl.LazyFrame:
        return data.lazyframe.select(pl.col(data.key) > 0)

    @pa.dataframe_check(name="percent_in_range")
    def _percent(cls, data: pa.PolarsData) -> pl.LazyFrame:
        is_percent = pl.col("unit") == "percent"
        return data.lazyframe.select((~is_percent | pl.col("value").is_between(0, 100)).fill_null(True))

    @pa.dataframe_check(name="count_not_negative")
    def _count(cls, data: pa.PolarsData) -> pl.LazyFrame:
        return data.lazyframe.select(((pl.col("unit") != "count") | (pl.col("value") >= 0)).fill_null(True))

    @pa.dataframe_check(name="numerator_within_denominator")
    def _within(cls, data: pa.PolarsData) -> pl.LazyFrame:
        # Only a proportion has its numerator inside its denominator; a rate or a cost per unit need not.
        return data.lazyframe.select(((pl.col("unit") != "percent") | (pl.col("numerator") <= pl.col("denominator"))).fill_null(True))

    @pa.dataframe_check(name="value_matches_fraction")
    def _fraction(cls, data: pa.PolarsData) -> pl.LazyFrame:
        expected = pl.col("numerator") / pl.col("denominator") * fraction_scale(data.lazyframe.collect_schema().names())
        # Published figures are rounded; allow half a unit of the last shown digit, or of the figure's own precision.
        tolerance = pl.max_horizontal(0.5 * (10.0 ** (-pl.col("decimals").cast(pl.Float64))), expected.abs() * 5e-4) + 1e-9
        return data.lazyframe.select(((pl.col("value") - expected).abs() <= tolerance).fill_null(True))

    @pa.dataframe_check(name="period_fits_frequency")
    def _frequency(cls, data: pa.PolarsData) -> pl.LazyFrame:
        allowed = (
            pl.when(pl.col("frequency") == "monthly").then(pl.col("period_kind") == "month")
            .when(pl.col("frequency") == "quarterly").then(pl.col("period_kind").is_in(["fy_quarter", "quarter"]))
            .when(pl.col("frequency") == "annual").then(pl.col("period_kind").is_in(["fy", "year"]))
        )
        return data.lazyframe.select(allowed.fill_null(True))

    class Config:
        strict = False
