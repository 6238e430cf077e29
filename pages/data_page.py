"""Data: analysts upload figures, see every problem, preview the changes, publish, undo."""

import polars as pl
import streamlit as st

from kpis import backends, batches, config, layouts
from kpis import publish as pub
from kpis.problems import error_count
from kpis.styles import rag_label_expr
from pages import access_ui, cache, components, data_upload, url_state

data = cache.current_store()  # not require_data: this page works whatever state the data folder is in
folder = cache.data_dir()
st.title("Data", anchor=False)
url_state.copy_link()
st.caption("Upload monthly or quarterly figures, check them, see what would change, and publish. "
           "Nothing is published while any error remains, and every publish can be undone.")

access = access_ui.access_panel()


def show_write_error(error: Exception) -> None:
    """Busy, disk full, read-only, no permission: each with its own message and fix."""
    problem, fix = pub.explain_error(error) or (str(error), "Try again")
    (st.warning if isinstance(error, batches.BusyError) else st.error)(f"{problem}. {fix}.", icon=":material/error:")


def set_withdrawn(batch_id: str, user: str, withdrawn: bool) -> None:
    try:
        changed = backends.set_withdrawn(folder, batch_id, user, withdrawn)
    except (batches.BusyError, OSError) as error:
        show_write_error(error)
        return
    except batches.BrokenBatchError:
        st.error(f"Batch {batch_id} cannot be restored: its file is missing. Put it back from a backup.", icon=":material/error:")
        return
    verb = ("Withdrew" if withdrawn else "Restored") if changed else ("Already withdrawn:" if withdrawn else "Already in force:")
    st.session_state["published_message"] = f"{verb} batch {batch_id}."
    st.rerun()


registry_problems = data.problems.filter(pl.col("file").is_in(["catalogue.csv", "areas.csv"]) & (pl.col("severity") == "error"))
if not data.ok:
    st.error("The KPI catalogue or the list of areas could not be read, so figures cannot be checked or published until it is fixed. "
             "Published batches and the audit log are listed below.", icon=":material/warning:")
elif data.left_out:
    st.warning(f"Left out, because their row in catalogue.csv or areas.csv has an error: {', '.join(data.left_out)}. "
               "Everything else loads.", icon=":material/warning:")
if registry_problems.height:
    st.dataframe(registry_problems.select("file", "row", "column", "value", "problem", "fix").to_pandas(), hide_index=True, width="stretch")

if data.ok:
    # ---- templates -------------------------------------------------------------------------------
    with st.expander("Templates and formats", icon=":material/download:"):
        st.markdown("The long layout has one row per `kpi_id`, `area`, `period` and `value`, with optional `numerator`, "
                    "`denominator`, `target` and `note`. The report's own layout (one row per KPI, one column per area) and "
                    "Excel workbooks are accepted too. See `data/README.md` for every rule.")
        cols = st.columns(2)
        cols[0].download_button("Template for the next period (CSV)", components.csv_bytes(pub.template(data)), file_name="kpi_template.csv",
                                mime="text/csv", icon=":material/table_view:")
        cols[1].download_button("KPI catalogue (CSV)", components.csv_bytes(data.catalogue), file_name="kpi_catalogue.csv", mime="text/csv",
                                icon=":material/menu_book:")

    # ---- upload ----------------------------------------------------------------------------------
    st.header("Upload", anchor=False)
    generation = st.session_state.setdefault("upload_generation", 0)
    files = st.file_uploader("Drop CSV or Excel files here", type=["csv", "xlsx"], accept_multiple_files=True, key=f"uploads_{generation}",
                             help=f"Up to {config.max_upload_bytes() / 2**20:g} MB each. File names are only recorded, never used to store anything.")

    mapping_names = layouts.list_mappings(folder)
    with st.expander("Column mapping, for exports from other systems", icon=":material/swap_horiz:"):
        chosen_mapping = st.selectbox("Use a saved mapping", ["(none)", *mapping_names], key="mapping_choice")
        data_upload.mapping_editor(files or [], access.can_publish, chosen_mapping)

    if not files:
        components.empty_state("No file uploaded yet. Drop a CSV or Excel file above, or use a template.")
        checked = []
    else:
        uploads = []
        for f in files:
            content = f.getvalue()
            sheet = None
            if layouts.is_excel(content):
                sheets = layouts.excel_sheets(content)
                if len(sheets) > 1:
                    sheet = st.selectbox(f"Sheet of {pub.display_name(f.name)}", sheets, key=f"sheet_{f.file_id}")
            uploads.append(pub.Upload(f.name, content, sheet, ref=f.file_id))
        checked = data_upload.check_uploads(uploads, chosen_mapping)

        for item in checked:
            errors = error_count(item.problems)
            warnings = item.problems.height - errors
            icon = ":material/error:" if errors else (":material/warning:" if warnings else ":material/check_circle:")
            verdict = f"{errors} error(s), {warnings} warning(s)" if item.problems.height else "no problems"
            with st.container(border=True):
                st.markdown(f"**{item.name}** · {item.frame.height} row(s) ready · {verdict}" + (" · report layout" if item.layout == "wide" else ""))
                if errors:
                    st.error(f"{errors} error(s) must be fixed before this file can be published.", icon=icon)
                elif warnings:
                    st.warning("Warnings do not block publishing; check them first.", icon=icon)
                else:
                    st.success("Ready to publish.", icon=icon)
                if item.problems.height:
                    report = item.problems.select("row", "column", "value", "problem", "fix", "severity")
                    if report.height > data_upload.PREVIEW_ROWS:
                        st.caption(f"Showing the first {data_upload.PREVIEW_ROWS:,} of {report.height:,} problems; download the report for all.")
                    st.dataframe(report.head(data_upload.PREVIEW_ROWS).to_pandas(), hide_index=True, width="stretch",
                                 column_config={"row": st.column_config.NumberColumn("Row", format="%d"), "fix": st.column_config.TextColumn("Fix", width="large")})
                    st.download_button("Download this report (CSV)", components.csv_bytes(report), file_name=f"report_{item.name}.csv",
                                       mime="text/csv", key=f"report_{item.sha256}")

    # ---- preview and publish ---------------------------------------------------------------------
    if checked:
        st.subheader("Preview", anchor=False)
        preview = data_upload.preview(checked)
        cols = st.columns(3)
        for col, (label, key) in zip(cols, (("New figures", "new"), ("Revised figures", "revised"), ("Unchanged", "unchanged")), strict=True):
            col.metric(label, preview.counts[key])
        if preview.changes.height:
            show = st.segmented_control("Show", ["new", "revised", "unchanged"], default=["new", "revised"], selection_mode="multi", key="preview_show")
            changes = preview.changes.filter(pl.col("change").is_in(show or []))
            if changes.height > data_upload.PREVIEW_ROWS:
                st.caption(f"Showing the first {data_upload.PREVIEW_ROWS:,} of {changes.height:,} figures.")
            st.dataframe(changes.head(data_upload.PREVIEW_ROWS).select(
                "file", "kpi_id", "area", "period", pl.col("old_value").alias("published value"), pl.col("value").alias("new value"), "change",
                pl.col("old_published_at").alias("published at"), pl.col("old_published_by").alias("published by"), pl.col("old_source").alias("from"),
            ).to_pandas(), hide_index=True, width="stretch")
        if preview.flips.height:
            st.markdown("**Statuses on the overview that would change**")
            flips = preview.flips.with_columns(
                rag_label_expr("rag_before").alias("before"), rag_label_expr("rag_after").alias("after"),
            ).select(pl.col("name").alias("KPI"), pl.col("area").alias("Area"), pl.col("period_before").alias("Period before"), pl.col("before").alias("Before"),
                     pl.col("period_after").alias("Period after"), pl.col("after").alias("After"))
            st.dataframe(flips.to_pandas(), hide_index=True, width="stretch")
        else:
            st.caption("No status on the overview would change.")

        reason = pub.blocked_reason(checked) or (None if access.can_publish else access.reason)
        if reason:
            st.info(reason, icon=":material/lock:")
        if st.button("Publish", type="primary", disabled=reason is not None, icon=":material/publish:", key="publish"):
            try:
                infos = pub.publish(folder, checked, cache.current_store(), access.acting_user)
            except (batches.BusyError, OSError) as error:
                show_write_error(error)
            except ValueError as error:
                st.error(str(error))
            else:
                st.session_state["upload_generation"] = generation + 1
                st.session_state["published_message"] = "Published " + ", ".join(f"{i.source} ({i.rows} rows) as batch {i.batch_id}" for i in infos)
                st.rerun()

if message := st.session_state.pop("published_message", None):
    st.success(message, icon=":material/check_circle:")

# ---- history ---------------------------------------------------------------------------------
st.header("Published batches", anchor=False)
try:
    found = backends.report(folder)
except OSError as error:
    show_write_error(error)
    found = batches.Report(pl.DataFrame(schema=batches.HISTORY_SCHEMA), data.problems.head(0))
history = found.history
log_problems = found.problems.filter(pl.col("severity") == "error")
if log_problems.height:
    st.error(f"{log_problems.height} problem(s) in the audit log or the batch files: the figures shown leave them out, and nothing "
             "was changed. Run `python -m kpis check` for the details and `--repair` to move leftovers aside.", icon=":material/error:")
    st.dataframe(log_problems.select("file", "row", "value", "problem", "fix").to_pandas(), hide_index=True, width="stretch",
                 column_config={"row": st.column_config.NumberColumn("Line", format="%d")})
for note in found.problems.filter(pl.col("severity") == "warning")["problem"]:
    st.caption(f"Audit log: {note}.")
if history.height == 0:
    components.empty_state("Nothing has been published here yet. Files dropped into the observations folder appear below.")
else:
    state_shown = {"in force": "✔ in force", "withdrawn": "↩ withdrawn", "broken": "✖ broken"}
    st.dataframe(history.select(
        "batch_id", "published_at", "user", "source", "rows", "new", "revised", "unchanged",
        pl.col("state").replace_strict(state_shown, default=pl.col("state")).alias("state"), "withdrawn_at", "withdrawn_by", "note",
        pl.col("sha256").str.head(16).alias("sha256 (start)"),
    ).reverse().to_pandas(), hide_index=True, width="stretch")
    if access.can_publish:
        cols = st.columns([3, 1, 1])
        batch_id = cols[0].selectbox("Batch", history["batch_id"].reverse().to_list(), key="history_batch")
        withdrawn = history.filter(pl.col("batch_id") == batch_id)["withdrawn"].item()
        if cols[1].button("Undo", disabled=withdrawn, key="undo", icon=":material/undo:", help="Withdraw this batch; it is kept and can be restored"):
            set_withdrawn(batch_id, access.acting_user, True)
        if cols[2].button("Restore", disabled=not withdrawn, key="restore", icon=":material/restore:"):
            set_withdrawn(batch_id, access.acting_user, False)

# ---- dropped files ---------------------------------------------------------------------------
st.header("Files in the observations folder", anchor=False)
st.caption("Files copied into the data folder's observations/ appear here on the next page load. A file with any error is quarantined: "
           "the board keeps showing the data without it.")
if data.files.height == 0:
    components.empty_state("No files in the observations folder.")
else:
    st.dataframe(data.files.with_columns(
        pl.when(pl.col("status") == "quarantined").then(pl.lit("✖ quarantined")).otherwise(pl.lit("✔ loaded")).alias("status")
    ).to_pandas(), hide_index=True, width="stretch")
    for name in data.files.filter(pl.col("status") == "quarantined")["file"]:
        with st.expander(f"Why {name} is quarantined", icon=":material/error:"):
            st.dataframe(data.problems.filter(pl.col("file") == name).select("row", "column", "value", "problem", "fix", "severity").to_pandas(),
                         hide_index=True, width="stretch")

# ---- other data files ------------------------------------------------------------------------
if data.ok:
    _, baseline_problems = cache.spc_baselines()
    if baseline_problems.height:
        st.header("SPC baselines", anchor=False)
        st.warning(f"{baseline_problems.height} row(s) of spc_baselines.csv could not be used and are left out; "
                   "the XmR charts use the other rows.", icon=":material/warning:")
        st.dataframe(baseline_problems.select("row", "column", "value", "problem", "fix").to_pandas(), hide_index=True, width="stretch")
