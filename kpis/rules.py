"""Status rules: RAG against target and direction over 12 months.

One implementation, as Polars expressions, serves frames of any size; the scalar
functions run the same expressions on a one-row frame. Every status carries its
reason as data: target, tolerance band, difference and the rule applied.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

import polars as pl


class Rag(StrEnum):
    GREEN = "green"
    AMBER = "amber"
    RED = "red"
    GREY = "grey"


class Arrow(StrEnum):
    UP = "up"
    DOWN = "down"
    FLAT = "flat"


class Direction(StrEnum):
    IMPROVING = "improving"
    WORSENING = "worsening"
    MAINTAINED = "maintained"
    NOT_JUDGED = "not_judged"  # a neutral KPI changed: the change is shown, not judged
    UNKNOWN = "unknown"  # no value a year earlier


RAG_COLUMNS = ("rag", "shortfall", "miss", "rag_rule")
DIRECTION_COLUMNS = ("change", "arrow", "direction")

# Rounded before comparing, so that 97.5 against 100 is exactly 2.5% short.
_PRECISION = 9


def rag_exprs() -> list[pl.Expr]:
    """Expressions over value, target, polarity, rag_basis, green_within, amber_within.

    shortfall: how far the value is on the wrong side of the target, in the KPI's unit
    (negative when it beats the target). miss: the shortfall as the rule measures it,
    percent of target (relative) or in the unit (absolute).
    """
    value, target, polarity = pl.col("value"), pl.col("target"), pl.col("polarity")
    shortfall = (
        pl.when(polarity == "higher_is_better").then(target - value)
        .when(polarity == "lower_is_better").then(value - target)
    )
    relative = (
        pl.when(shortfall.is_null()).then(None)
        .when(target.abs() > 0).then(shortfall / target.abs() * 100)
        .when(shortfall <= 0).then(0.0)
        .otherwise(float("inf"))
    )
    miss = pl.when(pl.col("rag_basis") == "absolute").then(shortfall).otherwise(relative).round(_PRECISION)
    rag = (
        pl.when(value.is_null() | target.is_null() | value.is_nan() | (polarity == "neutral")).then(pl.lit(Rag.GREY.value))
        .when(pl.col("miss") < pl.col("green_within")).then(pl.lit(Rag.GREEN.value))
        .when(pl.col("miss") < pl.col("amber_within")).then(pl.lit(Rag.AMBER.value))
        .otherwise(pl.lit(Rag.RED.value))
    )
    rule = pl.format(
        "green if short of target by less than {}{}, amber if less than {}{}, red otherwise",
        pl.col("green_within"), _band_unit(), pl.col("amber_within"), _band_unit(),
    )
    return [shortfall.alias("shortfall"), miss.alias("miss"), rag.alias("rag"), rule.alias("rag_rule")]


def _band_unit() -> pl.Expr:
    return pl.when(pl.col("rag_basis") == "absolute").then(pl.lit(" (in the KPI's unit)")).otherwise(pl.lit("% of target"))


def with_rag(frame: pl.DataFrame | pl.LazyFrame) -> pl.DataFrame | pl.LazyFrame:
    first, *rest = rag_exprs()
    shortfall, miss, rag, rule = first, *rest
    return frame.with_columns(shortfall, miss).with_columns(rag, rule)


def direction_exprs() -> list[pl.Expr]:
    """Expressions over value, prior_value and polarity."""
    change = (pl.col("value") - pl.col("prior_value")).round(_PRECISION)
    arrow = pl.when(change > 0).then(pl.lit(Arrow.UP.value)).when(change < 0).then(pl.lit(Arrow.DOWN.value)).when(change == 0).then(pl.lit(Arrow.FLAT.value))
    sign = pl.when(pl.col("polarity") == "higher_is_better").then(1).when(pl.col("polarity") == "lower_is_better").then(-1)
    direction = (
        pl.when(change.is_null()).then(pl.lit(Direction.UNKNOWN.value))
        .when(change == 0).then(pl.lit(Direction.MAINTAINED.value))
        .when(sign.is_null()).then(pl.lit(Direction.NOT_JUDGED.value))
        .when(change * sign > 0).then(pl.lit(Direction.IMPROVING.value))
        .otherwise(pl.lit(Direction.WORSENING.value))
    )
    return [change.alias("change"), arrow.alias("arrow"), direction.alias("direction")]


def with_direction(frame: pl.DataFrame | pl.LazyFrame) -> pl.DataFrame | pl.LazyFrame:
    return frame.with_columns(direction_exprs())


@dataclass(frozen=True)
class RagResult:
    rag: Rag
    value: float | None
    target: float | None
    polarity: str
    basis: str
    green_within: float
    amber_within: float
    shortfall: float | None
    miss: float | None
    rule: str


def rag(
    value: float | None,
    target: float | None,
    polarity: str = "higher_is_better",
    basis: str = "relative",
    green_within: float = 2.5,
    amber_within: float = 5.0,
) -> RagResult:
    frame = pl.DataFrame(
        {"value": [value], "target": [target], "polarity": [polarity], "rag_basis": [basis],
         "green_within": [green_within], "amber_within": [amber_within]},
        schema={"value": pl.Float64, "target": pl.Float64, "polarity": pl.String, "rag_basis": pl.String,
                "green_within": pl.Float64, "amber_within": pl.Float64},
    )
    row = with_rag(frame).row(0, named=True)
    return RagResult(Rag(row["rag"]), value, target, polarity, basis, green_within, amber_within,
                     row["shortfall"], row["miss"], row["rag_rule"])


@dataclass(frozen=True)
class DirectionResult:
    arrow: Arrow | None
    direction: Direction
    change: float | None


def direction(value: float | None, prior_value: float | None, polarity: str = "higher_is_better") -> DirectionResult:
    frame = pl.DataFrame(
        {"value": [value], "prior_value": [prior_value], "polarity": [polarity]},
        schema={"value": pl.Float64, "prior_value": pl.Float64, "polarity": pl.String},
    )
    row = with_direction(frame).row(0, named=True)
    return DirectionResult(Arrow(row["arrow"]) if row["arrow"] else None, Direction(row["direction"]), row["change"])
