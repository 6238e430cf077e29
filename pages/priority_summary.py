"""The per-priority summary: for each Partnership Priority, how many KPIs are at each status, with a link to its section."""

from __future__ import annotations

import html

import polars as pl

from kpis import priorities as PR
from kpis.html_table import table_html
from kpis.periods import Period
from pages.components import section


def render(statuses: pl.DataFrame, names: dict[int, str], period: Period | None, area: str, heading: str,
           on_priorities_page: bool = False) -> None:
    """Under its heading, as one block: a table of priority (linking to its section on Priorities), KPIs, then the count at
    each status, worst first; and a line naming the priority doing worst."""
    summary = PR.summary(statuses, names)
    worst = PR.doing_worst(summary)
    line = f'<p class="kpi-meta">{html.escape(worst)}</p>' if worst else ""
    section(heading, "", table_html(PR.summary_table(summary, period.label if period else None, area, on_priorities_page)) + line)
