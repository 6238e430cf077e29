"""Overview: RAG tiles for every KPI, the published summary table and a count by status."""

import polars as pl
import streamlit as st

from kpis import summary, views
from kpis.areas import code_of
from kpis.styles import RAG, RAG_ORDER, rag_label
from pages import cache, components, selections

data = components.require_data()
period, area = selections.selected_period(), selections.selected_area()
codes = code_of(data.areas)

st.title("KPI performance overview", anchor=False)
st.caption(f"{area} · reporting period {period.label if period else '–'} · each KPI shows its latest figure at or before this period")

statuses = cache.statuses(period, area)
if not statuses["has_figure"].any():
    components.empty_state(f"No KPI has a figure for {area} or its areas at or before {period.label if period else 'this period'}. "
                       "Choose a later reporting period or another area.")
    st.stop()

counts = summary.status_counts(statuses)
for col, (rag, n) in zip(st.columns(4), counts.items(), strict=True):
    col.html(f'<div class="kpi-count">{n}</div>{components.badge(rag)}')

filter_cols = st.columns([2, 2, 3])
status_filter = filter_cols[0].multiselect("Show statuses", list(RAG_ORDER), format_func=rag_label, key="ov_status")
priorities = sorted({int(p) for p in data.catalogue["priority"].drop_nulls()})
priority_filter = filter_cols[1].multiselect("Partnership Priority", priorities, format_func=lambda p: f"Priority {p}", key="ov_priority")
shown = views.filter_statuses(statuses, status_filter, priority_filter)

PER_PAGE = 12
pages = max(1, -(-len(shown) // PER_PAGE))
page_no = filter_cols[2].number_input(f"Page (of {pages})", 1, pages, 1, key="ov_page") if pages > 1 else 1
visible = cache.tiles(period, area, shown[(page_no - 1) * PER_PAGE: page_no * PER_PAGE])
if not visible:
    components.empty_state("No KPI matches these filters.")
st.header("KPIs at a glance", anchor=False)
for start in range(0, len(visible), 3):
    for col, tile in zip(st.columns(3), visible[start:start + 3], strict=False):
        with col:
            components.render_tile(tile, period, area, codes)

st.header("Key Performance Indicator summary", anchor=False)
st.caption("As in the published report: target, actual by area, period of the figure, RAG status and direction over the last 12 months.")
table = cache.report(period, area)
if table.height == 0:
    components.empty_state("No figures to tabulate for this period and area.")
else:
    styled = table.join(statuses.select("kpi_id", pl.col("rag").alias("_rag")), on="kpi_id", how="left", maintain_order="left")
    pdf = styled.drop("kpi_id", "_rag").to_pandas()
    colours = styled["_rag"].to_list()

    def _colour(column):  # background by status, text in the registry's contrast colour
        return [f"background-color:var(--kpi-rag-{c}-fill);color:var(--kpi-rag-{c}-text);font-weight:600" if c in RAG else "" for c in colours]

    # A static table wraps long KPI names, as the published report does.
    st.table(pdf.style.apply(_colour, subset=["RAG status"]).hide(axis="index"))
    st.download_button("Download the summary (CSV)", components.csv_bytes(table.drop("kpi_id")), file_name="kpi_summary.csv", mime="text/csv")
