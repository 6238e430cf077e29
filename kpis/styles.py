"""The one registry of how statuses look: colour, icon and word, on every page and chart.

Colours are told apart under the common colour-vision deficiencies (teal, amber,
red, grey) and each carries text at WCAG AA contrast. Status is never colour alone.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl


@dataclass(frozen=True)
class Look:
    colour: str
    text_colour: str
    icon: str
    word: str


RAG = {
    "green": Look("#00796B", "#FFFFFF", "✔", "Green"),
    "amber": Look("#F2A900", "#1A1A1A", "▲", "Amber"),
    "red": Look("#C62828", "#FFFFFF", "✖", "Red"),
    "grey": Look("#616161", "#FFFFFF", "○", "No status"),
}
RAG_ORDER = ("red", "amber", "green", "grey")

ARROWS = {"up": "↑", "down": "↓", "flat": "→", None: "–"}

DIRECTION = {
    "improving": Look("#00796B", "#FFFFFF", "▲", "Improving"),
    "worsening": Look("#C62828", "#FFFFFF", "▼", "Worsening"),
    "maintained": Look("#616161", "#FFFFFF", "●", "Maintained"),
    "not_judged": Look("#616161", "#FFFFFF", "●", "Changed (not judged)"),
    "unknown": Look("#616161", "#FFFFFF", "?", "No figure a year earlier"),
}

# Areas in charts: colour-blind-safe categorical palette (Okabe–Ito), assigned by area order.
AREA_PALETTE = ("#000000", "#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442")

TARGET_COLOUR = "#444444"
BAND_COLOUR = "#9E9E9E"


def rag_label_expr(column: str = "rag") -> pl.Expr:
    """`rag_label` as a Polars expression: icon and word for each status ('–' where there is none)."""
    return pl.col(column).replace_strict({k: f"{v.icon} {v.word}" for k, v in RAG.items()}, default="–", return_dtype=pl.String)


def rag_label(rag: str) -> str:
    look = RAG.get(rag, RAG["grey"])
    return f"{look.icon} {look.word}"


def direction_label(arrow: str | None, direction: str) -> str:
    look = DIRECTION.get(direction, DIRECTION["unknown"])
    return f"{ARROWS.get(arrow, '–')} {look.word}"
