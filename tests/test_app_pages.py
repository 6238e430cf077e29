"""Every page runs on the demo data through Streamlit's AppTest, without a browser."""

from __future__ import annotations

import html
import re

import pytest
from streamlit.testing.v1 import AppTest

from conftest import ROOT

APP = str(ROOT / "app.py")
TIMEOUT = 120
PAGES = ["pages/overview_page.py", "pages/trends_page.py", "pages/localities_page.py", "pages/priorities_page.py", "pages/definitions_page.py"]


def open_page(page: str | None = None, **params: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    for key, value in params.items():
        at.query_params[key] = value
    at.run()
    if page and page != PAGES[0]:
        at.switch_page(page).run()
    return at


def html_text(at: AppTest) -> str:
    return "\n".join(str(h.proto.body) for h in at.get("html"))


def status_counts(at: AppTest) -> list[str]:
    """The Overview's count at each status, in the order shown."""
    return re.findall(r'<span class="kpi-count">(\d+)</span>', next(str(h.proto.body) for h in at.get("html") if 'class="kpi-counts"' in str(h.proto.body)))


def glance_tiles(at: AppTest) -> list[str]:
    """The Overview's tiles, each its own part of the grid's one HTML block."""
    grid = next(str(h.proto.body) for h in at.get("html") if 'class="kpi-glance-grid"' in str(h.proto.body))
    return grid.split('<div class="kpi-glance-tile" ')[1:]


def html_table(at: AppTest, css_class: str = "kpi-report") -> list[dict[str, str]]:
    """A static HTML table of the page (`kpis.html_table.table_html`) as rows: column → cell text, tags dropped, unescaped."""
    markup = next(h.proto.body for h in at.get("html") if f'class="{css_class}"' in h.proto.body)
    head, body = markup.split("<tbody>")
    columns = [html.unescape(c) for c in re.findall(r'<th scope="col"[^>]*>(.*?)</th>', head)]
    return [dict(zip(columns, (html.unescape(re.sub(r"<[^>]+>", "", c)) for c in re.findall(r"<t[hd](?:\s[^>]*)?>(.*?)</t[hd]>", line)), strict=True))
            for line in re.findall(r"<tr>(.*?)</tr>", body)]


def all_text(at: AppTest) -> str:
    parts = [m.value for m in at.markdown] + [c.value for c in at.caption] + [t.value for t in at.title]
    parts += [s.value for s in at.subheader] + [h.value for h in at.header] + [i.value for i in at.info]
    return "\n".join(str(p) for p in parts) + "\n" + html_text(at)


@pytest.mark.parametrize("page", PAGES)
def test_page_runs_without_exception(page):
    at = open_page(page)
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]


def test_overview_shows_all_nine_kpis_with_published_values_and_statuses():
    at = open_page()
    text = html_text(at)
    for value in ("800", "56%", "51%", "77%", "29", "90.24%", "94.97%"):
        assert f'<div class="kpi-value">{value}</div>' in text, value
    for chip in ("<b>NE</b> 87%", "<b>NW</b> 84%", "<b>S</b> 89%", "<b>NE</b> 95%", "<b>NW</b> 98%", "<b>S</b> 97%"):
        assert chip in text, chip
    assert at.table == [] and at.dataframe == []  # the summary is static HTML: no table script on the overview
    table = html_table(at)
    assert len(table) == 9
    rows = {r["KPI"]: r["RAG status"] for r in table}
    assert rows["Uptake of the Ready to Learn Assessments"] == "All ✖ Red"
    assert rows["MMR Percentage Uptake in Children aged 24 months"] == "✖ Red"
    assert rows["MMR Percentage Uptake in Children aged 5 years"] == "✔ Green"
    assert rows["Number of out of authority placements"] == "✖ Red"
    assert status_counts(at) == ["4", "0", "5", "0"]


def test_status_is_never_colour_alone():
    text = html_text(open_page())
    for word, icon in (("Green", "✔"), ("Red", "✖")):
        assert f'<span aria-hidden="true">{icon}</span> {word}</span>' in text


def show_choices(at):
    """Press the sidebar's button that shows the period, area and KPI select boxes."""
    at.sidebar.button(key="choices").click().run()
    return at


def test_the_choices_are_drawn_when_asked_for_and_kept_when_hidden():
    at = open_page()
    assert len(at.sidebar.selectbox) == 0  # no select box until asked for: their scripts stay out of a first visit
    show_choices(at).sidebar.selectbox(key="sel_area").set_value("North West").run()
    show_choices(at)  # hides them again
    assert len(at.sidebar.selectbox) == 0
    at.run()
    assert at.session_state["sel_area"] == "North West" and at.query_params["area"] == "North West"
    assert "2024/25 Q1 · North West" in [b.label for b in at.sidebar.button]


def test_another_area_in_the_sidebar_shows_its_own_areas_on_trends():
    at = show_choices(open_page("pages/trends_page.py", kpi="rtl_uptake", area="City", period="2024/25 Q1"))
    assert at.multiselect(key="tr_areas").value == ["City", "North East", "North West", "South"]
    at.sidebar.selectbox(key="sel_area").set_value("North West").run()
    assert at.multiselect(key="tr_areas").value == ["North West", "City"]  # the area and its parent, not the old four
    assert "areas" not in at.query_params


def test_changing_period_changes_what_is_shown():
    at = open_page()
    before = html_text(at)
    show_choices(at)
    at.sidebar.selectbox(key="sel_period").set_value("2023/24 Q1").run()
    after = html_text(at)
    assert not at.exception
    assert '<div class="kpi-value">800</div>' in before and '<div class="kpi-value">800</div>' not in after
    assert at.query_params["period"] == "2023/24 Q1"


def test_changing_area_changes_what_is_shown():
    at = show_choices(open_page())
    at.sidebar.selectbox(key="sel_area").set_value("North West").run()
    text = html_text(at)
    assert not at.exception
    assert '<div class="kpi-value">84%</div>' in text
    assert "⊘ Not reported here: this KPI has no North West figure at or before 2024/25 Q1; it is reported for City." in text
    assert status_counts(at) == ["1", "0", "1", "0", "7"]  # 7 not reported here, not "No status"
    assert at.query_params["area"] == "North West"


def test_query_params_open_the_right_view():
    at = open_page("pages/trends_page.py", kpi="mmr_24m", area="City", period="2023/24 Q3")
    assert not at.exception
    assert at.session_state["sel_kpi"] == "mmr_24m"
    assert at.session_state["sel_period"] == "2023/24 Q3"
    values = at.dataframe[0].value
    assert set(values["KPI id"]) == {"mmr_24m"}
    assert values["Period"].iloc[-1] == "2023/24 Q3"  # nothing after the selected period


def test_the_default_period_is_the_latest_started_by_the_boards_today(monkeypatch):
    """The board's today (`KPI_TODAY` when set, as for the demo) decides the default period, as it decides freshness:
    on 15 March 2024 the 2024/25 Q1 figures lie in the future, so the Overview opens on 2023/24 Q4."""
    monkeypatch.setenv("KPI_TODAY", "2024-03-15")
    at = open_page()
    assert not at.exception
    assert at.session_state["sel_period"] == "2023/24 Q4"


def test_selection_is_kept_when_switching_pages():
    at = show_choices(open_page())
    at.sidebar.selectbox(key="sel_kpi").set_value("ooa_placements").run()
    at.switch_page("pages/localities_page.py").run()
    assert at.session_state["sel_kpi"] == "ooa_placements"
    assert at.query_params["kpi"] == "ooa_placements"


def test_invalid_query_params_fall_back_to_defaults():
    at = open_page(kpi="no_such_kpi", period="2024 Q5", area="Atlantis")
    assert not at.exception
    assert at.session_state["sel_period"] == "2024/25 Q1"
    assert at.session_state["sel_area"] == "City"


def test_period_before_any_data_is_a_friendly_empty_state():
    at = open_page(period="Apr 2021")
    assert not at.exception
    show_choices(at)
    at.sidebar.selectbox(key="sel_period").set_value(at.sidebar.selectbox(key="sel_period").options[-1]).run()
    assert not at.exception


def test_localities_compare_with_city():
    at = open_page("pages/localities_page.py")
    assert not at.exception
    text = all_text(at)
    assert "derived from the areas' numerators and denominators" in text
    matrix = at.table[0].value
    assert list(matrix.columns) == ["KPI", "North East", "North West", "South"]
    assert matrix.iloc[0]["North West"].endswith("· SPC: ◆ Common cause"), matrix.iloc[0]["North West"]


def test_localities_for_an_area_without_parts():
    at = open_page("pages/localities_page.py", area="South")
    assert not at.exception
    assert "South has no areas under it, so it is shown beside the other areas of City, and against City." in [i.value for i in at.info]
    assert list(at.table[0].value.columns) == ["KPI", "North East", "North West", "South"]


def test_priorities_show_narrative_next_to_kpis():
    at = open_page("pages/priorities_page.py")
    assert not at.exception
    headers = [h.value for h in at.header]
    assert sum(h.startswith("Partnership Priority") for h in headers) == 6
    assert "Whole Family Early Intervention Fund" in all_text(at)


def test_definitions_search():
    at = open_page("pages/definitions_page.py")
    assert len(at.dataframe[0].value) == 9
    at.text_input(key="def_query").input("immunisation").run()
    assert set(at.dataframe[0].value["Id"]) == {"mmr_24m", "mmr_5y"}
    at.text_input(key="def_query").input("zebra crossing").run()
    assert "No KPI matches" in all_text(at)


def test_trends_spc_toggle_shows_xmr_charts_and_icon_words():
    at = open_page("pages/trends_page.py", kpi="rtl_uptake", area="City", period="2024/25 Q1")
    at.toggle(key="tr_spc").set_value(True).run()
    assert not at.exception, [e.value for e in at.exception]
    text = all_text(at)
    assert "statistical process control" in text
    for area in ("North East", "North West", "South"):
        assert f"**{area}** · Variation: **" in text, area
    assert "Special cause: improvement (high)" in text and "Consistently fails the target" in text
    specs = [c.proto.spec for c in at.get("vega_lite_chart")]
    assert sum("Upper process limit" in s for s in specs) == 3


def test_trends_spc_short_group_warning():
    at = open_page("pages/trends_page.py", kpi="mmr_24m", area="City", period="2024/25 Q1")
    at.toggle(key="tr_spc").set_value(True).run()
    assert any("Fewer than 13 points" in w.value for w in at.warning)


def test_overview_tiles_show_spc_words_and_disagreement():
    at = open_page(period="2024/25 Q1")
    text = html_text(at)
    assert "SPC: ◆ Common cause · Assurance: ✖ Consistently fails the target" in text
    assert "North East: SPC: ▲ Special cause: improvement (high)" in text
    assert "Red against the target, but the latest figure is within normal variation: no special cause." in text


def test_overview_filters_sit_in_the_sidebar_and_each_tiles_detail_under_why_this_status():
    at = open_page(period="2024/25 Q1")
    at.sidebar.button(key="ov_filters").click().run()
    assert {"ov_status", "ov_priority"} <= {m.key for m in at.sidebar.multiselect}  # beside the period and area they narrow
    assert not any(m.key in ("ov_status", "ov_priority") for m in at.main.multiselect)
    tiles = glance_tiles(at)
    why = [re.search(r'<details class="kpi-disclosure"><summary>Why this status\?</summary>(.*)</details><div class="kpi-tile-links">', t, re.S)
           for t in tiles]
    assert len(tiles) == len(html_table(at)) and all(why)  # one per tile, every KPI here has a status, closed at first
    assert not at.expander or all(e.label != "Why this status?" for e in at.expander)  # part of the tile's one block
    inside = "\n".join(w.group(1) for w in why)
    assert "SPC: ◆ Common cause · Assurance: ✖ Consistently fails the target" in inside
    assert "Uptake of the Ready to Learn Assessments" in inside  # the full name, under the short one
    reasons = re.findall(r'<p class="kpi-why">(.*?)</p>', inside)  # each reason, escaped, in the tile's one block
    assert len(reasons) >= len(why) and any(r.startswith("North East: Red: 87% is 8 percentage points below the target of 95%") for r in reasons)
    assert html_text(at).count("SPC: ") == inside.count("SPC: ")  # not on the tile's face
    # The way on to the KPI's Partnership Priority, with the tile's period and area.
    assert 'href="priorities?period=2024%2F25+Q1&amp;area=City&amp;priority=1"><span aria-hidden="true">⚑</span> Its Partnership Priority</a>' in inside


def test_definitions_explain_spc():
    at = open_page("pages/definitions_page.py")
    assert any(h.value == "Statistical process control" for h in at.header)
    assert "Two in three" in all_text(at)


def test_definitions_explain_each_statistical_method():
    from kpis import stats

    text = all_text(open_page("pages/definitions_page.py"))
    assert "Statistical methods" in text
    for method in stats.METHODS.values():
        assert method.title in text and method.reference in text


def test_localities_do_not_compare_a_count_with_its_total(tmp_path, monkeypatch):
    from locality_cases import OOA_COUNTS, write_folder

    monkeypatch.setenv("KPI_DATA_DIR", str(write_folder(tmp_path, OOA_COUNTS)))
    at = open_page("pages/localities_page.py")
    assert not at.exception, [e.value for e in at.exception]
    table = next(d.value for d in at.table if "Compared with City" in d.value.columns)
    assert set(table["Compared with City"]) == {"– Not compared: part of a total"}
    assert set(table["Gap to City"]) == {"–"}
    assert "Each area's count is part of City's total, so it is not compared with City" in all_text(at)


def test_overview_sparklines_are_svg_images_named_by_their_description_not_vega_views():
    import base64
    import re
    import xml.etree.ElementTree as ET

    at = open_page(period="2024/25 Q1")
    assert not at.exception, [e.value for e in at.exception]
    assert at.get("vega_lite_chart") == []  # the first screen loads no Vega view
    images = re.findall(r'<img class="kpi-spark"[^>]*>', html_text(at))  # each in its tile's one HTML block
    assert len(images) == 9
    first = next(i for i in images if 'alt="Ready to Learn uptake: sparkline of recent values for North East, North West, South, ' in i)
    svg = ET.fromstring(base64.b64decode(re.search(r'src="data:image/svg\+xml;base64,([^"]+)"', first).group(1)))
    assert svg.get("role") == "img" and svg.get("aria-label").startswith("Ready to Learn uptake: sparkline")


def test_the_first_run_starts_one_warm_up_that_imports_what_other_pages_draw_with():
    import subprocess
    import sys

    open_page()
    from pages import cache

    assert cache.warm_up() is cache.warm_up() and cache.warm_up().name == "kpi-warm-up"  # one per server process
    code = ("import sys; from pages import cache; cache.WARM_UP_DELAY = 0; assert 'altair' not in sys.modules; cache._warm_up(); "
            "assert {'altair', 'vl_convert', 'kpis.deck'} <= set(sys.modules)")
    assert subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True).returncode == 0


def test_a_first_visit_sets_the_page_config_twice_and_the_address_once(monkeypatch):
    """Each is a message the browser handles before the page is ready (README, First paint): the favicon and layout
    before the navigation (else the browser fetches the page's Material icon from outside), then the title naming the
    page and selection; and one update writing the period, area and KPI into the address."""
    import streamlit as st
    from streamlit.runtime.state.query_params import QueryParams

    configs: list[dict] = []
    addresses: list[dict] = []
    set_page_config, send = st.set_page_config, QueryParams._send_query_param_msg
    monkeypatch.setattr(st, "set_page_config", lambda **options: (configs.append(options), set_page_config(**options))[1])
    monkeypatch.setattr(QueryParams, "_send_query_param_msg", lambda self: (addresses.append(dict(self._query_params)), send(self))[1])
    open_page()
    assert [c["page_title"] for c in configs] == ["KPI performance board", "Overview · City · 2024/25 Q1 · KPI performance board"]
    assert configs[0]["page_icon"].endswith("favicon.png") and configs[0]["layout"] == "wide" and set(configs[1]) == {"page_title"}
    assert len(addresses) == 1 and {"period", "area", "kpi"} <= set(addresses[0]), addresses
