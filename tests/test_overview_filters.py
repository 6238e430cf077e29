"""Overview: the filters apply to the counts, the tiles and the table; priorities by name; all in the address."""

from __future__ import annotations

import re

from test_app_pages import html_table, html_text, open_page


def _priority_summary(at) -> list[dict[str, str]]:
    """The per-priority summary's rows (pages.priority_summary, an HTML table): column → cell text, the Section as its link."""
    markup = next(h.proto.body for h in at.get("html") if 'class="kpi-priority-summary"' in h.proto.body)
    links = [a.replace("&amp;", "&") for a in re.findall(r'<a href="([^"]*)"', markup)]
    return [{**row, "Section": link} for row, link in zip(html_table(at, "kpi-priority-summary"), links, strict=True)]


def _counts(at) -> list[str]:
    from test_app_pages import status_counts

    return status_counts(at)


def show_filters(at):
    at.sidebar.button(key="ov_filters").click().run()
    return at


def test_the_status_filter_applies_to_counts_tiles_and_table():
    at = open_page(status="red")
    assert not at.exception
    assert "Filter: ✖ Red" in [b.label for b in at.sidebar.button] and len(at.multiselect) == 0  # drawn when asked for
    show_filters(at)
    assert at.multiselect(key="ov_status").value == ["red"]
    assert _counts(at) == ["0", "0", "5", "0"]
    table = html_table(at)
    assert len(table) == 5 and {r["RAG status"] for r in table} <= {"All ✖ Red", "✖ Red"}
    assert html_text(at).count('<div class="kpi-value">') == 4  # Ready to Learn is shown by area, without a value of its own


def test_priorities_are_chosen_by_name_and_all_six_are_offered():
    at = show_filters(open_page(priority="3"))
    box = at.multiselect(key="ov_priority")
    assert box.value == [3] and len(box.options) == 6
    assert box.options[0] == "1. Prevention, early intervention and wellbeing"
    assert _counts(at) == ["0", "0", "2", "0"]
    assert len(html_table(at)) == 2
    summary = _priority_summary(at)
    assert [r["Partnership Priority"] for r in summary] == ["3. Supporting people in their communities"]


def test_a_filter_change_goes_into_the_address():
    at = show_filters(open_page())
    at.multiselect(key="ov_status").set_value(["amber", "red"]).run()
    assert at.query_params["status"] == ["amber", "red"]
    assert _counts(at) == ["0", "0", "5", "0"]
    at.multiselect(key="ov_status").set_value([]).run()
    assert "status" not in at.query_params


def test_per_priority_summary_on_the_overview():
    at = open_page()
    summary = _priority_summary(at)
    assert len(summary) == 6
    first = summary[0]
    assert (first["KPIs"], first["✖ Red"], first["✔ Green"]) == ("5", "2", "3")
    assert first["Section"].startswith("priorities?") and first["Section"].endswith("&priority=1#priority-1")


def test_priorities_at_a_glance_with_links_to_each_section():
    at = open_page("pages/priorities_page.py")
    assert not at.exception
    summary = _priority_summary(at)
    assert [r["Section"] for r in summary] == [f"#priority-{n}" for n in range(1, 7)]
    assert [h.proto.anchor for h in at.header if h.proto.anchor][:6] == [f"priority-{n}" for n in range(1, 7)]


def test_a_quarter_without_a_narrative_shows_the_priorities_and_says_so():
    at = open_page("pages/priorities_page.py", period="2023/24 Q4")
    assert not at.exception
    assert [i.value for i in at.info] == ["No commentary was published for 2023/24 Q4."]
    headers = [h.value for h in at.header if h.proto.anchor]
    assert headers[0] == "1. Prevention, early intervention and wellbeing" and len(headers) == 6
    text = "\n".join(str(h.proto.body) for h in at.get("html"))
    assert "markdown" not in text.lower() and "narratives/" not in text
    assert text.count('<div class="kpi-value">') >= 5


def test_trends_view_from_the_address():
    at = open_page("pages/trends_page.py", kpi="rtl_uptake", area="City", period="2024/25 Q1", areas=["North East", "North West"],
                   compare="hpi_by_24wk", counts="1", range="12m")
    assert not at.exception, [e.value for e in at.exception]
    assert at.multiselect(key="tr_areas").value == ["North East", "North West"]
    assert at.multiselect(key="tr_more").value == ["hpi_by_24wk"]
    assert at.toggle(key="tr_counts").value is True and at.selectbox(key="tr_range").value == "12m"
    values = at.dataframe[0].value
    assert set(values["Area"]) == {"North East", "North West"} and set(values["KPI id"]) == {"rtl_uptake", "hpi_by_24wk"}
    assert values["Period"].iloc[0] == "Jul 2023"  # the last 12 months only
    captions = [c.value for c in at.caption]
    assert "Target last met: North East: not met since records began; North West: not met since records began" in captions


def test_localities_ranked_by_gap_to_target_from_the_address():
    at = open_page("pages/localities_page.py", area="City", period="2024/25 Q1", kpis="rtl_uptake", rank="1")
    assert not at.exception, [e.value for e in at.exception]
    assert at.multiselect(key="loc_kpis").value == ["rtl_uptake"] and at.toggle(key="loc_rank").value is True
    table = at.table[1].value
    assert list(table["Area"]) == ["North West", "North East", "South"]
    assert list(table["Gap to target"]) == ["11.0 pts below", "8.0 pts below", "6.0 pts below"]
    assert "Gap to City" in table.columns


def test_tiles_say_whether_an_older_figure_is_normal_or_late(monkeypatch):
    monkeypatch.setenv("KPI_TODAY", "2024-07-15")
    text = html_text(open_page(period="2024/25 Q1"))
    assert "On time for this KPI: next figure due by 30 Jul 2024" in text and "Overdue" not in text
    monkeypatch.setenv("KPI_TODAY", "2024-09-30")  # the clock a quarter on
    text = html_text(open_page(period="2024/25 Q1"))
    assert "⏰ Overdue by 8 weeks: the next figure was due by 30 Jul 2024; figures up to Jun 2024 are expected by now" in text
    assert "⏰ Overdue by 2 weeks: the next figure was due by 11 Sep 2024; figures up to Jul 2024 are expected by now" in text
    assert text.count("⏰ Overdue") == 2
