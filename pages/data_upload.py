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


def _starting_mapping(files: list, chosen: str) -> tuple[layouts.Mapping, str]:
    """What the editor starts from: a suggestion asked for, else the saved mapping chosen, else nothing; and its name."""
    suggested = st.session_state.get("map_suggested")
    if suggested is not None:
        return suggested
    if chosen and chosen != "(none)":
        mapping, _ = layouts.read_mapping(data_dir(), chosen)
        if mapping is not None:
            return mapping, chosen
    return layouts.Mapping(), ""


def _suggest(files: list) -> None:
    from kpis import readers
    from kpis import suggest as S

    first = files[0]
    text = layouts.read_any(first.getvalue(), first.name)
    if text.frame is None:
        st.error("The file could not be read to suggest a mapping; the check below says why.")
        return
    data = current_store()
    found = S.suggest(text.frame, data.catalogue, data.areas)
    base = readers.normalise_header(first.name.rsplit(".", 1)[0])[:40].replace("_", "-") or "export"
    st.session_state["map_suggested"] = (found.mapping, base)
    st.session_state["map_findings"] = (found.inferred, found.not_inferred)


def mapping_editor(files: list, can_save: bool, chosen: str = "(none)") -> None:
    """Map another system's columns and codes onto the board's, and save the mapping under a name.

    Choosing a saved mapping (or asking for a suggestion) fills the editor in; steps and comparators are edited as JSON.
    """
    import json

    headers: list[str] = []
    for f in files:
        headers += [h for h in layouts.headers(f.getvalue(), f.name) if h not in headers]
    if not headers:
        st.caption("Upload a file to map its columns.")
        return
    if st.button("Suggest a mapping from the file", key="map_suggest", icon=":material/auto_fix_high:"):
        _suggest(files)
    start, start_name = _starting_mapping(files, chosen)
    inferred, not_inferred = st.session_state.get("map_findings", ([], []))
    for line in inferred:
        st.caption(f"Inferred: {line}")
    for line in not_inferred:
        st.warning(f"Not inferred: {line}", icon=":material/help:")
    st.caption("Choose which of the file's columns holds each field, and translate its codes. Save the mapping to reuse it "
               "next quarter (also from the command line: `python -m kpis ingest FILE --mapping NAME`).")
    from kpis import readers

    source_of = {role: readers.normalise_header(src) for src, role in start.columns.items()}
    version = f"{start_name}_{hash(start.to_json()) & 0xFFFF}"  # a new starting point gives the widgets new keys, so they refill
    columns: dict[str, str] = {c: layouts.IGNORE for c, role in ((readers.normalise_header(s), r) for s, r in start.columns.items())
                               if role == layouts.IGNORE}
    grid = st.columns(4)
    for i, target in enumerate(layouts.CANONICAL):
        default = source_of.get(target, target)
        choice = grid[i % 4].selectbox(target, ["(not in file)", *headers], key=f"map_col_{target}_{version}",
                                       index=(headers.index(default) + 1) if default in headers else 0)
        if choice != "(not in file)" and choice != target:
            columns[choice] = target
    kpi_codes = st.text_area("KPI codes (one per line: CODE = kpi_id)", layouts.code_lines(start.kpi_ids), key=f"map_kpis_{version}", height=90)
    area_codes = st.text_area("Area codes (one per line: CODE = area name)", layouts.code_lines(start.areas), key=f"map_areas_{version}", height=90)
    extra = st.text_area("Steps and comparators (JSON; see data/README.md)",
                         json.dumps({"steps": start.steps, "comparators": start.comparators}, indent=1), key=f"map_extra_{version}", height=160)
    name = st.text_input("Save as", start_name, key=f"map_name_{version}", placeholder="e.g. health-visiting-export")
    if st.button("Save mapping", disabled=not can_save or not name, key="map_save", icon=":material/save:",
                 help=None if can_save else "Saving a mapping needs the analyst role"):
        try:
            raw = {"columns": columns, "kpi_ids": layouts.parse_code_lines(kpi_codes), "areas": layouts.parse_code_lines(area_codes)}
            raw |= json.loads(extra or "{}") if isinstance(json.loads(extra or "{}"), dict) else {}
            mapping = layouts.Mapping.from_json(json.dumps(raw), name)
            layouts.save_mapping(data_dir(), name, mapping)
        except layouts.MappingError as error:
            st.error("The mapping was not saved:")
            st.dataframe(error.problems.select("problem", "fix").to_pandas(), hide_index=True)
        except ValueError as error:  # a bad name, or steps that are not JSON
            st.error(str(error))
        else:
            st.session_state.pop("map_suggested", None)
            st.success(f"Saved the mapping '{name}'. Choose it above to use it.")
