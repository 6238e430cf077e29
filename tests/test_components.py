"""The Overview tile's links, as its one HTML block writes them: where each goes and what it is called."""

import re

import pytest

from kpis import views
from kpis.periods import parse_period
from pages import components


def tile(n_parts: int) -> views.Tile:
    parts = [{"area": f"Area {i}", "rag": "green", "value": 1.0} for i in range(n_parts)]
    return views.Tile(kpi={"kpi_id": "rtl_uptake"}, main=None, parts=parts)


def links(markup: str) -> list[tuple[str, str]]:
    """(href, words) of each link, tags and the icon dropped."""
    return [(href, re.sub(r"<[^>]+>", "", body).replace("↗", "").replace("☰", "").strip())
            for href, body in re.findall(r'<a class="kpi-link" data-kpi-nav href="([^"]*)">(.*?)</a>', markup)]


Q1 = "period=2024%2F25+Q1"


@pytest.mark.parametrize(
    ("n_parts", "expected"),
    [
        (0, [(f"trends?kpi=rtl_uptake&amp;area=City&amp;{Q1}", "Open trend")]),
        (3, [(f"trends?kpi=rtl_uptake&amp;area=City&amp;{Q1}", "Open trend"), (f"localities?kpi=rtl_uptake&amp;area=City&amp;{Q1}", "By area")]),
        (views.MANY_AREAS + 1, [(f"trends?kpi=rtl_uptake&amp;area=City&amp;{Q1}", "Open trend"),
                                (f"localities?kpi=rtl_uptake&amp;area=City&amp;{Q1}", f"All {views.MANY_AREAS + 1} areas")]),
    ],
)
def test_a_tile_links_to_its_trend_and_to_its_areas_when_it_has_some(n_parts, expected):
    assert links(components.tile_links_html(tile(n_parts), parse_period("2024/25 Q1"), "City")) == expected


def test_a_link_escapes_what_the_data_names():
    markup = components.page_anchor("trends", 'Open "<b>" & more', {"area": 'North & "East" <x>'}, "↗")
    assert markup == ('<a class="kpi-link" data-kpi-nav href="trends?area=North+%26+%22East%22+%3Cx%3E">'
                      '<span aria-hidden="true">↗</span> Open &quot;&lt;b&gt;&quot; &amp; more</a>')


def test_without_a_period_the_link_carries_none():
    assert links(components.tile_links_html(tile(0), None, "City")) == [("trends?kpi=rtl_uptake&amp;area=City", "Open trend")]


@pytest.mark.parametrize(
    ("keys", "shown"),
    [
        (["green", "amber", "red", "grey"], [("4", "✔ Green"), ("0", "▲ Amber"), ("5", "✖ Red"), ("0", "○ No status")]),
        (["red", "not_reported"], [("5", "✖ Red"), ("7", "⊘ Not reported here")]),
    ],
)
def test_each_count_sits_beside_its_status_in_words(keys, shown):
    counts = {"green": 4, "amber": 0, "red": 5, "grey": 0, "not_reported": 7}
    markup = components.status_counts_html(counts, keys)
    items = re.findall(r'<span class="kpi-count-item"><span class="kpi-count">(\d+)</span>(.*?)</span></span>', markup)
    assert [(n, re.sub(r"<[^>]+>", "", word).strip()) for n, word in items] == shown


def test_a_band_escapes_its_text(monkeypatch):
    import streamlit as st

    drawn: list[str] = []
    monkeypatch.setattr(st, "html", drawn.append)
    components.band("KPIs at a glance", 'North & "East" <b>')
    assert drawn == ['<div class="kpi-band"><h2>KPIs at a glance</h2><p class="kpi-meta">North &amp; &quot;East&quot; &lt;b&gt;</p></div>']


def test_a_section_is_one_block_its_heading_escaped_its_body_as_given(monkeypatch):
    import streamlit as st

    drawn: list[str] = []
    monkeypatch.setattr(st, "html", drawn.append)
    components.section("Key <Performance>", "", "<table></table>")
    assert drawn == ['<div class="kpi-band"><h2>Key &lt;Performance&gt;</h2></div><table></table>']


def test_the_page_head_is_the_only_level_one_heading_with_the_counts_beside_it(monkeypatch):
    import streamlit as st

    drawn: list[str] = []
    monkeypatch.setattr(st, "html", drawn.append)
    components.page_head("KPI performance overview", components.status_counts_html({"green": 3, "red": 1}, ["green", "red"]))
    assert len(drawn) == 1 and drawn[0].count("<h1>") == 1 and "<h2" not in drawn[0]
    assert drawn[0].startswith('<div class="kpi-head"><div class="kpi-band"><h1>KPI performance overview</h1></div><div class="kpi-counts">')
