"""The Data page through AppTest: upload, report, preview, publish, undo, and who may publish."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from conftest import ROOT
from kpis import access

PASSPHRASE = "correct horse battery staple"
GOOD = b"kpi_id,area,period,value\nooa_placements,City,2024/25 Q2,22\nhwc_referrals,City,2024/25 Q1,812\nmmr_5y,City,2023/24 Q4,94.97\n"
BAD = b"kpi_id,area,period,value\nooa_placements,Atlantis,2024/25 Q2,22\nmmr_24m,City,2024 Q5,91\n"


@pytest.fixture
def app(data_copy, monkeypatch):
    monkeypatch.setenv("KPI_DATA_DIR", str(data_copy))
    salt, digest = access.hash_passphrase(PASSPHRASE)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.secrets["analyst"] = {"passphrase_salt": salt, "passphrase_hash": digest}
    at.run()
    at.switch_page("pages/data_page.py").run()
    return at


def unlock(at: AppTest) -> None:
    at.text_input(key="passphrase").input(PASSPHRASE)
    next(b for b in at.button if b.label == "Unlock publishing").click().run()
    assert any("You can publish" in m.value for m in at.markdown)


def upload(at: AppTest, *files: tuple[str, bytes]) -> None:
    at.file_uploader[0].set_value([(name, content, "text/csv") for name, content in files]).run()
    assert not at.exception, [e.value for e in at.exception]


def publish_button(at: AppTest):
    return next(b for b in at.button if b.label == "Publish")


def overview_values(at: AppTest) -> str:
    at.switch_page("pages/overview_page.py").run()
    text = "\n".join(str(h.proto.body) for h in at.get("html"))
    at.switch_page("pages/data_page.py").run()
    return text


def test_anonymous_remote_visitor_cannot_publish(data_copy, monkeypatch):
    monkeypatch.setenv("KPI_DATA_DIR", str(data_copy))
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.run()
    at.switch_page("pages/data_page.py").run()
    upload(at, ("q2.csv", GOOD))
    assert publish_button(at).disabled
    assert any("turned off for visitors from other machines" in i.value for i in at.info)
    assert not (data_copy / "audit.jsonl").exists()


def test_wrong_passphrase_is_refused(app):
    app.text_input(key="passphrase").input("not the passphrase")
    next(b for b in app.button if b.label == "Unlock publishing").click().run()
    assert any("not right" in e.value for e in app.error)
    upload(app, ("q2.csv", GOOD))
    assert publish_button(app).disabled


def test_good_file_previews_publishes_and_undoes(app, data_copy):
    unlock(app)
    before = overview_values(app)
    assert '<div class="kpi-value">29</div>' in before
    upload(app, ("q2.csv", GOOD))
    assert [m.value for m in app.metric] == ["1", "1", "1"]  # new, revised, unchanged
    assert any("q2.csv" in m.value and "3 row(s) ready" in m.value for m in app.markdown)
    assert not publish_button(app).disabled
    publish_button(app).click().run()
    assert any("Published q2.csv (3 rows)" in s.value for s in app.success)
    after = overview_values(app)
    assert '<div class="kpi-value">22</div>' in after and '<div class="kpi-value">812</div>' in after

    app.button(key="undo").click().run()
    assert '<div class="kpi-value">29</div>' in overview_values(app)
    app.button(key="restore").click().run()
    assert '<div class="kpi-value">22</div>' in overview_values(app)


def test_bad_file_reports_and_blocks(app, data_copy):
    unlock(app)
    upload(app, ("bad.csv", BAD))
    report = app.dataframe[0].value
    assert list(report["row"]) == [2, 3] and list(report["column"]) == ["area", "period"]
    assert publish_button(app).disabled
    assert any("Fix the errors in bad.csv first" in i.value for i in app.info)


def test_mixed_upload_blocks_everything(app, data_copy):
    unlock(app)
    upload(app, ("q2.csv", GOOD), ("bad.csv", BAD))
    assert publish_button(app).disabled
    assert not (data_copy / "audit.jsonl").exists()


def test_status_flips_are_listed(app):
    unlock(app)
    upload(app, ("q2.csv", GOOD))
    flips = app.dataframe[-1].value if False else next(d.value for d in app.dataframe if "Before" in d.value.columns)
    row = flips[flips["KPI"] == "Number of out of authority placements"].iloc[0]
    assert (row["Before"], row["After"]) == ("✖ Red", "✔ Green")


def test_quarantined_drop_in_file_is_shown(data_copy, monkeypatch):
    (data_copy / "observations" / "zz_broken.csv").write_text("kpi_id,area,period,value\nmmr_5y,City,2024 Q5,90\n")
    monkeypatch.setenv("KPI_DATA_DIR", str(data_copy))
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.run()
    at.switch_page("pages/data_page.py").run()
    assert not at.exception
    files = next(d.value for d in at.dataframe if "status" in d.value.columns)
    assert "✖ quarantined" in list(files["status"])
    assert any("zz_broken.csv" in e.label for e in at.expander)


def test_a_broken_mapping_file_is_a_message_not_a_traceback(app, data_copy):
    (data_copy / "mappings").mkdir()
    (data_copy / "mappings" / "broken.json").write_text("{not json")
    app.run()
    app.selectbox(key="mapping_choice").set_value("broken").run()
    upload(app, ("q2.csv", GOOD))
    assert any("could not be read" in e.value for e in app.error)
