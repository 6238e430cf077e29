"""Damage each kind of source in turn: every page of the board still runs, shows no error, and the Data page
reports the damage. In-process (AppTest), every case on every page; `test_faults_served.py` walks the served
board in Chromium for a case of each kind."""

from __future__ import annotations

import shutil

import pytest
from faults import CASES, FRIENDLY_ERROR, IDS, published_copy
from streamlit.testing.v1 import AppTest

from conftest import ROOT

APP = str(ROOT / "app.py")
# Every page of the board: the Overview first, as a visit opens, and the Data page last, where the report is.
PAGES = sorted((p.relative_to(ROOT).as_posix() for p in (ROOT / "pages").glob("*_page.py")),
               key=lambda p: (p != "pages/overview_page.py", p == "pages/data_page.py", p))


def page_text(at: AppTest) -> str:
    """Everything a page writes: headings, text, notices, HTML blocks and the cells of its tables."""
    parts = [str(e.value) for kind in ("title", "header", "subheader", "markdown", "caption", "text", "info", "warning", "error", "success")
             for e in getattr(at, kind)]
    parts += [str(h.proto.body) for h in at.get("html")]
    parts += [e.value.to_string() for e in (*at.dataframe, *at.table)]
    return "\n".join(parts)


@pytest.fixture(scope="module")
def pristine(tmp_path_factory):
    return published_copy(tmp_path_factory.mktemp("faults"))


def test_every_page_is_walked():
    assert PAGES[0] == "pages/overview_page.py" and PAGES[-1] == "pages/data_page.py" and len(PAGES) == 8


@pytest.mark.parametrize(("name", "damage", "reported"), CASES, ids=IDS)
def test_every_page_runs_with_one_source_damaged(pristine, tmp_path, monkeypatch, name, damage, reported):
    data = tmp_path / "data"
    shutil.copytree(pristine, data)
    damage(data)
    monkeypatch.setenv("KPI_DATA_DIR", str(data))
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    for page in PAGES:
        if page != PAGES[0]:
            at.switch_page(page).run()
        assert not at.exception, (name, page, [e.value for e in at.exception])
        text = page_text(at)
        assert FRIENDLY_ERROR not in text, (name, page)
        assert text.strip(), (name, page)
    assert reported in text, (name, text[:3000])  # the Data page, opened last
