"""Localities: the areas under the selected one, side by side, against target and against the whole."""

import polars as pl
import streamlit as st

from kpis import areas as A
from kpis import charts, exports, views
from kpis.areas import code_of
from kpis.catalogue import short_names
from kpis.styles import RAG
from pages import cache, components, downloads, selections, url_state

data = components.require_data()
period, selected, kpi = selections.selected_period(), selections.selected_area(), selections.selected_kpi()
parent, singled_out = views.comparison_scope(data.areas, selected) if selected else (None, None)
children = A.children(data.areas, parent) if parent else []
codes = code_of(data.areas)

st.title("Localities", anchor=False)
if not children:
    components.empty_state(f"{selected} has no areas under it and none beside it to compare with.")
    st.stop()
if singled_out:
    st.info(f"{singled_out} has no areas under it, so it is shown beside the other areas of {parent}, and against {parent}.", icon=":material/info:")
# What the areas are compared with (the parent, the nation, each area's peer group), kept in the URL as `against`.
options = views.comparators(data, parent)
against = st.query_params.get("against") if st.query_params.get("against") in options else parent
if len(options) > 1:
    against = st.selectbox("Compare with", options, index=options.index(against), key=f"loc_against_{parent}",
                           format_func=lambda o: "each area's peer group" if o == views.PEER_GROUP else o)
    if against != parent:
        st.query_params["against"] = against
    elif "against" in st.query_params:
        del st.query_params["against"]
whom = "each area's peer group" if against == views.PEER_GROUP else f"{against}'s figure"
st.caption(f"Areas of {parent} · {period.label if period else 'latest'} · gaps and comparisons are against {whom} for the same period")
url_state.copy_link()

frame = cache.localities(period, parent, against)
if frame.height == 0:
    components.empty_state(f"No area of {parent} has a figure at or before {period.label if period else 'this period'}.")
    st.stop()

st.header("KPI × area" if len(children) <= views.MANY_AREAS else "Area × KPI", anchor=False)
matrix, rags = views.locality_matrix(frame, children, cache.spc_summary(period, children))
if matrix.columns[0] == "Area" and matrix.width - 1 > views.MANY_AREAS:  # areas in rows: as many KPI columns as fit the page
    chosen_name = str(data.kpi(kpi)["name"]) if kpi and data.kpi(kpi) else None
    shown = ([chosen_name] if chosen_name in matrix.columns else []) + [c for c in matrix.columns[1:] if c != chosen_name]
    shown = shown[: views.MANY_AREAS]
    st.caption(f"{len(shown)} of {matrix.width - 1} KPIs, starting with the one chosen in the sidebar; "
               "choose another KPI there to see it here.")
    matrix, rags = matrix.select("Area", *shown), rags.select("Area", *shown)
area_cols = matrix.columns[1:]
rag_pd = rags.to_pandas()


def _colour_cells(col):
    return [f"background-color:{RAG[r].colour};color:{RAG[r].text_colour}" if isinstance(r, str) else "" for r in rag_pd[col.name]]


# A static table wraps each cell's words (value, status, direction, SPC) instead of cutting them off.
st.table(matrix.to_pandas().style.apply(_colour_cells, subset=area_cols).hide(axis="index"))

st.header(f"Against target, and against {parent}", anchor=False)
with_parts = frame["kpi_id"].unique(maintain_order=True).to_list()
names = short_names(data.catalogue)
default = views.default_comparisons(with_parts, kpi)
picks = st.columns([4, 2])
url_state.bind("kpis", "loc_kpis", default, "list", allowed=with_parts)
kpi_ids = picks[0].multiselect("KPIs to compare", with_parts, format_func=lambda k: names.get(k, k), key="loc_kpis")
url_state.publish("kpis", "loc_kpis", default, "list")
url_state.bind("rank", "loc_rank", False, "bool")
rank = picks[1].toggle("Rank areas by gap to target", key="loc_rank", help="Furthest short of the target first.")
url_state.publish("rank", "loc_rank", False, "bool")
# Two charts a row on a wide screen, one on a narrow or zoomed one (1280×720 at 150% is 853 px), so no table is cut off.
st.html("<style>@media (max-width: 1100px) {.st-key-loc_grid [data-testid='stHorizontalBlock'] {flex-wrap:wrap}"
        " .st-key-loc_grid [data-testid='stColumn'] {min-width:100% !important; flex:1 1 100% !important}}</style>")
grid = st.container(key="loc_grid").columns(views.comparison_grid_columns(len(children)))
for i, kpi_id in enumerate(kpi_ids):
    part = frame.filter(pl.col("kpi_id") == kpi_id)
    part = views.ranked_by_target_gap(part) if rank else part
    info = part.row(0, named=True)
    with grid[i % len(grid)], st.container(border=True):
        components.altair_chart(charts.locality_bars(part, str(info["short_name"]), str(info["unit"]), int(info["decimals"])), width="stretch")
        for ref in part.select("period", "parent_value", "parent_period", "parent_derived", "parent_reason").unique(maintain_order=True).iter_rows(named=True):
            st.caption(views.parent_caption(ref, parent, str(info["unit"]), int(info["decimals"])))
        st.table(views.comparison_table(part, parent).to_pandas().style.hide(axis="index"))

downloads.buttons(exports.localities_table(frame, parent), "localities", period, parent, key="loc_dl", label="Download the comparison")

if kpi:
    st.header("Trends by area", anchor=False)
    history = cache.trend([kpi], children, period)
    if history.height == 0:
        components.empty_state(f"{data.kpi(kpi)['short_name']} has no figures by area. Choose another KPI in the sidebar.")
    else:
        info = data.kpi(kpi)
        # Three panels a row on a wide screen, one on a narrow or zoomed one: the areas wrap rather than run off the page.
        st.html("<style>.st-key-loc_sm_narrow {display:none} @media (max-width: 1100px) {.st-key-loc_sm_wide {display:none}"
                " .st-key-loc_sm_narrow {display:block}}</style>")
        for key, columns in (("loc_sm_wide", 3), ("loc_sm_narrow", 1)):
            with st.container(key=key):
                components.altair_chart(charts.small_multiples(history, str(info["name"]), str(info["unit"]), int(info["decimals"]), columns))
st.caption("Intervals are 95%, worked by the KPI's unit: Wilson score for percentages, Byar's method for rates, exact Poisson limits for "
           f"counts (see Definitions). An area is better or worse than {parent} only when {parent}'s figure for the same period lies outside "
           f"the area's interval; an area's count is part of {parent}'s total and is not compared with it.")
