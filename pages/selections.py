"""The reporting period, area and KPI chosen in the sidebar, kept in the URL on every page."""

from __future__ import annotations

import streamlit as st

from kpis import ranges
from kpis.areas import code_of, default_area
from kpis.catalogue import short_names
from kpis.formatting import markdown_literal
from kpis.periods import Period, PeriodError, parse_period
from kpis.store import Store
from pages import cache
from pages.disclosure import disclosure

PARAMS = ("period", "area", "kpi")
BOARD = "KPI performance board"
# What the browser tab names besides the page: the selection the page shows.
TITLE_PARTS = {"Overview": ("area", "period"), "Trends": ("kpi", "area", "period"), "Localities": ("kpi", "area", "period"),
               "Priorities": ("area", "period")}


def _sync(param: str, options: list[str], default: str | None) -> None:
    """Before the widget: take the URL's value when a link or the user changed it.

    A selection nobody chose follows the default, so that when newer figures are
    published the board moves on to them; a chosen one (or one from a link) stays.
    """
    key, seen, defaulted = f"sel_{param}", f"_url_{param}", f"_default_{param}"
    from_url = st.query_params.get(param)
    current = st.session_state.get(key)
    if from_url in options and from_url != st.session_state.get(seen):
        st.session_state[key] = from_url
    elif current not in options or (current == st.session_state.get(defaulted) and current != default):
        st.session_state[key] = default
    st.session_state[defaulted] = default


def _publish() -> None:
    """After the widgets: write the values back, so the URL always names the view (and survives page changes).
    One update, so the browser is sent the new address once."""
    values = {param: st.session_state.get(f"sel_{param}") for param in PARAMS}
    values = {param: value for param, value in values.items() if value is not None}
    changed = {param: value for param, value in values.items() if st.query_params.get(param) != value}
    if changed:
        st.query_params.update(changed)
    for param, value in values.items():
        st.session_state[f"_url_{param}"] = value


def _index(param: str, options: list[str]) -> int:
    """The chosen option's place, given to the widget as its default too: a select box drawn again after being
    hidden starts from its default in the browser, not from the value the server holds."""
    value = st.session_state.get(f"sel_{param}")
    return options.index(value) if value in options else 0


def sync(data: Store) -> list[str]:
    """The reporting period, area and KPI this run shows, from the address or the defaults: before anything is drawn,
    so that the page's title can name them. Returns the periods to choose from. `data` is the current store."""
    periods, default_period = cache.period_choices()
    kpi_ids = data.catalogue["kpi_id"].to_list()
    _sync("period", periods, default_period)
    _sync("area", data.areas["area"].to_list(), default_area(data.areas))
    _sync("kpi", kpi_ids, kpi_ids[0] if kpi_ids else None)
    return periods


def selectors(data: Store, periods: list[str], page: str = "") -> None:
    """Reporting period, area and KPI in the sidebar (`sync` has chosen them and listed the periods), on every page,
    behind a button that names them (the KPI too where the page shows one KPI)."""
    area_names = data.areas["area"].to_list()
    kpi_ids = data.catalogue["kpi_id"].to_list()
    names = short_names(data.catalogue)
    codes = code_of(data.areas)
    with st.sidebar:
        st.header("Show", anchor=False)
        shown = {"kpi": names.get(st.session_state.get("sel_kpi") or "", ""), "period": st.session_state.get("sel_period"),
                 "area": st.session_state.get("sel_area")}
        parts = ("kpi", "period", "area") if "kpi" in TITLE_PARTS.get(page, ()) else ("period", "area")
        chosen = " · ".join(markdown_literal(str(shown[p])) for p in parts if shown[p])
        if disclosure(chosen or "Choose", "choices", help="Show or hide the reporting period, area and KPI to choose from",
                      holds=tuple(f"sel_{p}" for p in PARAMS)):
            st.selectbox("Reporting period", periods, key="sel_period", index=_index("period", periods),
                         help="Each KPI shows its latest value at or before this period.",
                         format_func=lambda label: ranges.option_label(parse_period(label)))
            st.selectbox("Area", area_names, key="sel_area", index=_index("area", area_names),
                         format_func=lambda a: f"{a} ({codes[a]})" if codes.get(a) and codes[a] != a else a)
            st.selectbox("KPI (for trends)", kpi_ids, key="sel_kpi", index=_index("kpi", kpi_ids), format_func=lambda k: names.get(k, k))
    _publish()


def selected_period() -> Period | None:
    label = st.session_state.get("sel_period")
    try:
        return parse_period(label) if label else None
    except PeriodError:
        return None


def selected_area() -> str | None:
    return st.session_state.get("sel_area")


def selected_kpi() -> str | None:
    return st.session_state.get("sel_kpi")


def document_title(page: str, data: Store | None) -> str:
    """'Trends · Ready to Learn uptake · City · 2024/25 Q1 · KPI performance board': each page and selection its own title."""
    names = short_names(data.catalogue) if data is not None and data.ok else {}
    values = {"kpi": names.get(selected_kpi() or "", selected_kpi()), "area": selected_area(), "period": st.session_state.get("sel_period")}
    return " · ".join([page, *[str(values[p]) for p in TITLE_PARTS.get(page, ()) if values[p]], BOARD])
