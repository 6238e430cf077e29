"""Trends: one or more KPIs over time, per area, against the target and its bands."""

import polars as pl
import streamlit as st

from kpis import areas as A
from kpis import charts, views
from kpis.catalogue import short_names
from pages import shared

data = shared.require_data()
period, area, kpi = shared.selected_period(), shared.selected_area(), shared.selected_kpi()
names = short_names(data.catalogue)

st.title("Trends")
st.caption(f"Up to {period.label if period else 'the latest period'} · the target is drawn as steps where it changed; "
           "shaded bands show where a value would be green (inner) and amber (outer).")

controls = st.columns([3, 3, 2])
others = controls[0].multiselect("Compare with other KPIs", [k for k in names if k != kpi], format_func=lambda k: names[k], key="tr_more")
kpi_ids = [k for k in [kpi, *others] if k]
scope = [area, *A.children(data.areas, area)] if area else None
chosen_areas = controls[1].multiselect("Areas", data.areas["area"].to_list(), default=scope, key=f"tr_areas_{area}")
show_counts = controls[2].toggle("Numerator and denominator", key="tr_counts", help="Show the counts behind a percentage, with 95% confidence intervals.")

if not kpi_ids:
    shared.empty_state("Choose a KPI in the sidebar.")
    st.stop()

history = shared.trend(kpi_ids, chosen_areas or None, period)
for kpi_id in kpi_ids:
    info = data.kpi(kpi_id)
    frame = history.filter(pl.col("kpi_id") == kpi_id)
    if frame.height == 0:
        shared.empty_state(f"{names[kpi_id]}: no figures for the chosen areas at or before {period.label if period else 'this period'}.")
        continue
    st.altair_chart(
        charts.trend_chart(frame, f"{info['name']}", str(info["unit"]), int(info["decimals"]), show_interval=show_counts),
        width="stretch",
    )
    if show_counts and frame["numerator"].null_count() == frame.height:
        st.caption("This KPI's figures were supplied without a numerator and denominator.")

table = views.trend_table(history, show_counts)
st.subheader("Values")
if table.height:
    st.dataframe(table.to_pandas(), hide_index=True, width="stretch")
    st.download_button("Download these values (CSV)", shared.csv_bytes(table), file_name="kpi_trend.csv", mime="text/csv")
