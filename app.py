"""KPI performance board: the router. Layout, theme and shared selections, then the page."""

from __future__ import annotations

import logging
import os
from pathlib import Path

import streamlit as st

from pages import cache, components, selections, url_state

logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
log = logging.getLogger("kpi_board")

# The favicon is a local image: a `:material/...:` page icon is fetched from a font server
# outside by every browser. (Icons elsewhere come from the fonts Streamlit serves itself.)
FAVICON = Path(__file__).parent / "assets" / "favicon.png"
# Before the navigation: without an icon of its own the browser would show, and fetch, the page's Material icon.
st.set_page_config(page_title="KPI performance board", page_icon=str(FAVICON), layout="wide", initial_sidebar_state="expanded")

# Pages are `*_page.py`, not named after their url_path: see README, section Layout.
PAGES = [
    st.Page("pages/overview_page.py", title="Overview", icon=":material/dashboard:", url_path="", default=True),
    st.Page("pages/changes_page.py", title="What changed", icon=":material/compare_arrows:", url_path="changes"),
    st.Page("pages/trends_page.py", title="Trends", icon=":material/show_chart:", url_path="trends"),
    st.Page("pages/localities_page.py", title="Localities", icon=":material/map:", url_path="localities"),
    st.Page("pages/priorities_page.py", title="Priorities", icon=":material/flag:", url_path="priorities"),
    st.Page("pages/definitions_page.py", title="Definitions", icon=":material/menu_book:", url_path="definitions"),
    st.Page("pages/data_page.py", title="Data", icon=":material/upload_file:", url_path="data"),
    st.Page("pages/present_page.py", title="Present", icon=":material/slideshow:", url_path="present"),
]

page = st.navigation(PAGES, position="top")
cache.refresh_signature()
try:
    data = cache.current_store()
    periods = selections.sync(data) if data.ok else []
    # The title names this page and selection; `sync` chose them before anything is drawn, so this is the page's
    # only other page config (each call is a message the browser handles before the page is ready).
    st.set_page_config(page_title=selections.document_title(page.title, data))
    components.style_sheet()
    if data.ok:
        selections.selectors(data, periods, page.title)
    try:
        page.run()
    finally:  # also after st.stop: the link holds every choice the page made
        url_state.render_link()
except Exception:  # Streamlit's own control flow is BaseException and passes through.
    if os.environ.get("KPI_RAISE_ERRORS") == "1":  # tests: let AppTest and the browser see the failure itself
        raise
    log.exception("Unexpected error on page %s", page.title)
    st.error("Sorry, something went wrong while showing this page. The details have been logged for the board's maintainers. "
             "Try another period or area, or reload the page.", icon=":material/error:")
# After the page: what the other pages and the presenter's slides need is imported in the background.
cache.warm_up()
