"""Overview: RAG tiles for every KPI, the published summary table and a count by status."""

import polars as pl
import streamlit as st

from kpis import exports, html_table
from kpis import priorities as PR
from kpis.areas import code_of
from kpis.styles import RAG
from pages import cache, components, priority_summary, selections, url_state
from pages.disclosure import disclosure

data = components.require_data()
period, area = selections.selected_period(), selections.selected_area()
codes = code_of(data.areas)

statuses = cache.statuses(period, area)
if not statuses["has_figure"].any():
    st.title("KPI performance overview", anchor=False)
    components.empty_state(f"No KPI has a figure for {area} or its areas at or before {period.label if period else 'this period'}. "
                       "Choose a later reporting period or another area.")
    url_state.copy_link()
    st.stop()

# The filters sit in the sidebar, under the period and area they narrow, so the first screen is the board itself;
# drawn when asked for, under a button that says what they keep (pages/disclosure.py says why).
names = PR.names(cache.narrative_list()[0], data.catalogue)
categories = [c.key for c in PR.CATEGORIES]
url_state.bind("status", "ov_status", [], "list", allowed=categories)
url_state.bind("priority", "ov_priority", [], "ints", allowed=list(names))
status_filter, priority_filter = st.session_state["ov_status"], st.session_state["ov_priority"]
with st.sidebar:
    if disclosure(f"Filter: {PR.filter_label(status_filter, priority_filter)}", "ov_filters", help="Show only some statuses or Partnership Priorities",
                  holds=("ov_status", "ov_priority")):
        status_filter = st.multiselect("Show statuses", categories, format_func=lambda c: f"{PR.CATEGORIES_BY_KEY[c].icon} {PR.CATEGORY_WORDS[c]}",
                                       key="ov_status", placeholder="All statuses", default=status_filter)
        priority_filter = st.multiselect("Partnership Priority", list(names), format_func=lambda p: PR.label(p, names[p]),
                                         key="ov_priority", placeholder="All priorities", default=priority_filter)
url_state.publish("status", "ov_status", [], "list")
url_state.publish("priority", "ov_priority", [], "ints")
filtered = PR.filtered(statuses, status_filter, priority_filter)
shown = filtered["kpi_id"].to_list()

# One band: the title, then the count at each status. The counts, the tiles and the table all follow the filters.
counts = PR.counts(filtered)
components.page_head("KPI performance overview", components.status_counts_html(counts, PR.count_keys(counts)))

PER_PAGE = cache.OVERVIEW_TILES  # the first page of them is ready at the server's start (cache.prepare)
pages = max(1, -(-len(shown) // PER_PAGE))
if pages > 1:
    url_state.bind("page", "ov_page", 1, "int", allowed=list(range(1, pages + 1)))
    page_no = st.sidebar.number_input(f"Tiles: page (of {pages})", 1, pages, key="ov_page")
    url_state.publish("page", "ov_page", 1, "int")
else:
    page_no = 1
visible = shown[(page_no - 1) * PER_PAGE: page_no * PER_PAGE]
components.band("KPIs at a glance",
                f"{area} · reporting period {period.label if period else '–'} · each KPI shows its latest figure at or before this period"
                + (f" · showing {len(shown)} of {statuses.height} KPIs: the counts, tiles and summary table follow the filters"
                   if status_filter or priority_filter else ""))
if not visible:
    components.empty_state("No KPI matches these filters.")
components.glance_grid(visible, period, area, codes)
url_state.copy_link()

priority_summary.render(filtered, {p: n for p, n in names.items() if not priority_filter or p in priority_filter}, period, area,
                        "By Partnership Priority")

REPORT_HEADING = "Key Performance Indicator summary"
REPORT_LINE = "As in the published report: target, actual by area, period of the figure, RAG status and direction over the last 12 months."
table = cache.report(period, area).filter(pl.col("kpi_id").is_in(shown))
if table.height == 0:
    components.band(REPORT_HEADING, REPORT_LINE)
    components.empty_state("No figures to tabulate for this period and area.")
else:
    styled = table.join(statuses.select("kpi_id", pl.col("rag").alias("_rag")), on="kpi_id", how="left", maintain_order="left")
    # Background by status, text in the registry's contrast colour: fixed strings, chosen by the status key only.
    colours = [f"background-color:var(--kpi-rag-{c}-fill);color:var(--kpi-rag-{c}-text);font-weight:600" if c in RAG else ""
               for c in styled["_rag"].to_list()]
    # A static HTML table wraps long KPI names, as the published report does, and loads no table script (README, First paint).
    components.section(REPORT_HEADING, REPORT_LINE, '<div class="kpi-report-table">' + html_table.table_html(
        styled.drop("kpi_id", "_rag"), link_column=None, css_class="kpi-report", cell_styles={"RAG status": colours}) + "</div>")
    wide = cache.summary_export(period, area).filter(pl.col("KPI id").is_in(shown))
    with st.container(horizontal=True, gap="small"):  # one row that wraps, not a column per button
        for kind, fmt in exports.FORMATS.items():
            st.download_button(f"Download the summary ({fmt.label})", lambda kind=kind: exports.encode(wide, kind, "KPI summary"),
                               file_name=exports.file_name("kpi_summary", period, kind, area), mime=fmt.mime, key=f"ov_dl_{kind}")
