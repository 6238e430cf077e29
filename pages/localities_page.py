"""Localities: the areas under the selected one, side by side, against target and against the whole."""

import polars as pl
import streamlit as st

from kpis import areas as A
from kpis import charts, views
from kpis.areas import code_of
from kpis.catalogue import short_names
from kpis.styles import RAG
from pages import cache, components, selections

data = components.require_data()
period, parent, kpi = selections.selected_period(), selections.selected_area(), selections.selected_kpi()
children = A.children(data.areas, parent) if parent else []
codes = code_of(data.areas)

st.title("Localities", anchor=False)
if not children:
    roots = A.roots(data.areas)
    components.empty_state(f"{parent} has no areas under it. Choose {', '.join(roots) or 'a parent area'} in the sidebar to compare its areas.")
    st.stop()
st.caption(f"Areas of {parent} · {period.label if period else 'latest'} · gaps and comparisons are against {parent}'s figure for the same period")

frame = cache.localities(period, parent)
if frame.height == 0:
    components.empty_state(f"No area of {parent} has a figure at or before {period.label if period else 'this period'}.")
    st.stop()

st.header("KPI × area", anchor=False)
matrix, rags = views.locality_matrix(frame, children, cache.spc_summary(period, children))
area_cols = matrix.columns[1:]
rag_pd = rags.to_pandas()


def _colour_cells(col):
    return [f"background-color:{RAG[r].colour};color:{RAG[r].text_colour}" if isinstance(r, str) else "" for r in rag_pd[col.name]]


# A static table wraps each cell's words (value, status, direction, SPC) instead of cutting them off.
st.table(matrix.to_pandas().style.apply(_colour_cells, subset=area_cols).hide(axis="index"))

st.header(f"Against target, and against {parent}", anchor=False)
with_parts = frame["kpi_id"].unique(maintain_order=True).to_list()
names = short_names(data.catalogue)
default = with_parts if len(with_parts) <= 6 else ([kpi] if kpi in with_parts else with_parts[:1])
kpi_ids = st.multiselect("KPIs to compare", with_parts, default=default, format_func=lambda k: names.get(k, k), key=f"loc_kpis_{parent}")
grid = st.columns(2)
for i, kpi_id in enumerate(kpi_ids):
    part = frame.filter(pl.col("kpi_id") == kpi_id)
    info = part.row(0, named=True)
    with grid[i % 2], st.container(border=True):
        components.altair_chart(charts.locality_bars(part, str(info["short_name"]), str(info["unit"]), int(info["decimals"])), width="stretch")
        for ref in part.select("period", "parent_value", "parent_period", "parent_derived", "parent_reason").unique(maintain_order=True).iter_rows(named=True):
            st.caption(views.parent_caption(ref, parent, str(info["unit"]), int(info["decimals"])))
        st.table(views.comparison_table(part, parent).to_pandas().style.hide(axis="index"))

if kpi:
    st.header("Trends by area", anchor=False)
    history = cache.trend([kpi], children, period)
    if history.height == 0:
        components.empty_state(f"{data.kpi(kpi)['short_name']} has no figures by area. Choose another KPI in the sidebar.")
    else:
        info = data.kpi(kpi)
        components.altair_chart(charts.small_multiples(history, str(info["name"]), str(info["unit"]), int(info["decimals"])))
st.caption("Intervals are 95%, worked by the KPI's unit: Wilson score for percentages, Byar's method for rates, exact Poisson limits for "
           f"counts (see Definitions). An area is better or worse than {parent} only when {parent}'s figure for the same period lies outside "
           f"the area's interval; an area's count is part of {parent}'s total and is not compared with it.")
