"""Variation and assurance icons, named as NHSRplotthedots and Making Data Count name them.

Variation: from the last point's type, and for improvement or concern the side it is on
(an improvement in a KPI where higher is better is high; a concern is low). Assurance:
the target against the process limits of the last group: beyond the limits on the good
side, every point is expected to pass (`consistent_pass`); on the bad side, to fail
(`consistent_fail`); within them, to pass some and fail some (`inconsistent`). No
assurance without a target, for a neutral KPI, or where the limits cannot be computed
(a group of one point: judgement, NHSRplotthedots would say `inconsistent`).

Every icon has a symbol and plain words in `ICONS`, so that it is never shown alone.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from kpis.spc.rules import compare
from kpis.styles import Look


@dataclass(frozen=True)
class Icon:
    kind: str  # variation or assurance
    symbol: str
    words: str
    meaning: str


ICONS = {
    "common_cause": Icon("variation", "◆", "Common cause", "Only the usual variation: no sign of change"),
    "improvement_high": Icon("variation", "▲", "Special cause: improvement (high)", "A signal of change, higher, in the better direction"),
    "improvement_low": Icon("variation", "▼", "Special cause: improvement (low)", "A signal of change, lower, in the better direction"),
    "concern_high": Icon("variation", "▲", "Special cause: concern (high)", "A signal of change, higher, in the worse direction"),
    "concern_low": Icon("variation", "▼", "Special cause: concern (low)", "A signal of change, lower, in the worse direction"),
    "neutral_high": Icon("variation", "△", "Special cause: neutral (high)", "A signal of change, higher; neither direction is better"),
    "neutral_low": Icon("variation", "▽", "Special cause: neutral (low)", "A signal of change, lower; neither direction is better"),
    "consistent_pass": Icon("assurance", "✔", "Consistently passes the target", "The target is outside the process limits, on the good side"),
    "consistent_fail": Icon("assurance", "✖", "Consistently fails the target", "The target is outside the process limits, on the bad side"),
    "inconsistent": Icon("assurance", "↕", "Inconsistent: may pass or fail", "The target is within the process limits"),
}

# How each point type looks on a chart: Making Data Count's grey, blue, orange and purple,
# with a word (and a shape on the chart), so that a type is never told by colour alone.
POINTS = {
    "common_cause": Look("#7B7D7D", "#FFFFFF", "●", "Common cause"),
    "special_cause_improvement": Look("#1F77B4", "#FFFFFF", "▲", "Special cause: improvement"),
    "special_cause_concern": Look("#D9730D", "#1A1A1A", "◆", "Special cause: concern"),
    "special_cause_neutral_high": Look("#5B2C83", "#FFFFFF", "△", "Special cause: neutral (high)"),
    "special_cause_neutral_low": Look("#5B2C83", "#FFFFFF", "▽", "Special cause: neutral (low)"),
}
POINT_WORDS = {k: v.word for k, v in POINTS.items()}


def label(icon: str | None) -> str:
    """Symbol and words, e.g. '◆ Common cause'; '–' for no icon."""
    entry = ICONS.get(icon) if icon else None
    return f"{entry.symbol} {entry.words}" if entry else "–"


def label_expr(column: str) -> pl.Expr:
    return pl.col(column).replace_strict({k: f"{v.symbol} {v.words}" for k, v in ICONS.items()}, default="–", return_dtype=pl.String)


def variation_expr(point_type: pl.Expr, improvement: pl.Expr) -> pl.Expr:
    """The variation icon for a point, from its type and the KPI's improvement direction."""
    increase = improvement == "increase"
    return (
        pl.when(point_type == "common_cause").then(pl.lit("common_cause"))
        .when(point_type == "special_cause_neutral_high").then(pl.lit("neutral_high"))
        .when(point_type == "special_cause_neutral_low").then(pl.lit("neutral_low"))
        .when(point_type == "special_cause_improvement").then(pl.when(increase).then(pl.lit("improvement_high")).otherwise(pl.lit("improvement_low")))
        .when(point_type == "special_cause_concern").then(pl.when(increase).then(pl.lit("concern_low")).otherwise(pl.lit("concern_high")))
    )


def assurance_expr(target: pl.Expr, lpl: pl.Expr, upl: pl.Expr, improvement: pl.Expr) -> pl.Expr:
    """consistent_pass / consistent_fail / inconsistent, or null (no target, neutral, or no limits)."""
    increase = improvement == "increase"
    above = compare(target, upl) > 0
    below = compare(target, lpl) < 0
    return (
        pl.when(target.is_null() | target.is_nan() | lpl.is_null() | upl.is_null() | (improvement == "neutral")).then(None)
        .when(above).then(pl.when(increase).then(pl.lit("consistent_fail")).otherwise(pl.lit("consistent_pass")))
        .when(below).then(pl.when(increase).then(pl.lit("consistent_pass")).otherwise(pl.lit("consistent_fail")))
        .otherwise(pl.lit("inconsistent"))
    )


def icon_table() -> pl.DataFrame:
    """The icons as people read them: kind, symbol, words, meaning and the Making Data Count name."""
    return pl.DataFrame(
        [{"Icon": i.kind.capitalize(), "Symbol": i.symbol, "Words": i.words, "Meaning": i.meaning, "Name": name} for name, i in ICONS.items()],
    )
