"""The one registry of how statuses look: colour, icon and word, on every page and chart.

Colours are told apart under the common colour-vision deficiencies (teal, amber,
red, light grey) and each carries text at WCAG AA contrast. Status is never colour alone.
Each look has a light-theme and a dark-theme version; `css_variables` hands both to the
browser, which picks one by the theme's colour scheme (CSS `light-dark()`).
"""

from __future__ import annotations

from dataclasses import dataclass
from types import EllipsisType

import polars as pl

from kpis.rules import DIRECTION_NOTES


@dataclass(frozen=True)
class Look:
    colour: str  # the fill of a chip or a bar
    text_colour: str  # text on that fill
    icon: str
    word: str
    ink: str | None = None  # the colour for text, icons and borders on the page background, where it differs

    @property
    def mark(self) -> str:
        return self.ink or self.colour


# Page backgrounds of the two themes (.streamlit/config.toml): every ink meets AA text contrast on its own.
BACKGROUND = {"light": "#FFFFFF", "dark": "#0E1117"}
TEXT = {"light": "#1A1A1A", "dark": "#FAFAFA"}


# No status is a light grey: a mid grey would match teal under deuteranopia (tests/test_styles.py simulates it).
RAG = {
    "green": Look("#00796B", "#FFFFFF", "✔", "Green"),
    "amber": Look("#F2A900", "#1A1A1A", "▲", "Amber", ink="#8A5A00"),
    "red": Look("#C62828", "#FFFFFF", "✖", "Red"),
    "grey": Look("#DDE1E6", "#1A1A1A", "○", "No status", ink="#5F6670"),
}
RAG_DARK = {
    "green": Look("#4DB6AC", "#0E1117", "✔", "Green"),
    "amber": Look("#FFC94D", "#0E1117", "▲", "Amber"),
    "red": Look("#FF8A80", "#0E1117", "✖", "Red"),
    "grey": Look("#3D4450", "#FAFAFA", "○", "No status", ink="#A9B0BB"),
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
DIRECTION_DARK = {
    "improving": Look("#4DB6AC", "#0E1117", "▲", "Improving"),
    "worsening": Look("#FF8A80", "#0E1117", "▼", "Worsening"),
    "maintained": Look("#A9B0BB", "#0E1117", "●", "Maintained"),
    "not_judged": Look("#A9B0BB", "#0E1117", "●", "Changed (not judged)"),
    "unknown": Look("#A9B0BB", "#0E1117", "?", "No figure a year earlier"),
}
THEMES = {"light": {"rag": RAG, "direction": DIRECTION}, "dark": {"rag": RAG_DARK, "direction": DIRECTION_DARK}}

# Areas in charts, assigned by area order: hues after Okabe–Ito, darkened or lightened until each line
# stands out at 3:1 on both themes' backgrounds, and the first four stay apart under deuteranopia
# (the lines are labelled with the area as well).
AREA_PALETTE = ("#B0589A", "#0072B2", "#B35C00", "#00876C", "#7E57C2", "#6B6B6B", "#C2570C", "#0E7C86")

BACKGROUND_LINE = "#C8C8C8"  # the lines not highlighted, when a chart holds many areas
# Reference lines: a grey at 3:1 or more on both backgrounds, told apart from each other by dashes.
TARGET_COLOUR = "#767676"
BAND_COLOUR = "#767676"
MEAN_COLOUR = "#0072B2"
# Chart text (axis, legend, title) as exported: the app's style sheet makes it follow the theme's text colour.
CHART_TEXT = "#31333F"
CHART_FONT_SIZE = 13
# The focus ring on every Tab stop: 8:1 or more on each theme's background.
FOCUS = {"light": "#1F4E79", "dark": "#8AB4F8"}
_PARTS = {"fill": lambda look: look.colour, "text": lambda look: look.text_colour, "ink": lambda look: look.mark}
# The app's own colours beyond statuses, (light, dark), as `--kpi-<name>`: text, links and secondary text on the page,
# the wording of an older or late figure, a table's rules and header fill (text on it at AA), and the paper
# behind a chart drawn as an image for a light page (a slide's chart), which stays light in the dark theme.
SURFACES = {
    "text": (TEXT["light"], TEXT["dark"]),
    "link": ("#1F4E79", "#8AB4F8"),
    "meta": ("#4A4F57", "#C3C8D0"),
    "stale": ("#8A4B00", "#FFC94D"),
    "rule": ("#BDBDBD", "#4A5260"),
    "head": ("#EEEEEE", "#262B35"),
    "paper": ("#FFFFFF", "#FFFFFF"),
}


def css_variables() -> str:
    """Custom properties for every status and direction look, each `light-dark(light, dark)`.

    `--kpi-rag-green-fill`, `--kpi-rag-green-text`, `--kpi-rag-green-ink`, and the same for
    `--kpi-direction-...`, and each of `SURFACES` (`--kpi-meta`): the app's style sheet uses these,
    never a colour of its own.
    """
    lines = [f"--kpi-{name}: light-dark({light}, {dark});" for name, (light, dark) in SURFACES.items()]
    for family in ("rag", "direction"):
        light, dark = THEMES["light"][family], THEMES["dark"][family]
        for key in light:
            for part, pick in _PARTS.items():
                lines.append(f"--kpi-{family}-{key.replace('_', '-')}-{part}: light-dark({pick(light[key])}, {pick(dark[key])});")
    return "\n".join(lines)


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
