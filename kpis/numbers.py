"""Text to numbers in Polars: percent signs, thousands separators, spaces.

Only finite numbers are figures: `nan`, `inf` and anything too large for a float
(`1e309`) are not numbers here, so a rule that checks for a number catches them.
"""

from __future__ import annotations

import polars as pl

_THOUSANDS = r"^[+-]?\d{1,3}(,\d{3})+(\.\d+)?$"


def finite(expr: pl.Expr) -> pl.Expr:
    """The number where it is finite, else null (NaN, infinity)."""
    return pl.when(expr.is_finite()).then(expr)


def _cleaned(column: str) -> pl.Expr:
    """The text with its % sign and spaces removed, and thousands commas where they group digits in threes."""
    text = pl.col(column).str.strip_chars().str.strip_suffix("%").str.strip_chars()
    with_commas = text.str.contains(",", literal=True)
    return (
        pl.when(with_commas & text.str.contains(_THOUSANDS))
        .then(text.str.replace_all(",", "", literal=True))
        .when(with_commas)
        .then(None)
        .otherwise(text)
    )


def parse_number(column: str) -> pl.Expr:
    """`87%` -> 87.0, `1,024` -> 1024.0; anything else that is not a finite number -> null.

    A comma is only taken as a thousands separator when it groups digits in threes,
    so that `1,5` (a decimal comma) is rejected rather than read as 15.
    """
    return finite(_cleaned(column).cast(pl.Float64, strict=False)).alias(column)


def fast_number(column: str) -> pl.Expr:
    """A plain cast to a finite number (null otherwise), for the fast path of clean files."""
    return finite(pl.col(column).cast(pl.Float64, strict=False)).alias(column)


def parse_int(column: str) -> pl.Expr:
    return fast_number(column)


def unparsed(column: str, parsed: str) -> pl.Expr:
    """True where a cell had text but did not become a number."""
    return pl.col(column).is_not_null() & pl.col(parsed).is_null()


def number_problem(column: str) -> pl.Expr:
    """Why a cell of text is not a figure, in the user's words: NaN, infinite, too large, or not a number."""
    raw = pl.col(column)
    read = _cleaned(column).cast(pl.Float64, strict=False)
    spelt_infinite = _cleaned(column).str.to_lowercase().str.contains("inf")
    return (
        pl.when(read.is_nan()).then(pl.format("'{}' is not a number (NaN)", raw))
        .when(read.is_infinite() & spelt_infinite).then(pl.format("'{}' is infinite", raw))
        .when(read.is_infinite()).then(pl.format("'{}' is too large to be a figure", raw))
        .otherwise(pl.format("'{}' is not a number", raw))
        .alias(column)
    )


NUMBER_FIX = "Write a finite figure in digits with an optional % sign or thousands commas, e.g. 87, 87% or 1,024"
