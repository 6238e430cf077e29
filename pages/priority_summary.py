"""The per-priority summary: for each Partnership Priority, how many KPIs are at each status, with a link to its section."""

from __future__ import annotations

import html

import polars as pl
import streamlit as st

from kpis import priorities as PR
from kpis.periods import Period

LINK_TEXT = "Open section"
# A static HTML table, not a data grid: six rows need no scrolling or sorting, and a grid's script bundle
# (over a megabyte) would load with the overview's first screen only for them (README, First paint).
_CELL = "padding:0.3rem 0.6rem;border-bottom:1px solid rgba(128,128,128,0.35);text-align:{align}"


def table(statuses: pl.DataFrame, names: dict[int, str], period: Period | None, area: str, on_priorities_page: bool = False) -> pl.DataFrame:
    """Priority, the link to its section (on Priorities, or within that page), KPIs, then the count at each status."""
    link = pl.format("#{}", pl.col("anchor")) if on_priorities_page else PR.link_expr(period.label if period else None, area)
    return PR.summary(statuses, names).select(
        pl.format("{}. {}", pl.col("priority"), pl.col("name")).alias("Partnership Priority"),
        link.alias("Section"),
        pl.col("kpis").alias("KPIs"),
        *(pl.col(c.key).alias(f"{c.icon} {c.word}") for c in PR.CATEGORIES),
    )


def table_html(frame: pl.DataFrame, link_column: str | None = "Section", css_class: str = "kpi-priority-summary",
               cell_styles: dict[str, list[str]] | None = None) -> str:
    """`frame` as an HTML table: a header row, then one row per line headed by its first cell; numbers to the
    right; the link column's addresses as links, named for assistive technology by their row's heading.
    `cell_styles` adds, per column, one inline style per row (built by the caller from fixed registry strings,
    never from the data). Every text is escaped; an empty cell stays empty."""
    extra = cell_styles or {}

    def cell(tag: str, value: object, column: str, scope: str = "", heading: object = "", style: str = "") -> str:
        numeric = frame.schema[column].is_numeric()
        text = html.escape("" if value is None else str(value))
        if column == link_column and tag == "td":
            text = f'<a href="{html.escape(str(value), quote=True)}">{LINK_TEXT}<span class="kpi-sr"> {html.escape(str(heading))}</span></a>'
        return f'<{tag}{scope} style="{_CELL.format(align="right" if numeric else "left")}{";" + style if style else ""}">{text}</{tag}>'

    head = "".join(cell("th", c, c, ' scope="col"') for c in frame.columns)
    body = "".join(
        "<tr>" + "".join(cell("th" if i == 0 else "td", row[c], c, ' scope="row"' if i == 0 else "", row[frame.columns[0]],
                              extra[c][n] if c in extra else "")
                         for i, c in enumerate(frame.columns)) + "</tr>"
        for n, row in enumerate(frame.iter_rows(named=True))
    )
    return (f'<table class="{html.escape(css_class, quote=True)}" style="border-collapse:collapse;width:100%">'
            f"<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>")


def render(statuses: pl.DataFrame, names: dict[int, str], period: Period | None, area: str, on_priorities_page: bool = False) -> None:
    """A table: priority (linking to its section on Priorities), KPIs, then the count at each status, worst first."""
    st.html(table_html(table(statuses, names, period, area, on_priorities_page)))
    summary = PR.summary(statuses, names)
    worst = PR.worst_first(summary).row(0, named=True) if summary.height else None
    if worst and worst["red"] + worst["amber"]:
        st.caption(f"Doing worst: {worst['priority']}. {worst['name']}: {worst['red']} red and {worst['amber']} amber of "
                   f"{worst['red'] + worst['amber'] + worst['green']} rated KPI(s).")
