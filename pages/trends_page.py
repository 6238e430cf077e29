"""Trends: one or more KPIs over time, per area, against the target and its bands."""

import polars as pl
import streamlit as st

from kpis import areas as A
from kpis import charts, views
from kpis.catalogue import short_names
from kpis.spc import icons
from pages import cache, components, selections

data = components.require_data()
period, area, kpi = selections.selected_period(), selections.selected_area(), selections.selected_kpi()
names = short_names(data.catalogue)

st.title("Trends", anchor=False)
st.caption(f"Up to {period.label if period else 'the latest period'} · the target is drawn as steps where it changed; "
           "shaded bands show where a value would be green (inner) and amber (outer).")

controls = st.columns([3, 3, 3])  # the toggles stack in the third column, so their labels are never cut off
others = controls[0].multiselect("Compare with other KPIs", [k for k in names if k != kpi], format_func=lambda k: names[k], key="tr_more")
kpi_ids = [k for k in [kpi, *others] if k]
scope = [area, *A.children(data.areas, area)] if area else None
chosen_areas = controls[1].multiselect("Areas", data.areas["area"].to_list(), default=scope, key=f"tr_areas_{area}")
show_counts = controls[2].toggle("Numerator and denominator", key="tr_counts", help="Show the counts behind a percentage, with 95% confidence intervals.")
show_spc = controls[2].toggle("Statistical process control (XmR)", key="tr_spc",
                              help="Instead of the target view, an XmR chart of the first KPI for each chosen area: is the latest figure "
                                   "different from what the process usually produces? See Definitions for the rules.")

SPC_MAX_CHARTS = 6  # one chart per area with figures; beyond this the page gets too long to read


def render_spc(data, kpi_id: str, history: pl.DataFrame, period) -> None:
    info = data.kpi(kpi_id)
    areas = history.sort("area_order")["area"].unique(maintain_order=True).to_list()
    st.header(f"{info['name']}: statistical process control", anchor=False)
    if not areas:
        components.empty_state("No figures for the chosen areas to draw an XmR chart from.")
        return
    if len(areas) > SPC_MAX_CHARTS:
        st.caption(f"XmR charts for the first {SPC_MAX_CHARTS} of {len(areas)} areas; choose fewer areas to see the others.")
    _, problems = cache.spc_baselines()
    if problems.height:
        st.warning(f"{problems.height} row(s) of spc_baselines.csv could not be used and were left out: "
                   + "; ".join(f"row {r['row']}: {r['problem']}" for r in problems.head(3).iter_rows(named=True)), icon=":material/warning:")
    for area in areas[:SPC_MAX_CHARTS]:
        result = cache.spc_result(kpi_id, area, period)
        if result is None:
            continue
        st.markdown(f"**{area}** · Variation: **{icons.label(result.variation)}** · Assurance: "
                    f"**{icons.label(result.assurance) if result.assurance else 'none (no target, or neither direction is better)'}**")
        if result.short_group_warning:
            st.warning("Fewer than 13 points in a group: the process limits are uncertain; read the signals with care.",
                       icon=":material/info:")
        for g in result.groups.filter(pl.col("reason").is_not_null()).iter_rows(named=True):
            st.caption(f"Limits recalculated from {g['period']}: {g['reason']}"
                       + (f" (fixed on its first {g['fix_after']} points)" if g.get("fix_after") else ""))
        components.altair_chart(charts.xmr_chart(result.points, f"{info['short_name']} · {area}", str(info["unit"]), int(info["decimals"]),
                                         result.target), width="stretch")


if not kpi_ids:
    components.empty_state("Choose a KPI in the sidebar.")
    st.stop()

history = cache.trend(kpi_ids, chosen_areas or None, period)
if show_spc:
    render_spc(data, kpi_ids[0], history.filter(pl.col("kpi_id") == kpi_ids[0]), period)
    if len(kpi_ids) > 1:
        st.caption("The XmR view is for the first KPI; the KPIs compared with it keep the target view below.")
for kpi_id in kpi_ids[1:] if show_spc else kpi_ids:
    info = data.kpi(kpi_id)
    frame = history.filter(pl.col("kpi_id") == kpi_id)
    if frame.height == 0:
        components.empty_state(f"{names[kpi_id]}: no figures for the chosen areas at or before {period.label if period else 'this period'}.")
        continue
    components.altair_chart(
        charts.trend_chart(frame, f"{info['name']}", str(info["unit"]), int(info["decimals"]), show_interval=show_counts),
        width="stretch",
    )
    if show_counts and frame["numerator"].null_count() == frame.height:
        st.caption("This KPI's figures were supplied without a numerator and denominator.")

table = views.trend_table(history, show_counts)
st.header("Values", anchor=False)
if table.height:
    st.dataframe(table.to_pandas(), hide_index=True, width="stretch")
    st.download_button("Download these values (CSV)", components.csv_bytes(table), file_name="kpi_trend.csv", mime="text/csv")
