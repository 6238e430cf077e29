"""Damage a source of each kind under a running board: every page still renders in Chromium, and the Data page reports it.

One server runs on a copy of the demo data with one published batch. Each case damages one
source (a dropped-in figures file, the audit log, a reference file), every page is opened in headless
Chromium, and the case's report must be on the Data page; the copy is then put back as it was before
the next case. The board is opened at the Overview and the other pages are reached by the top navigation,
as a person moves through it. Every case of `faults.py` runs on every page in-process in `test_faults_pages.py`.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from faults import CASES, FRIENDLY_ERROR, published_copy, restore
from test_browser import CHROMIUM, DONE, browser, serve  # noqa: F401  (fixtures)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"no Chromium at {CHROMIUM}: run `make browser-deps`"),
]

# (url path, its link in the top navigation)
PAGES = [("", "Overview"), ("changes", "What changed"), ("trends", "Trends"), ("localities", "Localities"), ("priorities", "Priorities"),
         ("definitions", "Definitions"), ("data", "Data")]
# A case of each kind of source, served: the page checks run every case.
SERVED = ["dropped_file_binary", "audit_line_cut_short", "catalogue_target_abc"]


@pytest.fixture(scope="module")
def damaged_board(tmp_path_factory):
    data = published_copy(tmp_path_factory.mktemp("faults"))
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


@pytest.mark.parametrize(("name", "damage", "reported"), [c for c in CASES if c[0] in SERVED], ids=[c[0] for c in CASES if c[0] in SERVED])
def test_every_page_renders_with_one_source_damaged(damaged_board, browser, name, damage, reported):  # noqa: F811
    base, data, pristine = damaged_board
    restore(data, pristine)
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
        restore(data, pristine)
