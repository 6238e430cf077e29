"""Text to numbers in Polars: percent signs, thousands separators, spaces."""

from __future__ import annotations

import polars as pl

_THOUSANDS = r"^[+-]?\d{1,3}(,\d{3})+(\.\d+)?$"


def parse_number(column: str) -> pl.Expr:
    """`87%` -> 87.0, `1,024` -> 1024.0; anything else that is not a number -> null.

    A comma is only taken as a thousands separator when it groups digits in threes,
    so that `1,5` (a decimal comma) is rejected rather than read as 15.
    """
    text = pl.col(column).str.strip_chars().str.strip_suffix("%").str.strip_chars()
    with_commas = text.str.contains(",", literal=True)
    cleaned = (
        pl.when(with_commas & text.str.contains(_THOUSANDS))
        .then(text.str.replace_all(",", "", literal=True))
        .when(with_commas)
        .then(None)
        .otherwise(text)
    )
    return cleaned.cast(pl.Float64, strict=False).alias(column)


def parse_int(column: str) -> pl.Expr:
    return pl.col(column).cast(pl.Float64, strict=False).alias(column)


def unparsed(column: str, parsed: str) -> pl.Expr:
    """True where a cell had text but did not become a number."""
    return pl.col(column).is_not_null() & pl.col(parsed).is_null()
