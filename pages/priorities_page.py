"""Priorities: each Partnership Priority's narrative next to the KPIs it speaks about."""

import polars as pl
import streamlit as st

from kpis import narratives, views
from kpis import priorities as PR
from kpis.areas import code_of
from kpis.catalogue import short_names
from kpis.styles import rag_label
from pages import cache, components, priority_summary, selections, url_state

data = components.require_data()
period, area = selections.selected_period(), selections.selected_area()
codes = code_of(data.areas)

st.title("Partnership Priorities", anchor=False)
found, unreadable = cache.narrative_list()
for problem in unreadable:
    st.warning(f"A narrative file could not be read: {problem}", icon=":material/warning:")
narrative = narratives.for_period(found, period)
priority_names = PR.names(found, data.catalogue)
if (focus := PR.focus(st.query_params.get("priority"), priority_names)) is not None:  # a tile's link: open on its priority
    components.scroll_to(PR.anchor(focus))
statuses = cache.statuses(period, area)
url_state.copy_link()
priority_summary.render(statuses, priority_names, period, area, "At a glance", on_priorities_page=True)

if narrative is None or (period is not None and narrative.period != period):
    # No commentary for this period: each priority with its KPIs, and where the latest commentary is.
    st.info(f"No commentary was published for {period.label if period else 'this period'}."
            + (f" The latest, for {narrative.period.label}, shows when that period is chosen." if narrative else ""), icon=":material/info:")
    by_priority = statuses.filter(pl.col("priority").is_not_null())
    split = {number: PR.tiles_first(by_priority, number) for number in priority_names}
    all_tiles = {str(t.kpi["kpi_id"]): t for t in cache.tiles(period, area, [k for first, _ in split.values() for k in first])}
    for number, name in priority_names.items():
        st.header(PR.label(number, name), divider="gray", anchor=PR.anchor(number))
        kpi_ids, rest = split[number]
        if not kpi_ids:
            st.caption("No KPI in the catalogue is under this priority.")
        for start in range(0, len(kpi_ids), 3):
            for col, kpi_id in zip(st.columns(3), kpi_ids[start:start + 3], strict=False):
                with col:
                    components.render_tile(all_tiles[kpi_id], period, area, codes, compact=True)
        if rest:
            names = short_names(data.catalogue)
            st.caption(f"Worst first; also under this priority ({len(rest)}): {', '.join(names[k] for k in rest)}. "
                       "The Overview can filter by priority.")
    st.stop()
st.caption(f"{narrative.title} · KPIs for {area}")

MAX_TILES = 6  # beside a narrative; the rest are listed by name
linked = {s.key: views.priority_kpis(data, s, s.priority) for s in narrative.sections}
named = list(dict.fromkeys(k for ids in linked.values() for k in ids[:MAX_TILES]))
tiles = {str(t.kpi["kpi_id"]): t for t in cache.tiles(period, area, named)}
for section in narrative.priorities():
    st.header(section.title, divider="gray", anchor=PR.anchor(int(section.priority or 0)))
    text_col, kpi_col = st.columns([3, 2], gap="large")
    with text_col:
        # Narratives are rendered as markdown with raw HTML disabled.
        st.markdown(section.body or "_No narrative for this priority._", unsafe_allow_html=False)
    with kpi_col:
        kpi_ids = linked[section.key]
        if not kpi_ids:
            st.caption("No KPI is linked to this priority.")
        for kpi_id in kpi_ids[:MAX_TILES]:
            components.render_tile(tiles[kpi_id], period, area, codes, compact=True, place=f"{section.key}-")
        if len(kpi_ids) > MAX_TILES:
            names = short_names(data.catalogue)
            st.caption(f"Also under this priority: {', '.join(names[k] for k in kpi_ids[MAX_TILES:])}. "
                       "The Overview can filter by priority.")

st.header("Performance achievements, areas for improvement, challenges and opportunities", divider="gray", anchor=False)
left, right = st.columns(2, gap="large")
for i, key in enumerate(narratives.THEMES):
    section = narrative.section(key)
    with (left if i % 2 == 0 else right), st.container(border=True):
        st.subheader(section.title if section else key.replace("_", " ").capitalize(), anchor=False)
        st.markdown(section.body if section and section.body else "_Nothing recorded for this period._", unsafe_allow_html=False)
        if section and section.kpis:
            known = [k for k in section.kpis if k in tiles]
            st.caption("Related KPIs: " + ", ".join(f"{tiles[k].kpi['short_name']} ({rag_label(str(tiles[k].status_row['rag'])) if tiles[k].status_row else 'no figure'})"
                                                   for k in known))
