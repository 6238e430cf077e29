"""The What changed page through AppTest: the table, the URL-bound controls and the downloads."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from conftest import ROOT

APP = str(ROOT / "app.py")
PAGE = "pages/changes_page.py"


def open_changes(**params: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120)
    for key, value in params.items():
        at.query_params[key] = value
    at.run()
    return at.switch_page(PAGE).run()


def test_changes_at_the_published_quarter(monkeypatch):
    monkeypatch.setenv("KPI_TODAY", "2024-07-15")  # the latest period is judged at today: when the report is written
    at = open_changes(period="2024/25 Q1")
    assert not at.exception, [e.value for e in at.exception]
    table = at.dataframe[0].value
    rows = {(k[:25], a): r for k, a, r in zip(table["KPI"], table["Area"], table.to_dict("records"), strict=True)}
    aftercare = next(r for (k, _), r in rows.items() if k.startswith("Aftercare"))
    assert (aftercare["Then"], aftercare["Now"]) == ("74% (2023/24 Q4)", "77% (2024/25 Q1)")
    assert next(m.value for m in at.metric) == "0"  # no status changes since the previous quarter
    assert not any(str(f).startswith("Overdue") for f in table["Freshness"])


def test_with_the_clock_a_quarter_on_the_late_figures_are_overdue(monkeypatch):
    monkeypatch.setenv("KPI_TODAY", "2024-09-30")
    at = open_changes(period="2024/25 Q1", overdue="1", sort="overdue")
    table = at.dataframe[0].value
    late = "Overdue by 8 weeks (Jun 2024 expected)"
    assert list(zip(table["Area"], table["Freshness"], strict=True))[:3] == [("North East", late), ("North West", late), ("South", late)]
    assert len(table) == 6 and [m.value for m in at.metric][3] == "6"


def test_the_address_sets_every_control():
    at = open_changes(period="2024/25 Q1", since="year", changed="1", sort="kpi", priority="1")
    assert not at.exception, [e.value for e in at.exception]
    assert at.selectbox(key="ch_since").value == "year"
    assert at.toggle(key="ch_changed").value is True
    assert at.multiselect(key="ch_priority").value == [1]
    table = at.dataframe[0].value
    assert list(table["KPI"]) == ["MMR uptake at 24 months"]
    assert table["Status"][0] == "▲ Amber → ✖ Red"


def test_a_change_of_control_goes_into_the_address_and_a_default_leaves_it():
    at = open_changes(period="2024/25 Q1")
    at.toggle(key="ch_overdue").set_value(True).run()
    assert at.query_params.get("overdue") == "1"
    at.toggle(key="ch_overdue").set_value(False).run()
    assert "overdue" not in at.query_params


def test_the_page_offers_csv_and_excel():

    at = open_changes(period="2024/25 Q1")
    buttons = [b for b in at.get("download_button")]
    assert len(buttons) == 2
    labels = [b.proto.label for b in buttons]
    assert labels == ["Download (CSV)", "Download (Excel)"]


def test_a_comment_shows_on_what_changed_and_trends(data_copy, monkeypatch):
    from kpis import comments as CM

    CM.add(data_copy, CM.Draft("mmr_24m", "2023/24 Q4", "A clinic closed in March", "Extra clinics from May", "Public Health"), "ana",
           {"mmr_24m"})
    monkeypatch.setenv("KPI_DATA_DIR", str(data_copy))
    at = open_changes(period="2024/25 Q1", detail="mmr_24m")
    assert not at.exception, [e.value for e in at.exception]
    texts = [t.value for t in at.text]
    assert "What happened: A clinic closed in March" in texts and "Owner: Public Health" in texts
    trends = AppTest.from_file(APP, default_timeout=120)
    trends.query_params.update({"kpi": "mmr_24m", "period": "2024/25 Q1", "area": "City"})
    trends.run()
    trends = trends.switch_page("pages/trends_page.py").run()
    assert "What is being done: Extra clinics from May" in [t.value for t in trends.text]
