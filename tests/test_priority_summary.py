"""The per-priority summary's table: one row per priority, headed by its name, numbers right, links named, text escaped."""

from __future__ import annotations

import re

import polars as pl
import pytest

from kpis.html_table import LINK_TEXT, table_html

FRAME = pl.DataFrame({"Partnership Priority": ["1. Early help", '2. <b>"Safe"</b> & well'], "Section": ["priorities?area=City&priority=1#priority-1", "#priority-2"],
                      "KPIs": [5, 0]})


def cells(markup: str, tag: str) -> list[str]:
    return re.findall(rf"<{tag}(?:\s[^>]*)?>(.*?)</{tag}>", markup)


def test_a_header_row_then_a_row_per_line_headed_by_its_first_cell():
    markup = table_html(FRAME)
    assert cells(markup.split("<tbody>")[0], "th") == ["Partnership Priority", "Section", "KPIs"]
    assert markup.count('<th scope="row"') == 2 and markup.count("<tr>") == 3


@pytest.mark.parametrize(("text", "shown"), [
    ('2. <b>"Safe"</b> & well', "2. &lt;b&gt;&quot;Safe&quot;&lt;/b&gt; &amp; well"),
    ("1. Early help", "1. Early help"),
])
def test_text_from_the_data_is_escaped(text, shown):
    markup = table_html(FRAME)
    assert shown in markup
    assert "<b>" not in markup


@pytest.mark.parametrize(("row", "href"), [
    (0, "priorities?area=City&amp;priority=1#priority-1"),
    (1, "#priority-2"),
])
def test_the_link_column_links_each_row_named_by_its_heading(row, href):
    links = re.findall(r'<a href="([^"]*)">(.*?)</a>', table_html(FRAME))
    assert links[row][0] == href
    assert links[row][1].startswith(LINK_TEXT) and "kpi-sr" in links[row][1]
    assert re.sub(r"<[^>]+>", "", links[0][1]) == f"{LINK_TEXT} 1. Early help"


@pytest.mark.parametrize(("column", "align"), [("Partnership Priority", "left"), ("KPIs", "right")])
def test_numbers_align_right_and_text_left(column, align):
    markup = table_html(FRAME)
    header = re.search(rf'<th scope="col" style="([^"]*)">{column}</th>', markup)
    assert header and f"text-align:{align}" in header.group(1)


def test_without_a_link_column_every_cell_is_text():
    markup = table_html(FRAME.with_columns(pl.lit("<a href='x'>go</a>").alias("Section")), link_column=None, css_class="kpi-report")
    assert markup.startswith('<table class="kpi-report"')
    assert "<a " not in markup and "&lt;a href=&#x27;x&#x27;&gt;go&lt;/a&gt;" in markup


@pytest.mark.parametrize(("row", "style", "others"), [(0, "color:red", 2), (1, "", 3)])
def test_cell_styles_go_to_their_row_and_column_only(row, style, others):
    markup = table_html(FRAME, cell_styles={"KPIs": ["color:red", ""]})
    body_rows = re.findall(r"<tr>(.*?)</tr>", markup.split("<tbody>")[1])
    styles = re.findall(r'style="([^"]*)"', body_rows[row])
    assert styles[-1].endswith(";" + style if style else "text-align:right")
    assert sum("color:red" not in s for s in styles) == others
    assert markup.count("color:red") == 1


def test_an_empty_cell_stays_empty():
    markup = table_html(pl.DataFrame({"KPI": ["a"], "Target": [None]}, schema={"KPI": pl.String, "Target": pl.String}), link_column=None)
    assert cells(markup.split("<tbody>")[1], "td") == [""]
