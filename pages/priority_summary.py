"""The per-priority summary: for each Partnership Priority, how many KPIs are at each status, with a link to its section."""

from __future__ import annotations

import polars as pl
import streamlit as st

from kpis import priorities as PR
from kpis.periods import Period


def render(statuses: pl.DataFrame, names: dict[int, str], period: Period | None, area: str, on_priorities_page: bool = False) -> None:
    """A table: priority (linking to its section on Priorities), KPIs, then the count at each status, worst first."""
    table = PR.summary(statuses, names)
    link = pl.format("#{}", pl.col("anchor")) if on_priorities_page else PR.link_expr(period.label if period else None, area)
    shown = table.select(
        pl.format("{}. {}", pl.col("priority"), pl.col("name")).alias("Partnership Priority"),
        link.alias("Section"),
        pl.col("kpis").alias("KPIs"),
        *(pl.col(c.key).alias(f"{c.icon} {c.word}") for c in PR.CATEGORIES),
    )
    st.dataframe(
        shown.to_pandas(), hide_index=True, width="stretch",
        column_config={"Section": st.column_config.LinkColumn("Section", display_text="Open section")},
    )
    worst = PR.worst_first(table).row(0, named=True) if table.height else None
    if worst and worst["red"] + worst["amber"]:
        st.caption(f"Doing worst: {worst['priority']}. {worst['name']}: {worst['red']} red and {worst['amber']} amber of "
                   f"{worst['red'] + worst['amber'] + worst['green']} rated KPI(s).")
