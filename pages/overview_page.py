"""Overview: RAG tiles for every KPI, the published summary table and a count by status."""

import polars as pl
import streamlit as st

from pages import shared

data = shared.require_data()
period, area = shared.selected_period(), shared.selected_area()
codes = dict(zip(data.areas["area"], data.areas["code"], strict=True))

st.title("KPI performance overview")
st.caption(f"{area} · reporting period {period.label if period else '–'} · each KPI shows its latest figure at or before this period")

tiles = shared.tiles(period, area)
with_figures = [t for t in tiles if t.status_row is not None]
if not with_figures:
    shared.empty_state(f"No KPI has a figure for {area} or its areas at or before {period.label if period else 'this period'}. "
                       "Choose a later reporting period or another area.")
    st.stop()

counts = {k: 0 for k in ("green", "amber", "red", "grey")}
for t in tiles:
    counts[str(t.status_row["rag"]) if t.status_row else "grey"] += 1
cols = st.columns(4)
for col, (rag, n) in zip(cols, counts.items(), strict=True):
    col.html(f'<div class="kpi-count">{n}</div>{shared.badge(rag)}')

filter_cols = st.columns([2, 2, 3])
status_filter = filter_cols[0].multiselect("Show statuses", ["red", "amber", "green", "grey"], format_func=shared.rag_word, key="ov_status")
priorities = sorted({int(p) for p in data.catalogue["priority"].drop_nulls()})
priority_filter = filter_cols[1].multiselect("Partnership Priority", priorities, format_func=lambda p: f"Priority {p}", key="ov_priority")
shown = [t for t in tiles
         if (not status_filter or (str(t.status_row["rag"]) if t.status_row else "grey") in status_filter)
         and (not priority_filter or t.kpi["priority"] in priority_filter)]

PER_PAGE = 12
pages = max(1, -(-len(shown) // PER_PAGE))
page_no = filter_cols[2].number_input(f"Page (of {pages})", 1, pages, 1, key="ov_page") if pages > 1 else 1
visible = shown[(page_no - 1) * PER_PAGE: page_no * PER_PAGE]
if not visible:
    shared.empty_state("No KPI matches these filters.")
for start in range(0, len(visible), 3):
    for col, tile in zip(st.columns(3), visible[start:start + 3], strict=False):
        with col:
            shared.render_tile(tile, period, area, codes)

st.subheader("Key Performance Indicator summary")
st.caption("As in the published report: target, actual by area, period of the figure, RAG status and direction over the last 12 months.")
table = shared.report(period, area)
if table.height == 0:
    shared.empty_state("No figures to tabulate for this period and area.")
else:
    rag_by_kpi = {str(t.kpi["kpi_id"]): str(t.status_row["rag"]) if t.status_row else "grey" for t in tiles}
    styled = table.with_columns(pl.col("kpi_id").replace_strict(rag_by_kpi, default="grey").alias("_rag"))
    pdf = styled.drop("kpi_id", "_rag").to_pandas()
    colours = styled["_rag"].to_list()

    def _colour(column):  # background by status, text in the registry's contrast colour
        return [f"background-color:{shared.RAG[c].colour};color:{shared.RAG[c].text_colour};font-weight:600" for c in colours]

    st.dataframe(pdf.style.apply(_colour, subset=["RAG status"]), hide_index=True, width="stretch",
                 column_config={"KPI": st.column_config.TextColumn(width="large")})
    st.download_button("Download the summary (CSV)", shared.csv_bytes(table.drop("kpi_id")), file_name="kpi_summary.csv", mime="text/csv")
