"""The committee pack written by `python -m kpis pack`, read back: PDF with pypdf, PowerPoint with python-pptx."""

from __future__ import annotations

import json
import re
import subprocess

import pytest

import cli_run
from conftest import DATA
from kpis import deck as D
from kpis import narratives, pack, summary
from kpis.formatting import format_value
from kpis.periods import parse_period
from kpis.styles import RAG

PERIOD = "2024/25 Q1"


def run(*args: str, in_process: bool = True) -> subprocess.CompletedProcess:
    return cli_run.run("pack", "--data-dir", str(DATA), *args, in_process=in_process)


def squash(text: str) -> str:
    return " ".join(text.split())


@pytest.fixture(scope="module")
def deck(demo_store):
    return D.build(demo_store, parse_period(PERIOD), "City", None, narratives.load_all(DATA / "narratives")[0])


@pytest.fixture(scope="module")
def expected(demo_store):
    """Every KPI's name, and each area's value and status word, for the period: what the pack must say."""
    rows = summary.latest(demo_store, parse_period(PERIOD), ["City", "North East", "North West", "South"])
    values = {(r["name"], format_value(r["value"], r["unit"], r["decimals"]), RAG[r["rag"]].word) for r in rows.iter_rows(named=True)}
    return demo_store.catalogue["name"].to_list(), values


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    folder = tmp_path_factory.mktemp("pack")
    out = {}
    for fmt in ("pdf", "pptx"):
        done = run("--period", PERIOD, "--area", "City", "--format", fmt, "--out", str(folder / f"pack.{fmt}"), "--json")
        assert done.returncode == 0, done.stderr
        record = json.loads(done.stdout)
        assert record["format"] == fmt and record["area"] == "City" and record["period"] == PERIOD
        out[fmt] = folder / f"pack.{fmt}"
    return out


def test_pdf_has_one_page_per_slide_and_every_kpi_name_value_and_status(written, deck, expected):
    from pypdf import PdfReader

    reader = PdfReader(written["pdf"])
    assert len(reader.pages) == len(deck.slides)
    pages = [squash(page.extract_text()) for page in reader.pages]
    for page, slide in zip(pages, deck.slides, strict=True):
        assert squash(slide.title) in page, slide.title
    names, values = expected
    everything = " ".join(pages)
    for name in names:
        assert squash(name) in everything, name
    for name, value, word in values:
        kpi_page = next(p for p, s in zip(pages, deck.slides, strict=True) if s.kind == "kpi" and s.title == name)
        assert value in kpi_page and word in kpi_page, (name, value, word)


def test_pdf_charts_are_vector_drawings_with_alt_text(written, deck):
    raw = written["pdf"].read_bytes()
    charts = [c for s in deck.slides for c in s.charts]
    assert charts
    # Drawn as vector paths and text in the page (a picture would be an image XObject); alt text in the structure tree.
    assert b"/Subtype /Image" not in raw
    alts = re.findall(rb"/Alt \(((?:\\.|[^)\\])*)\)", raw)
    assert [a.decode("latin-1") for a in alts] == [c.alt_text for c in charts]


def test_pptx_has_the_same_text_pictures_with_alt_text_and_notes(written, deck, expected):
    from pptx import Presentation
    from pptx.enum.shapes import MSO_SHAPE_TYPE

    prs = Presentation(str(written["pptx"]))
    assert len(prs.slides) == len(deck.slides)
    names, values = expected
    texts = []
    for page, slide in zip(prs.slides, deck.slides, strict=True):
        words = []
        for shape in page.shapes:
            if shape.has_text_frame:
                words.append(shape.text_frame.text)
            if shape.has_table:
                words += [cell.text for row in shape.table.rows for cell in row.cells]
        text = squash(" ".join(words))
        texts.append(text)
        assert squash(slide.title) in text
        pictures = [s for s in page.shapes if s.shape_type == MSO_SHAPE_TYPE.PICTURE]
        assert len(pictures) == len(slide.charts)
        for picture, chart in zip(pictures, slide.charts, strict=True):
            assert picture._element.nvPicPr.cNvPr.get("descr") == chart.alt_text != ""
        assert page.has_notes_slide and page.notes_slide.notes_text_frame.text == slide.notes
        if slide.kind == "kpi":
            assert any(table for table in page.shapes if table.has_table) == (slide.table is not None)
    everything = " ".join(texts)
    for name in names:
        assert squash(name) in everything
    for name, value, word in values:
        kpi_text = next(t for t, s in zip(texts, deck.slides, strict=True) if s.kind == "kpi" and s.title == name)
        assert value in kpi_text and word in kpi_text, (name, value, word)


def test_pptx_notes_carry_why_this_status(written, deck):
    from pptx import Presentation

    prs = Presentation(str(written["pptx"]))
    mmr = next(i for i, s in enumerate(deck.slides) if s.kpi_id == "mmr_24m")
    notes = prs.slides[mmr].notes_slide.notes_text_frame.text
    assert notes.startswith("Red: 90.24% is") and "Direction:" in notes


def test_same_input_same_slides(demo_store):
    found = narratives.load_all(DATA / "narratives")[0]
    build = lambda: D.build(demo_store, parse_period(PERIOD), "North East", ["mmr_24m", "rtl_uptake"], found)
    first, second = build(), build()
    assert [D.text_of(s) for s in first.slides] == [D.text_of(s) for s in second.slides]
    assert pack.to_pdf(first) == pack.to_pdf(second)


@pytest.mark.parametrize("args", [
    ("--format", "pdf", "--out", "x.pdf", "--kpis", "mmr_24m,nope"),
    ("--format", "pdf", "--out", "x.pdf", "--area", "Atlantis"),
    ("--format", "pdf", "--out", "x.pdf", "--period", "2024/25 Q9"),
    ("--format", "docx", "--out", "x.docx"),
    ("--out", "x.pdf"),
])
def test_usage_errors_exit_2_and_write_nothing(args, tmp_path):
    args = tuple(str(tmp_path / a) if a.startswith("x.") else a for a in args)
    done = run(*args)
    assert done.returncode == 2, done.stdout + done.stderr
    assert "Traceback" not in done.stderr
    assert not list(tmp_path.iterdir())
