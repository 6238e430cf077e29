"""Commentary on a KPI: the comments kept for it, and the form analysts add one with."""

from __future__ import annotations

import polars as pl
import streamlit as st

from kpis import batches
from kpis import comments as CM
from kpis.periods import Period
from pages import access_ui, cache


def comment_list(frame: pl.DataFrame, kpi_id: str, until: Period | None = None) -> None:
    """The KPI's current comments, newest first: period, area, what happened, what is being done, owner, who and when."""
    rows = CM.for_kpi(frame, kpi_id)
    if until is not None:
        from kpis.periods import parse_period

        rows = rows.filter(pl.col("period").map_elements(lambda p: parse_period(p).end <= until.end, return_dtype=pl.Boolean))
    if rows.height == 0:
        st.caption("No commentary has been written for this KPI yet.")
        return
    for r in rows.iter_rows(named=True):
        with st.container(border=True):
            # Comment text is shown as plain text: nothing in it is read as markdown or HTML.
            st.caption(f"{r['period']}{' · ' + r['area'] if r['area'] else ''} · by {r['user']} on {r['at'][:10]}")
            st.text(f"What happened: {r['what_happened']}")
            if r["action_taken"]:
                st.text(f"What is being done: {r['action_taken']}")
            if r["owner"]:
                st.text(f"Owner: {r['owner']}")


def comment_form(kpi_id: str, period: Period, areas: list[str], known_kpis: set[str]) -> None:
    """Analysts (the publishing role) add a dated comment; others see who may."""
    with st.expander("Add a comment"):
        decision = access_ui.access_panel()
        if not decision.can_publish:
            return
        with st.form(f"comment_{kpi_id}", clear_on_submit=True):
            area = st.selectbox("Area", ["(all areas)", *areas])
            what = st.text_area("What happened", max_chars=CM.MAX_TEXT)
            doing = st.text_area("What is being done", max_chars=CM.MAX_TEXT)
            owner = st.text_input("Owner of the action", max_chars=200)
            if st.form_submit_button(f"Keep this comment for {period.label}"):
                draft = CM.Draft(kpi_id, period.label, what, doing, owner, "" if area == "(all areas)" else area)
                try:
                    CM.add(cache.data_dir(), draft, decision.acting_user, known_kpis)
                except CM.CommentError as error:
                    st.error(f"{error.problem}. {error.fix}.", icon=":material/error:")
                except batches.BusyError as error:
                    st.warning(str(error), icon=":material/timer:")
                else:
                    st.success("The comment is kept.", icon=":material/check:")
