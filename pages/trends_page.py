"""Trends: one or more KPIs over time, per area, against the target and its bands."""

import polars as pl
import streamlit as st

from kpis import areas as A
from kpis import changes, charts, exports, ranges, views
from kpis.catalogue import short_names
from kpis.spc import icons
from kpis.styles import rag_label_expr
from pages import cache, commentary, components, selections, url_state

data = components.require_data()
period, area, kpi = selections.selected_period(), selections.selected_area(), selections.selected_kpi()
names = short_names(data.catalogue)

st.title("Trends", anchor=False)
st.caption(f"Up to {period.label if period else 'the latest period'} · the target is drawn as steps where it changed; "
           "shaded bands show where a value would be green (inner) and amber (outer).")

url_state.copy_link()
controls = st.columns([3, 3, 2, 3])  # the toggles stack in the last column, so their labels are never cut off
others_allowed = [k for k in names if k != kpi]
url_state.bind("compare", "tr_more", [], "list", allowed=others_allowed)
others = controls[0].multiselect("Compare with other KPIs", others_allowed, format_func=lambda k: names[k], key="tr_more")
url_state.publish("compare", "tr_more", [], "list")
kpi_ids = [k for k in [kpi, *others] if k]
# The selected area and its parent by default, and its own areas when there are few; others are added on demand.
few = A.children(data.areas, area) if area and len(A.children(data.areas, area)) <= views.MANY_AREAS else []
scope = [a for a in (area, A.parent_of(data.areas, area), *few) if a] if area else []
if st.session_state.get("_tr_scope_of") not in (None, area):  # another area in the sidebar: its own areas again
    if "areas" in st.query_params:
        del st.query_params["areas"]
    st.session_state.pop("tr_areas", None)
st.session_state["_tr_scope_of"] = area
all_areas = data.areas["area"].to_list()
url_state.bind("areas", "tr_areas", scope, "list", allowed=all_areas)
chosen_areas = controls[1].multiselect("Areas", all_areas, key="tr_areas")
url_state.publish("areas", "tr_areas", scope, "list")
url_state.bind("range", "tr_range", "all", allowed=list(ranges.RANGES))
time_range = controls[2].selectbox("Time range", list(ranges.RANGES), key="tr_range", format_func=lambda r: ranges.RANGES[r].label)
url_state.publish("range", "tr_range", "all")
url_state.bind("counts", "tr_counts", False, "bool")
show_counts = controls[3].toggle("Numerator and denominator", key="tr_counts", help="Show the counts behind a percentage, with 95% confidence intervals.")
url_state.publish("counts", "tr_counts", False, "bool")
url_state.bind("spc", "tr_spc", False, "bool")
show_spc = controls[3].toggle("SPC (XmR chart)", key="tr_spc",
                              help="Statistical process control. Instead of the target view, an XmR chart of the first KPI for each chosen area: is the latest figure "
                                   "different from what the process usually produces? See Definitions for the rules.")
url_state.publish("spc", "tr_spc", False, "bool")

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

history = ranges.in_range(cache.trend(kpi_ids, chosen_areas or None, period), period, time_range)
last_met = changes.target_last_met(data, period)
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
        charts.trend_chart(frame, f"{info['name']}", str(info["unit"]), int(info["decimals"]), show_interval=show_counts, highlight=area),
        width="stretch",
    )
    met = last_met.filter((pl.col("kpi_id") == kpi_id) & pl.col("area").is_in(frame["area"].unique().implode()))
    met_by_area = dict(met.select("area", "target_last_met").iter_rows())
    if info["target"] is not None and info["polarity"] != "neutral":
        st.caption("Target last met: " + "; ".join(
            f"{a}: {met_by_area.get(a) or 'not met since records began'}" for a in frame.sort("area_order")["area"].unique(maintain_order=True).to_list()))
    if show_counts and frame["numerator"].null_count() == frame.height:
        st.caption("This KPI's figures were supplied without a numerator and denominator.")

table = views.trend_table(history, show_counts)
st.header("Values", anchor=False)
if table.height:
    st.dataframe(table.to_pandas(), hide_index=True, width="stretch")
    download = exports.trend_table(history, data.catalogue, show_counts)
    for col, (kind, fmt) in zip(st.columns(4), exports.FORMATS.items(), strict=False):
        col.download_button(f"Download these values ({fmt.label})", exports.encode(download, kind, "Trend"),
                            file_name=exports.file_name("trend", period, kind, "_".join(kpi_ids)), mime=fmt.mime, key=f"tr_dl_{kind}")

if kpi and period:
    st.subheader(f"{names[kpi]}: status history and commentary", anchor=False)
    history_col, comment_col = st.columns(2, gap="large")
    with history_col:
        for area_name in [a for a in (chosen_areas or scope) if a in set(history.filter(pl.col("kpi_id") == kpi)["area"])][:3]:
            changed = changes.status_history(data, kpi, area_name, period)
            st.markdown(f"**{area_name}**: each change of status, latest first")
            st.dataframe(changed.select(pl.col("period").alias("From"), pl.col("value").alias("Figure"), rag_label_expr("status").alias("Status"),
                                        rag_label_expr("previous_status").alias("Before")).to_pandas(), hide_index=True, width="stretch")
    with comment_col:
        commentary.comment_list(cache.comments()[0], kpi, period)
        commentary.comment_form(kpi, period, scope, set(data.catalogue["kpi_id"]))
