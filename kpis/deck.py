"""The board as a deck: slides built from the data for one period, area and list of KPIs.

A deck is data (a list of `Slide` records); the presenter page draws it one slide at a
time and `pack` writes it as PDF and PowerPoint, so both show the same slides. The steps:
a title slide, one per Partnership Priority (its narrative beside its KPIs), one per KPI
(figure, status, direction, SPC, trend, locality comparison, the narrative's sentence that
names it), then achievements, areas for improvement, challenges and opportunities. A
narrative longer than a slide's text budget continues on the next slide.

A deck is built for a fit (`FITS`): "screen" for a CSS viewport of 1100×600 or more (a
1280×720 projector, a 1920×1080 screen at 100% or 150% zoom), "compact" for smaller ones
(1280×720 at 150% zoom is 853×480). A compact deck keeps the same type sizes and says the
same things on more slides: smaller text budgets, and each KPI's detail (SPC, locality
table, the narrative's sentence) on a second slide after its figure and trend.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from functools import cached_property

import altair as alt
import polars as pl

from kpis import areas as A
from kpis import charts, spc, summary, suppression, views
from kpis import narratives as N
from kpis.formatting import format_target, format_value
from kpis.periods import Period
from kpis.store import Store
from kpis.styles import RAG, RAG_ORDER, direction_label, rag_label

BOARD_NAME = "KPI performance board"
TREND_POINTS = 24  # the trend on a slide: the last two years of months, or six of quarters
# Characters of narrative a slide holds at the presenter's type sizes: beside a KPI table, or across the slide.
BUDGET_BESIDE = 850
BUDGET_WIDE = 1200


@dataclass(frozen=True)
class Fit:
    """How much one slide holds at a screen size, at the same type sizes."""

    key: str
    label: str
    beside: int  # characters of narrative beside a KPI table
    wide: int  # characters of narrative across the slide
    split_kpi: bool  # a KPI's detail on a second slide
    table_beside: bool  # a narrative's KPI table beside its text (else on a slide of its own after it)
    chart: tuple[int, int, int]  # the trend's width, and its height beside a table or alone, in CSS pixels


FITS = {f.key: f for f in (
    Fit("screen", "Screen: 1100×600 CSS pixels or more", BUDGET_BESIDE, BUDGET_WIDE, False, True, (560, 230, 330)),
    Fit("compact", "Compact: smaller screens, and 1280×720 at 150% zoom", 560, 560, True, False, (350, 110, 110)),
)}
COMPACT_BELOW = (1100, 600)  # a CSS viewport narrower or shorter than this gets the compact fit


def fit_for(width: float, height: float) -> str:
    """The fit for a CSS viewport: compact when it is narrower or shorter than `COMPACT_BELOW`."""
    return "compact" if width < COMPACT_BELOW[0] or height < COMPACT_BELOW[1] else "screen"


class DeckError(ValueError):
    """A deck that cannot be built as asked (an unknown KPI id): the message says which."""


@dataclass(frozen=True)
class Figure:
    """A KPI's headline: the value shown big and what it is judged on, in words."""

    value: str
    target: str
    period: str
    rag: str
    status: str  # icon and word
    direction: str
    spc: tuple[str, ...] = ()  # variation and assurance in words, where there is an SPC analysis
    note: str = ""  # where the value comes from, when it is not the area's own figure
    parts: tuple[str, ...] = ()  # each area's figure and status, for a KPI reported by area


@dataclass(frozen=True)
class Chart:
    title: str
    alt_text: str
    make: Callable[[], alt.TopLevelMixin] = field(repr=False, compare=False)

    @cached_property
    def chart(self) -> alt.TopLevelMixin:
        """Built when first drawn, so that a deck of many KPIs is quick to build and the presenter draws only the slide shown."""
        return self.make()


@dataclass(frozen=True)
class Table:
    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    rags: tuple[str, ...] = ()  # each row's status, for colouring (empty: no colour)


@dataclass(frozen=True)
class Slide:
    kind: str  # title, priority, kpi, theme
    title: str
    subtitle: str = ""
    figure: Figure | None = None
    paragraphs: tuple[str, ...] = ()
    table: Table | None = None
    charts: tuple[Chart, ...] = ()
    notes: str = ""
    kpi_id: str | None = None
    counts: tuple[tuple[str, int], ...] = ()  # status and how many KPIs have it (title slide)
    continues: bool = False  # the next slide carries on from this one


@dataclass(frozen=True)
class Deck:
    title: str
    period: Period | None
    area: str
    kpi_ids: tuple[str, ...]
    slides: tuple[Slide, ...] = field(default_factory=tuple)
    fit: str = "screen"


# ---- text ------------------------------------------------------------------------------


_SENTENCE_END = re.compile(r"(?<=[.!?:])\s+(?=[A-Z0-9\"“*])")
_STOP = frozenset(["the", "and", "for", "with", "from", "that", "this", "who", "have", "has", "are", "being", "into", "under", "over", "aged", "their", "more", "than", "number", "percentage", "uptake", "children", "young", "people"])


def plain(markdown: str) -> str:
    """Markdown emphasis and links as plain words: what a slide and a pack print."""
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", markdown)
    return re.sub(r"(\*\*|__|\*|_(?=\w)|(?<=\w)_|`)", "", text).strip()


def paragraphs(body: str) -> list[str]:
    """A narrative section's body as paragraphs: each bullet one, and each run of plain lines one."""
    out: list[str] = []
    current: list[str] = []
    for line in [*body.split("\n"), ""]:
        stripped = line.strip()
        bullet = re.match(r"^[-*+]\s+(.*)$", stripped) or re.match(r"^\d+[.)]\s+(.*)$", stripped)
        if current and (not stripped or bullet):
            out.append(plain(" ".join(current)))
            current = []
        if bullet:
            current = [bullet.group(1)]
        elif stripped:
            current.append(stripped)
    return [p for p in out if p]


def sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCE_END.split(text) if s.strip()]


def split_by_budget(items: list[str], budget: int) -> list[list[str]]:
    """Paragraphs into slides of at most `budget` characters each; a paragraph longer than that is cut between sentences."""
    pieces: list[str] = []
    for item in items:
        if len(item) <= budget:
            pieces.append(item)
            continue
        chunk = ""
        for sentence in sentences(item):
            if chunk and len(chunk) + 1 + len(sentence) > budget:
                pieces.append(chunk)
                chunk = ""
            chunk = f"{chunk} {sentence}".strip()
        if chunk:
            pieces.append(chunk)
    pages: list[list[str]] = [[]]
    used = 0
    for piece in pieces:
        if pages[-1] and used + len(piece) > budget:
            pages.append([])
            used = 0
        pages[-1].append(piece)
        used += len(piece)
    return pages


def _words(text: str) -> set[str]:
    return {w for w in re.findall(r"[a-z0-9]+", text.lower()) if len(w) > 2 and w not in _STOP}


def naming_sentence(narrative: N.Narrative | None, kpi: dict[str, object]) -> tuple[str, str] | None:
    """The sentence of the narrative that speaks about a KPI: among the sections whose `KPIs:` line lists it,
    the sentence sharing most words with the KPI's names (the first sentence on a tie). With its section's title."""
    if narrative is None:
        return None
    naming = [s for s in narrative.sections if str(kpi["kpi_id"]) in s.kpis]
    if not naming:
        return None
    names = _words(f"{kpi['name']} {kpi['short_name']}")
    best: tuple[int, int, str, str] | None = None
    for rank, section in enumerate(naming):
        for text in (s for p in paragraphs(section.body) for s in sentences(p)):
            score = len(names & _words(text))
            if best is None or (score, -rank) > (best[0], best[1]):
                best = (score, -rank, text, section.title)
    return (best[2], best[3]) if best else None


# ---- figures ---------------------------------------------------------------------------


def _figure(tile: views.Tile, area: str, spc_rows: dict[tuple[str, str], dict], locality: pl.DataFrame, codes: dict[str, str]) -> Figure:
    kpi = tile.kpi
    unit, decimals = str(kpi["unit"]), int(kpi["decimals"] or 0)
    row = tile.status_row
    target = format_target(kpi.get("target"), kpi.get("target_wording"), unit, decimals)
    if row is None:
        return Figure("–", target, "–", "grey", rag_label("grey"), "No figure for this period", note=f"No figure for {area} at or before this period.")
    rows = [tile.main] if tile.main is not None else tile.parts
    said = {}  # each SPC reading and the areas that have it, so areas that agree share one line
    for r in rows:
        if (s := spc_rows.get((str(kpi["kpi_id"]), str(r["area"])))) is not None:
            said.setdefault(f"SPC {s['variation_label']} · Assurance {s['assurance_label']}", []).append(codes.get(str(r["area"]), str(r["area"])))
    words = tuple(f"{'' if tile.main is not None else ', '.join(where) + ': '}{text}" for text, where in said.items())
    parts = tuple(f"{codes.get(str(p['area']), p['area'])} {suppression.text(p, unit, decimals)} {rag_label(str(p['rag']))}" for p in tile.parts)
    if tile.main is not None and suppression.is_suppressed(tile.main):
        main = tile.main
        return Figure(suppression.WORD, target, str(main["period"]), str(main["rag"]), rag_label(str(main["rag"])),
                      "No direction: the figure is suppressed", (), suppression.sentence(main), parts)
    if tile.main is not None:
        main = tile.main
        stale = f"Older figure: the latest is for {main['period']}." if main["stale"] else ""
        return Figure(format_value(main["value"], unit, decimals), format_target(main["target"], kpi.get("target_wording") if main["target"] == kpi.get("target") else None, unit, decimals),
                      str(main["period"]), str(main["rag"]), rag_label(str(main["rag"])),
                      direction_label(main["arrow"], str(main["direction"]), main.get("change_significant")), words, stale, parts)
    # Reported by area only: the parent's figure where one can be derived, and the worst area's status.
    ref = locality.filter(pl.col("kpi_id") == kpi["kpi_id"]).head(1).to_dicts()
    derived = ref[0] if ref and ref[0].get("parent_value") is not None else None
    same = len({p["rag"] for p in tile.parts}) == 1
    value = format_value(derived["parent_value"], unit, decimals) if derived else "–"
    note = (f"{area} figure derived from the areas' numerators and denominators ({derived['parent_period']})." if derived
            else f"No {area} figure; reported by area.")
    status = f"{rag_label(str(row['rag']))} ({'all areas' if same else 'worst area'})"
    directions = {direction_label(p["arrow"], str(p["direction"])) for p in tile.parts}
    direction = directions.pop() + " (all areas)" if len(directions) == 1 else "Differs by area: " + "; ".join(
        f"{codes.get(str(p['area']), p['area'])} {direction_label(p['arrow'], str(p['direction']))}" for p in tile.parts)
    return Figure(value, target, str(row["period"]), str(row["rag"]), status, direction, words, note, parts)


def _trend_chart(store: Store, kpi: dict[str, object], area: str, tile: views.Tile, period: Period | None) -> Chart | None:
    areas = [area] if tile.main is not None else [str(p["area"]) for p in tile.parts]
    if not areas:
        return None
    history = views.trend(store, [str(kpi["kpi_id"])], areas, period, intervals=False)
    history = history.filter(pl.col("period_end").rank("dense", descending=True).over("area") <= TREND_POINTS)
    if history.height < 2:
        return None
    unit, decimals = str(kpi["unit"]), int(kpi["decimals"] or 0)
    first, last = history["period"].first(), history.sort("period_end")["period"].last()
    title = f"Trend: {kpi['short_name']}"
    shown = history.filter(pl.col("value").is_not_null()).sort("period_end")
    hidden = history.filter(pl.col("suppressed")) if "suppressed" in history.columns else history.clear()
    latest = f" Latest figure {format_value(shown['value'].last(), unit, decimals)}." if shown.height else ""
    gaps = (f" Suppressed, so left out: {', '.join(f'{a} {p}' for a, p in hidden.select('area', 'period').iter_rows())}."
            if 0 < hidden.height <= 6 else f" {hidden.height} suppressed figures are left out." if hidden.height else "")
    alt_text = (f"Line chart of {kpi['short_name']} for {', '.join(areas)} from {first} to {last}, with the target as a dashed line "
                f"and the green and amber bands shaded.{latest}{gaps}")
    return Chart(title, alt_text, lambda: charts.trend_chart(history, title, unit, decimals))


def _locality_table(locality: pl.DataFrame, kpi_id: str, area: str) -> Table | None:
    part = locality.filter(pl.col("kpi_id") == kpi_id) if locality.height else locality
    if part.height == 0:
        return None
    table = views.comparison_table(part, area).select("Area", "Period", "Value", f"Compared with {area}")
    statuses = part.select(pl.col("rag")).to_series().to_list()
    header = ("Area", "Period", "Value", "Status", f"Compared with {area}")
    rows = tuple((r[0], r[1], r[2], rag_label(s), r[3]) for r, s in zip(table.iter_rows(), statuses, strict=True))
    return Table(header, rows, tuple(statuses))


# ---- the deck --------------------------------------------------------------------------


def kpi_order(store: Store, kpi_ids: list[str] | None) -> list[str]:
    """The KPIs of the deck, in the order asked (default: every KPI in catalogue order); DeckError names an unknown id."""
    known = store.catalogue["kpi_id"].to_list()
    if not kpi_ids:
        return known
    unknown = [k for k in kpi_ids if k not in known]
    if unknown:
        raise DeckError(f"unknown KPI id(s): {', '.join(unknown)} (known: {', '.join(known)})")
    return list(dict.fromkeys(kpi_ids))


def build(store: Store, period: Period | None, area: str, kpi_ids: list[str] | None = None,
          narrative_list: list[N.Narrative] | None = None, comments: pl.DataFrame | None = None, fit: str = "screen") -> Deck:
    """The deck for a period and area: title, priorities, one slide per KPI in `kpi_ids` order, then the themes.

    `fit` is a key of `FITS` (DeckError otherwise). `comments` (from `kpis.comments.read`) adds each KPI's commentary to its slide's speaker notes, beside its status history."""
    if fit not in FITS:
        raise DeckError(f"unknown fit: {fit} (known: {', '.join(FITS)})")
    room = FITS[fit]
    store = suppression.shown(store)  # every figure of the deck, its notes and the pack as it may be shown
    order = kpi_order(store, kpi_ids)
    narrative = N.for_period(narrative_list or [], period)
    codes = A.code_of(store.areas)
    children = A.children(store.areas, area)
    tiles = {str(t.kpi["kpi_id"]): t for t in views.tiles(store, period, area, order)}
    locality = views.localities(store, period, area) if children else pl.DataFrame()
    spc_frame = spc.summary(store, period, [area, *children], order)
    spc_rows = {(r["kpi_id"], r["area"]): r for r in spc_frame.iter_rows(named=True)}
    figures = {k: _figure(tiles[k], area, spc_rows, locality, codes) for k in order}
    label = period.label if period else "all periods"

    slides = [_title_slide(store, period, area, order, figures, narrative)]
    if narrative is not None:
        for section in narrative.priorities():
            linked = [k for k in views.priority_kpis(store, section, section.priority) if k in figures]
            slides += _text_slides("priority", section.title, paragraphs(section.body) or ["No narrative for this priority."],
                                   room, _kpi_table(tiles, figures, linked), f"{narrative.title} · KPIs for {area}")
    for k in order:
        slide = _kpi_slide(store, period, area, tiles[k], figures[k], locality, narrative, label)
        slide = replace(slide, notes=" ".join(n for n in (slide.notes, _history_notes(store, k, area, period, comments)) if n))
        slides += split_kpi(slide) if room.split_kpi else [slide]
    for key in N.THEMES:
        section = narrative.section(key) if narrative else None
        title = section.title if section else key.replace("_", " ").capitalize()
        body = paragraphs(section.body) if section and section.body else ["Nothing recorded for this period."]
        related = [k for k in (section.kpis if section else ()) if k in figures]
        slides += _text_slides("theme", title, body, room, _kpi_table(tiles, figures, related), label)
    return Deck(BOARD_NAME, period, area, tuple(order), tuple(slides), fit)


def split_kpi(slide: Slide) -> list[Slide]:
    """A KPI slide as two: the figure and its trend, then its detail (SPC, where the figure comes from, the
    locality table and the narrative's sentence), titled as continued. Nothing is left out."""
    f = slide.figure
    if f is None or not (f.spc or f.note or f.parts or slide.paragraphs or slide.table):
        return [slide]
    head = replace(slide, figure=replace(f, spc=(), note="", parts=()), paragraphs=(), table=None, continues=True)
    return [head, replace(slide, kind="kpi_detail", title=f"{slide.title} (continued)", charts=())]


def _history_notes(store: Store, kpi_id: str, area: str, period: Period | None, comments: pl.DataFrame | None) -> str:
    """The KPI's status history in the area (latest changes first) and its current comments up to the period, as sentences."""
    from kpis import changes
    from kpis import comments as C

    history = changes.status_history(store, kpi_id, area, period).head(4)
    said = [f"Status history in {area}: " + "; ".join(f"{RAG[str(r['status'])].word} from {r['period']}" for r in history.iter_rows(named=True)) + "."
            ] if history.height else []
    if comments is not None and comments.height:
        known = None if period is None else store.observations.filter(pl.col("period_end") <= period.end)["period"].unique().to_list()
        for r in C.for_kpi(comments, kpi_id, known).head(3).iter_rows(named=True):
            extra = "".join(f" {label}: {r[c]}." for c, label in (("action_taken", "Being done"), ("owner", "Owner")) if r.get(c))
            said.append(f"Comment on {r['period']} ({r['user']}, {str(r['at'])[:10]}): {r['what_happened']}.{extra}")
    return " ".join(said)


def _title_slide(store: Store, period: Period | None, area: str, order: list[str], figures: dict[str, Figure],
                 narrative: N.Narrative | None) -> Slide:
    counts = {rag: 0 for rag in RAG_ORDER}
    for figure in figures.values():
        counts[figure.rag] += 1
    with_figures = [f.period for f in figures.values() if f.period != "–"]
    latest = summary.latest(store, period, None, order)
    as_at = latest.sort("period_end")["period"].last() if latest.height else None
    lines = [f"Reporting period: {period.label if period else 'all periods'}", f"Area: {area}",
             f"Data as at: {as_at}, the latest figure at or before this period" if as_at else "Data as at: no figures yet",
             f"{len(order)} KPI(s), {len(with_figures)} with a figure"]
    notes = " ".join(f"{RAG[rag].word}: {n}." for rag, n in counts.items())
    subtitle = narrative.title if narrative else ""
    return Slide("title", BOARD_NAME, subtitle, paragraphs=tuple(lines), notes=notes,
                 counts=tuple((rag, counts[rag]) for rag in RAG_ORDER))


def _kpi_table(tiles: dict[str, views.Tile], figures: dict[str, Figure], kpi_ids: list[str]) -> Table | None:
    if not kpi_ids:
        return None
    rows = tuple((str(tiles[k].kpi["short_name"]), figures[k].value, figures[k].status) for k in kpi_ids)
    return Table(("KPI", "Value", "Status"), rows, tuple(figures[k].rag for k in kpi_ids))


def _text_slides(kind: str, title: str, body: list[str], room: Fit, table: Table | None, subtitle: str) -> list[Slide]:
    """A narrative over as many slides as its text budget needs, its KPI table beside each, or after the text on a slide of its own."""
    beside = table is not None and room.table_beside
    pages = split_by_budget(body, room.beside if beside else room.wide)
    notes = " ".join(body)
    slides = [Slide(kind, title if i == 0 else f"{title} (continued)", subtitle, paragraphs=tuple(page), table=table if beside else None,
                    notes=notes, continues=i < len(pages) - 1 or (table is not None and not beside)) for i, page in enumerate(pages)]
    if table is not None and not beside:
        slides.append(Slide(kind, f"{title}: its KPIs", subtitle, table=table, notes=notes))
    return slides


def _kpi_slide(store: Store, period: Period | None, area: str, tile: views.Tile, figure: Figure, locality: pl.DataFrame,
               narrative: N.Narrative | None, label: str) -> Slide:
    kpi = tile.kpi
    kpi_id = str(kpi["kpi_id"])
    named = naming_sentence(narrative, kpi)
    said = (f"“{named[0]}” ({named[1]})",) if named else ()
    trend = _trend_chart(store, kpi, area, tile, period)
    rows = [tile.main] if tile.main is not None else tile.parts
    why = " ".join((f"{r['area']}: " if tile.main is None else "") + (suppression.sentence(r) or summary.why(r)) for r in rows) \
        or summary.why({"value": None, "rag": "grey"})
    return Slide("kpi", str(kpi["name"]), f"{area} · {label}", figure, said, _locality_table(locality, kpi_id, area),
                 (trend,) if trend else (), why, kpi_id)


def text_of(slide: Slide) -> str:
    """Every word a slide shows, in reading order: what the pack's tests read back."""
    parts = [slide.title, slide.subtitle]
    if slide.figure:
        f = slide.figure
        parts += [f.value, f"Target {f.target}", f.period, f.status, f.direction, *f.spc, f.note, *f.parts]
    parts += [f"{RAG[r].word}: {n}" for r, n in slide.counts]
    parts += list(slide.paragraphs)
    if slide.table:
        parts += [" | ".join(slide.table.header), *(" | ".join(r) for r in slide.table.rows)]
    return "\n".join(p for p in parts if p)
