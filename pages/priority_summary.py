"""The per-priority summary: for each Partnership Priority, how many KPIs are at each status, with a link to its section."""

from __future__ import annotations

import polars as pl
import streamlit as st

from kpis import priorities as PR
from kpis.html_table import table_html
from kpis.periods import Period


def render(statuses: pl.DataFrame, names: dict[int, str], period: Period | None, area: str, on_priorities_page: bool = False) -> None:
    """A table: priority (linking to its section on Priorities), KPIs, then the count at each status, worst first."""
    summary = PR.summary(statuses, names)
    st.html(table_html(PR.summary_table(summary, period.label if period else None, area, on_priorities_page)))
    worst = PR.worst_first(summary).row(0, named=True) if summary.height else None
    if worst and worst["red"] + worst["amber"]:
        st.caption(f"Doing worst: {worst['priority']}. {worst['name']}: {worst['red']} red and {worst['amber']} amber of "
                   f"{worst['red'] + worst['amber'] + worst['green']} rated KPI(s).")
