"""The presenter page (/present) through Streamlit's AppTest: slides from the URL, stepping, the deck link, escaping."""

from __future__ import annotations

import pytest
from test_app_pages import html_text, open_page

from conftest import DATA
from kpis import deck as D
from kpis import narratives
from kpis.periods import parse_period

PAGE = "pages/present_page.py"


def slide_html(at) -> str:
    return next(h for h in (str(h.proto.body) for h in at.get("html")) if h.startswith('<div class="slide"'))


@pytest.fixture(scope="module")
def demo_deck():
    from kpis import store

    return D.build(store.load(DATA), parse_period("2024/25 Q1"), "City", None, narratives.load_all(DATA / "narratives")[0])


def button(at, key: str):
    return next(b for b in at.button if b.key == key)


def test_opens_on_the_title_slide_with_counts(demo_deck):
    at = open_page(PAGE)
    assert not at.exception, [e.value for e in at.exception]
    html = slide_html(at)
    assert 'data-slide="1"' in html and f"Slide 1 of {len(demo_deck.slides)}" in html
    assert "KPI performance board" in html and "Reporting period: 2024/25 Q1" in html


def test_slide_in_the_url_opens_that_slide(demo_deck):
    number = next(i for i, s in enumerate(demo_deck.slides, 1) if s.kpi_id == "mmr_24m")
    at = open_page(PAGE, slide=str(number))
    html = slide_html(at)
    assert f'data-slide="{number}"' in html
    assert "MMR Percentage Uptake in Children aged 24 months" in html and '<div class="value">90.24%</div>' in html
    assert "✖ Red" in html and "Target 95%" in html
    assert '<img src="data:image/svg+xml;base64,' in html and 'alt="Line chart of MMR uptake at 24 months' in html


@pytest.mark.parametrize(("start", "key", "expected"), [
    ("1", "present_next", "2"), ("3", "present_prev", "2"), ("5", "present_first", "1"), ("2", "present_key_pagedown", "3"),
    ("2", "present_key_pageup", "1"), ("1", "present_key_space", "2"), ("1", "present_prev", "1"),
])
def test_buttons_and_keys_step_and_the_url_follows(start, key, expected):
    at = open_page(PAGE, slide=start)
    button(at, key).click().run()
    assert not at.exception
    assert at.query_params["slide"] == [expected] or at.query_params["slide"] == expected
    assert f'data-slide="{expected}"' in slide_html(at)


def test_last_goes_to_the_end(demo_deck):
    at = open_page(PAGE)
    button(at, "present_last").click().run()
    total = len(demo_deck.slides)
    assert f'data-slide="{total}"' in slide_html(at) and demo_deck.slides[-1].title in slide_html(at)


def test_the_deck_link_keeps_kpis_and_their_order():
    from kpis import store

    chosen = D.build(store.load(DATA), parse_period("2024/25 Q1"), "City", ["mmr_5y", "rtl_uptake"], narratives.load_all(DATA / "narratives")[0])
    numbers = [i for i, s in enumerate(chosen.slides, 1) if s.kind == "kpi"]
    at = open_page(PAGE, kpis="mmr_5y,rtl_uptake", slide="1")
    assert "<b>1</b>✔ Green" in slide_html(at) and "<b>1</b>✖ Red" in slide_html(at)
    assert f"Slide 1 of {len(chosen.slides)}" in slide_html(at)
    first = slide_html(open_page(PAGE, kpis="mmr_5y,rtl_uptake", slide=str(numbers[0])))
    second = slide_html(open_page(PAGE, kpis="mmr_5y,rtl_uptake", slide=str(numbers[1])))
    assert "MMR Percentage Uptake in Children aged 5 years" in first and "Uptake of the Ready to Learn Assessments" in second


def test_unknown_or_bad_url_values_fall_back(demo_deck):
    at = open_page(PAGE, slide="999", kpis="nope")
    assert not at.exception
    assert f'data-slide="{len(demo_deck.slides)}"' in slide_html(at)
    at = open_page(PAGE, slide="abc")
    assert 'data-slide="1"' in slide_html(at)


def test_data_strings_are_escaped(data_copy, monkeypatch):
    (data_copy / "narratives" / "2024-25-q1.md").write_text(
        "---\nperiod: 2024/25 Q1\ntitle: <b>Board</b>\n---\n## Partnership Priority 1: <script>alert(1)</script>\nKPIs: mmr_24m\n\n"
        "- Uptake <img src=x onerror=alert(1)> is up.\n", encoding="utf-8")
    monkeypatch.setenv("KPI_DATA_DIR", str(data_copy))
    at = open_page(PAGE, slide="2")
    html = slide_html(at)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "<script>" not in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    assert "<b>Board</b>" not in html_text(at)


def test_sidebar_and_header_are_hidden_by_the_page_style():
    at = open_page(PAGE)
    styles = [str(h.proto.body) for h in at.get("html") if "<style>" in str(h.proto.body)]
    assert any('[data-testid="stSidebar"]' in s and "display:none" in s and '[data-testid="stHeader"]' in s for s in styles)
