"""What changed: each KPI and area now against an earlier period: figures, statuses, direction, freshness, owner."""

import polars as pl
import streamlit as st

from kpis import areas as A
from kpis import changes as C
from kpis import exports, summary
from kpis import priorities as PR
from kpis.periods import parse_period
from kpis.styles import rag_label_expr
from pages import cache, commentary, components, selections, url_state

data = components.require_data()
period, area = selections.selected_period(), selections.selected_area()

st.title("What changed", anchor=False)
if period is None or area is None:
    components.empty_state("There are no figures to compare yet.")
    st.stop()

names = PR.names(cache.narrative_list()[0], data.catalogue)
earlier = [p.label for p in reversed(summary.periods_available(data)) if p.end < period.end]
SINCE = ["previous", "year", *earlier]
since_words = {"previous": f"The period before ({C.since_period(period, 'previous').label})",
               "year": f"A year earlier ({C.since_period(period, 'year').label})"}
scope = [area, *A.children(data.areas, area)]

controls = st.columns([3, 3, 2, 2])
url_state.bind("since", "ch_since", "previous", allowed=SINCE)
since = controls[0].selectbox("Compared with", SINCE, key="ch_since", format_func=lambda s: since_words.get(s, s))
url_state.publish("since", "ch_since", "previous")
url_state.bind("priority", "ch_priority", [], "ints", allowed=list(names))
chosen = controls[1].multiselect("Partnership Priorities", list(names), key="ch_priority", format_func=lambda p: PR.label(p, names[p]),
                                 placeholder="All priorities")
url_state.publish("priority", "ch_priority", [], "ints")
url_state.bind("sort", "ch_sort", "changes", allowed=list(C.SORTS))
sort = controls[2].selectbox("Order", list(C.SORTS), key="ch_sort", format_func=lambda k: C.SORTS[k].label)
url_state.publish("sort", "ch_sort", "changes")
url_state.bind("changed", "ch_changed", False, "bool")
changed_only = controls[3].toggle("Status changes only", key="ch_changed")
url_state.publish("changed", "ch_changed", False, "bool")
url_state.bind("overdue", "ch_overdue", False, "bool")
overdue_only = controls[3].toggle("Overdue only", key="ch_overdue")
url_state.publish("overdue", "ch_overdue", False, "bool")

as_of = cache.as_of(period)
then = C.since_period(period, since if since in C.SINCE_CHOICES else parse_period(since))
frame = cache.changes(period, since, as_of, scope)
shown = C.select(frame, changed_only, overdue_only, chosen, None, sort)
st.caption(f"{area}{' and its areas' if len(scope) > 1 else ''} · {period.label} against {then.label} · each side is the latest figure "
           f"at or before its period, as the board shows it · freshness judged at {as_of.day} {as_of:%b %Y}")
url_state.copy_link()

metrics = st.columns(4)
metrics[0].metric("Status changes", int(frame["status_changed"].sum()))
metrics[1].metric("Improving", int((frame["direction"] == "improving").sum()))
metrics[2].metric("Worsening", int((frame["direction"] == "worsening").sum()))
metrics[3].metric("Overdue", int(frame["overdue"].fill_null(False).sum()))

if shown.height == 0:
    components.empty_state("No KPI matches these filters." if frame.height else f"No KPI has a figure for {area} at or before {period.label}.")
    st.stop()

table = C.display(shown, cache.spc_summary(period, scope))
st.dataframe(table.to_pandas(), hide_index=True, width="stretch", height=min(38 * (table.height + 1) + 4, 620))
download = exports.changes_table(shown)
cols = st.columns(4)
for col, (kind, fmt) in zip(cols, exports.FORMATS.items(), strict=False):
    col.download_button(f"Download ({fmt.label})", exports.encode(download, kind, "What changed"),
                        file_name=exports.file_name("what_changed", period, kind, area, f"since_{then.label}"), mime=fmt.mime, key=f"ch_dl_{kind}")

st.header("Status history and commentary", anchor=False)
kpi_ids = shown["kpi_id"].unique(maintain_order=True).to_list()
url_state.bind("detail", "ch_detail", kpi_ids[0], allowed=kpi_ids)
detail = st.selectbox("KPI", kpi_ids, key="ch_detail", format_func=lambda k: str(data.kpi(k)["name"]))
url_state.publish("detail", "ch_detail", kpi_ids[0])
comments_frame, _ = cache.comments()
left, right = st.columns(2, gap="large")
with left:
    listed, left_out = C.history_areas(shown, detail, area)
    for area_name in listed:
        history = C.status_history(data, detail, area_name, period)
        st.markdown(f"**{area_name}**: status since records began (latest change first)")
        st.dataframe(history.select(pl.col("period").alias("From"), pl.col("value").alias("Figure"),
                                    rag_label_expr("status").alias("Status"), rag_label_expr("previous_status").alias("Before")).to_pandas(),
                     hide_index=True, width="stretch")
    if left_out:
        st.caption(f"{left_out} more areas: their figures then and now are in the table above; choose one of them as the area "
                   "in the sidebar to see its history here.")
with right:
    st.markdown("**Commentary**")
    commentary.comment_list(comments_frame, detail, period)
    commentary.comment_form(detail, period, scope, set(data.catalogue["kpi_id"]))
