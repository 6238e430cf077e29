"""Status rules: RAG against target and direction over 12 months.

One implementation, as Polars expressions, serves frames of any size; the scalar
functions run the same expressions on a one-row frame. Every status carries its
reason as data: target, tolerance band, difference and the rule applied.

RAG is judged on the figures as shown (value and target rounded to the KPI's
decimals, where the frame has them), so that "Why this status?" can quote the very
numbers the status came from. Meeting the target is always green.

Direction keeps the report's convention (the latest value against the same period a
year earlier; a change no larger than the KPI's `direction_tolerance` is maintained)
and says beside it whether the change is statistically significant at 95%:
`significance_exprs`, described in words by `DIRECTION_RULE`.
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


RAG_COLUMNS = ("rag_value", "rag_target", "rag", "shortfall", "miss", "rag_rule")
DIRECTION_COLUMNS = ("change", "arrow", "direction")
SIGNIFICANCE_COLUMNS = ("change_z", "significance_method", "change_significant", "direction_note")

# Two-sided 95%: |z| above this is a significant change.
Z_95 = 1.959963984540054

# How each kind of KPI is tested, and the words for the outcome: one registry, read by the rule text.
@dataclass(frozen=True)
class Method:
    name: str  # what the test is
    applies: str  # to which figures
    short: str  # its name in a sentence about one change


SIGNIFICANCE_METHODS = {
    "two_proportion": Method("a two-proportion z-test (pooled)", "for percentages with a numerator and denominator in both periods",
                             "a two-proportion z-test"),
    "poisson": Method("a test of two Poisson counts (z = (x1 − x2) / √(x1 + x2), the normal approximation)", "for whole-number counts",
                      "a Poisson test of the two counts"),
}
DIRECTION_NOTES = {True: "a significant change", False: "within normal variation", None: "significance not tested"}

DIRECTION_RULE = (
    "Direction compares the latest value with the value for the same period a year earlier. "
    "A change in the good direction larger than the KPI's direction tolerance is Improving, in the bad direction "
    "Worsening; a change no larger than the tolerance is Maintained. "
    "Beside it, the board says whether the change is statistically significant at 95% (|z| > 1.96): "
    + "; ".join(f"{m.name}, {m.applies}" for m in SIGNIFICANCE_METHODS.values()) + ". "
    "A change that is not significant is 'within normal variation': the data cannot tell it from chance. "
    "Other figures (rates, percentages without counts) are marked 'significance not tested'. "
    "Both tests compare periods of the same length, a year apart. The published table shows the arrow and word only, as the report does."
)

# Rounded before comparing, so that 97.5 against 100 is exactly 2.5% short.
_PRECISION = 9


def rounded(expr: pl.Expr, decimals: pl.Expr) -> pl.Expr:
    """`expr` rounded to a per-row number of decimals (0 to 6), as the figure is shown."""
    return pl.coalesce(*(pl.when(decimals == d).then(expr.round(d)) for d in range(7)), expr)


def shown_exprs(with_decimals: bool) -> list[pl.Expr]:
    """rag_value and rag_target: value and target as shown, rounded to the KPI's decimals where known."""
    value, target = pl.col("value"), pl.col("target")
    if with_decimals:
        value, target = rounded(value, pl.col("decimals")), rounded(target, pl.col("decimals"))
    return [value.alias("rag_value"), target.alias("rag_target")]


def rag_exprs() -> list[pl.Expr]:
    """Expressions over rag_value, rag_target (see `shown_exprs`), polarity, rag_basis, green_within, amber_within.

    shortfall: how far the value is on the wrong side of the target, in the KPI's unit
    (negative when it beats the target). miss: the shortfall as the rule measures it,
    percent of target (relative) or in the unit (absolute). Green when the target is
    met (miss at or below zero) or missed by less than green_within.
    """
    value, target, polarity = pl.col("rag_value"), pl.col("rag_target"), pl.col("polarity")
    shortfall = (
        pl.when(polarity == "higher_is_better").then(target - value)
        .when(polarity == "lower_is_better").then(value - target)
    ).round(_PRECISION)
    relative = (
        pl.when(shortfall.is_null()).then(None)
        .when(target.abs() > 0).then(shortfall / target.abs() * 100)
        .when(shortfall <= 0).then(0.0)
        .otherwise(float("inf"))
    )
    miss = pl.when(pl.col("rag_basis") == "absolute").then(shortfall).otherwise(relative).round(_PRECISION)
    rag = (
        pl.when(value.is_null() | target.is_null() | ~value.is_finite() | ~target.is_finite() | (polarity == "neutral"))
        .then(pl.lit(Rag.GREY.value))
        .when((pl.col("miss") <= 0) | (pl.col("miss") < pl.col("green_within"))).then(pl.lit(Rag.GREEN.value))
        .when(pl.col("miss") < pl.col("amber_within")).then(pl.lit(Rag.AMBER.value))
        .otherwise(pl.lit(Rag.RED.value))
    )
    return [shortfall.alias("shortfall"), miss.alias("miss"), rag.alias("rag"), rule_words_expr().alias("rag_rule")]


def rule_words_expr(with_unit: bool = True) -> pl.Expr:
    """The RAG rule in words, the one wording the Definitions page, "Why this status?" and the CLI use:
    'green when on target or less than 2.5% of target below it; amber when less than 5% of target below; red otherwise'.

    Over polarity, rag_basis, green_within and amber_within (and `unit`, with_unit, to say 'percentage points').
    """
    side = pl.when(pl.col("polarity") == "higher_is_better").then(pl.lit("below")).otherwise(pl.lit("above"))
    points = pl.when(pl.col("unit") == "percent").then(pl.lit(" percentage points")).otherwise(pl.lit("")) if with_unit else pl.lit(" (in the KPI's unit)")
    unit = pl.when(pl.col("rag_basis") == "absolute").then(points).otherwise(pl.lit("% of target"))
    number = lambda c: pl.col(c).round(3).cast(pl.String).str.replace(r"\.0+$", "")
    return pl.format("green when on target or less than {}{} {} it; amber when less than {}{} {}; red otherwise",
                     number("green_within"), unit, side, number("amber_within"), unit, side)


def rule_words(kpi: dict[str, object]) -> str:
    """The RAG rule of one KPI (catalogue fields) in words: see `rule_words_expr`."""
    columns = {"polarity": pl.String, "rag_basis": pl.String, "unit": pl.String, "green_within": pl.Float64, "amber_within": pl.Float64}
    frame = pl.DataFrame([{c: kpi.get(c) for c in columns}], schema=columns)
    return frame.select(rule_words_expr()).item()


def with_rag(frame: pl.DataFrame | pl.LazyFrame) -> pl.DataFrame | pl.LazyFrame:
    """RAG columns; judged on figures rounded to the KPI's decimals when the frame has a `decimals` column."""
    names = frame.collect_schema().names()
    shortfall, miss, rag, _ = rag_exprs()
    return frame.with_columns(shown_exprs("decimals" in names)).with_columns(shortfall, miss).with_columns(
        rag, rule_words_expr("unit" in names).alias("rag_rule"))


def direction_exprs() -> list[pl.Expr]:
    """Expressions over value, prior_value, polarity and direction_tolerance (0 where missing)."""
    change = (pl.col("value") - pl.col("prior_value")).round(_PRECISION)
    tolerance = pl.col("direction_tolerance").fill_null(0.0)
    arrow = pl.when(change > 0).then(pl.lit(Arrow.UP.value)).when(change < 0).then(pl.lit(Arrow.DOWN.value)).when(change == 0).then(pl.lit(Arrow.FLAT.value))
    sign = pl.when(pl.col("polarity") == "higher_is_better").then(1).when(pl.col("polarity") == "lower_is_better").then(-1)
    direction = (
        pl.when(change.is_null()).then(pl.lit(Direction.UNKNOWN.value))
        .when(change.abs() <= tolerance).then(pl.lit(Direction.MAINTAINED.value))
        .when(sign.is_null()).then(pl.lit(Direction.NOT_JUDGED.value))
        .when(change * sign > 0).then(pl.lit(Direction.IMPROVING.value))
        .otherwise(pl.lit(Direction.WORSENING.value))
    )
    return [change.alias("change"), arrow.alias("arrow"), direction.alias("direction")]


def significance_exprs() -> list[pl.Expr]:
    """Is the change against a year earlier significant at 95%? Over unit, value, prior_value, numerator,
    denominator, prior_numerator, prior_denominator.

    Percentages with numerator and denominator in both periods: the pooled two-proportion z-test,
    z = (p1 − p2) / √(p(1 − p)(1/n1 + 1/n2)) with p the pooled proportion. Whole-number counts: two
    Poisson counts over equal periods, z = (x1 − x2) / √(x1 + x2) (the normal approximation).
    Anything else is not tested (null). Where there is no variation at all (both 0% or both 100%,
    or two zero counts) z is 0: the change (none) is within normal variation.
    """
    n1, d1, n2, d2 = (pl.col(c) for c in ("numerator", "denominator", "prior_numerator", "prior_denominator"))
    x1, x2 = pl.col("value"), pl.col("prior_value")
    proportions = (pl.col("unit") == "percent") & pl.all_horizontal(
        c.is_not_null() & c.is_finite() for c in (n1, d1, n2, d2)) & (d1 > 0) & (d2 > 0) & (n1 >= 0) & (n2 >= 0)
    pooled = (n1 + n2) / (d1 + d2)
    spread = (pooled * (1 - pooled) * (1 / d1 + 1 / d2)).sqrt()
    z_proportion = pl.when(spread > 0).then((n1 / d1 - n2 / d2) / spread).otherwise(0.0)
    whole = lambda x: x.is_not_null() & x.is_finite() & (x >= 0) & (x == x.round(0))
    counts = (pl.col("unit") == "count") & whole(x1) & whole(x2)
    z_count = pl.when(x1 + x2 > 0).then((x1 - x2) / (x1 + x2).sqrt()).otherwise(0.0)
    z = pl.when(proportions).then(z_proportion).when(counts).then(z_count)
    method = pl.when(proportions).then(pl.lit("two_proportion")).when(counts).then(pl.lit("poisson"))
    significant = pl.when(z.is_not_null()).then(z.abs() > Z_95)
    note = (
        pl.when(pl.col("direction") == Direction.UNKNOWN.value).then(None)
        .when(significant.is_null()).then(pl.lit(DIRECTION_NOTES[None]))
        .when(significant).then(pl.lit(DIRECTION_NOTES[True]))
        .otherwise(pl.lit(DIRECTION_NOTES[False]))
    )
    return [z.alias("change_z"), method.alias("significance_method"), significant.alias("change_significant"), note.alias("direction_note")]


_TESTED_WITH = {"direction_tolerance": pl.Float64, "unit": pl.String, "numerator": pl.Float64, "denominator": pl.Float64,
                "prior_numerator": pl.Float64, "prior_denominator": pl.Float64}


def with_direction(frame: pl.DataFrame | pl.LazyFrame) -> pl.DataFrame | pl.LazyFrame:
    """Direction and significance columns; a frame without tolerance, unit or counts is judged without them."""
    names = frame.collect_schema().names()
    added = {c: t for c, t in _TESTED_WITH.items() if c not in names}
    frame = frame.with_columns(pl.lit(None, t).alias(c) for c, t in added.items())
    return frame.with_columns(direction_exprs()).with_columns(significance_exprs()).drop(list(added))


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
    significant: bool | None = None
    z: float | None = None
    note: str | None = None


def direction(
    value: float | None,
    prior_value: float | None,
    polarity: str = "higher_is_better",
    tolerance: float = 0.0,
    unit: str = "number",
    counts: tuple[float | None, float | None, float | None, float | None] = (None, None, None, None),
) -> DirectionResult:
    """Direction of one change; `counts` are numerator, denominator, prior numerator, prior denominator."""
    columns = {"value": value, "prior_value": prior_value, "polarity": polarity, "direction_tolerance": tolerance, "unit": unit,
               **dict(zip(("numerator", "denominator", "prior_numerator", "prior_denominator"), counts, strict=True))}
    frame = pl.DataFrame({k: [v] for k, v in columns.items()},
                         schema={k: pl.String if k in ("polarity", "unit") else pl.Float64 for k in columns})
    row = with_direction(frame).row(0, named=True)
    return DirectionResult(Arrow(row["arrow"]) if row["arrow"] else None, Direction(row["direction"]), row["change"],
                           row["change_significant"], row["change_z"], row["direction_note"])


def direction_rule_text(kpi: dict[str, object]) -> str:
    """The direction rule in words for one KPI (Definitions page): the general rule and this KPI's tolerance and test."""
    tolerance = float(kpi.get("direction_tolerance") or 0.0)
    unit = str(kpi.get("unit") or "")
    if tolerance > 0:
        points = " percentage points" if unit == "percent" else f" (in the KPI's unit, {unit})"
        held = f"A change of up to {tolerance:g}{points} against a year earlier is Maintained."
    else:
        held = "Any change against a year earlier counts (direction tolerance 0)."
    proportion, counts = SIGNIFICANCE_METHODS["two_proportion"], SIGNIFICANCE_METHODS["poisson"]
    test = {"percent": f"Significance at 95%: {proportion.name}, {proportion.applies}; without them, not tested.",
            "count": f"Significance at 95%: {counts.name}, {counts.applies}."}.get(unit, "Significance: not tested for this unit.")
    return f"{held} {test}"

