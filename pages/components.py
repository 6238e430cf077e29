"""Renderers shared by the pages: status badges, chips, the KPI tile, empty states, downloads.

Status is always colour, icon and word; text from the data is escaped before it reaches HTML.
"""

from __future__ import annotations

import html

import polars as pl
import streamlit as st

from kpis import summary, views
from kpis.areas import children
from kpis.formatting import format_target, format_value
from kpis.periods import Period
from kpis.store import Store
from kpis.styles import DIRECTION, RAG, direction_label
from pages import cache


def badge(rag: str) -> str:
    """Status as colour, icon and word. Built from fixed registry strings only."""
    look = RAG.get(rag, RAG["grey"])
    return (f'<span class="kpi-badge" style="background:{look.colour};color:{look.text_colour}">'
            f'<span aria-hidden="true">{look.icon}</span> {look.word}</span>')


def direction_badge(arrow: str | None, direction: str, significant: bool | None = None) -> str:
    """The direction with whether the change is significant ('↑ Improving, within normal variation')."""
    look = DIRECTION.get(direction, DIRECTION["unknown"])
    return f'<span class="kpi-direction" style="color:{look.colour}">{html.escape(direction_label(arrow, direction, significant))}</span>'


def chip(code: str, value: str, rag: str) -> str:
    look = RAG.get(rag, RAG["grey"])
    return (f'<span class="kpi-chip" style="border-color:{look.colour}">'
            f'<b>{html.escape(code)}</b> {html.escape(value)} <span style="color:{look.colour}" title="{look.word}">{look.icon}</span></span>')


def style_sheet() -> None:
    st.html("""<style>
    .kpi-badge {display:inline-block;padding:2px 10px;border-radius:12px;font-weight:600;font-size:0.9rem;white-space:nowrap}
    .kpi-direction {font-weight:600;font-size:0.9rem;white-space:nowrap}
    .kpi-chip {display:inline-block;border:2px solid;border-radius:10px;padding:0 8px;margin:2px 4px 2px 0;font-size:0.85rem;white-space:nowrap}
    .kpi-value {font-size:2rem;font-weight:700;line-height:1.1}
    .kpi-count {font-size:2rem;font-weight:700}
    .kpi-meta {color:#4A4F57;font-size:0.88rem}
    .kpi-stale {color:#8A4B00;font-weight:600;font-size:0.85rem}
    </style>""")


def value_text(row: dict[str, object]) -> str:
    if row.get("suppressed"):
        return "suppressed"
    return format_value(row.get("value"), str(row["unit"]), int(row["decimals"] or 0))


def target_text(kpi: dict[str, object], row: dict[str, object] | None = None) -> str:
    target = row.get("target") if row else kpi.get("target")
    return format_target(target, kpi.get("target_wording") if (row is None or target == kpi.get("target")) else None,
                         str(kpi["unit"]), int(kpi["decimals"] or 0))


def empty_state(message: str) -> None:
    st.info(message, icon=":material/info:")


def csv_bytes(frame: pl.DataFrame) -> bytes:
    from kpis.problems import neutralise_csv_cells

    return neutralise_csv_cells(frame).write_csv().encode("utf-8-sig")


def require_data() -> Store:
    """The store as the pages show it (small numbers suppressed), or a clear message (and stop) when the catalogue or
    areas cannot be read."""
    data = cache.shown_store()
    if not data.ok:
        st.error("The KPI catalogue or the list of areas could not be read, so there is nothing to show yet.", icon=":material/warning:")
        st.dataframe(data.problems.to_pandas(), hide_index=True)
        st.stop()
    if data.left_out:
        st.warning(f"Not shown, because their row in catalogue.csv or areas.csv has an error: {', '.join(data.left_out)}. "
                   "The Data page lists the problems.", icon=":material/warning:")
    return data


def render_tile(tile: views.Tile, period: Period | None, area: str, codes: dict[str, str], compact: bool = False) -> None:
    """One KPI tile: value, target, period and age, status (colour, icon, word), direction, sparkline, parts, why, link."""
    kpi = tile.kpi
    row = tile.status_row
    with st.container(border=True):
        st.markdown(f"**{kpi['short_name']}**", help=str(kpi["name"]))
        if tile.main is not None:
            main = tile.main
            st.html(f'<div class="kpi-value">{html.escape(value_text(main))}</div>'
                    f'<div class="kpi-meta">Target {html.escape(target_text(kpi, main))} · {html.escape(str(main["period"]))}</div>')
            if main["stale"]:
                st.html(f'<div class="kpi-stale">Older figure: the latest is for {html.escape(str(main["period"]))}, before the selected period</div>')
            st.html(f'{badge(str(main["rag"]))} &nbsp; {direction_badge(main["arrow"], str(main["direction"]), main.get("change_significant"))}'
                    + (f'<span class="kpi-meta"> vs {html.escape(str(main["prior_period"]))}</span>' if main.get("prior_period") else ""))
        elif tile.parts:
            worst = str(row["rag"]) if row else "grey"
            same = len({p["rag"] for p in tile.parts}) == 1
            st.html(f'<div class="kpi-meta">No {html.escape(area)} figure; reported by area. Target {html.escape(target_text(kpi))}</div>'
                    f'{badge(worst)} <span class="kpi-meta">{"all areas" if same else "worst area"}</span>')
            stale = [p for p in tile.parts if p["stale"]]
            if stale:
                st.html(f'<div class="kpi-stale">Older figures: the latest are for {html.escape(str(stale[0]["period"]))}, before the selected period</div>')
        else:
            st.html(f'<div class="kpi-meta">⊘ Not reported here: {html.escape(not_reported_text(str(kpi["kpi_id"]), area, period))}</div>')
        if len(tile.parts) > views.MANY_AREAS:
            many_areas(tile, period, area)
        elif tile.parts:
            st.html("".join(chip(codes.get(str(p["area"]), str(p["area"])), value_text(p), str(p["rag"])) for p in tile.parts)
                    + (" " + " ".join(direction_badge(p["arrow"], str(p["direction"]), p.get("change_significant")).replace(">", f' title="{html.escape(str(p["area"]))}">', 1)
                                      for p in tile.parts) if not compact else ""))
        if tile.main is not None or tile.parts:
            freshness_line(str(kpi["kpi_id"]), [tile.main] if tile.main is not None else tile.parts, period)
            spc_lines(str(kpi["kpi_id"]), [tile.main] if tile.main is not None else tile.parts, period, area)
        if tile.spark.height > 1:
            sparkline(period, area, str(kpi["kpi_id"]))
        if row is not None:
            with st.expander("Why this status?"):
                rows = [tile.main] if tile.main is not None else tile.parts[: views.MANY_AREAS] if len(tile.parts) <= views.MANY_AREAS else [row]
                for r in rows:
                    prefix = "" if tile.main is not None else f"{r['area']}: "
                    st.markdown(prefix + summary.why(r))
        st.page_link("pages/trends_page.py", label="Open trend", icon=":material/show_chart:",
                     query_params={"kpi": str(kpi["kpi_id"]), "area": area, **({"period": period.label} if period else {})})


def many_areas(tile: views.Tile, period: Period | None, area: str) -> None:
    """More child areas than chips can hold: how many at each status, the best and the worst, and a link to them all."""
    found = views.summarise_parts(tile.parts, str(tile.kpi.get("polarity") or "neutral"))
    counts = " ".join(f"{badge(rag)}&nbsp;<b>{n}</b>" for rag, n in found.counts.items())
    extremes = [(label, p) for label, p in (("Best", found.best), ("Worst", found.worst)) if p is not None]
    lines = "".join(f'<div class="kpi-meta">{label}: {html.escape(str(p["area"]))} {html.escape(value_text(p))}</div>' for label, p in extremes)
    st.html(f'<div class="kpi-meta">{len(tile.parts)} areas</div><div>{counts}</div>{lines}')
    st.page_link("pages/localities_page.py", label=f"All {len(tile.parts)} areas", icon=":material/table_rows:",
                 query_params={"kpi": str(tile.kpi["kpi_id"]), "area": area, **({"period": period.label} if period else {})})


def sparkline(period: Period | None, area: str, kpi: str) -> None:
    st.vega_lite_chart(cache.sparkline_spec(period, area, kpi), width="stretch")


def spc_lines(kpi_id: str, rows: list[dict[str, object]], period: Period | None, area: str) -> None:
    """Under a tile: SPC variation and assurance (symbol and words) per row, and where RAG and SPC disagree."""
    table = cache.spc_summary(period, [area, *children(cache.current_store().areas, area)])
    found = {(r["kpi_id"], r["area"]): r for r in table.filter(pl.col("kpi_id") == kpi_id).iter_rows(named=True)}
    for row in rows:
        spc = found.get((kpi_id, row["area"]))
        if spc is None:
            continue
        prefix = "" if row["area"] == area else f"{row['area']}: "
        st.html(f'<div class="kpi-meta">{html.escape(prefix)}SPC: {html.escape(str(spc["variation_label"]))} · '
                f'Assurance: {html.escape(str(spc["assurance_label"]))}</div>'
                + (f'<div class="kpi-stale">{html.escape(str(spc["disagreement"]))}</div>' if spc["disagreement"] else ""))


def not_reported_text(kpi_id: str, area: str, period: Period | None) -> str:
    """One line for a KPI with no figure for the area: where it is reported instead, if anywhere."""
    data = cache.current_store()
    elsewhere = data.observations.filter(pl.col("kpi_id") == kpi_id)["area"].unique().to_list()
    order = [a for a in data.areas["area"].to_list() if a in elsewhere]
    when = f" at or before {period.label}" if period else ""
    if not order:
        return f"no figure for any area{when}."
    return f"this KPI has no {area} figure{when}; it is reported for {', '.join(order)}."


def freshness_line(kpi_id: str, rows: list[dict[str, object]], period: Period | None) -> None:
    """'Overdue by N weeks' when the next figure is past due; else, beside an older figure, that it is on time and when the next is due."""
    from kpis import freshness

    areas = [str(r["area"]) for r in rows]
    table = cache.freshness(cache.as_of(period), areas).filter(pl.col("kpi_id") == kpi_id)
    if table.height == 0:
        return
    late = table.filter(pl.col("overdue").fill_null(False)).sort("overdue_days", descending=True)
    if late.height:
        worst = late.row(0, named=True)
        st.html(f'<div class="kpi-stale">⏰ {html.escape(str(freshness.overdue_words(worst["overdue_days"])))}: the next figure was due by '
                f'{worst["due_by"].day} {worst["due_by"]:%b %Y}; figures up to {html.escape(str(worst["expected_period"]))} are expected by now</div>')
    elif any(r.get("stale") for r in rows):
        due = table["due_by"].min()
        st.html(f'<div class="kpi-meta">{html.escape(str(freshness.on_time_words(due)))}</div>')
