"""Presenter mode: the board as a deck, one slide at a time, sized for a projector.

The deck is built from the data (`kpis.deck`) for the selected period and area; which
KPIs and in what order, and the slide shown, are kept in the URL (`kpis`, `slide`), so a
saved deck is a link. Keys: → ↓ Space PageDown next, ← ↑ PageUp previous, Home, End.
Every string from the data is escaped before it goes into the slide's HTML.
"""

import base64
import html

import streamlit as st

from kpis import deck as D
from kpis import pack
from kpis.styles import RAG
from pages import present_state as state

data = state.require_data()
period, area = state.selected_period(), state.selected_area() or ""
known = data.catalogue["kpi_id"].to_list()
names = dict(zip(known, data.catalogue["short_name"].to_list(), strict=True))

asked = [k for k in (st.query_params.get("kpis") or "").split(",") if k in known]
chosen = asked or known
deck = state.current_deck(period, area, chosen)
total = len(deck.slides)


def _slide_number() -> int:
    try:
        return min(max(int(st.query_params.get("slide", "1")), 1), total)
    except ValueError:
        return 1


def _go(n: int) -> None:
    """One slide change writes the URL once: at most one history entry."""
    st.query_params["slide"] = str(min(max(n, 1), total))


def _set_kpis() -> None:
    picked = st.session_state.get("present_kpis") or []
    if picked and picked != known:
        st.query_params["kpis"] = ",".join(picked)
    elif "kpis" in st.query_params:
        del st.query_params["kpis"]
    st.query_params["slide"] = "1"


number = _slide_number()
slide = deck.slides[number - 1]

st.html("""<style>
[data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"], [data-testid="stHeader"], [data-testid="stToolbar"],
[data-testid="stDecoration"], [data-testid="stExpandSidebarButton"] {display:none !important}
[data-testid="stMainBlockContainer"] {padding:12px 24px 0 24px !important; max-width:100% !important}
[data-testid="stMain"] [data-testid="stVerticalBlock"] {gap:6px}
.st-key-present_keys {display:none !important}
.slide {height:calc(100vh - 78px); overflow:hidden; display:flex; flex-direction:column; color:#1A1A1A; font-size:max(20px, 2.78vh); line-height:1.35}
.slide h1 {font-size:max(28px, 3.9vh); line-height:1.15; margin:0 0 2px 0; padding:0; font-weight:700}
.slide .sub {color:#4A4F57; font-size:max(20px, 2.78vh); margin-bottom:10px}
.slide .cols {display:flex; gap:28px; flex:1; min-height:0}
.slide .left {flex:0 0 38%; min-width:0; overflow:hidden}
.slide .right {flex:1; min-width:0; display:flex; flex-direction:column; gap:10px; min-height:0}
.slide .wide {flex:1; min-width:0}
.slide .value {font-size:max(64px, 10vh); font-weight:800; line-height:1.05}
.slide .meta {color:#4A4F57}
.slide .badge {display:inline-block; padding:2px 14px; border-radius:14px; font-weight:700; margin:6px 0}
.slide .dir {font-weight:700}
.slide .quote {margin-top:10px; font-style:italic}
.slide ul {margin:0; padding-left:1.1em} .slide li {margin:0 0 6px 0; font-size:max(20px, 2.78vh) !important; line-height:1.35}
.slide table {border-collapse:collapse; width:100%; font-size:max(20px, 2.78vh) !important}
.slide th, .slide td {border:1px solid #BDBDBD; padding:2px 8px; text-align:left; vertical-align:top}
.slide th {background:#EEEEEE}
.slide .chart {flex:1; min-height:0; display:flex; justify-content:center}
.slide .chart img {max-width:100%; max-height:100%; object-fit:contain}
.slide .counts {display:flex; gap:20px; margin:24px 0}
.slide .count {flex:1; border-radius:12px; padding:12px 20px; font-weight:700}
.slide .count b {display:block; font-size:max(64px, 10vh); line-height:1.05}
</style>""")


def esc(text: object) -> str:
    return html.escape(str(text))


def badge(rag: str, text: str) -> str:
    look = RAG.get(rag, RAG["grey"])
    return f'<span class="badge" style="background:{look.colour};color:{look.text_colour}">{esc(text)}</span>'


def table_html(table: D.Table) -> str:
    head = "".join(f"<th>{esc(h)}</th>" for h in table.header)
    rows = []
    for i, values in enumerate(table.rows):
        rag = table.rags[i] if i < len(table.rags) else None
        cells = []
        for header, value in zip(table.header, values, strict=True):
            look = RAG.get(rag or "", None)
            style = f' style="background:{look.colour};color:{look.text_colour};font-weight:700"' if look and header == "Status" else ""
            cells.append(f"<td{style}>{esc(value)}</td>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


def header(s: D.Slide) -> str:
    return f"<h1>{esc(s.title)}</h1>" + (f'<div class="sub">{esc(s.subtitle)}</div>' if s.subtitle else "")


def title_slide(s: D.Slide) -> str:
    counts = "".join(f'<div class="count" style="background:{RAG[r].colour};color:{RAG[r].text_colour}"><b>{n}</b>'
                     f'{esc(RAG[r].icon)} {esc(RAG[r].word)}</div>' for r, n in s.counts)
    lines = "".join(f"<div>{esc(p)}</div>" for p in s.paragraphs)
    return f'{header(s)}<div class="counts">{counts}</div>{lines}'


def kpi_slide(s: D.Slide, index: int) -> str:
    f = s.figure
    left = ""
    if f is not None:
        left = (f'<div class="value">{esc(f.value)}</div><div class="meta">Target {esc(f.target)} · {esc(f.period)}</div>'
                f'{badge(f.rag, f.status)}<div class="dir">{esc(f.direction)}</div>'
                + "".join(f'<div class="meta">{esc(line)}</div>' for line in f.spc)
                + (f'<div class="meta">{esc(f.note)}</div>' if f.note else "")
                + (f"<div>{esc('  ·  '.join(f.parts))}</div>" if f.parts and s.table is None else ""))
    left += "".join(f'<div class="quote">{esc(p)}</div>' for p in s.paragraphs)
    right = ""
    if s.charts:
        svg = state.chart_svg(period, area, chosen, index, 560, 230 if s.table else 330)
        src = "data:image/svg+xml;base64," + base64.b64encode(svg.encode("utf-8")).decode("ascii")
        right += f'<div class="chart"><img src="{src}" alt="{esc(s.charts[0].alt_text)}"></div>'
    if s.table is not None:
        right += table_html(s.table)
    return f'{header(s)}<div class="cols"><div class="left">{left}</div><div class="right">{right}</div></div>'


def text_slide(s: D.Slide) -> str:
    items = "<ul>" + "".join(f"<li>{esc(p)}</li>" for p in s.paragraphs) + "</ul>"
    if s.table is None:
        return f'{header(s)}<div class="wide">{items}</div>'
    return f'{header(s)}<div class="cols"><div class="wide">{items}</div><div class="left">{table_html(s.table)}</div></div>'


LAYOUTS = {"title": lambda s, i: title_slide(s), "kpi": kpi_slide, "priority": lambda s, i: text_slide(s), "theme": lambda s, i: text_slide(s)}
st.html(f'<div class="slide" data-slide="{number}" aria-label="Slide {number} of {total}">{LAYOUTS[slide.kind](slide, number - 1)}</div>')

# Controls: one row under the slide. Each key is a button's own shortcut (Streamlit's), so no script is needed.
cols = st.columns([1, 1, 1.4, 1, 1, 1.2, 1], vertical_alignment="center")
cols[0].button("First", icon=":material/first_page:", shortcut="Home", on_click=_go, args=(1,), key="present_first", width="stretch")
cols[1].button("Previous", icon=":material/chevron_left:", shortcut="Left", on_click=_go, args=(number - 1,), key="present_prev", width="stretch")
cols[2].markdown(f"**Slide {number} of {total}**")
cols[3].button("Next", icon=":material/chevron_right:", shortcut="Right", on_click=_go, args=(number + 1,), key="present_next", width="stretch")
cols[4].button("Last", icon=":material/last_page:", shortcut="End", on_click=_go, args=(total,), key="present_last", width="stretch")
with cols[5].popover("Deck and pack", icon=":material/tune:", width="stretch"):
    st.multiselect("KPIs, in slide order", known, default=chosen, format_func=lambda k: names.get(k, k), key="present_kpis",
                   on_change=_set_kpis, help="The order you pick them in is the order of their slides; the link keeps it.")
    for fmt, label in (("pdf", "Download the pack (PDF)"), ("pptx", "Download the pack (PowerPoint)")):
        st.download_button(label, state.pack_maker(period, area, chosen, fmt), file_name=pack.file_name(deck, fmt),
                           mime=pack.FORMATS[fmt][1], key=f"present_{fmt}", icon=":material/download:", on_click="ignore")
    with st.expander("Speaker notes for this slide"):
        st.markdown(slide.notes or "_No notes._", unsafe_allow_html=False)
cols[6].page_link("pages/overview_page.py", label="Exit", icon=":material/close:")
# The other keys a clicker or keyboard sends, on hidden buttons.
with st.container(key="present_keys"):
    for key, step in (("Down", 1), ("Space", 1), ("PageDown", 1), ("Up", -1), ("PageUp", -1)):
        st.button(key, shortcut=key, on_click=_go, args=(number + step,), key=f"present_key_{key.lower()}")
