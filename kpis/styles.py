"""The one registry of how statuses look: colour, icon and word, on every page and chart.

Colours are told apart under the common colour-vision deficiencies (teal, amber,
red, grey) and each carries text at WCAG AA contrast. Status is never colour alone.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import EllipsisType

import polars as pl

from kpis.rules import DIRECTION_NOTES


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
RAG_ORDER = ("red", "amber", "green", "grey")  # worst first: the one order every ranking and list of statuses uses
RAG_RANK = {rag: rank for rank, rag in enumerate(RAG_ORDER)}

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

BACKGROUND_LINE = "#C8C8C8"  # the lines not highlighted, when a chart holds many areas
TARGET_COLOUR = "#444444"
BAND_COLOUR = "#9E9E9E"


def rag_label_expr(column: str = "rag") -> pl.Expr:
    """`rag_label` as a Polars expression: icon and word for each status ('–' where there is none)."""
    return pl.col(column).replace_strict({k: f"{v.icon} {v.word}" for k, v in RAG.items()}, default="–", return_dtype=pl.String)


def rag_label(rag: str) -> str:
    look = RAG.get(rag, RAG["grey"])
    return f"{look.icon} {look.word}"


# Directions that say a change happened: on a tile they carry whether the change is significant.
QUALIFIED_DIRECTIONS = frozenset({"improving", "worsening", "not_judged"})


def direction_label(arrow: str | None, direction: str, significant: bool | EllipsisType | None = ...) -> str:
    """Arrow and word, as the published table shows them ('↑ Improving').

    Given `significant` (True, False, or None where it could not be tested), a change also
    says whether the data can tell it from noise: '↑ Improving, within normal variation'.
    """
    look = DIRECTION.get(direction, DIRECTION["unknown"])
    label = f"{ARROWS.get(arrow, '–')} {look.word}"
    if significant is ... or direction not in QUALIFIED_DIRECTIONS:
        return label
    return f"{label}, {DIRECTION_NOTES[significant]}"
