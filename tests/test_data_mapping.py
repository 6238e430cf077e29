"""The Data page's mapping editor: a saved mapping fills it in, and a suggestion from the uploaded file does too."""

import pytest
from streamlit.testing.v1 import AppTest

from conftest import ROOT
from kpis import layouts

EXPORT = b"Indicator,Locality,Month,Rate\nRTL01,L-NE,Jul 24,88\n"


@pytest.fixture
def app(data_copy, monkeypatch):
    monkeypatch.setenv("KPI_DATA_DIR", str(data_copy))
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.run()
    at.switch_page("pages/data_page.py").run()
    return at


def text_area(at: AppTest, label: str):
    return next(t for t in at.text_area if t.label.startswith(label))


def test_choosing_a_saved_mapping_fills_in_the_editor(app, data_copy):
    layouts.save_mapping(data_copy, "hv", layouts.Mapping({"Indicator": "kpi_id", "Locality": "area", "Month": "period", "Rate": "value"},
                                                          {"RTL01": "rtl_uptake"}, {"L-NE": "North East"},
                                                          [{"transform": "scale", "factor": 100}]))
    app.run()
    app.file_uploader[0].set_value([("export.csv", EXPORT, "text/csv")]).run()
    app.selectbox(key="mapping_choice").set_value("hv").run()
    assert not app.exception
    assert text_area(app, "KPI codes").value == "RTL01 = rtl_uptake"
    assert text_area(app, "Area codes").value == "L-NE = North East"
    assert '"factor": 100' in text_area(app, "Steps and comparators").value
    assert next(s for s in app.selectbox if s.label == "kpi_id").value == "indicator"


def test_a_suggestion_fills_in_the_editor_and_says_what_it_could_not_infer(app):
    app.file_uploader[0].set_value([("export.csv", EXPORT, "text/csv")]).run()
    next(b for b in app.button if b.label.startswith("Suggest a mapping")).click().run()
    assert not app.exception
    assert next(s for s in app.selectbox if s.label == "area").value == "locality"
    assert any("RTL01" in w.value for w in app.warning) or "RTL01" in text_area(app, "KPI codes").value
