"""The committee pack: a deck written as PDF (fpdf2) and as PowerPoint (python-pptx).

Charts are drawn on the server by Vega-Lite's own renderer (vl-convert), never by a
browser, and with every external address refused: the chart data is inline and the fonts
are the machine's own. The PDF embeds each chart as SVG (vector); PowerPoint takes PNG.
Every picture carries alt text; PowerPoint slides use real text boxes and tables, and
the speaker notes hold the sentences that explain each status. One page or slide per
deck slide, in the same order, from the same `deck.Slide` records.
"""

from __future__ import annotations

import io
import logging
import re
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from kpis.deck import Chart, Deck, Slide, Table
from kpis.styles import RAG

log = logging.getLogger(__name__)

# A 16:9 page in points (13.33 × 7.5 inches, PowerPoint's widescreen slide).
PAGE_W, PAGE_H = 960.0, 540.0
MARGIN = 30.0
CHART_W, CHART_H = 560, 250  # pixels at 1:1 with points
PLOT_INSET = (70, 120)  # what a trend chart's axes, title and legend add to its plot, in pixels
FONT_DIRS = (Path("/usr/share/fonts/truetype/dejavu"), Path("/usr/share/fonts/dejavu"), Path("/Library/Fonts"))
INK, MUTED = "#1A1A1A", "#4A4F57"
CHART_CONFIG = {"axis": {"labelFontSize": 14, "titleFontSize": 14}, "legend": {"labelFontSize": 14, "titleFontSize": 14, "columns": 4},
                "title": {"fontSize": 16}, "font": "DejaVu Sans"}

# On the presenter's screen chart text is drawn at 18 px, so that it stays at 16 px or more
# where the slide shrinks the chart to fit (to 89% at the least).
SCREEN_CHART_FONT = 18
SCREEN_CHART_CONFIG = {"axis": {"labelFontSize": SCREEN_CHART_FONT, "titleFontSize": SCREEN_CHART_FONT},
                       "legend": {"labelFontSize": SCREEN_CHART_FONT, "titleFontSize": SCREEN_CHART_FONT, "columns": 3},
                       "title": {"fontSize": SCREEN_CHART_FONT + 2}, "font": "DejaVu Sans"}


class PackError(RuntimeError):
    """The pack could not be written (no font with the status icons, a chart that failed to render)."""


# ---- charts ------------------------------------------------------------------------------------


def chart_spec(chart: Chart, width: int = CHART_W, height: int = CHART_H) -> dict:
    """The chart as a Vega-Lite spec at a fixed size (a slide has no container to fill)."""
    return chart.chart.properties(width=width, height=height).to_dict()


def render_svg(chart: Chart, width: int = CHART_W, height: int = CHART_H, config: dict | None = None) -> str:
    import vl_convert

    return vl_convert.vegalite_to_svg(chart_spec(chart, width, height), config=config or CHART_CONFIG, allowed_base_urls=[])


def render_png(chart: Chart, width: int = CHART_W, height: int = CHART_H, scale: float = 2.0) -> bytes:
    import vl_convert

    return vl_convert.vegalite_to_png(chart_spec(chart, width, height), scale=scale, config=CHART_CONFIG, allowed_base_urls=[])


def _rgb(colour: str) -> tuple[int, int, int]:
    colour = colour.lstrip("#")
    return int(colour[0:2], 16), int(colour[2:4], 16), int(colour[4:6], 16)


def _fixed_date(deck: Deck) -> datetime:
    """The document's date: the end of the period, so that the same input gives the same file."""
    end = deck.period.end if deck.period else datetime(2000, 1, 1).date()
    return datetime(end.year, end.month, end.day, tzinfo=UTC)


# ---- PDF ---------------------------------------------------------------------------------------


def _font_dir() -> Path:
    for folder in FONT_DIRS:
        if (folder / "DejaVuSans.ttf").exists() and (folder / "DejaVuSans-Bold.ttf").exists():
            return folder
    raise PackError("The PDF needs the DejaVu Sans font (for the status icons ✔ ▲ ✖): install fonts-dejavu-core")


class _Pdf:
    def __init__(self, deck: Deck):
        from fpdf import FPDF

        self.pdf = FPDF(orientation="L", unit="pt", format=(PAGE_H, PAGE_W))
        folder = _font_dir()
        self.pdf.add_font("DejaVu", "", str(folder / "DejaVuSans.ttf"))
        self.pdf.add_font("DejaVu", "B", str(folder / "DejaVuSans-Bold.ttf"))
        # The charts' own text, drawn as text in the vector chart, names the family as Vega writes it.
        self.pdf.add_font("DejaVu Sans", "", str(folder / "DejaVuSans.ttf"))
        self.pdf.add_font("DejaVu Sans", "B", str(folder / "DejaVuSans-Bold.ttf"))
        self.pdf.set_auto_page_break(False)
        self.pdf.set_margins(MARGIN, MARGIN, MARGIN)
        self.pdf.set_title(f"{deck.title}: {deck.area}, {deck.period.label if deck.period else 'all periods'}")
        self.pdf.set_creation_date(_fixed_date(deck))
        self.pdf.set_lang("en-GB")
        self.vector = 0  # charts drawn as SVG

    def text(self, x: float, y: float, w: float, text: str, size: float, bold: bool = False, colour: str = INK, line: float = 1.25) -> float:
        """Text wrapped in a box of width `w` at (x, y); returns the y below it."""
        self.pdf.set_font("DejaVu", "B" if bold else "", size)
        self.pdf.set_text_color(*_rgb(colour))
        self.pdf.set_xy(x, y)
        self.pdf.multi_cell(w, size * line, text, align="L", new_x="LEFT", new_y="NEXT")
        return self.pdf.get_y()

    def badge(self, x: float, y: float, text: str, rag: str, size: float = 18) -> float:
        look = RAG.get(rag, RAG["grey"])
        self.pdf.set_font("DejaVu", "B", size)
        w = self.pdf.get_string_width(text) + 20
        self.pdf.set_fill_color(*_rgb(look.colour))
        self.pdf.rect(x, y, w, size * 1.6, style="F", round_corners=True, corner_radius=6)
        self.pdf.set_text_color(*_rgb(look.text_colour))
        self.pdf.set_xy(x, y)
        self.pdf.cell(w, size * 1.6, text, align="C")
        return y + size * 1.6 + 8

    def table(self, x: float, y: float, w: float, table: Table, size: float = 12) -> float:
        self.pdf.set_font("DejaVu", "", size)
        self.pdf.set_text_color(*_rgb(INK))
        self.pdf.set_xy(x, y)
        self.pdf.set_left_margin(x)
        widths = _column_widths(table, w)
        from fpdf.fonts import FontFace

        heading = FontFace(emphasis="BOLD", color=_rgb(INK), fill_color=(235, 235, 235))
        self.pdf.set_fill_color(255, 255, 255)
        with self.pdf.table(width=w, col_widths=widths, align="LEFT", line_height=size * 1.35, text_align="LEFT",
                            first_row_as_headings=True, headings_style=heading, cell_fill_mode="NONE") as grid:
            grid.row(list(table.header))
            for i, values in enumerate(table.rows):
                row = grid.row()
                rag = table.rags[i] if i < len(table.rags) else None
                for j, value in enumerate(values):
                    if rag and table.header[j] == "Status":
                        look = RAG.get(rag, RAG["grey"])
                        row.cell(value, style=FontFace(color=_rgb(look.text_colour), fill_color=_rgb(look.colour), emphasis="BOLD"))
                    else:
                        row.cell(value)
        self.pdf.set_left_margin(MARGIN)
        return self.pdf.get_y()

    def chart(self, x: float, y: float, chart: Chart, w: float = CHART_W, h: float = CHART_H) -> None:
        # The plot is drawn smaller than the box by its axes, title and legend, so that it fills the box at about 1:1.
        svg = _svg_for_fpdf(render_svg(chart, int(w) - PLOT_INSET[0], int(h) - PLOT_INSET[1]))
        try:
            self.pdf.image(io.BytesIO(svg.encode("utf-8")), x=x, y=y, w=w, h=h, keep_aspect_ratio=True, alt_text=chart.alt_text)
            self.vector += 1
        except (ValueError, KeyError) as error:  # a drawing fpdf2's SVG reader does not handle: the same chart as PNG
            log.info("chart %r as PNG in the PDF: %s", chart.title, error)
            self.pdf.image(io.BytesIO(render_png(chart, int(w), int(h), 3.0)), x=x, y=y, w=w, h=h, keep_aspect_ratio=True, alt_text=chart.alt_text)


def _svg_for_fpdf(svg: str) -> str:
    """What fpdf2's SVG reader needs spelled out: Vega leaves out a line's x1 and y1 where they are 0, as
    SVG allows, and writes an empty path (`d=""`) for a group's background that draws nothing."""
    svg = re.sub(r"<line(?![^>]*\bx1=)", '<line x1="0"', svg)
    svg = re.sub(r"<line(?![^>]*\by1=)", '<line y1="0"', svg)
    svg = re.sub(r"<path(?![^>]*\bstroke=)", '<path stroke="none"', svg)  # SVG's default, which fpdf2 reads as black
    return re.sub(r'<path(?=[^>]*\sd="")[^>]*?(/>|>\s*</path>)', "", svg)


def _column_widths(table: Table, width: float) -> tuple[float, ...]:
    """Columns in proportion to their longest text, each at least a sixth of the even share."""
    longest = [max([len(table.header[j]), *(len(r[j]) for r in table.rows)]) for j in range(len(table.header))]
    floor = sum(longest) / len(longest) / 2
    weights = [max(n, floor) for n in longest]
    return tuple(width * w / sum(weights) for w in weights)


def _pdf_header(out: _Pdf, slide: Slide) -> float:
    y = out.text(MARGIN, MARGIN - 6, PAGE_W - 2 * MARGIN, slide.title, 24 if len(slide.title) < 70 else 19, bold=True)
    if slide.subtitle:
        y = out.text(MARGIN, y + 2, PAGE_W - 2 * MARGIN, slide.subtitle, 13, colour=MUTED)
    return y + 10


def _pdf_title(out: _Pdf, slide: Slide) -> None:
    y = out.text(MARGIN, 70, PAGE_W - 2 * MARGIN, slide.title, 40, bold=True)
    if slide.subtitle:
        y = out.text(MARGIN, y + 6, PAGE_W - 2 * MARGIN, slide.subtitle, 22, colour=MUTED)
    x, y = MARGIN, y + 30
    box = (PAGE_W - 2 * MARGIN - 3 * 20) / 4
    for rag, n in slide.counts:
        look = RAG[rag]
        out.pdf.set_fill_color(*_rgb(look.colour))
        out.pdf.rect(x, y, box, 110, style="F", round_corners=True, corner_radius=8)
        out.text(x + 16, y + 10, box - 32, str(n), 48, bold=True, colour=look.text_colour)
        out.text(x + 16, y + 72, box - 32, f"{look.icon} {look.word}", 20, bold=True, colour=look.text_colour)
        x += box + 20
    y += 140
    for line in slide.paragraphs:
        y = out.text(MARGIN, y, PAGE_W - 2 * MARGIN, line, 18) + 4


def _pdf_kpi(out: _Pdf, slide: Slide) -> None:
    y = _pdf_header(out, slide)
    left_w = 330.0
    f = slide.figure
    if f is not None:
        y = out.text(MARGIN, y, left_w, f.value, 60, bold=True, line=1.1)
        y = out.text(MARGIN, y + 2, left_w, f"Target {f.target} · {f.period}", 15, colour=MUTED) + 6
        y = out.badge(MARGIN, y, f.status, f.rag)
        y = out.text(MARGIN, y, left_w, f.direction, 14, bold=True) + 4
        for line in f.spc:
            y = out.text(MARGIN, y, left_w, line, 11, colour=MUTED) + 2
        if f.note:
            y = out.text(MARGIN, y + 2, left_w, f.note, 11, colour=MUTED) + 2
        if f.parts and slide.table is None:
            y = out.text(MARGIN, y + 2, left_w, "  ".join(f.parts), 12) + 2
    for paragraph in slide.paragraphs:
        y = out.text(MARGIN, y + 8, left_w, paragraph, 12)
    right = MARGIN + left_w + 30
    right_w = PAGE_W - right - MARGIN
    top = _pdf_header_bottom(slide)
    if slide.charts:
        out.chart(right, top, slide.charts[0], right_w, CHART_H if slide.table else CHART_H + 110)
        top += (CHART_H if slide.table else CHART_H + 110) + 14
    if slide.table is not None:
        out.table(right, top, right_w, slide.table, 10.5)


def _pdf_header_bottom(slide: Slide) -> float:
    return MARGIN + (30 if len(slide.title) < 70 else 50) + (22 if slide.subtitle else 0) + 10


def _pdf_text(out: _Pdf, slide: Slide) -> None:
    y = _pdf_header(out, slide)
    width = PAGE_W - 2 * MARGIN if slide.table is None else 540.0
    for paragraph in slide.paragraphs:
        out.text(MARGIN - 4, y, 24, "•", 16, colour=MUTED)
        y = out.text(MARGIN + 18, y, width - 18, paragraph, 16) + 8
    if slide.table is not None:
        out.table(MARGIN + width + 30, _pdf_header_bottom(slide), PAGE_W - 3 * MARGIN - width, slide.table, 12)


PDF_LAYOUTS: dict[str, Callable[[_Pdf, Slide], None]] = {"title": _pdf_title, "kpi": _pdf_kpi, "priority": _pdf_text, "theme": _pdf_text}


def to_pdf(deck: Deck) -> bytes:
    """The deck as a PDF: one landscape page per slide."""
    out = _Pdf(deck)
    for slide in deck.slides:
        out.pdf.add_page()
        PDF_LAYOUTS[slide.kind](out, slide)
    return bytes(out.pdf.output())


# ---- PowerPoint --------------------------------------------------------------------------------


class _Pptx:
    def __init__(self, deck: Deck):
        from pptx import Presentation
        from pptx.util import Pt

        self.prs = Presentation()
        self.prs.slide_width, self.prs.slide_height = Pt(PAGE_W), Pt(PAGE_H)
        self.blank = self.prs.slide_layouts[6]
        props = self.prs.core_properties
        props.title = f"{deck.title}: {deck.area}, {deck.period.label if deck.period else 'all periods'}"
        props.author = deck.title
        props.created = props.modified = _fixed_date(deck).replace(tzinfo=None)
        props.last_modified_by = deck.title
        props.revision = 1

    def new(self):
        return self.prs.slides.add_slide(self.blank)

    def text(self, slide, x: float, y: float, w: float, h: float, lines: list[tuple[str, float, bool, str]]) -> None:
        from pptx.dml.color import RGBColor
        from pptx.util import Pt

        box = slide.shapes.add_textbox(Pt(x), Pt(y), Pt(w), Pt(h))
        frame = box.text_frame
        frame.word_wrap = True
        for i, (text, size, bold, colour) in enumerate(lines):
            paragraph = frame.paragraphs[0] if i == 0 else frame.add_paragraph()
            run = paragraph.add_run()
            run.text = text
            run.font.size, run.font.bold = Pt(size), bold
            run.font.color.rgb = RGBColor(*_rgb(colour))
        return box

    def filled(self, slide, x: float, y: float, w: float, h: float, rag: str, lines: list[tuple[str, float, bool]]) -> None:
        from pptx.dml.color import RGBColor
        from pptx.enum.shapes import MSO_SHAPE
        from pptx.util import Pt

        look = RAG.get(rag, RAG["grey"])
        shape = slide.shapes.add_shape(MSO_SHAPE.ROUNDED_RECTANGLE, Pt(x), Pt(y), Pt(w), Pt(h))
        shape.fill.solid()
        shape.fill.fore_color.rgb = RGBColor(*_rgb(look.colour))
        shape.line.fill.background()
        frame = shape.text_frame
        frame.word_wrap = True
        for i, (text, size, bold) in enumerate(lines):
            paragraph = frame.paragraphs[0] if i == 0 else frame.add_paragraph()
            run = paragraph.add_run()
            run.text = text
            run.font.size, run.font.bold = Pt(size), bold
            run.font.color.rgb = RGBColor(*_rgb(look.text_colour))

    def table(self, slide, x: float, y: float, w: float, table: Table, size: float = 12) -> None:
        from pptx.dml.color import RGBColor
        from pptx.util import Pt

        shape = slide.shapes.add_table(len(table.rows) + 1, len(table.header), Pt(x), Pt(y), Pt(w), Pt(size * 2 * (len(table.rows) + 1)))
        grid = shape.table
        for j, width in enumerate(_column_widths(table, w)):
            grid.columns[j].width = Pt(width)
        for i, values in enumerate([table.header, *table.rows]):
            rag = table.rags[i - 1] if i > 0 and i - 1 < len(table.rags) else None
            for j, value in enumerate(values):
                cell = grid.cell(i, j)
                cell.text = value
                run = cell.text_frame.paragraphs[0].runs[0] if cell.text_frame.paragraphs[0].runs else None
                if run is None:
                    continue
                run.font.size = Pt(size)
                if rag and table.header[j] == "Status":
                    look = RAG.get(rag, RAG["grey"])
                    cell.fill.solid()
                    cell.fill.fore_color.rgb = RGBColor(*_rgb(look.colour))
                    run.font.color.rgb = RGBColor(*_rgb(look.text_colour))
                    run.font.bold = True

    def picture(self, slide, x: float, y: float, w: float, h: float, chart: Chart) -> None:
        from pptx.util import Pt

        png = render_png(chart, int(w) - PLOT_INSET[0], int(h) - PLOT_INSET[1])
        picture = slide.shapes.add_picture(io.BytesIO(png), Pt(x), Pt(y), width=Pt(w))
        picture._element.nvPicPr.cNvPr.set("descr", chart.alt_text)  # alt text, as PowerPoint's own dialog stores it
        picture.name = chart.title

    @staticmethod
    def notes(slide, text: str) -> None:
        slide.notes_slide.notes_text_frame.text = text


def _pptx_header(out: _Pptx, page, slide: Slide) -> float:
    lines = [(slide.title, 24 if len(slide.title) < 70 else 19, True, INK)]
    if slide.subtitle:
        lines.append((slide.subtitle, 13, False, MUTED))
    out.text(page, MARGIN, MARGIN - 10, PAGE_W - 2 * MARGIN, 60, lines)
    return _pdf_header_bottom(slide)


def _pptx_title(out: _Pptx, page, slide: Slide) -> None:
    lines = [(slide.title, 40, True, INK)] + ([(slide.subtitle, 22, False, MUTED)] if slide.subtitle else [])
    out.text(page, MARGIN, 60, PAGE_W - 2 * MARGIN, 110, lines)
    box, x = (PAGE_W - 2 * MARGIN - 3 * 20) / 4, MARGIN
    for rag, n in slide.counts:
        out.filled(page, x, 200, box, 110, rag, [(str(n), 48, True), (f"{RAG[rag].icon} {RAG[rag].word}", 20, True)])
        x += box + 20
    out.text(page, MARGIN, 340, PAGE_W - 2 * MARGIN, 160, [(line, 18, False, INK) for line in slide.paragraphs])


def _pptx_kpi(out: _Pptx, page, slide: Slide) -> None:
    top = _pptx_header(out, page, slide)
    left_w = 330.0
    f = slide.figure
    if f is not None:
        out.text(page, MARGIN, top, left_w, 80, [(f.value, 60, True, INK), (f"Target {f.target} · {f.period}", 15, False, MUTED)])
        out.filled(page, MARGIN, top + 100, left_w * 0.8, 34, f.rag, [(f.status, 18, True)])
        lines = [(f.direction, 14, True, INK), *((s, 11, False, MUTED) for s in f.spc)]
        lines += [(f.note, 11, False, MUTED)] if f.note else []
        lines += [("  ".join(f.parts), 12, False, INK)] if f.parts and slide.table is None else []
        lines += [(p, 12, False, INK) for p in slide.paragraphs]
        out.text(page, MARGIN, top + 145, left_w, PAGE_H - top - 160, lines)
    right = MARGIN + left_w + 30
    right_w = PAGE_W - right - MARGIN
    y = top
    if slide.charts:
        height = CHART_H if slide.table else CHART_H + 110
        out.picture(page, right, y, right_w, height, slide.charts[0])
        y += height + 14
    if slide.table is not None:
        out.table(page, right, y, right_w, slide.table, 10.5)


def _pptx_text(out: _Pptx, page, slide: Slide) -> None:
    top = _pptx_header(out, page, slide)
    width = PAGE_W - 2 * MARGIN if slide.table is None else 540.0
    out.text(page, MARGIN, top, width, PAGE_H - top - MARGIN, [(f"• {p}", 16, False, INK) for p in slide.paragraphs])
    if slide.table is not None:
        out.table(page, MARGIN + width + 30, top, PAGE_W - 3 * MARGIN - width, slide.table, 12)


PPTX_LAYOUTS = {"title": _pptx_title, "kpi": _pptx_kpi, "priority": _pptx_text, "theme": _pptx_text}


def to_pptx(deck: Deck) -> bytes:
    """The deck as PowerPoint: one slide per deck slide, with editable text and tables, pictures with alt text, and notes."""
    out = _Pptx(deck)
    for slide in deck.slides:
        page = out.new()
        PPTX_LAYOUTS[slide.kind](out, page, slide)
        out.notes(page, slide.notes)
    buffer = io.BytesIO()
    out.prs.save(buffer)
    return buffer.getvalue()


FORMATS: dict[str, tuple[Callable[[Deck], bytes], str]] = {
    "pdf": (to_pdf, "application/pdf"),
    "pptx": (to_pptx, "application/vnd.openxmlformats-officedocument.presentationml.presentation"),
}


def render(deck: Deck, fmt: str) -> bytes:
    if fmt not in FORMATS:
        raise ValueError(f"format must be one of {', '.join(FORMATS)}, not {fmt!r}")
    return FORMATS[fmt][0](deck)


def file_name(deck: Deck, fmt: str) -> str:
    period = (deck.period.label if deck.period else "all").replace("/", "-").replace(" ", "_")
    return f"kpi_pack_{deck.area.replace(' ', '_')}_{period}.{fmt}"
