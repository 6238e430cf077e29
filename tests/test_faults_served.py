"""Damage each kind of source in turn under a running board: every page still renders, and the Data page reports it.

One server runs on a copy of the demo data with one published batch. Each case damages one
source, every page is opened in headless Chromium, and the case's report must be on the
Data page; the copy is then put back as it was before the next case. The board is opened at the
Overview and the other pages are reached by the top navigation, as a person moves through it.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from test_browser import CHROMIUM, DONE, browser, serve  # noqa: F401  (fixtures)

from conftest import ROOT

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"no Chromium at {CHROMIUM}: run `make browser-deps`"),
]

# (url path, its link in the top navigation)
PAGES = [("", "Overview"), ("trends", "Trends"), ("localities", "Localities"), ("priorities", "Priorities"),
         ("definitions", "Definitions"), ("data", "Data")]
FRIENDLY_ERROR = "Sorry, something went wrong"


def _append(path: Path, text: str) -> None:
    with path.open("a", encoding="utf-8") as handle:
        handle.write(text)


def _replace(path: Path, old: str, new: str) -> None:
    path.write_text(path.read_text(encoding="utf-8").replace(old, new, 1), encoding="utf-8")


def _delete_batch(data: Path) -> None:
    for batch in (data / "batches").glob("*.csv"):
        batch.unlink()


# (name, damage, text the Data page must show)
CASES: list[tuple[str, Callable[[Path], None], str]] = [
    ("dropped_file_year_0", lambda d: (d / "observations" / "zz.csv").write_text("kpi_id,area,period,value\nhwc_referrals,City,0000,400\n"),
     "zz.csv"),
    ("dropped_file_binary", lambda d: (d / "observations" / "junk.csv").write_bytes(b"\x00\x01\x02PK\x03\x04" * 50), "junk.csv"),
    ("audit_line_array", lambda d: _append(d / "audit.jsonl", "[]\n"), "problem(s) in the audit log"),
    ("audit_line_wrong_types", lambda d: _append(d / "audit.jsonl", '{"action":"publish","batch_id":"x","rows":"many"}\n'), "problem(s) in the audit log"),
    ("audit_line_cut_short", lambda d: _append(d / "audit.jsonl", '{"action":"undo","batch_id":"2024'), "problem(s) in the audit log"),
    ("batch_file_deleted", _delete_batch, "problem(s) in the audit log or the batch files"),
    ("catalogue_target_abc", lambda d: _replace(d / "catalogue.csv", ",95,95%,monthly", ",abc,95%,monthly"), "Left out, because their row in catalogue.csv or areas.csv has an error: rtl_uptake"),
    ("spc_baseline_row_damaged", lambda d: _append(d / "spc_baselines.csv", "no_such_kpi,Atlantis,someday,,x\n"),
     "row(s) of spc_baselines.csv could not be used"),
    ("areas_row_damaged", lambda d: _append(d / "areas.csv", "Nowhere,NOW,Atlantis,x\n"), "Left out, because their row in catalogue.csv or areas.csv has an error: Nowhere"),
]


@pytest.fixture(scope="module")
def damaged_board(tmp_path_factory):
    from kpis import cli

    data = tmp_path_factory.mktemp("faults") / "data"
    shutil.copytree(ROOT / "data", data)
    figures = data.parent / "q2.csv"
    figures.write_text("kpi_id,area,period,value\nooa_placements,City,2024/25 Q2,22\n")
    assert cli.main(["ingest", str(figures), "--data-dir", str(data)]) == 0
    pristine = data.parent / "pristine"
    shutil.copytree(data, pristine)
    server = serve(data)
    base = next(server)
    yield base, data, pristine
    next(server, None)


def wait_done(page) -> None:
    """Finished, and still finished a moment later (a first run can rerun once for the URL)."""
    for _ in range(2):
        page.wait_for_selector(DONE, timeout=90_000)
        page.wait_for_timeout(400)


def _restore(data: Path, pristine: Path) -> None:
    shutil.rmtree(data)
    shutil.copytree(pristine, data)


@pytest.mark.parametrize(("name", "damage", "reported"), CASES, ids=[c[0] for c in CASES])
def test_every_page_renders_with_one_source_damaged(damaged_board, browser, name, damage, reported):  # noqa: F811
    base, data, pristine = damaged_board
    _restore(data, pristine)
    damage(data)
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    try:
        page.goto(f"{base}/", wait_until="domcontentloaded")
        for path, link in PAGES:
            if path:
                page.locator('[data-testid="stTopNavLink"]', has_text=link).first.click()
                page.wait_for_url(f"{base}/{path}?*")
            wait_done(page)
            main = page.locator('[data-testid="stMain"]')
            text = main.inner_text()
            assert page.locator('[data-testid="stException"]').count() == 0, (name, path)
            assert FRIENDLY_ERROR not in text, (name, path, text[:500])
            assert text.strip(), (name, path)
        assert page.locator(DONE).count() == 1
        assert reported in text, (name, text[:3000])  # the Data page, opened last
        assert errors == []
    finally:
        page.close()
        _restore(data, pristine)
