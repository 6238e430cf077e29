"""Confidence intervals and comparisons, as public-health profile tools show them."""

from __future__ import annotations

import polars as pl

Z95 = 1.959963984540054


def wilson_exprs(numerator: str = "numerator", denominator: str = "denominator", scale: float = 100.0, z: float = Z95) -> list[pl.Expr]:
    """The Wilson score interval for a proportion, as `ci_low` and `ci_high` (in percent by default)."""
    n = pl.col(denominator)
    p = pl.col(numerator) / n
    centre = (p + z**2 / (2 * n)) / (1 + z**2 / n)
    half = z * ((p * (1 - p) / n + z**2 / (4 * n**2)).sqrt()) / (1 + z**2 / n)
    valid = n.is_not_null() & (n > 0) & pl.col(numerator).is_not_null()
    return [
        pl.when(valid).then((centre - half) * scale).alias("ci_low"),
        pl.when(valid).then((centre + half) * scale).alias("ci_high"),
    ]


def compare_exprs(reference: str = "reference") -> list[pl.Expr]:
    """`better`, `similar` or `worse` than the reference value, judged on the 95% interval.

    The area differs from the reference only when the reference lies outside the area's
    interval; which way is better follows the KPI's polarity. No interval, no judgement.
    """
    ref = pl.col(reference)
    above = pl.col("ci_low") > ref
    below = pl.col("ci_high") < ref
    higher_good = pl.col("polarity") == "higher_is_better"
    lower_good = pl.col("polarity") == "lower_is_better"
    return [
        pl.when(pl.col("ci_low").is_null() | ref.is_null()).then(pl.lit("not compared"))
        .when(~(above | below)).then(pl.lit("similar"))
        .when((above & higher_good) | (below & lower_good)).then(pl.lit("better"))
        .when((above & lower_good) | (below & higher_good)).then(pl.lit("worse"))
        .otherwise(pl.lit("different"))
        .alias("compared"),
    ]
