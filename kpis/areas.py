"""Areas: the one registry of places, their short codes and their parents.

Nothing else in the code names a place. Areas form a tree (a city and its localities,
a country and its council areas); `order` fixes how they are listed.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from kpis import problems as P
from kpis import readers, validation
from kpis.numbers import parse_number
from kpis.schemas import AreaModel

SCHEMA = {"area": pl.String, "code": pl.String, "parent": pl.String, "order": pl.Int64, "peer_group": pl.String}


def empty() -> pl.DataFrame:
    return pl.DataFrame(schema=SCHEMA)


def parse(text: pl.DataFrame, file: str = "areas.csv") -> tuple[pl.DataFrame, pl.DataFrame]:
    missing = [c for c in ("area", "code") if c not in text.columns]
    if missing:
        return empty(), P.file_problem(file, f"Missing column(s): {', '.join(missing)}", "Add the columns area, code and parent")
    text = text.with_columns(pl.lit(None, pl.String).alias(c) for c in ("parent", "order", "peer_group") if c not in text.columns)
    typed = text.with_columns(
        parse_number("order").cast(pl.Int64, strict=False).fill_null(pl.col("row")).alias("order"),
    )
    problems = validation.validate(
        AreaModel, typed, file,
        {"parent_is_declared": validation.Explanation("parent", "The parent is not an area in this file", "Use the name of an area declared in the file, or leave parent empty"),
         "peer_group_is_declared": validation.Explanation(
             "peer_group", "The peer group is not an area in this file",
             "Declare the group as an area of its own (its figures are the group's average), or leave peer_group empty")},
        raw=text,
    )
    return typed.select(SCHEMA.keys()).sort("order"), problems


def load(path: Path) -> tuple[pl.DataFrame, pl.DataFrame]:
    if not path.exists():
        return empty(), P.file_problem(path.name, "The list of areas is missing", "Add areas.csv to the data folder (see data/README.md)")
    text = readers.read_text_csv(path.read_bytes(), path.name)
    if text.frame is None:
        return empty(), text.problems
    return parse(text.frame, path.name)


def peer_group_of(areas: pl.DataFrame) -> dict[str, str]:
    """Each area's peer group (e.g. its family group), where areas.csv gives one."""
    if "peer_group" not in areas.columns:
        return {}
    grouped = areas.filter(pl.col("peer_group").is_not_null())
    return dict(zip(grouped["area"], grouped["peer_group"], strict=True))


def parent_of(areas: pl.DataFrame, area: str) -> str | None:
    """The area's parent, or None for a top area (or an unknown one)."""
    found = areas.filter(pl.col("area") == area)["parent"]
    return found.item() if found.len() == 1 else None


def lookup(areas: pl.DataFrame) -> dict[str, str]:
    """Lower-cased names and codes to canonical area names."""
    names = dict(zip(areas["area"].str.to_lowercase(), areas["area"], strict=True))
    codes = dict(zip(areas["code"].str.to_lowercase(), areas["area"], strict=True))
    return codes | names


def children(areas: pl.DataFrame, parent: str) -> list[str]:
    return areas.filter(pl.col("parent") == parent)["area"].to_list()


def roots(areas: pl.DataFrame) -> list[str]:
    return areas.filter(pl.col("parent").is_null())["area"].to_list()


def default_area(areas: pl.DataFrame) -> str | None:
    """The area a visit starts on: the first top-level area (City), else the first area listed."""
    top = roots(areas)
    return top[0] if top else (areas["area"][0] if areas.height else None)


def code_of(areas: pl.DataFrame) -> dict[str, str]:
    return dict(zip(areas["area"], areas["code"], strict=True))
