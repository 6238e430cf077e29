"""Partnership Priorities: their names, and how many KPIs under each are at each status.

A priority's name comes from the latest narrative's section title ("Partnership Priority 1:
Prevention, early intervention and wellbeing" gives "Prevention, early intervention and
wellbeing"); a priority named only by the catalogue is "Priority N". Every priority a
narrative or the catalogue knows is listed, with or without KPIs.

Each KPI counts once, in its catalogue priority, by its status for the area (`status_category`):
green, amber, red, no status (a figure that is not rated), or not reported here (no figure
for the area or its parts at or before the period).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlencode

import polars as pl

from kpis import narratives as N
from kpis.styles import RAG


@dataclass(frozen=True)
class Category:
    key: str
    word: str
    icon: str


# The status categories a KPI can be counted in, worst first: one registry for counts, filters and tables.
CATEGORIES: tuple[Category, ...] = (
    Category("red", RAG["red"].word, RAG["red"].icon),
    Category("amber", RAG["amber"].word, RAG["amber"].icon),
    Category("green", RAG["green"].word, RAG["green"].icon),
    Category("grey", RAG["grey"].word, RAG["grey"].icon),
    Category("not_reported", "Not reported here", "⊘"),
)
CATEGORY_WORDS = {c.key: c.word for c in CATEGORIES}
CATEGORIES_BY_KEY = {c.key: c for c in CATEGORIES}

SUMMARY_SCHEMA = {"priority": pl.Int64, "name": pl.String, "anchor": pl.String, "kpis": pl.Int64,
                  **{c.key: pl.Int64 for c in CATEGORIES}}

_TITLE = re.compile(r"^.*?priority\s+\d+\s*[:.\-–—]\s*", re.IGNORECASE)


def names(narratives: list[N.Narrative], catalogue: pl.DataFrame) -> dict[int, str]:
    """Priority number → name, from the latest narrative's titles, then 'Priority N' for the catalogue's others."""
    named: dict[int, str] = {}
    for narrative in narratives:  # earliest first: a later title wins
        for section in narrative.priorities():
            title = _TITLE.sub("", section.title).strip()
            named[int(section.priority or 0)] = title or f"Priority {section.priority}"
    numbers = set(named) | {int(p) for p in catalogue["priority"].drop_nulls().to_list()}
    return {p: named.get(p, f"Priority {p}") for p in sorted(numbers)}


def label(priority: int, name: str) -> str:
    """'1. Prevention, early intervention and wellbeing' (a name that is only 'Priority N' stays as it is)."""
    return name if name == f"Priority {priority}" else f"{priority}. {name}"


def anchor(priority: int) -> str:
    return f"priority-{priority}"


def anchor_expr() -> pl.Expr:
    """`anchor` over the `priority` column."""
    return pl.format("priority-{}", pl.col("priority"))


def link_expr(period_label: str | None, area: str) -> pl.Expr:
    """Over `priority`: the Priorities page opened at that priority. `priority=N` brings its section into view (an
    #anchor alone is lost when the page writes its address); the anchor serves a link followed within the page."""
    query = urlencode({**({"period": period_label} if period_label else {}), "area": area})
    return pl.format("priorities?{}&priority={}#{}", pl.lit(query), pl.col("priority"), anchor_expr())


def focus(value: str | None, names: dict[int, str]) -> int | None:
    """The priority a link asked for (`priority=N`), if it is one of the board's."""
    return int(value) if value is not None and value.strip().isdigit() and int(value) in names else None


def with_category(statuses: pl.DataFrame) -> pl.DataFrame:
    """`status_category` over `rag` and `has_figure` (as `views.kpi_statuses` gives them)."""
    return statuses.with_columns(pl.when(pl.col("has_figure")).then(pl.col("rag")).otherwise(pl.lit("not_reported")).alias("status_category"))


def filtered(statuses: pl.DataFrame, categories: list[str], priorities: list[int]) -> pl.DataFrame:
    """The statuses (with `status_category`) in one of `categories` and one of `priorities`; an empty list allows all."""
    frame = with_category(statuses) if "status_category" not in statuses.columns else statuses
    keep = ((pl.col("status_category").is_in(categories) if categories else pl.lit(True))
            & (pl.col("priority").is_in(priorities) if priorities else pl.lit(True)))
    return frame.filter(keep)


def filter_label(categories: list[str], priorities: list[int]) -> str:
    """What the overview's filters keep, in a few words: 'All KPIs', '✖ Red · Priority 1', '2 statuses · 3 priorities'."""
    parts = []
    if categories:
        parts.append(f"{CATEGORIES_BY_KEY[categories[0]].icon} {CATEGORY_WORDS[categories[0]]}" if len(categories) == 1 else f"{len(categories)} statuses")
    if priorities:
        parts.append(f"Priority {priorities[0]}" if len(priorities) == 1 else f"{len(priorities)} priorities")
    return " · ".join(parts) or "All KPIs"


def counts(statuses: pl.DataFrame) -> dict[str, int]:
    """KPIs per status category, every category present."""
    frame = with_category(statuses) if "status_category" not in statuses.columns else statuses
    found = dict(frame.group_by("status_category").len().iter_rows())
    return {c.key: int(found.get(c.key, 0)) for c in CATEGORIES}


COUNT_ORDER = ("green", "amber", "red", "grey", "not_reported")  # the Overview's count by status reads best first


def count_keys(counts: dict[str, int]) -> list[str]:
    """The categories a count by status shows (`COUNT_ORDER`): every status, and 'not reported here' only where a KPI is."""
    return [key for key in COUNT_ORDER if key != "not_reported" or counts.get("not_reported")]


def summary(statuses: pl.DataFrame, priority_names: dict[int, str]) -> pl.DataFrame:
    """One row per priority: its name, anchor, how many KPIs, and how many at each status category."""
    frame = with_category(statuses) if "status_category" not in statuses.columns else statuses
    wide = frame.filter(pl.col("priority").is_not_null()).group_by("priority").agg(
        pl.len().alias("kpis"), *((pl.col("status_category") == c.key).sum().cast(pl.Int64).alias(c.key) for c in CATEGORIES))
    listed = pl.DataFrame({"priority": list(priority_names), "name": list(priority_names.values())}, schema={"priority": pl.Int64, "name": pl.String})
    return (
        listed.join(wide, on="priority", how="left")
        .with_columns(pl.col("kpis", *(c.key for c in CATEGORIES)).fill_null(0), anchor_expr().alias("anchor"))
        .sort("priority")
        .select(list(SUMMARY_SCHEMA))
        .cast(SUMMARY_SCHEMA)
    )


def worst_first(table: pl.DataFrame) -> pl.DataFrame:
    """The summary ranked by share of KPIs red, then amber (priorities without rated KPIs last)."""
    rated = pl.col("red") + pl.col("amber") + pl.col("green")
    return table.with_columns(
        pl.when(rated > 0).then(pl.col("red") / rated).alias("_red"), pl.when(rated > 0).then(pl.col("amber") / rated).alias("_amber"),
    ).sort(["_red", "_amber", "priority"], descending=[True, True, False], nulls_last=True).drop("_red", "_amber")


def doing_worst(table: pl.DataFrame) -> str | None:
    """'Doing worst: 3. Supporting people in their communities: 2 red and 0 amber of 2 rated KPI(s).' for the summary's
    worst priority (`worst_first`); None when no priority has a red or amber KPI."""
    if table.height == 0:
        return None
    worst = worst_first(table).row(0, named=True)
    if not worst["red"] + worst["amber"]:
        return None
    return (f"Doing worst: {worst['priority']}. {worst['name']}: {worst['red']} red and {worst['amber']} amber of "
            f"{worst['red'] + worst['amber'] + worst['green']} rated KPI(s).")


TILES_PER_PRIORITY = 6  # a priority with up to this many KPIs shows each as a tile
FEW_TILES = 3  # one with more shows this many (its worst) and names the rest: the Overview filters by priority


def tiles_first(statuses: pl.DataFrame, priority: int, limit: int = TILES_PER_PRIORITY, few: int = FEW_TILES) -> tuple[list[str], list[str]]:
    """A priority's KPIs (rows of `views.kpi_statuses`) as tiles and as names: worst status first, then catalogue
    order; every one as a tile up to `limit`, else the `few` worst."""
    from kpis.styles import RAG_RANK

    ranked = (statuses.filter(pl.col("priority") == priority)
              .sort(pl.col("rag").replace_strict(RAG_RANK, default=len(RAG_RANK), return_dtype=pl.Int64), maintain_order=True))
    ids = ranked["kpi_id"].to_list()
    shown = ids if len(ids) <= limit else ids[:few]
    return shown, ids[len(shown):]


def summary_table(summary: pl.DataFrame, period: str | None, area: str, within_page: bool = False) -> pl.DataFrame:
    """`summary` as shown: priority, the link to its section (on Priorities, or within that page when
    `within_page`), KPIs, then the count at each status."""
    link = pl.format("#{}", pl.col("anchor")) if within_page else link_expr(period, area)
    return summary.select(
        pl.format("{}. {}", pl.col("priority"), pl.col("name")).alias("Partnership Priority"),
        link.alias("Section"),
        pl.col("kpis").alias("KPIs"),
        *(pl.col(c.key).alias(f"{c.icon} {c.word}") for c in CATEGORIES),
    )
