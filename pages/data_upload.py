"""The Data page's own helpers: checking and previewing uploads once per content, undo and restore, the mapping editor."""

from __future__ import annotations

import streamlit as st

from kpis import batches, config, layouts
from kpis import publish as pub
from pages.cache import current_store, data_dir, signature

PREVIEW_ROWS = 5_000  # rows a table shows in the browser; downloads hold everything


def check_uploads(uploads: list, mapping_name: str) -> list:
    """Check uploads once per content, sheet, mapping and data version, with progress shown for large files."""
    from kpis import publish as pub

    # Each upload has an id of its own, so content is not hashed again on every rerun.
    key = (tuple((u.ref or batches.sha256(u.data), u.sheet, u.name) for u in uploads), mapping_name, signature())
    cache = st.session_state.setdefault("_checked", {})
    if key not in cache:
        data = current_store()
        try:
            mapping = layouts.load_mapping(data_dir(), mapping_name) if mapping_name != "(none)" else None
        except (OSError, ValueError) as error:  # a hand-edited mapping file that is not valid JSON, or gone
            st.error(f"The mapping '{mapping_name}' could not be read ({error}). Choose another, or save it again.", icon=":material/error:")
            st.stop()
        results = []
        with st.status("Checking files…", expanded=False) as status:
            for i, upload in enumerate(uploads, 1):
                status.update(label=f"Checking {pub.display_name(upload.name)} ({i} of {len(uploads)})…")
                results += pub.check_uploads([upload], data, mapping, max_bytes=config.max_upload_bytes())
            status.update(label=f"Checked {len(uploads)} file(s)", state="complete")
        cache.clear()
        cache[key] = pub.cross_file_conflicts(results)
    return cache[key]


def preview(checked: list):

    key = (tuple((c.sha256, c.name, c.frame.height) for c in checked), signature())
    cache = st.session_state.setdefault("_preview", {})
    if key not in cache:
        cache.clear()
        cache[key] = pub.preview(checked, current_store())
    return cache[key]


def set_withdrawn(batch_id: str, user: str, withdrawn: bool) -> None:

    try:
        batches.set_withdrawn(data_dir(), batch_id, user, withdrawn)
    except batches.BusyError as error:
        st.warning(str(error))
        return
    st.session_state["published_message"] = f"{'Withdrew' if withdrawn else 'Restored'} batch {batch_id}."
    st.rerun()


def mapping_editor(files: list, can_save: bool) -> None:
    """Map another system's columns and codes onto the board's, and save the mapping under a name."""

    headers: list[str] = []
    for f in files:
        headers += [h for h in layouts.headers(f.getvalue(), f.name) if h not in headers]
    if not headers:
        st.caption("Upload a file to map its columns.")
        return
    st.caption("Choose which of the file's columns holds each field, and translate its codes. Save the mapping to reuse it "
               "next quarter (also from the command line: `python -m kpis ingest FILE --mapping NAME`).")
    columns: dict[str, str] = {}
    grid = st.columns(4)
    for i, target in enumerate(layouts.CANONICAL):
        choice = grid[i % 4].selectbox(target, ["(not in file)", *headers], key=f"map_col_{target}",
                                       index=(headers.index(target) + 1) if target in headers else 0)
        if choice != "(not in file)" and choice != target:
            columns[choice] = target
    kpi_codes = st.text_area("KPI codes (one per line: CODE = kpi_id)", key="map_kpis", height=90)
    area_codes = st.text_area("Area codes (one per line: CODE = area name)", key="map_areas", height=90)
    name = st.text_input("Save as", key="map_name", placeholder="e.g. health-visiting-export")
    if st.button("Save mapping", disabled=not can_save or not name, key="map_save", icon=":material/save:",
                 help=None if can_save else "Saving a mapping needs the analyst role"):
        try:
            layouts.save_mapping(data_dir(), name, layouts.Mapping(columns, layouts.parse_code_lines(kpi_codes), layouts.parse_code_lines(area_codes)))
        except ValueError as error:
            st.error(str(error))
        else:
            st.success(f"Saved the mapping '{name}'. Choose it above to use it.")
