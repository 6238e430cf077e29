"""Presenter mode: the board as a deck, one slide at a time, sized for a projector.

The deck is built from the data (`kpis.deck`) for the selected period and area; which
KPIs and in what order, and the slide shown, are kept in the URL (`kpis`, `slide`), so a
saved deck is a link. Keys: → ↓ Space PageDown next, ← ↑ PageUp previous, Home, End.
Every string from the data is escaped before it goes into the slide's HTML.

The fit (`fit`, see `kpis.deck.FITS`) follows the window: a page opened without one
measures its CSS viewport and, when that is small (1280×720 at 150% zoom), reopens
itself with the compact deck, which says the same things on more slides.

`view=presenter` is the presenter's window: the current slide, the next one, the speaker
notes and a timer. Both windows keep in step: each tells the other which slide it shows
over a BroadcastChannel, within the browser; nothing leaves the machine.
"""

import base64
import html
import json
from urllib.parse import urlencode

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
fit = st.query_params.get("fit") if st.query_params.get("fit") in D.FITS else "screen"
presenter = st.query_params.get("view") == "presenter"
deck = state.current_deck(period, area, chosen, fit)
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
.slide .more {margin-top:auto; color:#4A4F57; text-align:right}
.slide .left .more {margin-top:12px; text-align:left}
.slide .detail {display:flex; flex-direction:column; gap:4px; min-height:0}
.slide.compact .left {flex-basis:32%}
@media (max-width:1099px) {[class*="st-key-present_"] button kbd {display:none} [class*="st-key-present_"] button {padding-left:6px; padding-right:6px}}
.slide.compact .sub {margin-bottom:4px}
.slide.compact .counts {margin:12px 0}
.slide.compact .badge {margin:2px 0}
.slide.compact .quote {margin-top:4px}
.slide.compact ul li {margin-bottom:2px}
.pv {display:flex; gap:24px; height:calc(100vh - 78px); color:#1A1A1A}
.pv .now {flex:0 0 62%; display:flex; flex-direction:column; gap:6px; min-width:0}
.pv .side {flex:1; display:flex; flex-direction:column; gap:8px; min-width:0; min-height:0}
.pv .label {font-weight:700; color:#4A4F57; font-size:18px}
.pv .frame {border:2px solid #4A4F57; overflow:hidden; position:relative}
.pv .frame .slide {width:1280px; height:720px; transform-origin:0 0; font-size:20px; padding:12px 24px; box-sizing:border-box}
.pv .frame .slide h1 {font-size:28px} .pv .frame .slide .sub, .pv .frame .slide li, .pv .frame .slide table {font-size:20px !important}
.pv .frame .slide .value, .pv .frame .slide .count b {font-size:64px}
.pv .big {width:calc((100vw - 72px) * 0.62); aspect-ratio:16/9}
.pv .small {width:100%; aspect-ratio:16/9}
.pv .notes {font-size:20px; line-height:1.4; overflow:auto; flex:1; min-height:0; border-top:1px solid #BDBDBD; padding-top:6px}
.pv .timer {font-size:28px; font-weight:700; font-variant-numeric:tabular-nums}
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


def more(s: D.Slide) -> str:
    return '<div class="more">Continues on the next slide →</div>' if s.continues else ""


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
        width, beside, alone = D.FITS[fit].chart
        svg = state.chart_svg(period, area, chosen, fit, index, width, beside if s.table else alone)
        src = "data:image/svg+xml;base64," + base64.b64encode(svg.encode("utf-8")).decode("ascii")
        right += f'<div class="chart"><img src="{src}" alt="{esc(s.charts[0].alt_text)}"></div>'
    if s.table is not None:
        right += table_html(s.table)
    return f'{header(s)}<div class="cols"><div class="left">{left}{more(s)}</div><div class="right">{right}</div></div>'


def kpi_detail_slide(s: D.Slide) -> str:
    """A compact deck's second slide for a KPI: SPC and where the figure comes from, the locality table, the narrative."""
    f = s.figure
    lines = [*f.spc, f.note, "  ·  ".join(f.parts) if s.table is None else ""] if f else []
    body = "".join(f'<div class="meta">{esc(line)}</div>' for line in lines if line)
    body += table_html(s.table) if s.table is not None else ""
    body += "".join(f'<div class="quote">{esc(p)}</div>' for p in s.paragraphs)
    return f'{header(s)}<div class="detail">{body}</div>{more(s)}'


def text_slide(s: D.Slide) -> str:
    items = "<ul>" + "".join(f"<li>{esc(p)}</li>" for p in s.paragraphs) + "</ul>"
    if not s.paragraphs and s.table is not None:
        return f'{header(s)}<div class="wide">{table_html(s.table)}</div>{more(s)}'
    if s.table is None:
        return f'{header(s)}<div class="wide">{items}</div>{more(s)}'
    return f'{header(s)}<div class="cols"><div class="wide">{items}</div><div class="left">{table_html(s.table)}</div></div>{more(s)}'


LAYOUTS = {"title": lambda s, i: title_slide(s), "kpi": kpi_slide, "kpi_detail": lambda s, i: kpi_detail_slide(s),
           "priority": lambda s, i: text_slide(s), "theme": lambda s, i: text_slide(s)}


def slide_html(n: int) -> str:
    s = deck.slides[n - 1]
    return (f'<div class="slide{" compact" if fit == "compact" else ""}" data-slide="{n}" aria-label="Slide {n} of {total}">'
            f'{LAYOUTS[s.kind](s, n - 1)}</div>')


def presenter_html() -> str:
    """The presenter's window: the current slide as the room sees it (drawn at 1280×720 and scaled), the next, the notes."""
    after = f'<div class="frame small" data-thumb="next">{slide_html(number + 1)}</div>' if number < total else "<div>End of the deck.</div>"
    return (f'<div class="pv" data-view="presenter"><div class="now"><div class="label">Now: slide {number} of {total}</div>'
            f'<div class="frame big" data-thumb="now">{slide_html(number)}</div></div>'
            f'<div class="side"><div class="timer" id="pv-timer" aria-label="Time since the presenter view opened">0:00</div>'
            f'<div class="label">Next{": " + esc(deck.slides[number].title) if number < total else ""}</div>{after}'
            f'<div class="label">Speaker notes</div><div class="notes" data-notes="{number}">{esc(slide.notes or "No notes.")}</div></div></div>')


# Keeping in step, choosing the fit and scaling the presenter's thumbnails: the page's own script, run in this browser only.
SYNC_KEY = json.dumps("|".join((period.label if period else "", area, ",".join(chosen), fit)))
SCRIPT = """<script>
(() => {
  const key = %(key)s, slide = %(slide)d, presenter = %(presenter)s, below = %(below)s;
  const url = new URL(location.href);
  if (!presenter && !url.searchParams.has('fit') && (innerWidth < below[0] || innerHeight < below[1])) {
    url.searchParams.set('fit', 'compact'); location.replace(url.toString()); return;
  }
  const g = window.kpiDeck || (window.kpiDeck = {channel: new BroadcastChannel('kpi-deck')});
  g.key = key;
  if (!g.listening) {
    g.listening = true;
    g.channel.onmessage = (event) => {
      const m = event.data || {}, here = new URL(location.href), now = parseInt(here.searchParams.get('slide') || '1', 10);
      if (m.key !== g.key || m.slide === now) return;
      const press = (name) => { const b = document.querySelector('.st-key-' + name + ' button'); if (b) b.click(); return !!b; };
      if (m.slide === now + 1 && press('present_key_space')) return;
      if (m.slide === now - 1 && press('present_key_up')) return;
      here.searchParams.set('slide', String(m.slide)); location.replace(here.toString());
    };
  }
  g.channel.postMessage({key, slide});
  if (presenter) {
    const fitThumbs = () => document.querySelectorAll('.pv .frame').forEach(f => {
      const s = f.querySelector('.slide'); if (s) s.style.transform = 'scale(' + (f.clientWidth / 1280) + ')'; });
    fitThumbs();
    if (!g.resizing) { g.resizing = true; addEventListener('resize', fitThumbs); }
    const start = Number(sessionStorage.getItem('kpi-deck-start')) || Date.now();
    sessionStorage.setItem('kpi-deck-start', String(start));
    if (!g.timer) g.timer = setInterval(() => {
      const t = document.getElementById('pv-timer'), s = Math.floor((Date.now() - start) / 1000);
      if (t) t.textContent = Math.floor(s / 60) + ':' + String(s %% 60).padStart(2, '0');
    }, 1000);
  }
})();
</script>"""
st.html(presenter_html() if presenter else slide_html(number))
st.html(SCRIPT % {"key": SYNC_KEY, "slide": number, "presenter": json.dumps(presenter), "below": json.dumps(list(D.COMPACT_BELOW))},
        unsafe_allow_javascript=True)

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
    params = {k: st.query_params[k] for k in st.query_params if k not in ("view", "fit")}
    if presenter:
        st.link_button("Open the audience view", "present?" + urlencode({**params, "fit": fit}), icon=":material/slideshow:")
    else:
        st.link_button("Open the presenter view", "present?" + urlencode({**params, "fit": fit, "view": "presenter"}),
                       icon=":material/co_present:", help="A second window with this slide, the next one and the speaker notes; "
                       "stepping in either window moves both.")
cols[6].page_link("pages/overview_page.py", label="Exit", icon=":material/close:")
# The other keys a clicker or keyboard sends, on hidden buttons.
with st.container(key="present_keys"):
    for key, step in (("Down", 1), ("Space", 1), ("PageDown", 1), ("Up", -1), ("PageUp", -1)):
        st.button(key, shortcut=key, on_click=_go, args=(number + step,), key=f"present_key_{key.lower()}")
