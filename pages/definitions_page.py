"""Definitions: the KPI catalogue, searchable."""

import streamlit as st

from kpis import rules, stats, views
from kpis.formatting import format_target
from pages import components, downloads, url_state

data = components.require_data()
st.title("KPI definitions", anchor=False)
url_state.copy_link()
st.caption("What each KPI measures, its target and how its RAG status is decided. Search by any word of the name, definition, source or owner.")

query = st.text_input("Search the catalogue", key="def_query", placeholder="e.g. immunisation, referrals, aftercare")
found = views.search_catalogue(data.catalogue, query)
if found.height == 0:
    components.empty_state(f"No KPI matches “{query}”.")
    st.stop()

table = views.catalogue_table(found)
st.dataframe(table.to_pandas(), hide_index=True, width="stretch",
             column_config={"Definition": st.column_config.TextColumn(width="large")})
downloads.buttons(found, "kpi_catalogue", None, key="def_dl", label="Download the catalogue")

# How direction is judged: one block, the same words as "Why this status?".
with st.expander("How direction is judged"):
    st.markdown(rules.DIRECTION_RULE)

MAX_DETAILS = 20
if found.height > MAX_DETAILS:
    st.caption(f"Details below for the first {MAX_DETAILS} of {found.height} KPIs; search to narrow the list.")
for row in found.head(MAX_DETAILS).iter_rows(named=True):
    with st.expander(f"{row['short_name']} · `{row['kpi_id']}`"):
        st.markdown(f"**{row['name']}**")
        st.markdown(row["definition"] or "_No definition recorded._")
        st.markdown(f"- Target: {format_target(row['target'], row['target_wording'], row['unit'], row['decimals'])}\n"
                    f"- Polarity: {views.POLARITY_WORDS.get(row['polarity'], row['polarity'])}; frequency: {row['frequency']}; unit: {row['unit']}\n"
                    f"- RAG rule: {views.rule_text(row)}\n"
                    f"- Direction rule: {rules.direction_rule_text(row)}\n"
                    f"- Source: {row['source'] or '–'}; owner: {row['owner'] or '–'}")

# ---- Statistical methods: written from the registry in kpis.stats -------------------------
st.header("Statistical methods", anchor=False)
st.caption("How the 95% intervals on the Localities and Trends pages are worked out: the KPI's unit decides the method.")
for method in stats.METHODS.values():
    units = ", ".join(u for u, rule in stats.UNITS.items() if rule.method == method.name) or "–"
    st.markdown(f"**{method.title}** (`{method.name}`; unit: {units}) · for {method.used_for}.\n\n{method.words}\n\n"
                f"_Reference:_ {method.reference}")
st.markdown(f"**Comparing an area with its parent.** {stats.COMPARISON_RULE}")

# ---- statistical process control ------------------------------------------------------
from kpis import spc  # noqa: E402

st.header("Statistical process control", anchor=False)
st.markdown(spc.EXPLANATION)
st.dataframe(spc.icon_table().to_pandas(), hide_index=True, width="stretch")
