"""Renderers shared by the pages: status badges, chips, the KPI tile, empty states, downloads.

Status is always colour, icon and word; text from the data is escaped before it reaches HTML.
"""

from __future__ import annotations

import base64
import html
import json
from urllib.parse import urlencode

import polars as pl
import streamlit as st

from kpis import styles, summary, views
from kpis.areas import children
from kpis.formatting import format_target, format_value
from kpis.periods import Period
from kpis.priorities import CATEGORIES_BY_KEY
from kpis.store import Store
from kpis.styles import DIRECTION, RAG, direction_label
from pages import cache


def _var(family: str, key: str, part: str) -> str:
    """A status colour as the style sheet's custom property: the browser picks the light or dark one."""
    return f"var(--kpi-{family}-{key.replace('_', '-')}-{part})"


def badge(rag: str) -> str:
    """Status as colour, icon and word. Built from fixed registry strings only."""
    key = rag if rag in RAG else "grey"
    look = RAG[key]
    return (f'<span class="kpi-badge" style="background:{_var("rag", key, "fill")};color:{_var("rag", key, "text")}">'
            f'<span aria-hidden="true">{look.icon}</span> {look.word}</span>')


def direction_badge(arrow: str | None, direction: str, significant: bool | None = None, area: str | None = None) -> str:
    """The direction with whether the change is significant ('↑ Improving, within normal variation'),
    led by the area it belongs to where a tile shows several ('North East: ↑ Improving, ...')."""
    key = direction if direction in DIRECTION else "unknown"
    lead = f"<b>{html.escape(area)}:</b> " if area else ""
    return (f'<span class="kpi-direction" style="color:{_var("direction", key, "ink")}">'
            f'{lead}{html.escape(direction_label(arrow, direction, significant))}</span>')


def chip(code: str, value: str, rag: str) -> str:
    key = rag if rag in RAG else "grey"
    look = RAG[key]
    return (f'<span class="kpi-chip" style="border-color:{_var("rag", key, "ink")}">'
            f'<b>{html.escape(code)}</b> {html.escape(value)} <span style="color:{_var("rag", key, "ink")}" aria-hidden="true">{look.icon}</span>'
            f'<span class="kpi-sr"> {look.word}</span></span>')


# The app's own CSS. Colours come from `styles` as `light-dark()` pairs, which follow the theme
# Streamlit sets (its app root carries `color-scheme`), so one style sheet serves both themes.
STYLE = """
[data-testid="stApp"] {{ {variables}
  --kpi-focus: light-dark({focus_light}, {focus_dark}); }}
.kpi-badge {{display:inline-block;padding:2px 10px;border-radius:12px;font-weight:600;font-size:0.9rem;white-space:nowrap}}
.kpi-direction {{font-weight:600;font-size:0.9rem}}
.kpi-chip {{display:inline-block;border:2px solid;border-radius:10px;padding:0 8px;margin:2px 4px 2px 0;font-size:0.85rem;white-space:nowrap}}
.kpi-value {{font-size:2rem;font-weight:700;line-height:1.1}}
.kpi-count {{font-size:2rem;font-weight:700}}
.kpi-meta {{color:var(--kpi-meta);font-size:0.88rem}}
.kpi-stale {{color:var(--kpi-stale);font-weight:600;font-size:0.85rem}}
.kpi-tile-name {{font-size:1.1rem;font-weight:700;line-height:1.3;margin:0;padding:0}}
.kpi-sr {{position:absolute;width:1px;height:1px;margin:-1px;padding:0;overflow:hidden;clip:rect(0,0,0,0);white-space:nowrap;border:0}}
/* Every Tab stop shows a 3 px ring at 8:1 or more on both themes' backgrounds. */
[data-testid="stApp"] :is(a, button, summary, input, textarea, select, [role="button"], [tabindex]:not([tabindex="-1"])):focus-visible {{
  outline:3px solid var(--kpi-focus) !important; outline-offset:2px !important; box-shadow:none !important}}
/* A chart toolbar shows while one of its buttons has focus; a sparkline has none. */
[data-testid="stElementToolbar"]:focus-within {{opacity:1 !important}}
[class*="st-key-spark-"] [data-testid="stElementToolbar"] {{display:none !important}}
/* Chart guide text (axes, legends, titles, facet headers) and named text marks follow the theme's text colour. */
[data-testid="stVegaLiteChart"] :is(.role-axis-label, .role-axis-title, .role-legend-label, .role-legend-title, .role-title-text,
  .role-title-subtitle, .role-column-header, .role-column-title, .role-row-header, .{theme_text}_marks) text {{fill:currentColor}}
/* The Present page's slides follow the theme too; a slide's chart is an image drawn for a light page, so it sits on paper. */
[data-testid="stApp"] .slide {{color:var(--kpi-text)}}
[data-testid="stApp"] .slide :is(.sub, .meta) {{color:var(--kpi-meta)}}
[data-testid="stApp"] .slide :is(th, td) {{border-color:var(--kpi-rule)}}
[data-testid="stApp"] .slide th {{background:var(--kpi-head)}}
[data-testid="stApp"] .slide .chart img {{background:var(--kpi-paper);border-radius:6px}}
/* A trend's status zones take the theme's status colours (the dark theme's are lighter). */
{zones}
/* The Copy link button follows the theme (its own style is for a light page). */
[data-testid="stApp"] .kpi-copy {{background:transparent;color:var(--kpi-text)}}
[data-testid="stApp"] .kpi-copy:hover {{border-color:var(--kpi-text)}}
/* On a phone or a zoomed projector (1280×720 at 150% is 853 px wide) a table wraps its words rather than scrolling sideways. */
@media (max-width: 1100px) {{
  [data-testid="stTable"] table {{table-layout:fixed;width:100%;box-sizing:border-box}}
  [data-testid="stTable"] :is(th, td, th *, td *) {{overflow-wrap:anywhere !important;word-break:break-word;hyphens:auto;white-space:normal !important}}
  table.kpi-report {{table-layout:fixed;box-sizing:border-box}}
  table.kpi-report :is(th, td) {{overflow-wrap:anywhere;word-break:break-word;hyphens:auto}}
}}
/* The Overview's summary table is static HTML (no table script to load): the look of a Streamlit table. */
.kpi-report-table {{overflow-x:auto;margin-bottom:1rem}}
table.kpi-report {{font-size:0.875rem;border:1px solid var(--kpi-rule)}}
table.kpi-report :is(th, td) {{vertical-align:middle;padding:.3rem .5rem !important;line-height:1.5;border:1px solid var(--kpi-rule) !important}}
table.kpi-report th[scope="col"] {{font-weight:400;color:var(--kpi-meta)}}
table.kpi-report th[scope="row"] {{font-weight:400}}
.kpi-glance :is(.kpi-spark, .kpi-glance-fresh) {{margin-top:.4rem}}
/* The Overview's first screen fits a projector: a slim top, the title and counts on one band, tiles as tall as their content. */
[data-testid="stMainBlockContainer"]:has(.kpi-glance) {{padding-top:4.5rem}}
@media (min-width: 640px) {{ [data-testid="stMainBlockContainer"]:has(.kpi-glance) {{padding-left:2rem;padding-right:2rem}} }}
.kpi-head {{display:flex;flex-wrap:wrap;align-items:center;gap:.5rem 1.5rem}}
.kpi-head h1 {{font-size:2rem;font-weight:700;padding:0;margin:0;line-height:1.2}}
.kpi-counts {{display:flex;flex-wrap:wrap;align-items:center;gap:.5rem 1.5rem}}
.kpi-counts .kpi-count {{display:inline-block;font-size:1.6rem;line-height:1.2;margin-right:.35rem;vertical-align:middle}}
.kpi-band {{display:flex;flex-wrap:wrap;align-items:baseline;gap:.25rem 1rem}}
.kpi-band h2 {{font-size:1.35rem;padding:0;margin:0;line-height:1.3}}
.kpi-band p {{margin:0}}
.kpi-glance {{container-type:inline-size}}
.kpi-glance-grid {{display:grid;grid-template-columns:minmax(0,1fr);align-items:start;gap:1rem}}
@container (min-width: 480px) {{ .kpi-glance-grid {{grid-template-columns:repeat(2, minmax(0,1fr))}} }}
@container (min-width: 840px) {{ .kpi-glance-grid {{grid-template-columns:repeat(3, minmax(0,1fr))}} }}
.kpi-glance-tile {{border:1px solid var(--kpi-rule);border-radius:.5rem;padding:.75rem .85rem}}
.kpi-tile-links {{display:flex;flex-wrap:wrap;gap:.4rem 1.25rem;margin-top:.6rem}}
.kpi-glance .kpi-value {{display:inline-block;font-size:1.75rem;margin-right:.5rem}}
.kpi-glance .kpi-glance-area {{line-height:1.35;margin:2px 0}}
.kpi-glance .kpi-glance-area .kpi-chip {{margin:0 .35rem 0 0}}
.kpi-glance .kpi-glance-area .kpi-direction {{font-size:.85rem}}
.kpi-glance .kpi-why {{margin:.2rem 0 .5rem;font-size:.9rem}}
/* A tile's 'Why this status?': an HTML disclosure with the look of Streamlit's expander. */
.kpi-disclosure {{border:1px solid var(--kpi-rule);border-radius:.5rem;margin-top:.6rem}}
.kpi-disclosure > summary {{cursor:pointer;padding:.3rem .6rem;border-radius:.5rem}}
.kpi-disclosure > summary:hover {{color:var(--kpi-link)}}
.kpi-disclosure[open] > summary {{border-bottom:1px solid var(--kpi-rule);border-radius:.5rem .5rem 0 0}}
.kpi-disclosure-body {{padding:.5rem .75rem}}
.kpi-link {{color:var(--kpi-link);text-decoration:underline}}
.kpi-link-view code {{overflow-wrap:anywhere;font-size:.85rem}}
"""


def style_sheet() -> None:
    from kpis.charts import THEME_TEXT, ZONES

    zones = " ".join(f'[data-testid="stVegaLiteChart"] .{name}_marks path {{fill:{_var("rag", rag, "fill")}}}' for rag, name in ZONES.items())
    css = STYLE.format(variables=styles.css_variables().replace("\n", " "), focus_light=styles.FOCUS["light"],
                       focus_dark=styles.FOCUS["dark"], theme_text=THEME_TEXT, zones=zones)
    st.html(f"<style>{css}</style>")


def tile_heading(name: str, full_name: str) -> None:
    """A tile's name as a level-3 heading (pages put tiles under a level-2 one); the full name, where
    it differs, follows in small text, so nothing hides behind a help icon."""
    more = f'<div class="kpi-meta">{html.escape(full_name)}</div>' if full_name and full_name != name else ""
    st.html(f'<h3 class="kpi-tile-name">{html.escape(name)}</h3>{more}')


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


def render_tile(tile: views.Tile, period: Period | None, area: str, codes: dict[str, str], compact: bool = False, place: str = "") -> None:
    """One KPI tile: value, target, period and age, status (colour, icon, word), direction, sparkline, parts, why, link.

    Its name is a heading and it costs two Tab stops (why, trend link), three with areas (by-area link). `place` keeps its key unique
    where a page shows the same KPI twice."""
    kpi = tile.kpi
    row = tile.status_row
    with st.container(border=True, key=f"tile-{place}{kpi['kpi_id']}"):
        tile_heading(str(kpi["short_name"]), str(kpi["name"]))
        if tile.main is not None:
            main = tile.main
            st.html(f'<div class="kpi-value">{html.escape(value_text(main))}</div>'
                    f'<div class="kpi-meta">Target {html.escape(target_text(kpi, main))} · {html.escape(str(main["period"]))}</div>')
            if main["stale"]:
                st.html(f'<div class="kpi-stale">Older figure: the latest is for {html.escape(str(main["period"]))}, before the selected period</div>')
            st.html(f'{badge(str(main["rag"]))} &nbsp; {direction_badge(main["arrow"], str(main["direction"]), main.get("change_significant"), area=area if tile.parts else None)}'
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
            st.html(many_areas_html(tile))  # its link to them all is among the tile's links
        elif tile.parts:
            st.html("".join(chip(codes.get(str(p["area"]), str(p["area"])), value_text(p), str(p["rag"])) for p in tile.parts)
                    + ("".join(f'<div>{direction_badge(p["arrow"], str(p["direction"]), p.get("change_significant"), area=str(p["area"]))}</div>'
                               for p in tile.parts) if not compact else ""))
        if tile.main is not None or tile.parts:
            freshness_line(str(kpi["kpi_id"]), [tile.main] if tile.main is not None else tile.parts, period)
            spc_lines(str(kpi["kpi_id"]), [tile.main] if tile.main is not None else tile.parts, period, area)
        if tile.spark.height > 1:
            with st.container(key=f"spark-{place}{kpi['kpi_id']}"):
                sparkline(period, area, tile)
        if row is not None:
            with st.expander("Why this status?"):
                why_status(tile, period, area)
        tile_links(tile, period, area)


def why_status(tile: views.Tile, period: Period | None, area: str) -> None:
    """Inside a tile's 'Why this status?': the reason per figure judged, and a link to the KPI's Partnership Priority."""
    for line in why_lines(tile):
        st.markdown(line)
    priority_link(tile, period, area)


def why_lines(tile: views.Tile) -> list[str]:
    """The reason per figure judged, led by its area where the tile shows several."""
    rows = [tile.main] if tile.main is not None else tile.parts[: views.MANY_AREAS] if len(tile.parts) <= views.MANY_AREAS else [tile.status_row]
    return [("" if tile.main is not None else f"{r['area']}: ") + summary.why(r) for r in rows]


def priority_link(tile: views.Tile, period: Period | None, area: str) -> None:
    """The link to the KPI's Partnership Priority, where it has one."""
    if (query := priority_query(tile, period, area)) is not None:  # inside the expander, so a closed tile keeps its Tab stops
        st.page_link("pages/priorities_page.py", label="Its Partnership Priority", icon=":material/flag:", query_params=query)


def priority_query(tile: views.Tile, period: Period | None, area: str) -> dict[str, str] | None:
    """The Priorities page's choices that open the KPI's Partnership Priority (None where it has none)."""
    if tile.kpi.get("priority") is None:
        return None
    return {**({"period": period.label} if period else {}), "area": area, "priority": str(int(tile.kpi["priority"]))}


def tile_destinations(tile: views.Tile, period: Period | None, area: str) -> list[tuple[str, str, str, dict[str, str]]]:
    """Where a tile leads, as (page file, label, icon name, choices): its trend, and its areas where it has any
    (all of them by count where there are too many for chips)."""
    where = {"kpi": str(tile.kpi["kpi_id"]), "area": area, **({"period": period.label} if period else {})}
    ways = [("pages/trends_page.py", "Open trend", "show_chart", where)]
    if tile.parts:
        label = f"All {len(tile.parts)} areas" if len(tile.parts) > views.MANY_AREAS else "By area"
        ways.append(("pages/localities_page.py", label, "table_rows", where))
    return ways


def tile_links(tile: views.Tile, period: Period | None, area: str) -> None:
    """A tile's way on (`tile_destinations`) as page links."""
    for page, label, icon, query in tile_destinations(tile, period, area):
        st.page_link(page, label=label, icon=f":material/{icon}:", query_params=query)


def glance_figure(tile: views.Tile, area: str, period: Period | None) -> str:
    """The Overview tile's figure as HTML: value beside its target and period, then status and direction on one line;
    for a KPI reported by area, the worst status and the target; else where it is reported instead."""
    kpi, main = tile.kpi, tile.main
    if main is not None:
        vs = f'<span class="kpi-meta"> vs {html.escape(str(main["prior_period"]))}</span>' if main.get("prior_period") else ""
        stale = (f'<div class="kpi-stale">Older figure: the latest is for {html.escape(str(main["period"]))}, before the selected period</div>'
                 if main["stale"] else "")
        return (f'<div class="kpi-value">{html.escape(value_text(main))}</div>'
                f'<span class="kpi-meta">Target {html.escape(target_text(kpi, main))} · {html.escape(str(main["period"]))}</span>{stale}'
                f'<div>{badge(str(main["rag"]))} {direction_badge(main["arrow"], str(main["direction"]), main.get("change_significant"))}{vs}</div>')
    if tile.parts:
        row = tile.status_row
        same = len({p["rag"] for p in tile.parts}) == 1
        stale = [p for p in tile.parts if p["stale"]]
        older = (f'<div class="kpi-stale">Older figures: the latest are for {html.escape(str(stale[0]["period"]))}, before the selected period</div>'
                 if stale else "")
        return (f'<div>{badge(str(row["rag"]) if row else "grey")} <span class="kpi-meta">{"all areas" if same else "worst area"} · '
                f'no {html.escape(area)} figure · Target {html.escape(target_text(kpi))}</span></div>{older}')
    return f'<div class="kpi-meta">⊘ Not reported here: {html.escape(not_reported_text(str(kpi["kpi_id"]), area, period))}</div>'


def glance_parts(tile: views.Tile, codes: dict[str, str]) -> str:
    """A few areas, one line each: its code, figure and status as a chip, then its direction."""
    return "".join(f'<div class="kpi-glance-area">{chip(codes.get(str(p["area"]), str(p["area"])), value_text(p), str(p["rag"]))}'
                   f'{direction_badge(p["arrow"], str(p["direction"]), p.get("change_significant"))}</div>' for p in tile.parts)


def status_counts_html(counts: dict[str, int], keys: list[str]) -> str:
    """The count at each status, each beside its badge (colour, icon and word), as one block."""

    def word(key: str) -> str:
        look = CATEGORIES_BY_KEY[key]
        return f'<span class="kpi-meta">{look.icon} {look.word}</span>' if key == "not_reported" else badge(key)

    return '<div class="kpi-counts">' + "".join(f'<span class="kpi-count-item"><span class="kpi-count">{int(counts[key])}</span>{word(key)}</span>'
                                              for key in keys) + "</div>"


def band_html(heading: str, caption: str = "", level: int = 2) -> str:
    """A heading with a line of small text beside it; the text is escaped."""
    line = f'<p class="kpi-meta">{html.escape(caption)}</p>' if caption else ""
    return f'<div class="kpi-band"><h{level}>{html.escape(heading)}</h{level}>{line}</div>'


def band(heading: str, caption: str = "") -> None:
    """A section's heading (level 2) with a line of small text beside it, as one block."""
    st.html(band_html(heading, caption))


def section(heading: str, caption: str, body: str) -> None:
    """A section as one block: its heading and line (`band_html`), then its body, HTML built by the caller from escaped parts.
    Each block is a message the browser handles on its own: a page drawn in fewer blocks is ready sooner (README, First paint)."""
    st.html(band_html(heading, caption) + body)


def page_head(title: str, counts_html: str) -> None:
    """The page's title (its only level-1 heading) with the count at each status beside it, as one block."""
    st.html(f'<div class="kpi-head">{band_html(title, level=1)}{counts_html}</div>')


def glance_grid(kpis: list[str], period: Period | None, area: str, codes: dict[str, str]) -> None:
    """The Overview's tiles for `kpis`, three a row on a wide screen, two, then one, as tall as their content so that a
    projector's first screen holds a row of them. Each: name (a heading), figure against target, status (colour, icon,
    word) and direction, each area's line, how fresh it is, a short sparkline; the full name, the reasons and SPC inside
    'Why this status?'; then its trend and areas.

    Two Tab stops (why, trend link), three with areas (by-area link).

    The whole grid is one escaped HTML block, built once per data change, day and KPIs shown (`cache.grid_html`): a
    tile drawn as Streamlit elements (a bordered container, its HTML and its page links, five elements) cost a visit's
    browser more than anything else on the page (README, First paint). The links are ordinary links that the page's
    script follows without reloading (`url_state.NAV_SCRIPT`)."""
    if kpis:
        st.html(cache.grid_html(period, area, kpis, lambda: glance_grid_html(cache.tiles(period, area, kpis), period, area, codes)))


def glance_grid_html(tiles: list[views.Tile], period: Period | None, area: str, codes: dict[str, str]) -> str:
    """`glance_grid`'s HTML for these tiles."""
    cells = "".join(f'<div class="kpi-glance-tile" data-kpi="{html.escape(str(tile.kpi["kpi_id"]))}">{glance_html(tile, period, area, codes)}</div>'
                    for tile in tiles)
    return f'<div class="kpi-glance"><div class="kpi-glance-grid">{cells}</div></div>'


def glance_html(tile: views.Tile, period: Period | None, area: str, codes: dict[str, str]) -> str:
    """An Overview tile as HTML: name, figure, areas, freshness and sparkline; then 'Why this status?' ('About this KPI'
    without a status), a disclosure (`<details>`) holding the full name, the reasons, SPC and a link to the KPI's
    Partnership Priority. A closed disclosure is one Tab stop, its link none."""
    kpi = tile.kpi
    rows = [tile.main] if tile.main is not None else tile.parts
    many = len(tile.parts) > views.MANY_AREAS
    face = (f'<h3 class="kpi-tile-name">{html.escape(str(kpi["short_name"]))}</h3>{glance_figure(tile, area, period)}'
            + (many_areas_html(tile) if many else glance_parts(tile, codes) if tile.parts else "")
            + (f'<div class="kpi-glance-fresh">{fresh}</div>' if rows and (fresh := freshness_html(str(kpi["kpi_id"]), rows, period)) else "")
            + (sparkline_html(period, area, tile) if tile.spark.height > 1 else ""))
    full_name = str(kpi["name"] or "") if kpi["name"] != kpi["short_name"] else ""
    if tile.status_row is None and not full_name:
        return face + tile_links_html(tile, period, area)
    inside = ((f'<div class="kpi-meta">{html.escape(full_name)}</div>' if full_name else "")
              + ("".join(f'<p class="kpi-why">{html.escape(line)}</p>' for line in why_lines(tile)) if tile.status_row is not None else "")
              + (spc_html(str(kpi["kpi_id"]), rows, period, area) if rows else "")
              + (priority_anchor(tile, period, area) if tile.status_row is not None else ""))
    return (f'{face}<details class="kpi-disclosure"><summary>{"Why this status?" if tile.status_row is not None else "About this KPI"}</summary>'
            f'<div class="kpi-disclosure-body">{inside}</div></details>{tile_links_html(tile, period, area)}')


# A page link's icon in an HTML block: a plain glyph (Streamlit's icon font is not for HTML of the app's own).
GLYPHS = {"show_chart": "↗", "table_rows": "☰", "flag": "⚑"}
URL_PATHS = {"pages/trends_page.py": "trends", "pages/localities_page.py": "localities", "pages/priorities_page.py": "priorities"}


def tile_links_html(tile: views.Tile, period: Period | None, area: str) -> str:
    """`tile_links` as HTML links."""
    links = "".join(page_anchor(URL_PATHS[page], label, query, GLYPHS[icon]) for page, label, icon, query in tile_destinations(tile, period, area))
    return f'<div class="kpi-tile-links">{links}</div>'


def page_anchor(url_path: str, label: str, query: dict[str, str], icon: str) -> str:
    """A link to another page of the board with its choices in the address. The page's script (`url_state.NAV_SCRIPT`) opens it as a
    page link does, without reloading; a new tab, or a browser without the script, loads it afresh from the address."""
    return (f'<a class="kpi-link" data-kpi-nav href="{html.escape(url_path)}?{html.escape(urlencode(query))}">'
            f'<span aria-hidden="true">{icon}</span> {html.escape(label)}</a>')


def priority_anchor(tile: views.Tile, period: Period | None, area: str) -> str:
    """`priority_link` as an HTML link."""
    if (query := priority_query(tile, period, area)) is None:
        return ""
    return page_anchor(URL_PATHS["pages/priorities_page.py"], "Its Partnership Priority", query, GLYPHS["flag"])


def scroll_to(element_id: str) -> None:
    """Bring an element of the page into view once it is drawn, as an #anchor does on an ordinary page."""
    st.html(f"""<script>(() => {{ const id = {json.dumps(element_id)}; let tries = 0;
  const go = () => {{ const el = document.getElementById(id);
    if (el) el.scrollIntoView({{block: "start"}}); else if (tries++ < 50) setTimeout(go, 100); }};
  go(); }})();</script>""", unsafe_allow_javascript=True)


def many_areas_html(tile: views.Tile) -> str:
    """More child areas than chips can hold: how many at each status, the best and the worst."""
    found = views.summarise_parts(tile.parts, str(tile.kpi.get("polarity") or "neutral"))
    counts = " ".join(f"{badge(rag)}&nbsp;<b>{n}</b>" for rag, n in found.counts.items())
    extremes = [(label, p) for label, p in (("Best", found.best), ("Worst", found.worst)) if p is not None]
    lines = "".join(f'<div class="kpi-meta">{label}: {html.escape(str(p["area"]))} {html.escape(value_text(p))}</div>' for label, p in extremes)
    return f'<div class="kpi-meta">{len(tile.parts)} areas</div><div>{counts}</div>{lines}'


def altair_chart(chart, **options) -> None:
    """An Altair chart from `kpis.charts`, named for assistive technology by its own description
    (Streamlit reads it; an `alt` on top would only repeat it, with a logged warning per chart)."""
    st.altair_chart(chart, **options)


def sparkline(period: Period | None, area: str, tile: views.Tile) -> None:
    """A tile's sparkline as an SVG image named by its description: no Vega view to load and compile (a page
    of tiles drew one per tile). `st.html` keeps only HTML, so the SVG (built from escaped text only,
    `charts.sparkline_svg`) travels as a data URI, as the presenter's slides do."""
    st.html(sparkline_html(period, area, tile))


def sparkline_html(period: Period | None, area: str, tile: views.Tile) -> str:
    chart = cache.sparkline_svg(period, area, tile)
    src = "data:image/svg+xml;base64," + base64.b64encode(chart.svg.encode("utf-8")).decode("ascii")
    return f'<img class="kpi-spark" src="{src}" alt="{html.escape(chart.description)}" width="100%" height="56" style="display:block">'


def spc_lines(kpi_id: str, rows: list[dict[str, object]], period: Period | None, area: str) -> None:
    """Under a tile: SPC variation and assurance (symbol and words) per row, and where RAG and SPC disagree."""
    for line in _spc_lines(kpi_id, rows, period, area):
        st.html(line)


def spc_html(kpi_id: str, rows: list[dict[str, object]], period: Period | None, area: str) -> str:
    """The lines of `spc_lines` as one HTML block ('' when no row has SPC)."""
    return "".join(_spc_lines(kpi_id, rows, period, area))


def _spc_lines(kpi_id: str, rows: list[dict[str, object]], period: Period | None, area: str) -> list[str]:
    table = cache.spc_summary(period, [area, *children(cache.current_store().areas, area)])
    found = {(r["kpi_id"], r["area"]): r for r in table.filter(pl.col("kpi_id") == kpi_id).iter_rows(named=True)}
    lines = []
    for row in rows:
        spc = found.get((kpi_id, row["area"]))
        if spc is None:
            continue
        prefix = "" if row["area"] == area else f"{row['area']}: "
        lines.append(f'<div class="kpi-meta">{html.escape(prefix)}SPC: {html.escape(str(spc["variation_label"]))} · '
                     f'Assurance: {html.escape(str(spc["assurance_label"]))}</div>'
                     + (f'<div class="kpi-stale">{html.escape(str(spc["disagreement"]))}</div>' if spc["disagreement"] else ""))
    return lines


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
    if line := freshness_html(kpi_id, rows, period):
        st.html(line)


def freshness_html(kpi_id: str, rows: list[dict[str, object]], period: Period | None) -> str:
    """The line of `freshness_line` as HTML ('' when there is nothing to say)."""
    from kpis import freshness

    areas = [str(r["area"]) for r in rows]
    table = cache.freshness(cache.as_of(period), areas).filter(pl.col("kpi_id") == kpi_id)
    if table.height == 0:
        return ""
    late = table.filter(pl.col("overdue").fill_null(False)).sort("overdue_days", descending=True)
    if late.height:
        worst = late.row(0, named=True)
        return (f'<div class="kpi-stale">⏰ {html.escape(str(freshness.overdue_words(worst["overdue_days"])))}: the next figure was due by '
                f'{worst["due_by"].day} {worst["due_by"]:%b %Y}; figures up to {html.escape(str(worst["expected_period"]))} are expected by now</div>')
    if any(r.get("stale") for r in rows):
        return f'<div class="kpi-meta">{html.escape(str(freshness.on_time_words(table["due_by"].min())))}</div>'
    return ""
