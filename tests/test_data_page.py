"""The Data page through AppTest: upload, report, preview, publish, undo, and who may publish."""

from __future__ import annotations

import errno

import pytest
from streamlit.testing.v1 import AppTest

from conftest import ROOT
from kpis import access, batches

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
    flips = next(d.value for d in app.dataframe if "Before" in d.value.columns)
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


def open_data_page(data_copy, monkeypatch) -> AppTest:
    monkeypatch.setenv("KPI_DATA_DIR", str(data_copy))
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.run()
    at.switch_page("pages/data_page.py").run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def history_table(at: AppTest):
    return next(d.value for d in at.dataframe if "batch_id" in d.value.columns)


def test_a_damaged_audit_line_and_a_missing_batch_file_are_shown(app, data_copy):
    unlock(app)
    upload(app, ("q2.csv", GOOD))
    publish_button(app).click().run()
    (batch,) = (data_copy / "batches").glob("*.csv")
    batch.unlink()
    with (data_copy / "audit.jsonl").open("a") as handle:
        handle.write('{"action":"publish","batch_id":"x","rows":"many"}\n')
    app.run()
    assert not app.exception
    assert any("problem(s) in the audit log" in e.value for e in app.error)
    problems = next(d.value for d in app.dataframe if "problem" in d.value.columns and "file" in d.value.columns)
    assert {"audit.jsonl", f"batches/{batch.name}"} <= set(problems["file"])
    shown = history_table(app)
    assert list(shown["state"]) == ["✖ broken"] and "missing" in shown["note"][0]


def test_the_data_page_works_without_a_usable_catalogue(data_copy, monkeypatch):
    (data_copy / "catalogue.csv").write_text("kpi_id,name\nrtl_uptake,x\n")
    at = open_data_page(data_copy, monkeypatch)
    assert any("could not be read" in e.value for e in at.error)
    assert any(h.value == "Published batches" for h in at.header)
    assert any(h.value == "Files in the observations folder" for h in at.header)
    assert not at.file_uploader  # nothing can be checked without a catalogue


def test_a_damaged_catalogue_row_is_a_notice_not_a_blank_board(data_copy, monkeypatch):
    text = (data_copy / "catalogue.csv").read_text().replace("higher_is_better,95,95%,monthly", "higher_is_better,abc,95%,monthly", 1)
    (data_copy / "catalogue.csv").write_text(text)
    at = open_data_page(data_copy, monkeypatch)
    assert any("rtl_uptake" in w.value for w in at.warning)
    at.switch_page("pages/overview_page.py").run()
    assert not at.exception
    assert any("rtl_uptake" in w.value for w in at.warning)
    assert '<div class="kpi-value">' in "\n".join(str(h.proto.body) for h in at.get("html"))  # the other KPIs are shown


@pytest.mark.parametrize(("error", "said"), [
    (OSError(errno.ENOSPC, "No space left on device"), "The disk is full"),
    (OSError(errno.EROFS, "Read-only file system"), "read-only"),
])
def test_publish_and_undo_say_why_a_write_failed(app, data_copy, monkeypatch, error, said):
    unlock(app)
    upload(app, ("q2.csv", GOOD))
    publish_button(app).click().run()

    def fail(*args, **kwargs):
        raise error

    monkeypatch.setattr(batches, "append_audit", fail)
    app.button(key="undo").click().run()
    assert not app.exception
    assert any(said in e.value for e in app.error)
    upload(app, ("q2b.csv", GOOD.replace(b"22", b"23")))
    publish_button(app).click().run()
    assert any(said in e.value for e in app.error)
    assert batches.history(data_copy).height == 1
