"""Numbers and statuses as people read them."""

from __future__ import annotations

import math


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
