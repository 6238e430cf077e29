"""Numbers and statuses as people read them."""

from __future__ import annotations

import math

import polars as pl


def format_value(value: float | None, unit: str, decimals: int = 1) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    if unit == "percent":
        return f"{value:,.{decimals}f}%"
    return f"{value:,.{decimals}f}"


def format_change(change: float | None, unit: str, decimals: int = 1) -> str:
    if change is None:
        return "–"
    sign = "+" if change > 0 else ""
    suffix = " pts" if unit == "percent" else ""
    return f"{sign}{change:,.{decimals}f}{suffix}"


def format_target(target: float | None, wording: str | None, unit: str, decimals: int = 1) -> str:
    if wording:
        return wording
    return format_value(target, unit, decimals) if target is not None else "No target"


MARKDOWN_SPECIALS = "\\`*_{}[]<>()#+-.!|~:$"


def markdown_literal(text: str) -> str:
    """Text from the data, shown where Streamlit reads Markdown (a button's label): every mark escaped, so it is
    shown as written and never becomes a link, an icon or emphasis."""
    return "".join("\\" + c if c in MARKDOWN_SPECIALS else c for c in text)


def value_expr(value: str = "value", unit: str = "unit", decimals: str = "decimals") -> pl.Expr:
    """`format_value` as a Polars expression: fixed decimals per row, a % sign for percentages."""
    v = pl.col(value)
    rounded = pl.coalesce(*(pl.when(pl.col(decimals) == d).then(v.round(d)) for d in range(7)))
    parts = rounded.abs().cast(pl.String).str.split_exact(".", 1)
    whole = parts.struct.field("field_0")
    grouped = whole
    for _ in range(5):  # one thousands separator per pass, from the right
        grouped = grouped.str.replace(r"(\d)(\d{3})(,|$)", "$1,$2$3")
    fraction = parts.struct.field("field_1").fill_null("").str.pad_end(7, "0")
    text = pl.when(pl.col(decimals) > 0).then(grouped + "." + fraction.str.head(pl.col(decimals))).otherwise(grouped)
    sign = pl.when(rounded < 0).then(pl.lit("-")).otherwise(pl.lit(""))
    suffix = pl.when(pl.col(unit) == "percent").then(pl.lit("%")).otherwise(pl.lit(""))
    return pl.when(v.is_null()).then(pl.lit("–")).otherwise(sign + text + suffix)
